import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkLatent

/// numpy.random.RandomState, compared bit for bit with numpy's output (tools/latent_golden.py).
@Suite struct RandomStateTests {
    static let seeds: [UInt32] = [0, 1, 42, 4_294_967_295, 123_456_789]

    static func golden(_ seed: UInt32) throws -> [String: Any] {
        let cases = try Fixture.json("randomstate_golden.json")["cases"] as? [[String: Any]] ?? []
        guard let c = cases.first(where: { ($0["seed"] as? NSNumber)?.uint32Value == seed }) else {
            throw FixtureError("no golden case for seed \(seed)")
        }
        return c
    }

    /// The first mismatch as text, or nil when the arrays are identical bit for bit.
    static func firstMismatch<T: BinaryFloatingPoint>(_ got: [T], _ want: [T]) -> String? {
        guard got.count == want.count else { return "count \(got.count) ≠ \(want.count)" }
        for i in got.indices where got[i] != want[i] {
            return "[\(i)] got \(got[i]), want \(want[i])"
        }
        return nil
    }

    @Test(arguments: seeds)
    func streamMatchesNumpyExactly(seed: UInt32) throws {
        let stream = try Self.golden(seed)["stream"] as? [String: Any] ?? [:]
        var rs = RandomState(seed: seed)
        // The same call sequence as the fixture script, so the gaussian cache carries over.
        let steps: [(String, (inout RandomState) throws -> [Double])] = [
            ("standard_normal_20", { $0.standardNormal(count: 20) }),
            ("standard_normal_3x10", { $0.standardNormal(count: 30) }),
            ("random_sample_10", { $0.randomSample(count: 10) }),
            ("standard_normal_3", { $0.standardNormal(count: 3) }),
            ("random_sample_2", { $0.randomSample(count: 2) }),
            ("standard_normal_2", { $0.standardNormal(count: 2) }),
            ("uniform_m1_1_5", { r in (0..<5).map { _ in r.uniform(-1, 1) } }),
        ]
        for (name, draw) in steps {
            let got = try draw(&rs)
            let want = try Fixture.doubles(stream[name])
            #expect(Self.firstMismatch(got, want) == nil, "seed \(seed) \(name): \(Self.firstMismatch(got, want) ?? "")")
        }
        let ints: [(String, Int64, Int64, Int)] = [("randint_0_10_5", 0, 10, 5), ("randint_m3_1000_4", -3, 1000, 4),
                                                    ("randint_0_2p40_3", 0, 1 << 40, 3)]
        for (name, lo, hi, n) in ints {
            let got = try (0..<n).map { _ in Double(try rs.randint(lo, hi)) }
            let want = try Fixture.numbers(stream[name])
            #expect(got == want, "seed \(seed) \(name): got \(got), want \(want)")
        }
    }

    @Test(arguments: seeds)
    func priorLatentsEqualNumpyFloat32(seed: UInt32) throws {
        let latents = try Self.golden(seed)["latents"] as? [String: Any] ?? [:]
        let cases: [(String, Prior)] = [
            ("normal_3x10_f32", try Prior(kind: .normal, latentShape: [10])),
            ("psi_0.7_3x10_f32", try Prior(kind: .normal, latentShape: [10], psi: 0.7)),
            ("uniform_3x10_f32", try Prior(kind: .uniform, latentShape: [10])),
            ("resampled_2.0_3x10_f32", try Prior(kind: .normal, latentShape: [10], resampleThreshold: 2.0)),
        ]
        for (name, prior) in cases {
            let t = try prior.sample(seed: seed, count: 3)
            #expect(t.shape == [3, 10])
            let want = try Fixture.float32s(latents[name])
            let mismatch = Self.firstMismatch(t.floatArray, want)
            #expect(mismatch == nil, "seed \(seed) \(name): \(mismatch ?? "")")
        }
        // The issue's one-call form gives the same latents.
        let direct = try Prior.sample(seed: seed, count: 3, shape: [10], psi: 0.7)
        #expect(direct.floatArray == (try Fixture.float32s(latents["psi_0.7_3x10_f32"])))
    }

    @Test func oneSeedPerCellIsTheFirstRowOfThatSeed() throws {
        let prior = try Prior(latentShape: [2, 5])
        let grid = try prior.sample(seeds: [7, 8, 9])
        #expect(grid.shape == [3, 2, 5])
        for (i, s) in [7, 8, 9].enumerated() {
            let one = try prior.sample(seed: UInt32(s), count: 1).floatArray
            #expect(Array(grid.floatArray[(i * 10)..<(i * 10 + 10)]) == one)
        }
    }

