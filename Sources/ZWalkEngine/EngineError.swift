/// Everything the engine can refuse, each with the place it happened so that a user can find it in
/// their model (the node's name and operator) and a test can match on the case.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    /// Operators the runtime lacks, all of them at once, found at load time.
    case unsupportedOperators([UnsupportedOperator])
    /// A node whose attributes, inputs or shapes are invalid or not supported.
    case invalidNode(node: String, op: String, reason: String)
    /// A graph-level fault: a cycle, a missing value, a duplicate name.
    case invalidGraph(String)
    /// A shape-level fault outside a node (a caller's tensor of the wrong shape and the like).
    case invalidShape(String)
    /// A run-time input that does not fit the plan.
    case invalidInput(String)
    /// Any of the above in the model loaded from a file: the file, then the error.
    indirect case inFile(String, EngineError)

    public struct UnsupportedOperator: Equatable, Sendable {
        public let op: String
        public let domain: String
        public let opset: Int
        public let node: String
        public init(op: String, domain: String, opset: Int, node: String) {
            self.op = op; self.domain = domain; self.opset = opset; self.node = node
        }
    }

    public var description: String {
        switch self {
        case .unsupportedOperators(let list):
            let lines = list.map { u in
                let d = u.domain.isEmpty ? "" : "\(u.domain)::"
                return "operator '\(d)\(u.op)' (opset \(u.opset)) at node '\(u.node)' is not supported"
            }
            return lines.joined(separator: "\n")
                + "\nhint: `zwalk ops` lists the supported operators; re-export with another opset or replace the layer"
        case .invalidNode(let node, let op, let reason):
            return "node '\(node)' (\(op)): \(reason)"
        case .invalidGraph(let s), .invalidShape(let s), .invalidInput(let s):
            return s
        case .inFile(let file, let error):
            return "\(file): \(error)"
        }
    }

    /// The error as said of the model loaded from `source` (a model built in memory is no file).
    public func located(in source: String) -> EngineError {
        if case .inFile = self { return self }
        return source == Model.inMemory ? self : .inFile(source, self)
    }
}
