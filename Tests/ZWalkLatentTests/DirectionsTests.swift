import Foundation
import Testing
import ZWalkEngine
import TestSupport
@testable import ZWalkLatent

/// Orthonormal rows from a seeded RandomState (Gram–Schmidt in Double).
func orthonormalRows(_ count: Int, _ dim: Int, seed: UInt32) -> [[Double]] {
    var rs = RandomState(seed: seed)
    var rows: [[Double]] = []
    while rows.count < count {
        var v = rs.standardNormal(count: dim)
        for r in rows { let p = zip(v, r).reduce(0) { $0 + $1.0 * $1.1 }; for i in 0..<dim { v[i] -= p * r[i] } }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if n > 1e-6 { rows.append(v.map { $0 / n }) }
    }
    return rows
}

/// A linear map with planted structure: W (out × d) = Σ_k s_k a_k b_kᵀ, so its right singular
/// vectors are b_k with singular values s_k, and PCA of W z over z ~ N(0, I) finds a_k with
/// standard deviations s_k.
struct Planted {
    let out: Int, d: Int
    let scales: [Double]
    let a: [[Double]], b: [[Double]]
    var weight: [Float] {
        var w = [Float](repeating: 0, count: out * d)
        for o in 0..<out { for i in 0..<d {
            var s = 0.0
            for k in scales.indices { s += scales[k] * a[k][o] * b[k][i] }
            w[o * d + i] = Float(s)
        } }
        return w
    }
    init(out: Int, d: Int, scales: [Double], seed: UInt32) {
        self.out = out; self.d = d; self.scales = scales
        a = orthonormalRows(scales.count, out, seed: seed)
        b = orthonormalRows(scales.count, d, seed: seed + 1)
    }
}

func absCos(_ u: [Float], _ v: [Double]) -> Double {
    let uu = u.map(Double.init)
    let dot = zip(uu, v).reduce(0) { $0 + $1.0 * $1.1 }
    let nu = uu.reduce(0) { $0 + $1 * $1 }.squareRoot(), nv = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return abs(dot) / (nu * nv)
}

func expectOrthonormal(_ vectors: [[Float]], tolerance: Double = 1e-5, _ what: String) {
    for i in vectors.indices { for j in vectors.indices {
        let dot = Vec.dot(vectors[i], vectors[j])
        let want = i == j ? 1.0 : 0.0
        #expect(abs(dot - want) <= tolerance, "\(what): v\(i)·v\(j) = \(dot)")
    } }
}

@Suite struct SeFaTests {
    enum Layout: String, CaseIterable { case gemmTransB, gemmPlain, matMul }

