import Foundation
import ZWalkEngine

public enum PriorKind: String, CaseIterable, Sendable {
    /// N(0, I), drawn as `RandomState(seed).standard_normal((count,) + shape)`.
    case normal
    /// U(−1, 1), drawn as `RandomState(seed).uniform(-1, 1, (count,) + shape)`.
    case uniform
}

/// The distribution latents are drawn from, and the shape of one latent (without the batch axis).
///
/// Truncation follows StyleGAN: z_trunc = mean + ψ·(z − mean) with mean = 0, so ψ < 1 pulls samples
/// toward the centre (ψ = 1: none). Optionally, before ψ, a normal element whose magnitude exceeds
/// `resampleThreshold` is redrawn from the same stream until it does not (BigGAN's truncated
/// normal, made reproducible: the NumPy equivalent is, per element in C order,
/// `v = rs.standard_normal(); while abs(v) > t: v = rs.standard_normal()`).
/// Every value is computed in Double and rounded once to Float, so `seed` gives exactly
/// `np.float32(psi * RandomState(seed).standard_normal(shape))`.
public struct Prior: Equatable, Sendable, CustomStringConvertible {
    public var kind: PriorKind
    public var latentShape: [Int]
    public var psi: Double
    public var resampleThreshold: Double?

    public init(kind: PriorKind = .normal, latentShape: [Int], psi: Double = 1, resampleThreshold: Double? = nil) throws {
        guard !latentShape.isEmpty, latentShape.allSatisfy({ $0 > 0 }) else {
            throw LatentError.invalidArgument("latent shape \(latentShape) must have at least one dimension, all positive")
        }
        _ = try Shape.count(latentShape)
        guard psi.isFinite, psi >= 0 else {
            throw LatentError.invalidArgument("truncation ψ must be a finite number ≥ 0, got \(psi)")
        }
        if let t = resampleThreshold {
            guard kind == .normal else {
                throw LatentError.invalidArgument("resampling above a threshold applies to the normal prior only, not \(kind)")
            }
            // Below ~0.05 almost every draw is rejected; refuse rather than spin.
            guard t.isFinite, t >= 0.05 else {
                throw LatentError.invalidArgument("resampling threshold must be ≥ 0.05 (in standard deviations), got \(t)")
            }
        }
        self.kind = kind; self.latentShape = latentShape; self.psi = psi; self.resampleThreshold = resampleThreshold
    }

