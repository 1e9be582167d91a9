enum SpatialOps {
    static let table: [String: OpFactory] = [:]
}
