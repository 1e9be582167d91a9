/// What the latent toolkit refuses, each message naming the offending value and, where there is
/// one, the model node or file.
public enum LatentError: Error, CustomStringConvertible, Equatable {
    /// A caller's argument out of range (a seed, a count, a shape).
    case invalidArgument(String)
    /// The model does not fit what a method needs (no linear first layer, a second input, …).
    case unsupportedModel(String)
    /// A direction set made for another model or latent space.
    case mismatchedDirections(String)
    /// A file that cannot be read or has the wrong content; names the path.
    case invalidFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidArgument(let s), .unsupportedModel(let s), .mismatchedDirections(let s): return s
        case .invalidFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}