    @Test(arguments: [-1, 4_294_967_296])
    func seedsOutsideNumpysRangeAreRefused(seed: Int) {
        #expect(throws: LatentError.self) { _ = try RandomState(checkedSeed: seed) }
    }

    @Test func priorFromModelMetadataAndItsErrors() throws {
        let w = [Float](repeating: 0.5, count: 30)
        var m = TinyModels.linear(w, out: 3, latent: 10)
        #expect(try Prior(model: m) == Prior(kind: .normal, latentShape: [10]))
        m.metadata = ["zwalk.prior": "uniform", "zwalk.latent_shape": "10"]
        #expect(try Prior(model: m).kind == .uniform)
        #expect(try Prior(model: m, kind: .normal).kind == .normal)
        m.metadata = ["zwalk.prior": "cauchy"]
        do { _ = try Prior(model: m); Issue.record("expected an error") }
        catch let e as LatentError { #expect(e.description.contains("cauchy") && e.description.contains("tiny.onnx")) }
        m.metadata = ["zwalk.latent_shape": "2,5,x"]
        #expect(throws: LatentError.self) { _ = try Prior(model: m) }
        m.metadata = ["zwalk.latent_shape": "12"]
        do { _ = try Prior(model: m); Issue.record("expected an error") }
        catch let e as LatentError { #expect(e.description.contains("contradicts")) }
        #expect(throws: LatentError.self) { _ = try Prior(kind: .uniform, latentShape: [3], resampleThreshold: 2) }
        #expect(throws: LatentError.self) { _ = try Prior(kind: .normal, latentShape: [3], psi: -1) }
        #expect(throws: LatentError.self) { _ = try Prior(kind: .normal, latentShape: [0]) }
    }

    @Test func dimensionNamesComeFromIndexedPairs() {
        var m = TinyModels.linear([1, 2, 3], out: 1, latent: 3)
        #expect(Prior.dimensionNames(of: m, latentCount: 3) == nil)
        m.metadata["zwalk.dim_names"] = "2:x position; 0:scale"
        #expect(Prior.dimensionNames(of: m, latentCount: 3) == ["scale", "z[1]", "x position"])
        m.metadata["zwalk.dim_names"] = "7:out of range;nonsense"
        #expect(Prior.dimensionNames(of: m, latentCount: 3) == nil)
    }

    @Test func shippedModelMetadataGivesItsPrior() throws {
        let m = Model(graph: Graph(nodes: [], inputs: [ValueInfo(name: "z", dtype: .float32, dims: [.symbolic("batch"), .fixed(10)])], outputs: []),
                      metadata: ["zwalk.prior": "normal", "zwalk.latent_shape": "10"])
        #expect(try Prior(model: m) == Prior(kind: .normal, latentShape: [10]))
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        // 55, 56 and 64 bytes: the padding boundaries.
        (String(repeating: "a", count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (String(repeating: "a", count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
    ])
    func knownVectors(input: String, digest: String) {
        #expect(SHA256.hash(Array(input.utf8)) == digest)
        #expect(SHA256.hash(Data(input.utf8)) == digest)
    }

    @Test func millionAsAndIncrementalUpdatesAgree() {
        var s = SHA256()
        let chunk = Data(repeating: 0x61, count: 1000)
        for _ in 0..<1000 { s.update(chunk) }
        #expect(s.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Odd-sized pieces across block boundaries give the same digest as one piece.
        let bytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var pieces = SHA256()
        var i = 0, step = 1
        while i < bytes.count { let j = min(bytes.count, i + step); pieces.update(Data(bytes[i..<j])); i = j; step = step * 3 % 97 + 1 }
        #expect(pieces.hexDigest() == SHA256.hash(bytes))
    }

    /// A 1 MiB + 3 byte file against the system's sha256sum.
    @Test func fileDigestEqualsSha256sum() throws {
        let path = NSTemporaryDirectory() + "zwalk-sha-\(getpid()).bin"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var data = Data(count: (1 << 20) + 3)
        for i in 0..<data.count { data[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        try data.write(to: URL(fileURLWithPath: path))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        p.waitUntilExit()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let expected = String(out.prefix(64))
        #expect(expected.count == 64)
        #expect(try SHA256.hash(file: path) == expected)
        #expect(throws: LatentError.self) { _ = try SHA256.hash(file: path + ".missing") }
    }
}
