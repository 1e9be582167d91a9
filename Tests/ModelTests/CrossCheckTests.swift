import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
import ZWalkLatent
import TestSupport

/// Whole models decoded by zwalk against onnxruntime's outputs for the same latents, which
/// `tools/make_models.py` and `tools/fixtures_vae.py` stored beside them. Tolerance: the issue's
/// max |zwalk − onnxruntime| ≤ 1e-4.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures")

struct CrossCheckCase: CustomStringConvertible, Sendable {
    let model: String, input: String, expected: String
    var description: String { URL(fileURLWithPath: model).lastPathComponent + " ← " + URL(fileURLWithPath: input).lastPathComponent }
}

let crossCheckCases: [CrossCheckCase] = {
    var cases: [CrossCheckCase] = []
    // Every <stem>.z.npy has a model: committed beside it, or (too big for git) rebuilt by
    // tools/make_models.py into $ZWALK_MODELS_DIR (make test does that).
    let dir = fixtures.appendingPathComponent("models").path
    let built = ProcessInfo.processInfo.environment["ZWALK_MODELS_DIR"] ?? repoRoot.appendingPathComponent(".build/models").path
    let stems = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".z.npy") }.map { String($0.dropLast(6)) }.sorted()
    for stem in stems {
        let local = "\(dir)/\(stem).onnx"
        let model = FileManager.default.fileExists(atPath: local) ? local : "\(built)/\(stem).onnx"
        cases.append(CrossCheckCase(model: model, input: "\(dir)/\(stem).z.npy", expected: "\(dir)/\(stem).expected.npy"))
    }
    // The shipped models (tools/fixtures_vae.py --dataset sprites|faces): fixtures folder, file stem.
    for (folder, stem) in [("vae", "vae"), ("faces", "faces")] {
        let f = fixtures.appendingPathComponent(folder).path
        cases.append(CrossCheckCase(model: repoRoot.appendingPathComponent("assets/\(stem)_decoder.onnx").path,
                                    input: "\(f)/z.npy", expected: "\(f)/decoded.npy"))
        cases.append(CrossCheckCase(model: repoRoot.appendingPathComponent("assets/\(stem)_encoder.onnx").path,
                                    input: "\(f)/images.npy", expected: "\(f)/encoded_mu.npy"))
    }
    return cases
}()

@Suite struct CrossCheckTests {
    @Test func fixturesArePresent() {
        // Guards against the table below silently shrinking to nothing.
        #expect(crossCheckCases.count >= 9, "expected the five onnx-helper models and the decoder and encoder of both shipped VAEs")
    }

    @Test(arguments: crossCheckCases)
    func matchesOnnxruntime(_ c: CrossCheckCase) throws {
        guard FileManager.default.fileExists(atPath: c.model) else {
            Issue.record("\(c.model) is missing: run `.venv/bin/python tools/make_models.py` (make test does)")
            return
        }
        let model = try ONNXLoader.load(path: c.model)
        let session = try InferenceSession(model: model)
        let x = try NPY.read(path: c.input)
        let want = try NPY.read(path: c.expected)
        let got = try session.run([x])[0]
        let cmp = compare(got, want, rtol: 0, atol: 1e-4)
        #expect(cmp.ok, "\(c): \(cmp)")
    }
}
