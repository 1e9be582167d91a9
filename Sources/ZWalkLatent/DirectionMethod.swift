import Foundation

/// The ways zwalk finds latent directions, with the one set of spellings, the one `auto` rule and
/// the one sample budget that the commands and the explorer share.
public enum DirectionMethod: String, CaseIterable, Sendable {
    case auto, axis, sefa, pca, local, attribute

    /// A method by any of its names (case-insensitive): "per-axis", "axes", "ganspace", "jacobian"…
    public init?(name: String) {
        switch name.lowercased() {
        case "auto": self = .auto
        case "axis", "axes", "per-axis", "peraxis": self = .axis
        case "sefa": self = .sefa
        case "pca", "ganspace": self = .pca
        case "local", "jacobian": self = .local
        case "attribute": self = .attribute
        default: return nil
        }
    }

    /// Latents of up to this many values get their axes ranked by `auto`; bigger ones get SeFa.
    public static let autoAxisLimit = 64
    public static let autoRule = "axis for latents of up to \(autoAxisLimit) values, sefa above (local for a served model)"

    /// `auto` made concrete: the latent axes ranked by how much each changes the output (any
    /// decoder has axes, and a VAE trained for disentanglement has its factors there) for small
    /// latents; SeFa for big ones, where ranking the axes costs samples·(n + 1) decodes and SeFa
    /// none (GAN generators have the linear first layer it needs). A served model shows no
    /// weights: there, the Jacobian at the latent (2n decodes) instead of SeFa.
    public func resolved(latentCount: Int, weightsReadable: Bool = true) -> DirectionMethod {
        guard self == .auto else { return self }
        return latentCount <= DirectionMethod.autoAxisLimit ? .axis : weightsReadable ? .sefa : .local
    }

    /// The methods computed from the model alone (attribute needs labelled latents).
    public static let computable: [DirectionMethod] = [.axis, .sefa, .pca, .local]

    /// How the method is shown in panels and tables.
    public var title: String {
        switch self {
        case .auto: return "auto"
        case .axis: return "per-axis"
        case .sefa: return "SeFa"
        case .pca: return "PCA"
        case .local: return "local"
        case .attribute: return "attribute"
        }
    }

    /// One line for choosers and help.
    public var explanation: String {
        switch self {
        case .auto: return DirectionMethod.autoRule
        case .axis: return "latent axes, ranked by how much each changes the image"
        case .sefa: return "closed-form factorisation of the first layer's weight"
        case .pca: return "principal components of the first layer's activations (GANSpace)"
        case .local: return "top singular vectors of the Jacobian at this latent"
        case .attribute: return "mean difference (or logistic normal) of labelled latents"
        }
    }

    /// Prior samples per method when none are asked for. Ranking axes costs samples·(n + 1)
    /// decodes, so the 32 samples of a small latent shrink to keep near 4,096 decodes (7 at 512-d):
    /// seconds of two cores, not minutes. PCA's samples are partial decodes to the first layer.
    public func defaultSamples(latentCount: Int) -> Int {
        switch self {
        case .pca: return 2048
        default: return max(4, min(32, 4096 / (latentCount + 1)))
        }
    }
}

/// Where a direction set comes from: computed by a method, or a `.npy` saved by `zwalk directions`.
public enum DirectionSource: Hashable, Sendable, CustomStringConvertible {
    case method(DirectionMethod)
    case file(String)

    /// A method's name, unless a file of that very name exists (then the file); anything else is a
    /// file path.
    public static func parse(_ text: String, fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> DirectionSource {
        if let m = DirectionMethod(name: text), !fileExists(text) { return .method(m) }
        return .file(text)
    }

    public static let `default` = DirectionSource.method(.auto)

    /// The sources a chooser offers.
    public static let methods: [DirectionSource] = DirectionMethod.computable.map { .method($0) }

    public var description: String {
        switch self {
        case .method(let m): return m.title
        case .file(let p): return p
        }
    }

    /// What the user typed to get it, for reproducing commands and metadata ("axis", "d.npy").
    public var spelling: String {
        switch self {
        case .method(let m): return m.rawValue
        case .file(let p): return p
        }
    }

    /// The set depends on where the walk is (local directions are the Jacobian's at that latent),
    /// so a new base point needs it computed again.
    public var dependsOnLatent: Bool { self == .local }

    public var explanation: String {
        switch self {
        case .method(let m): return m.explanation
        case .file(let p): return "directions from \(p)"
        }
    }
}

extension DirectionSource {
    // The computable methods by name, so a source reads as `.sefa` where one is written down.
    public static let auto = DirectionSource.method(.auto)
    public static let axis = DirectionSource.method(.axis)
    public static let sefa = DirectionSource.method(.sefa)
    public static let pca = DirectionSource.method(.pca)
    public static let local = DirectionSource.method(.local)
}
