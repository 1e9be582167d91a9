enum ShapeOps {
    static let table: [String: OpFactory] = [:]
}
