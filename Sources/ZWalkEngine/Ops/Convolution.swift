enum ConvolutionOps {
    static let table: [String: OpFactory] = [:]
}