    static func golden(_ key: String) throws -> (weight: [Float], shape: [Int], values: [Double], vectors: [[Double]]) {
        let g = try Fixture.json("sefa_golden.json")[key] as? [String: Any] ?? [:]
        let vectors = (g["eigenvectors"] as? [[Any]] ?? []).map { $0.map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
        return (try Fixture.numbers(g["weight"]).map(Float.init), try Fixture.numbers(g["shape"]).map { Int($0) },
                try Fixture.numbers(g["eigenvalues"]), vectors)
    }

    static func check(_ set: DirectionSet, against g: (weight: [Float], shape: [Int], values: [Double], vectors: [[Double]]), _ what: String) {
        expectOrthonormal(set.vectors, what)
        #expect(set.scoreKind == .eigenvalue)
        for k in 0..<3 {
            #expect(abs(Double(set.scores[k]) - g.values[k]) <= 1e-4 * g.values[k], "\(what) λ\(k): \(set.scores[k]) vs \(g.values[k])")
            // Same sign convention as the fixture (largest component positive), so compare directly.
            let c = compare(set.vectors[k].map(Double.init), g.vectors[k], rtol: 0, atol: 1e-4)
            #expect(c.ok, "\(what) eigenvector \(k): \(c)")
        }
        #expect(set.scores == set.scores.sorted(by: >), "\(what): eigenvalues not descending")
    }

    /// The same matrix A (out × in) as a Gemm with transB = 1, a Gemm with Aᵀ and transB = 0, and a
    /// MatMul after a Flatten: all must give numpy's eigenvectors of AᵀA.
    @Test(arguments: Layout.allCases)
    func gemmAndMatMulMatchNumpy(layout: Layout) throws {
        let g = try Self.golden("gemm")
        let (out, d) = (g.shape[0], g.shape[1])
        var t = [Float](repeating: 0, count: out * d)
        for o in 0..<out { for i in 0..<d { t[i * out + o] = g.weight[o * d + i] } }
        let model: Model
        switch layout {
        case .gemmTransB: model = TinyModels.linear(g.weight, out: out, latent: d)
        case .gemmPlain:
            model = TinyModels.model([Node(name: "fc", opType: "Gemm", inputs: ["z", "W"], outputs: ["y"])], latent: d,
                                     initializers: ["W": Tensor(shape: [d, out], floats: t)])
        case .matMul: model = TinyModels.matMul(t, latent: d, out: out)
        }
        let set = try Directions.sefa(session: InferenceSession(model: model), latentShape: [d], modelSHA256: "ab")
        #expect(set.count == d && set.method == "sefa")
        Self.check(set, against: g, "\(layout)")
    }

    @Test func convTransposeKernelMatchesNumpy() throws {
        let g = try Self.golden("conv_transpose")
        let session = try InferenceSession(model: TinyModels.convTranspose(g.weight, shape: g.shape))
        let set = try Directions.sefa(session: session, latentShape: [g.shape[0]], modelSHA256: "ab", count: 4)
        #expect(set.count == 4)
        Self.check(set, against: g, "ConvTranspose")
    }

    @Test func noLinearFirstLayerNamesWhatTheLatentReaches() throws {
        let m = TinyModels.model([Node(name: "squash", opType: "Tanh", inputs: ["z"], outputs: ["t"]),
                                  Node(name: "fc", opType: "Gemm", inputs: ["t", "W"], outputs: ["y"], attributes: ["transB": .int(1)])],
                                 latent: 3, initializers: ["W": Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])])
        do {
            _ = try Directions.sefa(session: InferenceSession(model: m), latentShape: [3], modelSHA256: "ab")
            Issue.record("expected an error")
        } catch let e as LatentError {
            #expect(e.description.contains("Tanh 'squash'"), "\(e)")
        }
    }
}

@Suite struct PCATests {
    /// A Gemm with planted orthogonal directions (scales 8, 5, 3, 2, 1, 0.5) followed by a Tanh: the
    /// default activation is the Gemm's output, PCA must find the planted latent directions in
    /// order, with standard deviations ≈ the scales and 1σ steps ≈ one latent unit.
    @Test func recoversPlantedDirections() throws {
        let p = Planted(out: 16, d: 6, scales: [8, 5, 3, 2, 1, 0.5], seed: 11)
        let model = TinyModels.linear(p.weight, out: 16, latent: 6, bias: testValues(16, seed: 3), activation: "Tanh")
        let prior = try Prior(latentShape: [6])
        let set = try Directions.pca(session: InferenceSession(model: model), latentShape: [6], prior: prior,
                                     modelSHA256: "cd", samples: 2048, seed: 5)
        #expect(set.count == 6 && set.scoreKind == .standardDeviation)
        #expect(set.notes.contains("'h'"), "default activation should be the Gemm output: \(set.notes)")
        for k in 0..<6 {
            #expect(absCos(set.vectors[k], p.b[k]) >= 0.99, "pc \(k): |cos| = \(absCos(set.vectors[k], p.b[k]))")
            #expect(abs(Double(set.scores[k]) / p.scales[k] - 1) < 0.1, "pc \(k): σ = \(set.scores[k]) vs \(p.scales[k])")
            #expect(abs(Double(set.sigmas[k]) - 1) < 0.1, "pc \(k): latent 1σ = \(set.sigmas[k])")
        }
        #expect(set.scores == set.scores.sorted(by: >))
        // Unit vectors, but not exactly orthogonal: the regression sees finite, not perfectly white
        // samples (deviations ~1/√N), and for a nonlinear layer they need not be orthogonal at all.
        for v in set.vectors { #expect(abs(Vec.norm(v) - 1) < 1e-5) }
    }

    /// Fewer samples than activation values (200 × 256): the SVD is of a wide matrix. With few
    /// samples the recovered directions are only roughly the planted ones (sampling error ~1/√N).
    @Test func moreActivationsThanSamples() throws {
        let p = Planted(out: 256, d: 5, scales: [10, 2, 1, 0.5, 0.25], seed: 31)
        let model = TinyModels.linear(p.weight, out: 256, latent: 5)
        let set = try Directions.pca(session: InferenceSession(model: model), latentShape: [5], prior: try Prior(latentShape: [5]),
                                     modelSHA256: "cd", samples: 200, seed: 2)
        #expect(set.count == 5)
        #expect(absCos(set.vectors[0], p.b[0]) >= 0.97, "|cos| = \(absCos(set.vectors[0], p.b[0]))")
        #expect(abs(Double(set.scores[0]) / 10 - 1) < 0.2)
        for v in set.vectors { #expect(abs(Vec.norm(v) - 1) < 1e-5) }
    }

    @Test func namedLayerAndErrors() throws {
        let p = Planted(out: 8, d: 4, scales: [4, 3, 2, 1], seed: 21)
        let model = TinyModels.linear(p.weight, out: 8, latent: 4, activation: "Relu")
        let session = try InferenceSession(model: model)
        let prior = try Prior(latentShape: [4])
        let set = try Directions.pca(session: session, latentShape: [4], prior: prior, modelSHA256: "cd", layer: "y", samples: 512, count: 2)
        #expect(set.count == 2)
        #expect(throws: LatentError.self) {
            _ = try Directions.pca(session: session, latentShape: [4], prior: prior, modelSHA256: "cd", layer: "nope")
        }
        #expect(throws: LatentError.self) {
            _ = try Directions.pca(session: session, latentShape: [4], prior: prior, modelSHA256: "cd", samples: 3)
        }
    }
}

