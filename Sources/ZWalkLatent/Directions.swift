import Foundation
import ZWalkEngine

/// Ways of finding meaningful directions in a decoder's latent space. Each returns a
/// `DirectionSet` of unit vectors with scores (see `ScoreKind`) and the model fingerprint the
/// caller passes (the sha256 of the model file, `SHA256.hash(file:)`).
public enum Directions {

    // MARK: Per-axis

    /// The latent axes themselves, ranked by how much each changes the output: the score of axis i
    /// is mean |decode(z + σ·e_i) − decode(z)| over `samples` prior draws (seed `seed`) and all
    /// output elements, with σ the prior's standard deviation.
    /// Cost: samples·(latentCount + 1) decodes.
    public static func perAxis(decoder: LatentDecoder, prior: Prior, modelSHA256: String, samples: Int = 32,
                               seed: UInt32 = 0, axisNames: [String]? = nil) throws -> DirectionSet {
        let d = decoder.latentCount, o = decoder.outputCount
        try checkPrior(prior, decoder)
        guard samples >= 1 else { throw LatentError.invalidArgument("per-axis ranking needs at least 1 sample, got \(samples)") }
        if let names = axisNames, names.count != d {
            throw LatentError.invalidArgument("\(names.count) axis names given for a latent of \(d) values")
        }
        let sigma = Float(prior.standardDeviation)
        let base = try prior.sample(seed: seed, count: samples).floatArray
        var change = [Double](repeating: 0, count: d)
        // Decode whole groups of (base, base + σe_0, …, base + σe_{d−1}) so batches stay near maxBatch.
        let group = max(1, decoder.maxBatch / (d + 1))
        var s0 = 0
        while s0 < samples {
            let g = min(group, samples - s0)
            var batch: [Float] = []
            batch.reserveCapacity(g * (d + 1) * d)
            for s in s0..<(s0 + g) {
                let z = Array(base[(s * d)..<((s + 1) * d)])
                batch += z
                for i in 0..<d { var zi = z; zi[i] += sigma; batch += zi }
            }
            let out = try decoder.decode(batch, count: g * (d + 1))
            for s in 0..<g {
                let b = s * (d + 1) * o
                for i in 0..<d {
                    let p = b + (i + 1) * o
                    var acc = 0.0
                    for k in 0..<o { acc += Double(abs(out[p + k] - out[b + k])) }
                    change[i] += acc
                }
            }
            s0 += g
        }
        let scores = change.map { $0 / Double(samples * o) }
        // Stable sort: equal scores (axes the decoder ignores) keep axis order.
        let order = (0..<d).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        let names = order.map { axisNames?[$0] ?? "z[\($0)]" }
        let vectors = order.map { i -> [Float] in var e = [Float](repeating: 0, count: d); e[i] = 1; return e }
        return try DirectionSet(method: "per-axis", modelSHA256: modelSHA256, latentShape: decoder.latentShape,
                                vectors: vectors, names: names, scores: order.map { Float(scores[$0]) },
                                scoreKind: .meanAbsChange, sigmas: [Float](repeating: sigma, count: d),
                                notes: "\(samples) samples from \(prior), seed \(seed); step σ = \(sigma)")
    }

    // MARK: SeFa

