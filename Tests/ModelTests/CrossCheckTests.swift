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

/// The faces model's `zwalk.dim_names` (written by tools/eval_vae.py) against its evaluation
/// (assets/faces_eval.json): each named dim is the best dim of its factor with |r| ≥ 0.9 on held-out
/// images, at least six factors are named, smile and head turn among them (the traversal the model
/// card shows), and the encoder carries the same names as the decoder.
@Suite struct ShippedFacesNamesTests {
    static let labels = ["face_width": "face width", "skin": "skin tone", "hair_colour": "hair colour",
                         "hair_length": "hair length", "eye_size": "eye size", "brow_angle": "brow angle",
                         "smile": "smile", "mouth_open": "mouth open", "turn": "head turn", "background": "background hue"]

    @Test func namedDimsAreTheFactorsBestDimsWithRAtLeast09() throws {
        let assets = repoRoot.appendingPathComponent("assets").path
        let decoder = try ONNXLoader.load(path: assets + "/faces_decoder.onnx")
        let encoder = try ONNXLoader.load(path: assets + "/faces_encoder.onnx")
        let text = try #require(decoder.metadata["zwalk.dim_names"])
        #expect(encoder.metadata["zwalk.dim_names"] == text)
        let names = try #require(Prior.dimensionNames(of: decoder, latentCount: 16))
        let eval = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: assets + "/faces_eval.json"))) as? [String: Any])
        let correlation = try #require(eval["correlation"] as? [String: [String: Any]])
        var named: [String] = []
        for (factor, c) in correlation {
            let label = try #require(Self.labels[factor], "unknown factor \(factor)")
            let dim = try #require(c["best_dim"] as? Int), r = try #require(c["abs_corr"] as? Double)
            if names.contains(label) {
                #expect(names[dim] == label && r >= 0.9, "\(label) is named on dim \(names.firstIndex(of: label) ?? -1); its best dim is \(dim), |r| \(r)")
                named.append(label)
            } else {
                #expect(r < 0.9 || names[dim] != "z[\(dim)]", "\(label) has |r| \(r) on dim \(dim) but no name")
            }
        }
        #expect(named.count >= 6 && named.contains("head turn") && named.contains("smile"), "named: \(named.sorted())")
        #expect(eval["dim_names"] as? String == text)
    }
}
