enum NormalizationOps {
    static let table: [String: OpFactory] = [:]
}
