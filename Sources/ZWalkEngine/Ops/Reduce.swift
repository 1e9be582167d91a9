enum ReduceOps {
    static let table: [String: OpFactory] = [:]
}