    /// The matrix SeFa factorises, as rows per latent element: M (latentCount × r) with the
    /// layer's linear map A = Mᵀ (r outputs × latentCount), so that AᵀA = M Mᵀ.
    /// Gemm (transB = 1): B is A (out × in); Gemm (transB = 0) and MatMul: B is Aᵀ (in × out);
    /// ConvTranspose on a 1×1 latent: W (Cin, Cout, kH, kW) reshaped to (Cin, Cout·kH·kW) — each
    /// latent channel paints one kernel-sized patch.
    public static func firstLayerMatrix(session: InferenceSession, latentShape: [Int]) throws -> (layer: FirstLayer, rows: [[Double]]) {
        let model = session.model
        let layer = try FirstLayer.find(in: model)
        let d = latentShape.reduce(1, *)
        let plan = try session.plan(batch: 1)
        let where_ = "\(model.source): \(layer.kind.rawValue) '\(layer.node.displayName)'"
        guard let xShape = plan.shape(of: layer.latentValue) else {
            throw LatentError.unsupportedModel("\(where_): its input '\(layer.latentValue)' has no planned shape")
        }
        let w = try constantValue(layer.weightName, session: session, plan: plan, what: where_)
        let ws = w.shape
        func attrInt(_ name: String, _ def: Int) -> Int {
            if case .int(let v)? = layer.node.attributes[name] { return v }
            return def
        }
        var rows = [[Double]](repeating: [], count: d)
        switch layer.kind {
        case .gemm, .matMul:
            guard ws.count == 2 else { throw LatentError.unsupportedModel("\(where_): weight '\(layer.weightName)' has shape \(ws), not a matrix") }
            guard xShape.last == d, xShape.dropLast().allSatisfy({ $0 == 1 }) else {
                throw LatentError.unsupportedModel("\(where_): reads the latent as \(xShape); SeFa needs it as (1, \(d))")
            }
            if layer.kind == .gemm, attrInt("transA", 0) != 0 {
                throw LatentError.unsupportedModel("\(where_): transA = 1 (the latent transposed) is not supported by SeFa")
            }
            let transB = layer.kind == .gemm && attrInt("transB", 0) != 0
            let (inDim, outDim) = transB ? (ws[1], ws[0]) : (ws[0], ws[1])
            guard inDim == d else {
                throw LatentError.unsupportedModel("\(where_): weight '\(layer.weightName)' \(ws)\(transB ? " (transB)" : "") takes \(inDim) inputs, the latent has \(d)")
            }
            var alpha = 1.0
            if layer.kind == .gemm, case .float(let a)? = layer.node.attributes["alpha"] { alpha = Double(a) }
            let f = w.floats
            for i in 0..<d {
                rows[i] = (0..<outDim).map { o in alpha * Double(transB ? f[o * inDim + i] : f[i * outDim + o]) }
            }
        case .convTranspose:
            guard ws.count >= 3, ws[0] == d else {
                throw LatentError.unsupportedModel("\(where_): kernel '\(layer.weightName)' has shape \(ws); SeFa needs (Cin = \(d), Cout, k…)")
            }
            guard xShape.count == ws.count, xShape[1] == d, xShape.dropFirst(2).allSatisfy({ $0 == 1 }) else {
                throw LatentError.unsupportedModel("\(where_): reads the latent as \(xShape); SeFa needs a 1×1 spatial input with \(d) channels")
            }
            guard attrInt("group", 1) == 1 else {
                throw LatentError.unsupportedModel("\(where_): grouped ConvTranspose (group = \(attrInt("group", 1))) is not supported by SeFa")
            }
            let r = ws.dropFirst().reduce(1, *)
            let f = w.floats
            for i in 0..<d { rows[i] = (0..<r).map { Double(f[i * r + $0]) } }
        }
        return (layer, rows)
    }

    /// SeFa (Shen & Zhou 2021, closed-form factorisation): the eigenvectors of AᵀA for the first
    /// layer A acting on the latent, by descending eigenvalue (LAPACK dsyevd). The directions that
    /// change the first layer's output the most for a unit step. `normalizeOutputUnits` divides
    /// each output unit's weights by their norm first, as the authors' code does.
    public static func sefa(session: InferenceSession, latentShape: [Int], modelSHA256: String, count: Int? = nil,
                            normalizeOutputUnits: Bool = false, prior: Prior? = nil) throws -> DirectionSet {
        let (layer, matrix) = try firstLayerMatrix(session: session, latentShape: latentShape)
        var rows = matrix
        let d = rows.count
        let r = rows.first?.count ?? 0
        if normalizeOutputUnits {
            for o in 0..<r {
                var s = 0.0
                for i in 0..<d { s += rows[i][o] * rows[i][o] }
                let n = s.squareRoot()
                if n > 0 { for i in 0..<d { rows[i][o] /= n } }
            }
        }
        // gram = M Mᵀ = AᵀA (d × d), in Double; LAPACK works in Double on it too.
        var gram = [Float](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in i..<d {
                var s = 0.0
                for o in 0..<r { s += rows[i][o] * rows[j][o] }
                gram[i * d + j] = Float(s); gram[j * d + i] = Float(s)
            }
        }
        let (values, vectors) = try LAPACK.symmetricEigen(gram, n: d)
        let k = min(count ?? d, d)
        guard k >= 1 else { throw LatentError.invalidArgument("direction count must be at least 1, got \(count ?? 0)") }
        let sigma = Float(prior?.standardDeviation ?? 1)
        return try DirectionSet(method: "sefa", modelSHA256: modelSHA256, latentShape: latentShape,
                                vectors: vectors.prefix(k).map { Vec.canonicalSign(Vec.normalized($0) ?? $0) },
                                names: (0..<k).map { "sefa \($0)" }, scores: Array(values.prefix(k)),
                                scoreKind: .eigenvalue, sigmas: [Float](repeating: sigma, count: k),
                                notes: "eigenvectors of AᵀA for \(layer.kind.rawValue) '\(layer.node.displayName)' (weight '\(layer.weightName)')\(normalizeOutputUnits ? ", output units normalised" : "")")
    }

