import ZWalkLatent

/// What can go wrong talking to an inference server, each as one line a user can act on.
public enum RemoteError: TransientError, CustomStringConvertible, Equatable {
    /// No HTTP exchange happened: connection refused, unknown host, timeout, connection lost.
    case unreachable(url: String, reason: String)
    /// The server answers but says it is not ready (`/v2/health/ready`).
    case notReady(server: String, status: Int)
    /// The server does not serve this model (or version).
    case noSuchModel(server: String, model: String, message: String)
    /// The model exists but is not ready.
    case modelNotReady(server: String, model: String, status: Int)
    /// An error status with the server's own message (`{"error": …}`).
    case server(url: String, status: Int, message: String)
    /// A reply that does not follow the Open Inference Protocol.
    case badReply(url: String, reason: String)
    /// The model is not something zwalk can drive (several inputs, a non-float latent…).
    case unsupported(model: String, reason: String)

    public var description: String {
        switch self {
        case let .unreachable(url, reason):
            return "cannot reach the inference server at \(url): \(reason)"
        case let .notReady(server, status):
            return "the inference server at \(server) is not ready (/v2/health/ready answered HTTP \(status))"
        case let .noSuchModel(server, model, message):
            return "the inference server at \(server) has no model '\(model)'" + (message.isEmpty ? "" : " (it says: \(message))")
        case let .modelNotReady(server, model, status):
            return "model '\(model)' on \(server) is not ready (HTTP \(status))"
        case let .server(url, status, message):
            return "the inference server answered HTTP \(status) to \(url)" + (message.isEmpty ? "" : ": \(message)")
        case let .badReply(url, reason):
            return "the reply from \(url) is not an Open Inference Protocol reply: \(reason)"
        case let .unsupported(model, reason):
            return "\(model): \(reason)"
        }
    }

    /// True when the server may come back by itself (the explorer retries these).
    public var isTransient: Bool {
        switch self {
        case .unreachable, .notReady, .modelNotReady: return true
        case .server(_, let status, _): return status >= 500
        default: return false
        }
    }
}
