enum PoolingOps {
    static let table: [String: OpFactory] = [:]
}
