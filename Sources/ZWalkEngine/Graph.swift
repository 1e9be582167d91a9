/// The engine's model representation: a format-neutral graph of named values, close to ONNX's so
/// that importers stay thin. Formats (ZWalkFormats) build it; the planner consumes it.

public enum AttributeValue: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(Tensor)
    /// A subgraph (If/Loop bodies). Kept so that an importer loses nothing; no supported op reads it.
    case graph(Graph)
}

public struct Node: Sendable {
    public var name: String
    public var opType: String
    public var domain: String
    /// Input value names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: AttributeValue]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: AttributeValue] = [:]) {
        self.name = name; self.opType = opType; self.domain = domain
        self.inputs = inputs; self.outputs = outputs; self.attributes = attributes
    }

    /// The name errors use: the node's own, or its first output when the exporter left it empty.
    public var displayName: String { name.isEmpty ? (outputs.first ?? opType) : name }
}

public enum Dim: Sendable, Hashable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbolic(let s): return s.isEmpty ? "?" : s
        }
    }
}

public struct ValueInfo: Sendable {
    public var name: String
    /// nil when the declared element type is one the engine does not compute with (string, complex).
    public var dtype: DType?
    /// The ONNX element type code as declared (1 = float, 7 = int64, …), for `zwalk info`.
    public var elementType: Int
    /// nil when the rank is unknown.
    public var dims: [Dim]?

    public init(name: String, dtype: DType?, elementType: Int = 1, dims: [Dim]?) {
        self.name = name; self.dtype = dtype; self.elementType = elementType; self.dims = dims
    }
}

public struct Graph: Sendable {
    public var name: String
    public var nodes: [Node]
    public var initializers: [String: Tensor]
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]

    public init(name: String = "", nodes: [Node], initializers: [String: Tensor] = [:],
                inputs: [ValueInfo], outputs: [ValueInfo]) {
        self.name = name; self.nodes = nodes; self.initializers = initializers
        self.inputs = inputs; self.outputs = outputs
    }

    /// Graph inputs that are not initializers: what a caller feeds.
    public var runtimeInputs: [ValueInfo] { inputs.filter { initializers[$0.name] == nil } }
}

public struct Model: Sendable {
    public var graph: Graph
    /// Operator set version per domain ("" is the default ONNX domain).
    public var opsets: [String: Int]
    public var metadata: [String: String]
    public var producer: String
    public var irVersion: Int
    /// Where the model came from, for error messages.
    public var source: String
    /// The `source` of a model built in memory rather than loaded from a file.
    public static let inMemory = "<memory>"

    public init(graph: Graph, opsets: [String: Int] = ["": 17], metadata: [String: String] = [:],
                producer: String = "", irVersion: Int = 8, source: String = Model.inMemory) {
        self.graph = graph; self.opsets = opsets; self.metadata = metadata
        self.producer = producer; self.irVersion = irVersion; self.source = source
    }

    public func opset(for domain: String) -> Int {
        opsets[domain] ?? opsets[domain == "ai.onnx" ? "" : domain] ?? 1
    }
}
