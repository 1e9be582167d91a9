import Foundation
import Testing
import ZWalkEngine
import TestSupport
@testable import ZWalkLatent
import ZWalkFormats

@Suite struct FiguresTests {
    static func directions(_ d: Int, count: Int, sigmas: [Float]? = nil) throws -> DirectionSet {
        try DirectionSet(method: "test", modelSHA256: "00", latentShape: [d],
                         vectors: orthonormalRows(count, d, seed: 5).map { $0.map(Float.init) },
                         names: (0..<count).map { "dir\($0)" }, scores: [Float](repeating: 1, count: count),
                         scoreKind: .standardDeviation, sigmas: sigmas)
    }

    /// The unmodified column is the base latent bit for bit; every other cell is base + s·σ·u.
    @Test(arguments: [(5, 3.0), (7, 2.0), (9, 4.5), (3, 1.0)])
    func traversalReferenceColumnIsTheBase(columns: Int, range: Double) throws {
        let base = try Prior(latentShape: [6]).sample(seed: 31).floatArray
        let set = try Self.directions(6, count: 3, sigmas: [1, 2.5, 0.5])
        let fig = try Figures.traversal(base: base, directions: set, columns: columns, range: range)
        #expect(fig.rows == 3 && fig.columns == columns && fig.latents.shape == [3 * columns, 6])
        let ref = try #require(fig.referenceColumn)
        #expect(ref == columns / 2)
        let steps = Figures.steps(columns: columns, range: range)
        #expect(steps.first == -range && steps.last == range)
        for r in 0..<3 {
            #expect(fig.latent(row: r, column: ref) == base, "row \(r)")
            for c in 0..<columns {
                let want = (0..<6).map { Double(base[$0]) + steps[c] * Double(set.sigmas[r]) * Double(set.vectors[r][$0]) }
                let cmp = compare(fig.latent(row: r, column: c).map(Double.init), want, rtol: 1e-6, atol: 1e-6)
                #expect(cmp.ok, "cell \(r),\(c): \(cmp)")
                let cell = fig.cells[r * columns + c]
                #expect(cell.steps == [.init(index: r, name: "dir\(r)", sigma: steps[c])])
            }
        }
    }