@Suite struct LocalAndPerAxisTests {
    /// For a linear decoder the Jacobian is W everywhere, and its right singular vectors are the
    /// planted b_k with singular values s_k.
    @Test(arguments: [0 as UInt32, 9])
    func jacobianDirectionsOfALinearDecoderAreItsRightSingularVectors(seed: UInt32) throws {
        let p = Planted(out: 12, d: 5, scales: [6, 4, 2.5, 1, 0.25], seed: 40 + seed)
        let w = p.weight
        let decoder = try LatentDecoder(model: TinyModels.linear(w, out: 12, latent: 5, bias: testValues(12, seed: 2)))
        let z = try Prior(latentShape: [5]).sample(seed: seed).floatArray
        let j = try Directions.jacobian(decoder: decoder, at: z)
        let c = compare(j.map(Double.init), w.map(Double.init), rtol: 1e-3, atol: 1e-3)
        #expect(c.ok, "Jacobian vs W: \(c)")
        let before = decoder.decodedSamples
        let set = try Directions.local(decoder: decoder, at: z, modelSHA256: "ef")
        #expect(decoder.decodedSamples - before == 10, "one batch of 2·latentCount decodes")
        #expect(set.count == 5)
        expectOrthonormal(set.vectors, tolerance: 1e-4, "local")
        for k in 0..<5 {
            #expect(absCos(set.vectors[k], p.b[k]) >= 0.999, "v\(k): |cos| = \(absCos(set.vectors[k], p.b[k]))")
            #expect(abs(Double(set.scores[k]) - p.scales[k]) <= 1e-3 * p.scales[k] + 1e-3, "s\(k): \(set.scores[k]) vs \(p.scales[k])")
        }
    }

    /// A decoder that ignores axes 0 and 2 (zero columns) and weighs the others 3, 1, 2: the ranking
    /// is 1, 4, 3, then the ignored axes in axis order, with scores mean_o |W[o][i]|·σ.
    @Test func perAxisRanksByOutputChange() throws {
        let colScale: [Float] = [0, 3, 0, 1, 2]
        let pattern = testValues(7, seed: 4, lo: 0.5, hi: 1.5)
        var w = [Float](repeating: 0, count: 7 * 5)
        for o in 0..<7 { for i in 0..<5 { w[o * 5 + i] = colScale[i] * pattern[o] * (o % 2 == 0 ? 1 : -1) } }
        let decoder = try LatentDecoder(model: TinyModels.linear(w, out: 7, latent: 5), maxBatch: 16)
        let set = try Directions.perAxis(decoder: decoder, prior: try Prior(latentShape: [5]), modelSHA256: "01", samples: 9)
        #expect(set.names == ["z[1]", "z[4]", "z[3]", "z[0]", "z[2]"])
        #expect(decoder.decodedSamples == 9 * 6)
        let meanPattern = pattern.reduce(0) { $0 + Double($1) } / 7
        let want = [3.0, 2, 1, 0, 0].map { $0 * meanPattern }
        let c = compare(set.scores.map(Double.init), want, rtol: 1e-4, atol: 1e-6)
        #expect(c.ok, "\(c)")
        #expect(set.vectors[0] == [0, 1, 0, 0, 0])
    }
}

