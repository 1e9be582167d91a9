/// Every operator the runtime implements, by ONNX name. Each op family keeps its own table in its
/// own file under Ops/; adding an operator touches that file only (its function and one table
/// line). A test checks this registry against the README's list.
public enum OperatorRegistry {
    static let families: [(name: String, table: [String: OpFactory])] = [
        ("elementwise", ElementwiseOps.table),
        ("shape", ShapeOps.table),
        ("reduce", ReduceOps.table),
        ("normalization", NormalizationOps.table),
        ("linear", LinearOps.table),
        ("convolution", ConvolutionOps.table),
        ("pooling", PoolingOps.table),
        ("spatial", SpatialOps.table),
        ("resize", ResizeOps.table),
    ]

    public static let table: [String: OpFactory] = {
        var all: [String: OpFactory] = [:]
        for family in families {
            for (op, factory) in family.table {
                precondition(all[op] == nil, "operator \(op) is registered twice")
                all[op] = factory
            }
        }
        return all
    }()

    public static var supportedOperators: [String] { table.keys.sorted() }

    /// The factory for `op` in `domain` ("" and "ai.onnx" are the default domain), or nil.
    public static func factory(op: String, domain: String) -> OpFactory? {
        guard domain.isEmpty || domain == "ai.onnx" else { return nil }
        return table[op]
    }
}