    @Test func evenColumnCountHasNoReferenceColumnAndIndicesSelectRows() throws {
        let base = [Float](repeating: 0.5, count: 4)
        let fig = try Figures.traversal(base: base, directions: try Self.directions(4, count: 3), indices: [2, 0], columns: 4, range: 1.5)
        #expect(fig.referenceColumn == nil)
        #expect(fig.cells[0].steps[0].index == 2 && fig.cells[4].steps[0].index == 0)
        #expect(Figures.steps(columns: 4, range: 1.5) == [-1.5, -0.5, 0.5, 1.5])
        #expect(throws: LatentError.self) {
            _ = try Figures.traversal(base: base, directions: try Self.directions(4, count: 3), indices: [3], columns: 3, range: 1)
        }
        #expect(throws: LatentError.self) {
            _ = try Figures.traversal(base: [1, 2], directions: try Self.directions(4, count: 3), columns: 3, range: 1)
        }
    }

    @Test func sampleGridCellsAreTheirSeeds() throws {
        let prior = try Prior(latentShape: [5], psi: 0.7)
        let seeds = try Figures.consecutiveSeeds(from: 100, count: 6)
        let fig = try Figures.sampleGrid(prior: prior, seeds: seeds, rows: 2, columns: 3)
        for (i, s) in seeds.enumerated() {
            #expect(fig.latent(row: i / 3, column: i % 3) == (try prior.sample(seed: s).floatArray))
            #expect(fig.cells[i].seed == s && fig.cells[i].label == "seed \(s)")
        }
        #expect(throws: LatentError.self) { _ = try Figures.consecutiveSeeds(from: UInt32.max, count: 2) }
        #expect(try Figures.consecutiveSeeds(from: UInt32.max, count: 1) == [UInt32.max])
        #expect(throws: LatentError.self) { _ = try Figures.sampleGrid(prior: prior, seeds: seeds, rows: 3, columns: 3) }
    }

    @Test func sliceCentreAndCorners() throws {
        let centre = try Prior(latentShape: [6]).sample(seed: 2).floatArray
        let set = try Self.directions(6, count: 3, sigmas: [2, 1, 1])
        let fig = try Figures.slice(centre: centre, directions: set, x: 0, y: 2, rows: 5, columns: 3, range: 2)
        #expect(fig.latent(row: 2, column: 1) == centre)
        // Top-left: x at −2σ (σ = 2), y at +2σ.
        let want = (0..<6).map { Double(centre[$0]) - 4 * Double(set.vectors[0][$0]) + 2 * Double(set.vectors[2][$0]) }
        #expect(compare(fig.latent(row: 0, column: 0).map(Double.init), want, rtol: 1e-6, atol: 1e-6).ok)
        #expect(fig.cells[0].steps.map(\.sigma) == [-2, 2])
        #expect(throws: LatentError.self) {
            _ = try Figures.slice(centre: centre, directions: set, x: 1, y: 1, rows: 3, columns: 3, range: 1)
        }
    }

    /// White's J-diagram: A, B, C on their corners exactly and B + C − A opposite A, in both modes;
    /// with lerp every cell is A + u(B − A) + v(C − A).
    @Test(arguments: InterpolationMode.allCases)
    func jDiagramCorners(mode: InterpolationMode) throws {
        let p = try Prior(latentShape: [8])
        let a = try p.sample(seed: 1).floatArray, b = try p.sample(seed: 2).floatArray, c = try p.sample(seed: 3).floatArray
        let fig = try Figures.jDiagram(a: a, b: b, c: c, latentShape: [8], rows: 4, columns: 5, mode: mode)
        #expect(fig.latent(row: 0, column: 0) == a)
        #expect(fig.latent(row: 0, column: 4) == b)
        #expect(fig.latent(row: 3, column: 0) == c)
        #expect(fig.latent(row: 3, column: 4) == (0..<8).map { b[$0] + c[$0] - a[$0] })
        #expect(fig.cells[19].label == "B+C−A" && fig.cells[4].label == "B")
        if mode == .lerp {
            for r in 0..<4 { for col in 0..<5 {
                let u = Double(col) / 4, v = Double(r) / 3
                let want = (0..<8).map { Double(a[$0]) + u * Double(b[$0] - a[$0]) + v * Double(c[$0] - a[$0]) }
                let cmp = compare(fig.latent(row: r, column: col).map(Double.init), want, rtol: 1e-5, atol: 1e-5)
                #expect(cmp.ok, "cell \(r),\(col): \(cmp)")
            } }
        }
    }

    @Test func interpolationStripEndsAtTheKeyframes() throws {
        let p = try Prior(latentShape: [2, 3])
        let a = try p.sample(seed: 4).floatArray, b = try p.sample(seed: 5).floatArray
        let fig = try Figures.interpolationStrip(keyframes: [a, b], latentShape: [2, 3], steps: 7)
        #expect(fig.latents.shape == [7, 2, 3])
        #expect(fig.latent(row: 0, column: 0) == a && fig.latent(row: 0, column: 6) == b)
        #expect(fig.cells[3].t == 0.5)
    }

    /// The layout's latents decoded as one batch give the same outputs as decoding each cell alone
    /// (what makes a traversal grid's pixels equal individual decodes), up to the last-bit rounding
    /// difference between the engine's batch-1 (sgemv) and batched (sgemm) Gemm.
    @Test func layoutDecodesEqualIndividualDecodes() throws {
        let model = TinyModels.linear(testValues(9 * 4, seed: 12), out: 9, latent: 4, bias: testValues(9, seed: 13), activation: "Tanh")
        let decoder = try LatentDecoder(model: model, maxBatch: 8)
        let base = try Prior(latentShape: [4]).sample(seed: 8).floatArray
        let fig = try Figures.traversal(base: base, directions: try Self.directions(4, count: 3), columns: 5, range: 2)
        let all = try decoder.decode(fig.latents)
        #expect(all.shape == [15, 9])
        for i in 0..<15 {
            let one = try decoder.decode(fig.latent(row: i / 5, column: i % 5), count: 1)
            let c = compare(all.floatArray[(i * 9)..<(i * 9 + 9)].map(Double.init), one.map(Double.init), rtol: 1e-5, atol: 1e-6)
            #expect(c.ok, "cell \(i): \(c)")
        }
    }
}