@Suite struct AttributeTests {
    @Test(arguments: Directions.AttributeMethod.allCases)
    func findsTheShiftBetweenTwoSets(method: Directions.AttributeMethod) throws {
        let u = orthonormalRows(1, 8, seed: 77)[0]
        let prior = try Prior(latentShape: [8])
        func set(_ seed: UInt32, shift: Double) throws -> [[Float]] {
            let t = try prior.sample(seed: seed, count: 200).floatArray
            return (0..<200).map { r in (0..<8).map { Float(Double(t[r * 8 + $0]) + shift * u[$0]) } }
        }
        let s = try Directions.attribute(positive: set(1, shift: 1.5), negative: set(2, shift: -1.5),
                                         latentShape: [8], modelSHA256: "aa", method: method, name: "smile")
        #expect(s.names == ["smile"] && s.method == "attribute-\(method.rawValue)")
        let dot = zip(s.vectors[0], u).reduce(0.0) { $0 + Double($1.0) * $1.1 }
        #expect(dot >= 0.95, "direction · planted = \(dot) (must point toward the positive set)")
        #expect(s.scores[0] > 2, "separation d′ = \(s.scores[0])")
        #expect(throws: LatentError.self) {
            _ = try Directions.attribute(positive: [], negative: set(2, shift: 0), latentShape: [8], modelSHA256: "aa")
        }
    }
}

/// Small labelled sets whose d′ is known in closed form (latents of 4 values, prior σ = 1 unless
/// the row says otherwise). Before the pooled spread had a floor, every row here scored +inf and
/// the set could not be written (JSONEncoder: invalidValue inf).
struct SmallAttributeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let positive: [[Float]], negative: [[Float]]
    let psi: Double?
    let separation: Float
    var testDescription: String { name }
}

let smallAttributeCases: [SmallAttributeCase] = [
    // No spread to measure: d′ is the distance in prior σ.
    .init(name: "one per side", positive: [[2, 0, 0, 0]], negative: [[0, 0, 0, 0]], psi: nil, separation: 2),
    .init(name: "one per side, σ = 0.5", positive: [[2, 0, 0, 0]], negative: [[0, 0, 0, 0]], psi: 0.5, separation: 4),
    .init(name: "one per side, ψ = 0", positive: [[0, 3, 0, 0]], negative: [[0, 0, 0, 0]], psi: 0, separation: 3),
    // Identical latents within each set: the spread is floored at σ/1000.
    .init(name: "repeated latents", positive: [[1, 1, 0, 0], [1, 1, 0, 0]], negative: [[0, 0, 0, 0], [0, 0, 0, 0]],
          psi: nil, separation: Float(2.0.squareRoot() * 1000)),
    // Only the side with two latents has a spread: pooled over n₊ + n₋ − 2 = 1 degree of freedom.
    .init(name: "two against one", positive: [[3, 0, 0, 0], [1, 0, 0, 0]], negative: [[0, 0, 0, 0]],
          psi: nil, separation: Float(2 / 2.0.squareRoot())),
]

@Suite struct SmallAttributeSetTests {
    @Test(arguments: smallAttributeCases)
    func meanDifferenceScoreIsFiniteAndDefined(_ c: SmallAttributeCase) throws {
        let prior = try c.psi.map { try Prior(latentShape: [4], psi: $0) }
        let s = try Directions.attribute(positive: c.positive, negative: c.negative, latentShape: [4], modelSHA256: "aa",
                                         method: .meanDifference, prior: prior)
        #expect(abs(s.scores[0] - c.separation) <= 1e-4 * c.separation, "d′ = \(s.scores[0]), want \(c.separation)")
        let json = try s.sidecarJSON()
        #expect(String(decoding: json, as: UTF8.self).contains("\"scores\""))
    }

    @Test(arguments: smallAttributeCases)
    func logisticScoreIsFiniteAndTheSetCanBeWritten(_ c: SmallAttributeCase) throws {
        let s = try Directions.attribute(positive: c.positive, negative: c.negative, latentShape: [4], modelSHA256: "aa",
                                         method: .logistic)
        #expect(s.scores[0].isFinite && s.scores[0] > 0, "d′ = \(s.scores[0])")
        _ = try s.sidecarJSON()
    }