    /// The prior a model declares (`zwalk.prior`, `zwalk.latent_shape`), with flags overriding
    /// either. Without metadata the latent shape is the first input's declared shape minus the batch
    /// axis. A metadata shape that contradicts the input's declared shape is an error.
    public init(model: Model, kind: PriorKind? = nil, latentShape: [Int]? = nil, psi: Double = 1,
                resampleThreshold: Double? = nil) throws {
        var k = kind
        if k == nil, let name = model.metadata["zwalk.prior"], !name.isEmpty {
            guard let parsed = PriorKind(rawValue: name.lowercased()) else {
                throw LatentError.unsupportedModel("\(model.source): metadata zwalk.prior = '\(name)' is not one of \(PriorKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            k = parsed
        }
        let shape = try latentShape ?? Prior.latentShape(of: model)
        try self.init(kind: k ?? .normal, latentShape: shape, psi: psi, resampleThreshold: resampleThreshold)
    }

    /// The latent shape of a decoder: `zwalk.latent_shape` ("512" or "4,8,8") checked against the
    /// first runtime input's declared dims, or those dims alone.
    public static func latentShape(of model: Model) throws -> [Int] {
        let inputs = model.graph.runtimeInputs
        guard let first = inputs.first else {
            throw LatentError.unsupportedModel("\(model.source): the model has no runtime input to feed a latent to")
        }
        let dims = first.dims?.map { d -> Int? in if case .fixed(let n) = d, n > 0 { return n } else { return nil } }
        return try latentShape(source: model.source, input: first.name, dims: dims,
                               shown: first.dims.map { "(" + $0.map(\.description).joined(separator: ", ") + ")" },
                               metadata: model.metadata["zwalk.latent_shape"])
    }

    /// The same rule for any decoder (a file's graph, a server's metadata): `metadata` ("4,8,8")
    /// checked against the input's dims (batch first, nil where unknown), or those dims alone.
    public static func latentShape(source: String, input: String, dims: [Int?]?, shown: String?,
                                   metadata text: String?) throws -> [Int] {
        var declared: [Int]? = nil
        if let dims, dims.count >= 2 {
            let fixed = dims.dropFirst().compactMap { $0 }
            if fixed.count == dims.count - 1 { declared = fixed }
        }
        if let text, !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let dims = parts.compactMap { Int($0) }
            guard dims.count == parts.count, !dims.isEmpty, dims.allSatisfy({ $0 > 0 }) else {
                throw LatentError.unsupportedModel("\(source): metadata zwalk.latent_shape = '\(text)' is not a comma-separated list of positive integers")
            }
            if let d = declared, d != dims {
                throw LatentError.unsupportedModel("\(source): metadata zwalk.latent_shape = \(dims) contradicts input '\(input)' declared as (batch, \(d.map(String.init).joined(separator: ", ")))")
            }
            return dims
        }
        guard let d = declared else {
            throw LatentError.unsupportedModel("\(source): cannot tell the latent shape: input '\(input)' has \(shown ?? "no shape") and there is no zwalk.latent_shape metadata to say it (set it when exporting, see the README)")
        }
        return d
    }

    /// Names of the latent's elements from `zwalk.dim_names` ("3:x position;7:scale"): the named
    /// ones by name, the others as "z[i]"; nil when the metadata names none of them.
    public static func dimensionNames(of model: Model, latentCount: Int) -> [String]? {
        let named = ModelDescription.parseDimNames(model.metadata["zwalk.dim_names"] ?? "").filter { $0.key >= 0 && $0.key < latentCount }
        guard !named.isEmpty else { return nil }
        return (0..<latentCount).map { named[$0] ?? "z[\($0)]" }
    }

    /// Elements in one latent.
    public var latentCount: Int { latentShape.reduce(1, *) }

    /// The per-element standard deviation of the prior (ignoring resampling, which narrows it
    /// slightly): the length of a "1σ" step along an axis or any unit direction.
    public var standardDeviation: Double {
        switch kind {
        case .normal: return psi
        case .uniform: return psi / 3.0.squareRoot()
        }
    }

    /// `count` latents from `seed` as a (count, latentShape…) tensor: the first `count·latentCount`
    /// values of the seed's stream in C order, so `sample(seed: s, count: 1)` is NumPy's
    /// `standard_normal((1,) + shape)` and row i of a batch equals nothing but its place in the stream.
    public func sample(seed: UInt32, count: Int = 1) throws -> Tensor {
        guard count >= 1 else { throw LatentError.invalidArgument("sample count must be at least 1, got \(count)") }
        let total = try Shape.count([count] + latentShape)
        var rs = RandomState(seed: seed)
        let values = draw(&rs, count: total)
        return Tensor(shape: [count] + latentShape, floats: values)
    }

    /// One latent per seed (the convention of GAN repositories' `--seeds 0-15`): row i is
    /// `sample(seed: seeds[i], count: 1)`.
    public func sample(seeds: [UInt32]) throws -> Tensor {
        guard !seeds.isEmpty else { throw LatentError.invalidArgument("no seeds given") }
        let n = latentCount
        let t = Tensor(shape: [seeds.count] + latentShape)
        let out = t.floats
        for (i, s) in seeds.enumerated() {
            var rs = RandomState(seed: s)
            let v = draw(&rs, count: n)
            for j in 0..<n { out[i * n + j] = v[j] }
        }
        return t
    }

    /// `count` values from an existing stream (the stream advances).
    public func draw(_ rs: inout RandomState, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: max(0, count))
        for i in out.indices {
            let v: Double
            switch kind {
            case .normal:
                var x = rs.standardNormal()
                if let t = resampleThreshold { while abs(x) > t { x = rs.standardNormal() } }
                v = x
            case .uniform:
                v = rs.uniform(-1, 1)
            }
            out[i] = Float(psi == 1 ? v : psi * v)
        }
        return out
    }

    /// The issue's one-call form: a normal prior with truncation ψ.
    public static func sample(seed: UInt32, count: Int, shape: [Int], psi: Double = 1) throws -> Tensor {
        try Prior(kind: .normal, latentShape: shape, psi: psi).sample(seed: seed, count: count)
    }

    public var description: String {
        var s = "\(kind)(\(latentShape.map(String.init).joined(separator: "×")))"
        if psi != 1 { s += ", ψ = \(psi)" }
        if let t = resampleThreshold { s += ", resampled beyond ±\(t)" }
        return s
    }
}