    // MARK: PCA (GANSpace)

    /// GANSpace (Härkönen et al. 2020): draw `samples` latents (seed `seed`), read the activations
    /// of `layer` (default: the first layer's output), PCA them (SVD of the centred N × D matrix),
    /// then regress the latents on the standardised component coordinates (least squares) so that
    /// row j of the solution is the latent displacement that moves component j by one standard
    /// deviation. Vectors are those rows normalised; `sigmas` their lengths (the latent size of a
    /// 1σ step); scores the components' standard deviations in activation space (descending).
    /// Only the nodes that compute `layer` are run. Cost: `samples` partial decodes + an SVD of
    /// samples × D.
    public static func pca(session: InferenceSession, latentShape: [Int], prior: Prior, modelSHA256: String,
                           layer: String? = nil, samples: Int = 2048, seed: UInt32 = 0, count: Int? = nil) throws -> DirectionSet {
        let model = session.model
        let tap = try layer ?? FirstLayer.firstConsumerOutput(in: model)
        let cut = try FirstLayer.model(model, truncatedAt: tap)
        let decoder = try LatentDecoder(session: InferenceSession(model: cut), latentShape: latentShape, maxBatch: 256)
        try checkPrior(prior, decoder)
        let d = decoder.latentCount, dim = decoder.outputCount
        guard dim > 0 else { throw LatentError.unsupportedModel("\(model.source): value '\(tap)' is empty; PCA needs activations") }
        guard samples >= d + 1, samples >= 2 else {
            throw LatentError.invalidArgument("PCA needs more samples than latent dimensions (\(d)), got \(samples)")
        }
        let z = try prior.sample(seed: seed, count: samples).floatArray
        var x = try decoder.decode(z, count: samples) // (N, D)
        let n = samples
        // Centre the activations and the latents.
        var mean = [Double](repeating: 0, count: dim)
        for s in 0..<n { for j in 0..<dim { mean[j] += Double(x[s * dim + j]) } }
        for j in 0..<dim { mean[j] /= Double(n) }
        for s in 0..<n { for j in 0..<dim { x[s * dim + j] = Float(Double(x[s * dim + j]) - mean[j]) } }
        var zc = z
        for j in 0..<d {
            var m = 0.0
            for s in 0..<n { m += Double(z[s * d + j]) }
            m /= Double(n)
            for s in 0..<n { zc[s * d + j] = Float(Double(z[s * d + j]) - m) }
        }
        let (singular, components) = try LAPACK.svd(x, m: n, n: dim)
        guard let top = singular.first, top > 0 else {
            throw LatentError.unsupportedModel("\(model.source): activations of '\(tap)' do not vary over \(n) samples; PCA has nothing to find")
        }
        // Components whose spread is at float round-off level carry no direction.
        let rank = singular.prefix { $0 > top * 1e-4 }.count
        let k = min(count ?? d, d, rank)
        guard k >= 1 else { throw LatentError.invalidArgument("direction count must be at least 1, got \(count ?? 0)") }
        let sd = (0..<k).map { Double(singular[$0]) / Double(n - 1).squareRoot() }
        // Standardised coordinates c (N × k): c[s][j] = x_c[s] · v_j / σ_j.
        var vk = [Float](repeating: 0, count: k * dim)
        for j in 0..<k { for t in 0..<dim { vk[j * dim + t] = components[j][t] } }
        var coords = [Float](repeating: 0, count: n * k)
        x.withUnsafeBufferPointer { xb in vk.withUnsafeBufferPointer { vb in coords.withUnsafeMutableBufferPointer { cb in
            BLAS.sgemm(transB: true, m: n, n: k, k: dim, a: xb.baseAddress!, lda: dim, b: vb.baseAddress!, ldb: dim,
                       c: cb.baseAddress!, ldc: k)
        } } }
        for s in 0..<n { for j in 0..<k { coords[s * k + j] = Float(Double(coords[s * k + j]) / sd[j]) } }
        // u (k × d) minimising ‖coords · u − z_c‖.
        let u = try LAPACK.leastSquares(coords, m: n, n: k, zc, r: d)
        var vectors: [[Float]] = [], sigmas: [Float] = []
        for j in 0..<k {
            let row = Array(u[(j * d)..<((j + 1) * d)])
            guard let unit = Vec.normalized(row) else {
                throw LatentError.unsupportedModel("\(model.source): PCA component \(j) of '\(tap)' does not depend on the latent")
            }
            vectors.append(Vec.canonicalSign(unit))
            sigmas.append(Float(Vec.norm(row)))
        }
        return try DirectionSet(method: "pca", modelSHA256: modelSHA256, latentShape: latentShape, vectors: vectors,
                                names: (0..<k).map { "pc \($0)" }, scores: sd.map(Float.init),
                                scoreKind: .standardDeviation, sigmas: sigmas,
                                notes: "GANSpace PCA of '\(tap)' (\(dim) values) over \(n) samples from \(prior), seed \(seed)")
    }

