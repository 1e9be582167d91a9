import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkLatent

// Direction sets for the commands: computed on the spot by name (axis, sefa, pca, local,
// attribute) or loaded from a .npy with its JSON sidecar, refused when made for another model.

/// The methods `--directions`/`--method` name, with the cost each states in --help.
enum DirectionMethod: String, CaseIterable {
    case auto, axis, sefa, pca, local, attribute

    init?(name: String) {
        switch name.lowercased() {
        case "auto": self = .auto
        case "axis", "per-axis", "axes": self = .axis
        case "sefa": self = .sefa
        case "pca", "ganspace": self = .pca
        case "local", "jacobian": self = .local
        case "attribute": self = .attribute
        default: return nil
        }
    }
}

/// What traverse, slice and directions use by default: `auto`, see `resolved`.
let defaultDirections = "auto"

extension DirectionMethod {
    /// `auto` is the latent axes ranked by how much each changes the output when the latent is
    /// small (any decoder has axes, and a VAE like the shipped β-TCVAE is trained so that its axes
    /// are its factors), and SeFa for big latents, where ranking the axes costs samples·(n + 1)
    /// decodes but SeFa none (GAN generators have the linear first layer it needs).
    func resolved(for model: LatentModel) -> DirectionMethod {
        guard self == .auto else { return self }
        return model.latentCount <= DirectionMethod.autoAxisLimit ? .axis : .sefa
    }

    static let autoAxisLimit = 64
    static let autoHelp = "axis for latents of up to \(autoAxisLimit) values, sefa above"
}

let directionSourceOptions: [Option] = [
    .value("directions", "auto|axis|sefa|pca|local|FILE.npy",
           "the directions: computed now by method (see 'zwalk directions --help'), or a set saved by 'zwalk directions'",
           default: "auto (\(DirectionMethod.autoHelp))"),
    .value("samples", "N", "axis: prior samples the axes are ranked over; pca: samples whose activations are analysed",
           default: "32 for axis, 2048 for pca"),
    .value("node", "NAME", "pca: the value whose activations are analysed", default: "the first layer's output"),
    .flag("trust-directions", "accept a direction file made for another model, or a bare .npy without its .json sidecar"),
]

/// Computes a set by method. `point` is where local directions are taken; `seed` seeds the samples
/// of axis and pca. `count` keeps the top directions (nil: all).
func computeDirections(_ method: DirectionMethod, inv: Invocation, model: LatentModel, prior: Prior,
                       point: [Float], seed: UInt32, count: Int?) throws -> DirectionSet {
    let sha = try model.fingerprint()
    switch method.resolved(for: model) {
    case .axis, .auto: // resolved(for:) never returns auto
        let samples = try boundedInt(inv, "samples", default: 32, in: 1...100_000)
        let decodes = samples * (model.latentCount + 1)
        if decodes > 1000 { note("ranking \(model.latentCount) axes over \(samples) samples: \(decodes) decodes") }
        var set = try Directions.perAxis(decoder: model.decoder, prior: prior, modelSHA256: sha, samples: samples,
                                         seed: seed, axisNames: model.axisNames)
        if let k = count, k < set.count { set = try prefix(set, k) }
        return set
    case .sefa:
        return try Directions.sefa(session: model.generative.session, latentShape: model.latentShape, modelSHA256: sha,
                                   count: count, normalizeOutputUnits: inv.flag("sefa-normalize"), prior: prior)
    case .pca:
        let samples = try boundedInt(inv, "samples", default: 2048, in: 2...1_000_000)
        if samples > 4096 { note("PCA over \(samples) samples") }
        return try Directions.pca(session: model.generative.session, latentShape: model.latentShape, prior: prior,
                                  modelSHA256: sha, layer: inv.string("node"), samples: samples, seed: seed, count: count)
    case .local:
        return try Directions.local(decoder: model.decoder, at: point, prior: prior, modelSHA256: sha, count: count)
    case .attribute:
        throw usageError(inv, "attribute directions need labelled latents: make them with 'zwalk directions --method attribute --positive P --negative N --out dirs.npy' and pass dirs.npy")
    }
}

/// The first `k` directions of a set (they are ranked).
func prefix(_ s: DirectionSet, _ k: Int) throws -> DirectionSet {
    try DirectionSet(method: s.method, modelSHA256: s.modelSHA256, latentShape: s.latentShape,
                     vectors: Array(s.vectors.prefix(k)), names: Array(s.names.prefix(k)), scores: Array(s.scores.prefix(k)),
                     scoreKind: s.scoreKind, sigmas: Array(s.sigmas.prefix(k)), notes: s.notes)
}

/// A saved set, checked against the model. The library's hint names `--force`; in these commands
/// --force means "overwrite", so the hint is rewritten to the flag that accepts a foreign set.
func loadDirections(_ path: String, inv: Invocation, model: LatentModel) throws -> DirectionSet {
    guard FileManager.default.fileExists(atPath: path) else {
        throw usageError(inv, "--directions '\(path)' is neither a method (\(DirectionMethod.allCases.map(\.rawValue).filter { $0 != "attribute" }.joined(separator: ", "))) nor an existing file")
    }
    do {
        return try DirectionSet.load(npyPath: path, expectingModel: try model.fingerprint(), latentShape: model.latentShape,
                                     force: inv.flag("trust-directions"))
    } catch LatentError.mismatchedDirections(let message) {
        throw LatentError.mismatchedDirections(message.replacingOccurrences(of: "pass --force", with: "pass --trust-directions"))
    }
}

/// --directions for traverse and slice: a method computed at `base`, or a file.
func resolveDirections(_ inv: Invocation, model: LatentModel, prior: Prior, base: [Float]) throws -> DirectionSet {
    let spec = inv.string("directions") ?? defaultDirections
    if let method = DirectionMethod(name: spec), !FileManager.default.fileExists(atPath: spec) {
        // Ranking samples come from seed 0 so that a traversal's rows do not depend on its --seed.
        return try computeDirections(method, inv: inv, model: model, prior: prior, point: base, seed: 0, count: nil)
    }
    return try loadDirections(spec, inv: inv, model: model)
}

/// How `zwalk directions` prints a set: rank, name, score and the latent length of a 1σ step.
func directionTable(_ set: DirectionSet) -> String {
    let scoreTitle: String
    switch set.scoreKind {
    case .eigenvalue: scoreTitle = "eigenvalue"
    case .standardDeviation: scoreTitle = "stddev"
    case .meanAbsChange: scoreTitle = "mean |Δout|"
    case .singularValue: scoreTitle = "singular value"
    case .separation: scoreTitle = "separation d′"
    case .unknown: scoreTitle = "score"
    }
    let nameWidth = max(4, set.names.map(\.count).max() ?? 4)
    func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
    func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
    var out = "rank  " + pad("name", nameWidth) + "  " + lpad(scoreTitle, 14) + "  " + lpad("1σ step", 10) + "\n"
    for i in 0..<set.count {
        out += lpad(String(i), 4) + "  " + pad(set.names[i], nameWidth) + "  "
            + lpad(String(format: "%.6g", Double(set.scores[i])), 14) + "  " + lpad(String(format: "%.4g", Double(set.sigmas[i])), 10) + "\n"
    }
    return out
}
