import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
@testable import ZWalkLatent

/// Every method on the shipped 10-D VAE decoder (assets/vae_decoder.onnx): they run with their
/// defaults, give well-formed sets, and state their cost. Timings are printed for the report.
@Suite(.serialized) struct ShippedModelTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("assets/vae_decoder.onnx").path

    static func timed<T>(_ what: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        let r = try body()
        print("[latent timing] \(what): \(String(format: "%.3f", Date().timeIntervalSince(start))) s")
        return r
    }

    @Test func allMethodsRunOnTheShippedDecoder() throws {
        let model = try ONNXLoader.load(path: Self.path)
        let sha = try Self.timed("sha256 of the model") { try SHA256.hash(file: Self.path) }
        #expect(sha.count == 64)
        let prior = try Prior(model: model)
        #expect(prior == (try Prior(kind: .normal, latentShape: [10])))
        let session = try InferenceSession(model: model)
        let decoder = try LatentDecoder(session: session, latentShape: prior.latentShape)
        #expect(decoder.outputShape == [3, 64, 64])

        let sefa = try Self.timed("SeFa") { try Directions.sefa(session: session, latentShape: [10], modelSHA256: sha) }
        #expect(sefa.count == 10 && sefa.notes.contains("/dec/fc/fc.0/Gemm"))
        expectOrthonormal(sefa.vectors, "shipped SeFa")

        let pca = try Self.timed("PCA, 2048 samples") {
            try Directions.pca(session: session, latentShape: [10], prior: prior, modelSHA256: sha)
        }
        #expect(pca.count == 10 && pca.scores == pca.scores.sorted(by: >))

        let perAxis = try Self.timed("per-axis, 32 samples (352 decodes)") {
            try Directions.perAxis(decoder: decoder, prior: prior, modelSHA256: sha)
        }
        #expect(perAxis.count == 10 && perAxis.scores == perAxis.scores.sorted(by: >))

        let z = try prior.sample(seed: 0).floatArray
        let local = try Self.timed("local (20 decodes + SVD of 12288×10)") {
            try Directions.local(decoder: decoder, at: z, modelSHA256: sha)
        }
        #expect(local.count == 10)
        expectOrthonormal(local.vectors, tolerance: 1e-4, "shipped local")

        let b = try prior.sample(seed: 1).floatArray
        let geo = try Self.timed("geodesic, K = 8, 3 iterations") {
            try Geodesic.shorten(decoder: decoder, from: z, to: b, interior: 8, iterations: 3)
        }
        print("[latent timing] geodesic energy \(geo.energyBefore) → \(geo.energyAfter) in \(geo.iterations) iterations, \(geo.decodes) decodes")
        #expect(geo.energyAfter <= geo.energyBefore)
    }
}
