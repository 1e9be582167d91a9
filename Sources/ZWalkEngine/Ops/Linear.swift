enum LinearOps {
    static let table: [String: OpFactory] = [:]
}
