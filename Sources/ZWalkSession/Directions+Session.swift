import Foundation
import ZWalkLatent

/// What a direction method may be told beyond the model: the seed of its samples, how many to
/// keep, its sample budget, PCA's layer. Unset values take the method's defaults.
public struct DirectionRequest: Sendable {
    /// axis, pca: the seed of the prior samples.
    public var seed: UInt32 = 0
    /// Keep the top `count` (nil: all).
    public var count: Int?
    /// axis, pca: samples (nil: `DirectionMethod.defaultSamples`).
    public var samples: Int?
    /// pca: the value whose activations are analysed (nil: the first layer's output).
    public var node: String?
    /// sefa: normalise each output unit's weights first, as the authors' code does.
    public var sefaNormalize = false
    /// A file: accept a set made for another model, or one without its sidecar.
    public var trustFile = false

    public init(seed: UInt32 = 0, count: Int? = nil, samples: Int? = nil, node: String? = nil, sefaNormalize: Bool = false,
                trustFile: Bool = false) {
        self.seed = seed; self.count = count; self.samples = samples; self.node = node
        self.sefaNormalize = sefaNormalize; self.trustFile = trustFile
    }
}

extension ModelSession {
    /// A direction set from a source: a method computed at `point` (local directions need it), or a
    /// file saved by `zwalk directions`, refused when made for another model or latent shape
    /// (`LatentError.mismatchedDirections`) unless the request trusts it.
    public func directions(_ source: DirectionSource, at point: [Float], _ request: DirectionRequest = DirectionRequest()) throws -> DirectionSet {
        switch source {
        case .file(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                let names = DirectionMethod.allCases.filter { $0 != .attribute }.map(\.rawValue).joined(separator: ", ")
                throw SessionError.invalidOption("'\(path)' is neither a direction method (\(names)) nor an existing file")
            }
            return try DirectionSet.load(npyPath: path, expectingModel: try fingerprint(), latentShape: latentShape,
                                         force: request.trustFile)
        case .method(let method):
            return try compute(method.resolved(latentCount: latentCount, weightsReadable: remote == nil), at: point, request)
        }
    }

    private func compute(_ method: DirectionMethod, at point: [Float], _ r: DirectionRequest) throws -> DirectionSet {
        let sha = try fingerprint()
        let samples = r.samples ?? method.defaultSamples(latentCount: latentCount)
        switch method {
        case .axis, .auto: // resolved(latentCount:) never gives auto
            guard (1...100_000).contains(samples) else { throw SessionError.invalidOption("axis ranking takes 1…100000 samples, got \(samples)") }
            let decodes = samples * (latentCount + 1)
            if decodes > 1000 { log?("ranking \(latentCount) axes over \(samples) samples: \(decodes) decodes") }
            let set = try Directions.perAxis(decoder: decoder, prior: try prior(), modelSHA256: sha, samples: samples,
                                             seed: r.seed, axisNames: axisNames)
            return try r.count.map { try set.top($0) } ?? set
        case .sefa:
            let local = try localModel(for: "SeFa reads the first layer's weights")
            return try Directions.sefa(session: local.session, latentShape: latentShape, modelSHA256: sha,
                                       count: r.count, normalizeOutputUnits: r.sefaNormalize, prior: try prior())
        case .pca:
            guard (2...1_000_000).contains(samples) else { throw SessionError.invalidOption("PCA takes 2…1000000 samples, got \(samples)") }
            if samples > 4096 { log?("PCA over \(samples) samples") }
            let local = try localModel(for: "PCA reads the activations of an inner layer")
            return try Directions.pca(session: local.session, latentShape: latentShape, prior: try prior(),
                                      modelSHA256: sha, layer: r.node, samples: samples, seed: r.seed, count: r.count)
        case .local:
            return try Directions.local(decoder: decoder, at: point, prior: try prior(), modelSHA256: sha, count: r.count)
        case .attribute:
            throw SessionError.invalidOption("attribute directions need labelled latents: make a set with 'zwalk directions --method attribute --positive P --negative N --out dirs.npy' and load dirs.npy")
        }
    }

    /// An attribute direction from latents labelled positive and negative (rows of files).
    public func attributeDirections(positive: [[Float]], negative: [[Float]], classifier: Directions.AttributeMethod,
                                    name: String) throws -> DirectionSet {
        try Directions.attribute(positive: positive, negative: negative, latentShape: latentShape, modelSHA256: try fingerprint(),
                                 method: classifier, name: name, prior: try prior())
    }
}

extension DirectionSet {
    /// The first `k` directions (sets are ranked).
    public func top(_ k: Int) throws -> DirectionSet {
        guard k < count else { return self }
        return try DirectionSet(method: method, modelSHA256: modelSHA256, latentShape: latentShape,
                                vectors: Array(vectors.prefix(k)), names: Array(names.prefix(k)), scores: Array(scores.prefix(k)),
                                scoreKind: scoreKind, sigmas: Array(sigmas.prefix(k)), notes: notes)
    }

    /// How a set is printed: rank, name, score and the latent length of a 1σ step.
    public var table: String {
        let scoreTitle: String
        switch scoreKind {
        case .eigenvalue: scoreTitle = "eigenvalue"
        case .standardDeviation: scoreTitle = "stddev"
        case .meanAbsChange: scoreTitle = "mean |Δout|"
        case .singularValue: scoreTitle = "singular value"
        case .separation: scoreTitle = "separation d′"
        case .unknown: scoreTitle = "score"
        }
        let nameWidth = max(4, names.map(\.count).max() ?? 4)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var out = "rank  " + pad("name", nameWidth) + "  " + lpad(scoreTitle, 14) + "  " + lpad("1σ step", 10) + "\n"
        for i in 0..<count {
            out += lpad(String(i), 4) + "  " + pad(names[i], nameWidth) + "  "
                + lpad(String(format: "%.6g", Double(scores[i])), 14) + "  " + lpad(String(format: "%.4g", Double(sigmas[i])), 10) + "\n"
        }
        return out
    }
}
