import Foundation

/// What a direction's score measures (each method documents its own).
public enum ScoreKind: String, Sendable, CaseIterable {
    /// SeFa: eigenvalue of AᵀA (squared gain of the first layer along the direction).
    case eigenvalue
    /// PCA: standard deviation of the activation component the direction drives.
    case standardDeviation = "stddev"
    /// Per-axis: mean |decode(z + σ·e_i) − decode(z)| over the samples and output elements.
    case meanAbsChange = "mean_abs_change"
    /// Local (Jacobian): singular value of the decoder's Jacobian at the point.
    case singularValue = "singular_value"
    /// Attribute vectors: the separation d′ of the two sets along the direction (difference of the
    /// projected means over the pooled standard deviation).
    case separation
    /// Imported without metadata: nothing is known about the ranking.
    case unknown
}

/// A set of latent directions and where they belong. Vectors are unit-norm rows in the flattened
/// latent space; `sigmas[i]` is the latent-space length of a "1σ" step along vector i (for PCA the
/// latent spread that moves its component by one standard deviation; for the other methods the
/// prior's standard deviation), so a traversal step of s σ adds s·sigmas[i]·vectors[i].
/// `modelSHA256` and `latentShape` tie the set to one model: `load` refuses any other.
public struct DirectionSet: Equatable, Sendable {
    public var method: String
    public var modelSHA256: String
    public var latentShape: [Int]
    public var vectors: [[Float]]
    public var names: [String]
    public var scores: [Float]
    public var scoreKind: ScoreKind
    public var sigmas: [Float]
    public var notes: String

    public init(method: String, modelSHA256: String, latentShape: [Int], vectors: [[Float]], names: [String]? = nil,
                scores: [Float], scoreKind: ScoreKind, sigmas: [Float]? = nil, notes: String = "") throws {
        let n = latentShape.reduce(1, *)
        guard !latentShape.isEmpty, n > 0 else { throw LatentError.invalidArgument("direction set: latent shape \(latentShape) is empty") }
        guard !vectors.isEmpty else { throw LatentError.invalidArgument("direction set '\(method)' has no directions") }
        for (i, v) in vectors.enumerated() where v.count != n {
            throw LatentError.invalidArgument("direction \(i) has \(v.count) components, the latent \(latentShape) has \(n)")
        }
        let names = names ?? vectors.indices.map { "\(method) \($0)" }
        let sigmas = sigmas ?? [Float](repeating: 1, count: vectors.count)
        guard names.count == vectors.count, scores.count == vectors.count, sigmas.count == vectors.count else {
            throw LatentError.invalidArgument("direction set '\(method)': \(vectors.count) vectors but \(names.count) names, \(scores.count) scores, \(sigmas.count) sigmas")
        }
        self.method = method; self.modelSHA256 = modelSHA256.lowercased(); self.latentShape = latentShape
        self.vectors = vectors; self.names = names; self.scores = scores; self.scoreKind = scoreKind
        self.sigmas = sigmas; self.notes = notes
        try checkFinite()
    }

    /// Refuses NaN and ±inf in vectors, scores and sigmas, naming the direction: they would poison
    /// every step taken along it, and JSON has no way to write them (JSONEncoder would fail with
    /// an EncodingError that says nothing of which direction is at fault).
    public func checkFinite() throws {
        func direction(_ i: Int) -> String {
            "direction set '\(method)': direction \(i)" + (i < names.count ? " ('\(names[i])')" : "")
        }
        for (i, v) in vectors.enumerated() {
            if let k = v.firstIndex(where: { !$0.isFinite }) {
                throw LatentError.invalidArgument("\(direction(i)) has a non-finite component \(v[k]) at index \(k)")
            }
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) {
            throw LatentError.invalidArgument("\(direction(i)) has a non-finite score \(scores[i])")
        }
        if let i = sigmas.firstIndex(where: { !$0.isFinite }) {
            throw LatentError.invalidArgument("\(direction(i)) has a non-finite sigma \(sigmas[i])")
        }
    }

    public var count: Int { vectors.count }
    public var latentCount: Int { latentShape.reduce(1, *) }

    /// The displacement of a step of `steps` σ along direction `index`.
    public func displacement(_ index: Int, steps: Double) -> [Float] {
        let scale = steps * Double(sigmas[index])
        return vectors[index].map { Float(Double($0) * scale) }
    }

    /// Refuses a set made for another model or latent shape, naming both fingerprints. `force`
    /// accepts another model's set of the same latent size (the user's explicit choice); a latent
    /// size mismatch is never accepted because the vectors could not even be added.
    public func check(model sha: String, latentShape expected: [Int], force: Bool = false, source: String = "direction set") throws {
        if latentCount != expected.reduce(1, *) {
            throw LatentError.mismatchedDirections("\(source) lives in a latent space of shape \(latentShape) (\(latentCount) values), but the model's latent is \(expected) (\(expected.reduce(1, *)) values)")
        }
        if force { return }
        if latentShape != expected {
            throw LatentError.mismatchedDirections("\(source) was made for latent shape \(latentShape), the model's is \(expected)")
        }
        if modelSHA256 != sha.lowercased() {
            throw LatentError.mismatchedDirections("\(source) was made for model sha256 \(modelSHA256), not this model (sha256 \(sha.lowercased()))")
        }
    }

    // MARK: JSON sidecar

    /// The metadata written beside the .npy of vectors.
    struct Sidecar: Codable {
        var format: String
        var method: String
        var model_sha256: String
        var latent_shape: [Int]
        var count: Int
        var names: [String]
        var scores: [Float]
        var score_kind: String
        var sigmas: [Float]
        var notes: String
    }

    static let sidecarFormat = "zwalk.directions/1"

    /// The sidecar's bytes: sorted keys, so the same set always writes the same bytes.
    public func sidecarJSON() throws -> Data {
        // The fields are public and mutable: check again what the initializer checked.
        try checkFinite()
        let s = Sidecar(format: DirectionSet.sidecarFormat, method: method, model_sha256: modelSHA256,
                        latent_shape: latentShape, count: count, names: names, scores: scores,
                        score_kind: scoreKind.rawValue, sigmas: sigmas, notes: notes)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try enc.encode(s)
        data.append(0x0a)
        return data
    }

    /// Rebuilds a set from sidecar bytes and the vectors from the .npy (rows), checking that they
    /// agree. `path` names the sidecar in errors.
    static func fromSidecar(_ data: Data, vectors: [[Float]], path: String) throws -> DirectionSet {
        let s: Sidecar
        do { s = try JSONDecoder().decode(Sidecar.self, from: data) } catch {
            throw LatentError.invalidFile(path: path, reason: "not a zwalk direction sidecar: \(error)")
        }
        guard s.format == sidecarFormat else {
            throw LatentError.invalidFile(path: path, reason: "format '\(s.format)' is not '\(sidecarFormat)'")
        }
        guard let kind = ScoreKind(rawValue: s.score_kind) else {
            throw LatentError.invalidFile(path: path, reason: "unknown score_kind '\(s.score_kind)' (known: \(ScoreKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard s.count == vectors.count else {
            throw LatentError.invalidFile(path: path, reason: "the sidecar describes \(s.count) directions but the .npy holds \(vectors.count)")
        }
        do {
            return try DirectionSet(method: s.method, modelSHA256: s.model_sha256, latentShape: s.latent_shape,
                                    vectors: vectors, names: s.names, scores: s.scores, scoreKind: kind,
                                    sigmas: s.sigmas, notes: s.notes)
        } catch let e as LatentError {
            throw LatentError.invalidFile(path: path, reason: e.description)
        }
    }
}