    @Test func nonFiniteLatentsAreRefusedByName() throws {
        do {
            _ = try Directions.attribute(positive: [[1, 0, 0, 0]], negative: [[0, 0, 0, 0], [0, .nan, 0, 0]],
                                         latentShape: [4], modelSHA256: "aa")
            Issue.record("a NaN latent was accepted")
        } catch let e as LatentError {
            #expect(e.description.contains("negative latent 1") && e.description.contains("non-finite"), "\(e)")
        }
    }
}

/// Each row puts one non-finite value into an otherwise valid set; the error names the direction
/// and the field.
struct NonFiniteSetCase: Sendable, CustomTestStringConvertible {
    let name: String
    let vector: [Float], score: Float, sigma: Float
    let message: String
    var testDescription: String { name }
}

let nonFiniteSetCases: [NonFiniteSetCase] = [
    .init(name: "inf score", vector: [1, 0], score: .infinity, sigma: 1, message: "direction 0 ('up') has a non-finite score inf"),
    .init(name: "NaN score", vector: [1, 0], score: .nan, sigma: 1, message: "non-finite score nan"),
    .init(name: "NaN component", vector: [1, .nan], score: 1, sigma: 1, message: "non-finite component nan at index 1"),
    .init(name: "-inf sigma", vector: [1, 0], score: 1, sigma: -.infinity, message: "non-finite sigma -inf"),
]

@Suite struct NonFiniteDirectionSetTests {
    @Test(arguments: nonFiniteSetCases)
    func initializerRefuses(_ c: NonFiniteSetCase) {
        do {
            _ = try DirectionSet(method: "m", modelSHA256: "aa", latentShape: [2], vectors: [c.vector], names: ["up"],
                                 scores: [c.score], scoreKind: .unknown, sigmas: [c.sigma])
            Issue.record("accepted")
        } catch {
            #expect((error as? LatentError)?.description.contains(c.message) == true, "\(error)")
        }
    }

    /// The fields are mutable: a set made valid and then edited must still fail with a LatentError,
    /// not with JSONEncoder's EncodingError.
    @Test(arguments: nonFiniteSetCases)
    func sidecarRefusesAnEditedSet(_ c: NonFiniteSetCase) throws {
        var set = try DirectionSet(method: "m", modelSHA256: "aa", latentShape: [2], vectors: [[1, 0]], names: ["up"],
                                   scores: [1], scoreKind: .unknown, sigmas: [1])
        set.vectors = [c.vector]; set.scores = [c.score]; set.sigmas = [c.sigma]
        do {
            _ = try set.sidecarJSON()
            Issue.record("encoded")
        } catch {
            #expect((error as? LatentError)?.description.contains(c.message) == true, "\(error)")
        }
    }
}

@Suite struct DecoderTests {
    /// Batches are cut at maxBatch and reassembled in order. Not bit-identical to single decodes:
    /// the engine's Gemm takes sgemv at batch 1 and sgemm above, which round differently.
    @Test func batchedDecodesEqualSingleDecodes() throws {
        let model = TinyModels.linear(testValues(6 * 4, seed: 8), out: 6, latent: 4, bias: testValues(6, seed: 9), activation: "Tanh")
        let decoder = try LatentDecoder(model: model, maxBatch: 3)
        let z = try Prior(latentShape: [4]).sample(seed: 3, count: 7).floatArray
        let all = try decoder.decode(z, count: 7)
        for r in 0..<7 {
            let one = try decoder.decode(Array(z[(r * 4)..<(r * 4 + 4)]), count: 1)
            let c = compare(all[(r * 6)..<(r * 6 + 6)].map(Double.init), one.map(Double.init), rtol: 1e-5, atol: 1e-6)
            #expect(c.ok, "row \(r): \(c)")
        }
    }