@Suite struct DirectionSetFileTests {
    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "zwalk-latent-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    static func sample() throws -> DirectionSet {
        try DirectionSet(method: "pca", modelSHA256: sha, latentShape: [2, 3],
                         vectors: orthonormalRows(3, 6, seed: 9).map { $0.map(Float.init) },
                         names: ["pc 0", "pc 1", "pc \"2\""], scores: [3.5, 1.25, 0.1], scoreKind: .standardDeviation,
                         sigmas: [0.9, 1.1, 1], notes: "test set")
    }

    @Test func roundTripAndDeterministicBytes() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let set = try Self.sample()
        let path = dir + "/dirs.npy"
        try set.save(npyPath: path, overwrite: false)
        let back = try DirectionSet.load(npyPath: path, expectingModel: Self.sha.uppercased(), latentShape: [2, 3])
        #expect(back == set)
        let rows = try NPY.read(path: path)
        #expect(rows.shape == [3, 6] && rows.floatArray == set.vectors.flatMap { $0 })
        // No overwrite without asking; with overwrite the same bytes come back.
        let first = try Data(contentsOf: URL(fileURLWithPath: path + ".json"))
        #expect(throws: FileWriteError.exists(path)) { try set.save(npyPath: path, overwrite: false) }
        try set.save(npyPath: path, overwrite: true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".json")) == first)
        let json = String(decoding: first, as: UTF8.self)
        #expect(json.contains("\"model_sha256\" : \"\(Self.sha)\"") && json.contains("\"format\" : \"zwalk.directions/1\""))
    }

    @Test func anotherModelsSetIsRefusedNamingBothFingerprints() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/dirs.npy"
        try Self.sample().save(npyPath: path, overwrite: false)
        let other = String(repeating: "e", count: 64)
        do {
            _ = try DirectionSet.load(npyPath: path, expectingModel: other, latentShape: [2, 3])
            Issue.record("expected a refusal")
        } catch let e as LatentError {
            // The library names no flag: each front end words its own way out.
            #expect(e.description.contains(Self.sha) && e.description.contains(other) && !e.description.contains("--"), "\(e)")
        }
        // Explicit override.
        #expect(try DirectionSet.load(npyPath: path, expectingModel: other, latentShape: [2, 3], force: true).count == 3)
        // Another latent shape of the same size: refused, but --force accepts it.
        do {
            _ = try DirectionSet.load(npyPath: path, expectingModel: Self.sha, latentShape: [6])
            Issue.record("expected a refusal")
        } catch let e as LatentError { #expect(e.description.contains("[2, 3]") && e.description.contains("[6]"), "\(e)") }
        #expect(try DirectionSet.load(npyPath: path, expectingModel: Self.sha, latentShape: [6], force: true).count == 3)
        // Another latent size: never.
        #expect(throws: LatentError.self) {
            _ = try DirectionSet.load(npyPath: path, expectingModel: Self.sha, latentShape: [10], force: true)
        }
    }

    @Test func bareNpyNeedsForceAndKeepsRowLengthsAsSigmas() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ganspace.npy"
        try NPY.write(Tensor(shape: [2, 3], floats: [3, 0, 4, 0, 2, 0]), to: path, overwrite: false)
        #expect(throws: LatentError.self) { _ = try DirectionSet.load(npyPath: path, expectingModel: Self.sha, latentShape: [3]) }
        let set = try DirectionSet.load(npyPath: path, expectingModel: Self.sha, latentShape: [3], force: true)
        #expect(set.vectors == [[0.6, 0, 0.8], [0, 1, 0]] && set.sigmas == [5, 2] && set.method == "imported")
    }

    @Test func corruptSidecarNamesItsPath() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/dirs.npy"
        try Self.sample().save(npyPath: path, overwrite: false)
        try Data("{\"format\": 3}".utf8).write(to: URL(fileURLWithPath: path + ".json"))
        do { _ = try DirectionSet.load(npyPath: path, expectingModel: Self.sha, latentShape: [2, 3]); Issue.record("expected an error") }
        catch let e as LatentError { #expect(e.description.contains("dirs.npy.json"), "\(e)") }
    }
}
