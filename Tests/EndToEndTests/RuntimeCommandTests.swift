import Foundation
import Testing
import ZWalkFormats
import ZWalkEngine
import TestSupport

/// The runtime's commands as a script would use them.
@Suite struct RuntimeCommandTests {
    let vae = repoRoot.appendingPathComponent("assets/vae_decoder.onnx").path
    let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures/vae").path

    @Test func helpListsEveryCommandAndEachCommandHasHelp() throws {
        let top = try zwalk(["--help"])
        #expect(top.status == 0)
        for name in ["info", "decode", "bench", "ops"] {
            #expect(top.stdout.contains("  \(name) "), "top-level help lacks \(name)")
            let r = try zwalk([name, "--help"])
            #expect(r.status == 0 && r.stdout.contains("usage: zwalk \(name)"), "\(name) --help")
        }
    }

    @Test func unknownOptionIsAUsageError() throws {
        let r = try zwalk(["info", "--frobnicate"])
        #expect(r.status == 2 && r.stderr.contains("unknown option '--frobnicate'"))
    }

    @Test func infoDescribesTheShippedModel() throws {
        let r = try zwalk(["info", vae])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("latent       [10]"))
        #expect(r.stdout.contains("3×64×64 image"))
        #expect(r.stdout.contains("zwalk.latent_shape = 10"))
    }

    /// `--model NAME` opens a shipped model by name, in any command that opens a model; without a
    /// model zwalk opens faces. The binary finds them as a user's would (assets/ above it).
    @Test(arguments: [("faces", "faces_decoder.onnx", 16), ("sprites", "vae_decoder.onnx", 10)])
    func modelFlagOpensAShippedModelByName(_ name: String, _ file: String, _ latent: Int) throws {
        for args in [["info", "--model", name], ["info", "--model", name.uppercased()]] {
            let r = try zwalk(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stdout.contains("/assets/\(file)") && r.stdout.contains("latent       [\(latent)]"), "\(args): \(r.stdout)")
        }
        let dir = try temporaryDirectory()
        let g = try zwalk(["grid", "--model", name, "--rows", "1", "--cols", "2", "--out", dir + "/g.png"])
        #expect(g.status == 0, "\(g.stderr)")
    }

    @Test func withoutAModelZwalkOpensFacesAndModelFlagMistakesAreUsageErrors() throws {
        let plain = try zwalk(["info"])
        #expect(plain.status == 0 && plain.stdout.contains("/assets/faces_decoder.onnx"), "\(plain.stdout)\(plain.stderr)")
        let unknown = try zwalk(["info", "--model", "cats"])
        #expect(unknown.status == 2 && unknown.stderr.contains("no shipped model is called 'cats': faces or sprites"), "\(unknown.stderr)")
        let both = try zwalk(["info", vae, "--model", "faces"])
        #expect(both.status == 2 && both.stderr.contains("give MODEL or --model, not both"), "\(both.stderr)")
        let help = try zwalk(["--help"])
        #expect(help.stdout.contains("  faces ") && help.stdout.contains("  sprites "), "\(help.stdout)")
    }

    @Test func decodeMatchesOnnxruntime() throws {
        let dir = try temporaryDirectory()
        let out = dir + "/images.npy"
        let r = try zwalk(["decode", vae, "--latents", fixtures + "/z.npy", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let got = try NPY.read(path: out), want = try NPY.read(path: fixtures + "/decoded.npy")
        let c = compare(got, want, rtol: 0, atol: 1e-4)
        #expect(c.ok, "\(c)")
    }

    @Test func decodeRefusesToOverwriteAndWrongShapes() throws {
        let dir = try temporaryDirectory()
        let out = dir + "/images.npy"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: out))
        let r = try zwalk(["decode", vae, "--latents", fixtures + "/z.npy", "--out", out])
        #expect(r.status == 1 && r.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "precious")
        let bad = dir + "/bad.npy"
        try NPY.write(Tensor(shape: [2, 7]), to: bad, overwrite: false)
        let r2 = try zwalk(["decode", vae, "--latents", bad, "--out", dir + "/x.npy"])
        #expect(r2.status == 1 && r2.stderr.contains("bad.npy") && r2.stderr.contains("10 values per latent"), "\(r2.stderr)")
    }

    @Test func benchPrintsJSONWithAMedianPerBatch() throws {
        let r = try zwalk(["bench", vae, "--batch", "1,3", "--runs", "3", "--seconds", "0", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let results = obj?["results"] as? [[String: Any]] ?? []
        #expect(results.map { $0["batch"] as? Int } == [1, 3])
        #expect(results.allSatisfy { ($0["median_ms"] as? Double ?? 0) > 0 })
    }

    /// OpenBLAS runs AVX2 or AVX-512 kernels on a CPU that has them, even where its own detection
    /// does not know the CPU (Debian's 0.3.21 takes this VM's Xeon for an SSE3 "Prescott", 3–4×
    /// slower); a user's OPENBLAS_CORETYPE still decides.
    @Test func openBLASRunsTheCPUsWidestKernelsUnlessTheUserChose() throws {
        let args = ["bench", vae, "--batch", "1", "--runs", "1", "--seconds", "0", "--json"]
        func core(_ r: RunResult) throws -> String {
            #expect(r.status == 0, "\(r.stderr)")
            let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return try #require(obj?["openblas_core"] as? String)
        }
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        if flags.contains("avx2") && flags.contains("fma") {
            let chosen = try core(zwalk(args, unsetting: ["OPENBLAS_CORETYPE"]))
            #expect(["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"].contains(chosen), "\(chosen)")
        }
        #expect(try core(zwalk(args, environment: ["OPENBLAS_CORETYPE": "Nehalem"])) == "Nehalem")
    }

    @Test func benchProfileTimesEveryExecutedNode() throws {
        let model = try ONNXLoader.load(path: vae)
        let r = try zwalk(["bench", vae, "--batch", "2", "--runs", "3", "--seconds", "0", "--json", "--profile"])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let profile = try #require((obj?["profiles"] as? [[String: Any]])?.first)
        let nodes = profile["nodes"] as? [[String: Any]] ?? []
        // Every node that does work at run time: the Reshape's shape Constant is folded at load
        // and the Reshape itself is a view planned at load, so those two never run. The Relus
        // after the dense layers run inside them (fused), and are named with them.
        let ran = Set(nodes.compactMap { $0["node"] as? String } + nodes.flatMap { $0["fused"] as? [String] ?? [] })
        #expect(nodes.contains { $0["op"] as? String == "Gemm+Relu" }, "\(nodes)")
        let graphNodes = model.graph.nodes.filter { !["Constant", "Reshape"].contains($0.opType) }.map(\.displayName)
        #expect(ran == Set(graphNodes))
        #expect(nodes.allSatisfy { ($0["ms"] as? Double ?? -1) >= 0 })
        #expect(profile["runs"] as? Int ?? 0 >= 3)
        let text = try zwalk(["bench", vae, "--batch", "1", "--runs", "3", "--seconds", "0", "--profile"])
        #expect(text.stdout.contains("ConvTranspose") && text.stdout.contains("slowest nodes"), "\(text.stdout)")
    }
}