    @Test func aSecondInputOrAWrongShapeIsRefused() throws {
        var m = TinyModels.linear(testValues(6, seed: 1), out: 2, latent: 3)
        #expect(throws: LatentError.self) { _ = try LatentDecoder(session: InferenceSession(model: m), latentShape: [4]) }
        m.graph.inputs.append(ValueInfo(name: "label", dtype: .float32, dims: [.symbolic("N"), .fixed(1)]))
        m.graph.nodes.append(Node(name: "extra", opType: "Relu", inputs: ["label"], outputs: ["l2"]))
        do { _ = try LatentDecoder(session: InferenceSession(model: m), latentShape: [3]); Issue.record("expected an error") }
        catch let e as LatentError { #expect(e.description.contains("label")) }
    }
}

@Suite struct GeodesicTests {
    /// For a linear decoder the straight, evenly spaced path is already the shortest: the descent
    /// must not make it longer, and the ends never move.
    @Test func linearDecoderKeepsTheStraightPath() throws {
        let decoder = try LatentDecoder(model: TinyModels.linear(testValues(5 * 3, seed: 6), out: 5, latent: 3))
        let a: [Float] = [-1, 0.5, 2], b: [Float] = [1.5, -1, 0]
        let r = try Geodesic.shorten(decoder: decoder, from: a, to: b, interior: 4, iterations: 5)
        #expect(r.points.count == 6 && r.points.first == a && r.points.last == b)
        #expect(r.energyAfter <= r.energyBefore)
        #expect(r.energyAfter >= r.energyBefore * (1 - 1e-3), "\(r.energyBefore) → \(r.energyAfter)")
    }

    /// tanh(3z) squashes the ends of a straight path: moving interior points toward the middle
    /// shortens the path in output space.
    @Test func saturatingDecoderPathGetsShorter() throws {
        let w: [Float] = [3, 0, 0, 3]
        let decoder = try LatentDecoder(model: TinyModels.linear(w, out: 2, latent: 2, activation: "Tanh"))
        let a: [Float] = [-1.5, -1.2], b: [Float] = [1.5, 1.0]
        let r = try Geodesic.shorten(decoder: decoder, from: a, to: b, interior: 6, iterations: 40)
        #expect(r.points.first == a && r.points.last == b)
        #expect(r.energyAfter < 0.8 * r.energyBefore, "\(r.energyBefore) → \(r.energyAfter)")
        // Cost: at least K·(2d + 1) decodes per iteration, plus the initial K + 2.
        #expect(r.decodes >= 8 + r.iterations * 6 * 5)
        #expect(r.iterations >= 1)
    }
}

/// The LAPACK wrappers of BLAS.swift on matrices with known factorisations, tall and wide.
@Suite struct LAPACKWrapperTests {
    @Test(arguments: [(7, 3), (3, 7), (4, 4)] as [(Int, Int)])
    func svdFindsPlantedRightVectors(m: Int, n: Int) throws {
        let k = min(m, n)
        let scales = (0..<k).map { Double(k - $0) * 1.5 }
        let a = orthonormalRows(k, m, seed: 3), b = orthonormalRows(k, n, seed: 4)
        var mat = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { mat[i * n + j] = Float((0..<k).reduce(0.0) { $0 + scales[$1] * a[$1][i] * b[$1][j] }) } }
        let (s, v) = try LAPACK.svd(mat, m: m, n: n)
        #expect(s.count == k && v.count == k && v.allSatisfy { $0.count == n })
        for t in 0..<k {
            #expect(abs(Double(s[t]) - scales[t]) < 1e-4 * scales[t], "σ\(t) = \(s[t]) vs \(scales[t])")
            #expect(absCos(v[t], b[t]) > 0.99999, "v\(t)")
        }
    }

    @Test func leastSquaresSolvesAnOverdeterminedSystemExactly() throws {
        // A (5 × 2), X (2 × 3) known, B = A X.
        let a: [Float] = [1, 2, 3, -1, 0.5, 4, 2, 2, -3, 1]
        let x: [Float] = [1, -2, 0.5, 3, 0.25, -1]
        var b = [Float](repeating: 0, count: 15)
        for i in 0..<5 { for j in 0..<3 { b[i * 3 + j] = a[i * 2] * x[j] + a[i * 2 + 1] * x[3 + j] } }
        let got = try LAPACK.leastSquares(a, m: 5, n: 2, b, r: 3)
        let c = compare(got.map(Double.init), x.map(Double.init), rtol: 1e-5, atol: 1e-5)
        #expect(c.ok, "\(c)")
    }

    @Test func symmetricEigenIsDescendingWithRowVectors() throws {
        // [[2, 1], [1, 2]]: eigenvalues 3 (along (1, 1)) and 1 (along (1, −1)).
        let (values, vectors) = try LAPACK.symmetricEigen([2, 1, 1, 2], n: 2)
        #expect(abs(values[0] - 3) < 1e-6 && abs(values[1] - 1) < 1e-6)
        #expect(absCos(vectors[0], [1, 1]) > 0.999999 && absCos(vectors[1], [1, -1]) > 0.999999)
    }
}