    // MARK: Local (Jacobian)

    /// The decoder's Jacobian at `z` by central differences, J[o][i] ≈ (f(z + h e_i) − f(z − h e_i)) / 2h,
    /// row-major (outputCount × latentCount). All 2·latentCount decodes go through one batched call.
    public static func jacobian(decoder: LatentDecoder, at z: [Float], h: Double = 1e-2) throws -> [Float] {
        let d = decoder.latentCount, o = decoder.outputCount
        guard z.count == d else { throw LatentError.invalidArgument("latent has \(z.count) values, the decoder takes \(d)") }
        guard h > 0, h.isFinite else { throw LatentError.invalidArgument("finite-difference step must be > 0, got \(h)") }
        var batch: [Float] = []
        batch.reserveCapacity(2 * d * d)
        var steps = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var plus = z, minus = z
            plus[i] = Float(Double(z[i]) + h); minus[i] = Float(Double(z[i]) - h)
            steps[i] = Double(plus[i]) - Double(minus[i]) // the step actually taken in float
            batch += plus; batch += minus
        }
        let out = try decoder.decode(batch, count: 2 * d)
        var j = [Float](repeating: 0, count: o * d)
        for i in 0..<d {
            let p = 2 * i * o, m = (2 * i + 1) * o
            for k in 0..<o { j[k * d + i] = Float((Double(out[p + k]) - Double(out[m + k])) / steps[i]) }
        }
        return j
    }

    /// Local directions at `z`: the top right-singular vectors of the decoder's Jacobian (LAPACK
    /// sgesdd of J), the latent directions along which the output changes fastest right here.
    /// Scores are the singular values (output change per unit latent step). Cost: 2·latentCount decodes.
    public static func local(decoder: LatentDecoder, at z: [Float], prior: Prior? = nil, modelSHA256: String,
                             h: Double = 1e-2, count: Int? = nil) throws -> DirectionSet {
        let d = decoder.latentCount, o = decoder.outputCount
        let j = try jacobian(decoder: decoder, at: z, h: h)
        let (singular, right) = try LAPACK.svd(j, m: o, n: d)
        let k = min(count ?? singular.count, singular.count)
        guard k >= 1 else { throw LatentError.invalidArgument("direction count must be at least 1, got \(count ?? 0)") }
        let sigma = Float(prior?.standardDeviation ?? 1)
        return try DirectionSet(method: "local", modelSHA256: modelSHA256, latentShape: decoder.latentShape,
                                vectors: right.prefix(k).map { Vec.canonicalSign(Vec.normalized($0) ?? $0) },
                                names: (0..<k).map { "local \($0)" }, scores: Array(singular.prefix(k)),
                                scoreKind: .singularValue, sigmas: [Float](repeating: sigma, count: k),
                                notes: "right singular vectors of the Jacobian at z = [\(z.prefix(4).map { "\($0)" }.joined(separator: ", "))\(z.count > 4 ? ", …" : "")], h = \(h)")
    }

    // MARK: Attribute vectors

    public enum AttributeMethod: String, Sendable, CaseIterable {
        /// mean(positive) − mean(negative).
        case meanDifference = "mean-difference"
        /// The normal of a logistic-regression boundary between the sets (full-batch gradient
        /// descent on the standardised latents, a fixed number of steps, tiny L2 for separable sets).
        case logistic
    }

    /// An attribute direction from latents labelled positive (having the attribute) and negative,
    /// pointing toward the positive set. Score: the separation d′ of the two sets along it, the
    /// difference of their projected means over `attributeSpread` (always finite). One latent
    /// per side is enough; d′ is then the distance between the two in prior σ.
    public static func attribute(positive: [[Float]], negative: [[Float]], latentShape: [Int], modelSHA256: String,
                                 method: AttributeMethod = .meanDifference, name: String = "attribute",
                                 prior: Prior? = nil, iterations: Int = 500) throws -> DirectionSet {
        let d = latentShape.reduce(1, *)
        guard !positive.isEmpty, !negative.isEmpty else {
            throw LatentError.invalidArgument("attribute vectors need latents in both sets (got \(positive.count) positive, \(negative.count) negative)")
        }
        for (label, set) in [("positive", positive), ("negative", negative)] {
            if let bad = set.firstIndex(where: { $0.count != d }) {
                throw LatentError.invalidArgument("\(label) latent \(bad) has \(set[bad].count) values, the latent has \(d)")
            }
            if let bad = set.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
                throw LatentError.invalidArgument("\(label) latent \(bad) holds a non-finite value (NaN or ±inf)")
            }
        }
        func mean(_ set: [[Float]]) -> [Double] {
            var m = [Double](repeating: 0, count: d)
            for v in set { for i in 0..<d { m[i] += Double(v[i]) } }
            return m.map { $0 / Double(set.count) }
        }
        let mp = mean(positive), mn = mean(negative)
        var direction: [Float]
        switch method {
        case .meanDifference:
            direction = (0..<d).map { Float(mp[$0] - mn[$0]) }
        case .logistic:
            direction = logisticNormal(positive: positive, negative: negative, d: d, iterations: iterations)
        }
        guard let unit = Vec.normalized(direction) else {
            throw LatentError.invalidArgument("the two sets of latents have the same \(method == .meanDifference ? "mean" : "classifier"): no direction separates them")
        }
        // d′ along the direction.
        let pp = positive.map { Vec.dot($0, unit) }, pn = negative.map { Vec.dot($0, unit) }
        let priorSigma = prior?.standardDeviation ?? 1
        let spread = attributeSpread(pp, pn, priorSigma: priorSigma)
        let separation = (pp.reduce(0, +) / Double(pp.count) - pn.reduce(0, +) / Double(pn.count)) / spread
        return try DirectionSet(method: "attribute-\(method.rawValue)", modelSHA256: modelSHA256, latentShape: latentShape,
                                vectors: [unit], names: [name], scores: [Float(separation)], scoreKind: .separation,
                                sigmas: [Float(prior?.standardDeviation ?? 1)],
                                notes: "\(positive.count) positive vs \(negative.count) negative latents")
    }

    /// The spread d′ divides by: the pooled standard deviation of the two projected sets,
    /// √(((n₊−1)·s₊² + (n₋−1)·s₋²) / (n₊ + n₋ − 2)), so a side of one latent adds nothing to it.
    /// With one latent per side there is no spread to measure: it is the prior's σ (1 without a
    /// prior or with ψ = 0), which makes d′ the distance between the two latents in prior σ. A measured spread
    /// below σ/1000 (identical latents within each set) is floored there, so d′ never exceeds
    /// 1000× that distance and is never infinite.
    static func attributeSpread(_ positive: [Double], _ negative: [Double], priorSigma: Double) -> Double {
        func squaredDeviations(_ a: [Double]) -> Double {
            let m = a.reduce(0, +) / Double(a.count)
            return a.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        }
        let sigma = priorSigma > 0 && priorSigma.isFinite ? priorSigma : 1 // ψ = 0 squeezes the prior to a point
        let freedom = positive.count + negative.count - 2
        guard freedom > 0 else { return sigma }
        let pooled = ((squaredDeviations(positive) + squaredDeviations(negative)) / Double(freedom)).squareRoot()
        return max(pooled, sigma / 1000)
    }

    /// Logistic regression w·x + b on the standardised features; returns the boundary normal in
    /// the original latent coordinates (w_i / s_i). Deterministic: zero start, fixed step count.
    static func logisticNormal(positive: [[Float]], negative: [[Float]], d: Int, iterations: Int) -> [Float] {
        let xs = positive + negative
        let ys = [Double](repeating: 1, count: positive.count) + [Double](repeating: 0, count: negative.count)
        let n = Double(xs.count)
        var mu = [Double](repeating: 0, count: d), sd = [Double](repeating: 0, count: d)
        for x in xs { for i in 0..<d { mu[i] += Double(x[i]) } }
        for i in 0..<d { mu[i] /= n }
        for x in xs { for i in 0..<d { sd[i] += (Double(x[i]) - mu[i]) * (Double(x[i]) - mu[i]) } }
        for i in 0..<d { sd[i] = max((sd[i] / n).squareRoot(), 1e-12) }
        let f = xs.map { x in (0..<d).map { (Double(x[$0]) - mu[$0]) / sd[$0] } }
        var w = [Double](repeating: 0, count: d), b = 0.0
        let rate = 0.5, l2 = 1e-3
        for _ in 0..<max(1, iterations) {
            var gw = [Double](repeating: 0, count: d), gb = 0.0
            for (x, y) in zip(f, ys) {
                var t = b
                for i in 0..<d { t += w[i] * x[i] }
                let p = 1 / (1 + Foundation.exp(-t))
                let e = p - y
                for i in 0..<d { gw[i] += e * x[i] }
                gb += e
            }
            for i in 0..<d { w[i] -= rate * (gw[i] / n + l2 * w[i]) }
            b -= rate * gb / n
        }
        return (0..<d).map { Float(w[$0] / sd[$0]) }
    }

    // MARK: Helpers

    static func checkPrior(_ prior: Prior, _ decoder: LatentDecoder) throws {
        guard prior.latentCount == decoder.latentCount else {
            throw LatentError.invalidArgument("the prior draws latents of shape \(prior.latentShape), the decoder takes \(decoder.latentShape)")
        }
    }

    /// A weight's value: an initializer, or a load-time constant the planner folded (read through a
    /// tap of one decode of the zero latent).
    static func constantValue(_ name: String, session: InferenceSession, plan: Plan, what: String) throws -> Tensor {
        if let t = session.model.graph.initializers[name] { return try floatTensor(t, name, what) }
        let produced = session.model.graph.nodes.first { $0.outputs.contains(name) }
        if let node = produced, node.opType == "Constant", case .tensor(let t)? = node.attributes["value"] {
            return try floatTensor(t, name, what)
        }
        let inputs = plan.inputShapes.enumerated().map { Tensor(dtype: .float32, shape: $0.element) }
        let results = try plan.run(inputs, taps: [name])
        guard let t = results.last else { throw LatentError.unsupportedModel("\(what): weight '\(name)' cannot be read") }
        return try floatTensor(t, name, what)
    }

    private static func floatTensor(_ t: Tensor, _ name: String, _ what: String) throws -> Tensor {
        guard t.dtype == .float32 else { throw LatentError.unsupportedModel("\(what): weight '\(name)' is \(t.dtype), not float") }
        return t
    }
}
