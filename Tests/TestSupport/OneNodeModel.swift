import ZWalkEngine

/// An input of a one-node test model.
public enum OneNodeInput: Sendable {
    /// A graph input of a fixed shape, fed at run time.
    case runtime(name: String, dtype: DType, shape: [Int])
    /// An initializer: a load-time constant, as exporters store weights and shape arguments.
    case constant(name: String, value: Tensor)
    /// An optional input left out (written "" in the node, as exporters do).
    case omitted

    /// A run-time input declared with `value`'s type and shape.
    public static func runtime(_ name: String, _ value: Tensor) -> OneNodeInput {
        .runtime(name: name, dtype: value.dtype, shape: value.shape)
    }

    var name: String {
        switch self {
        case .runtime(let name, _, _), .constant(let name, _): return name
        case .omitted: return ""
        }
    }
}

/// A model of the single node `op` (named `node`) reading `inputs` and writing `outputs`: the
/// fixture the op tests of every family plan and run. Graph outputs are declared without a type
/// (the planner infers it).
public func oneNodeModel(_ op: String, node: String = "node", inputs: [OneNodeInput], outputs: [String] = ["y"],
                         attributes: [String: AttributeValue] = [:], opset: Int = 17) -> Model {
    var initializers: [String: Tensor] = [:]
    var graphInputs: [ValueInfo] = []
    for input in inputs {
        switch input {
        case .runtime(let name, let dtype, let shape):
            graphInputs.append(ValueInfo(name: name, dtype: dtype, dims: shape.map { .fixed($0) }))
        case .constant(let name, let value):
            initializers[name] = value
        case .omitted:
            break
        }
    }
    let n = Node(name: node, opType: op, inputs: inputs.map(\.name), outputs: outputs, attributes: attributes)
    return Model(graph: Graph(nodes: [n], initializers: initializers, inputs: graphInputs,
                              outputs: outputs.map { ValueInfo(name: $0, dtype: nil, dims: nil) }),
                 opsets: ["": opset])
}
