import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
@testable import ZWalkSession

/// Decoding under a memory budget: batches sized from the plans, the same numbers whatever the
/// batch, and refusals before anything is decoded.
@Suite struct MemoryBudgetTests {
    /// 150 latents decoded in batches of 64 (a roomy budget) and in the small batches a tight
    /// budget leaves. Batched the same way, the streamed batches and the whole decode are the same
    /// bits; across batch sizes outputs agree to 1e-6, not bit for bit: OpenBLAS blocks a product
    /// by its shape, so a sample's sums run in another order inside a batch of 13 than of 64 (as
    /// they always have between the explorer's batch-1 decode and a grid's batch of 64).
    @Test func chunkedDecodesMatchTheWholeBatch() throws {
        let roomy = try ModelSession(path: shippedModel)
        let latents = try (0..<150).map { try roomy.sample(seed: UInt32($0)) }
        let whole = try roomy.decode(latents)
        #expect(roomy.lastDecode?.batch == 64)
        let one = try roomy.localModel(for: "test").session.planner.memory(batch: 1).total
        let budget = roomy.weightBytes + ModelSession.bytes(of: latents) + whole.count * 4 + 4 * one
        let tight = try ModelSession(path: shippedModel, options: SessionOptions(memoryBudget: budget))
        let chunked = try tight.decode(latents)
        let batch = try #require(tight.lastDecode?.batch)
        #expect(batch > 1 && batch < 64, "a budget of \(budget) bytes gave batches of \(batch)")
        #expect(chunked.shape == whole.shape)
        let worst = zip(chunked.floats, whole.floats).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-6, "batches of \(batch) and of 64 differ by up to \(worst)")
        // The same batches (the same budget beside the same held outputs) handed out one by one:
        // every value where decode() put it.
        var streamed = [Float](repeating: .nan, count: chunked.count)
        try tight.decodeBatches(latents, holding: [("the decoded outputs", chunked.count * 4)]) { b, start in
            for i in 0..<b.count { streamed[start * tight.decoder.outputCount + i] = b.floats[i] }
        }
        #expect(tight.lastDecode?.batch == batch)
        let differing = zip(streamed, chunked.floats).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "\(differing) values differ between the streamed batches and the chunked decode")
    }

    /// The explorer decodes one latent per key: once warm, sizing batches to the budget compiles
    /// no plan (it did, a dozen per frame, and the shipped model's frame took 22 ms, not 1).
    @Test func aWarmDecodeCompilesNoPlan() throws {
        let session = try ModelSession(path: shippedModel)
        let z = try session.sample(seed: 1)
        _ = try session.image(z)
        let planner = try session.localModel(for: "test").session.planner
        let before = planner.compilations
        for seed in 2..<12 { _ = try session.image(try session.sample(seed: UInt32(seed))) }
        #expect(planner.compilations == before, "\(planner.compilations - before) plans compiled for 10 frames")
    }

    /// The .npy a streamed decode writes has the bytes of NPY.encode of the decoded batch.
    @Test func streamedNPYIsTheWholeBatchEncoded() throws {
        let dir = try temporaryFolder()
        let session = try ModelSession(path: shippedModel, options: SessionOptions(memoryBudget: 24 << 20))
        let latents = try (0..<70).map { try session.sample(seed: UInt32($0)) }
        let spec = FigureSpec(kind: "decoded", rows: 7, cols: 10, latents: latents, description: "test")
        try session.write(spec, style: FigureStyle(), to: dir + "/out.npy", command: "test", overwrite: false)
        let batch = try #require(session.lastDecode?.batch)
        #expect(batch < 70, "70 latents went in one batch under 24 MB")
        let written = try Data(contentsOf: URL(fileURLWithPath: dir + "/out.npy"))
        let whole = Tensor(shape: [70] + session.decoder.outputShape)
        try session.decodeBatches(latents) { b, start in
            (whole.floats.baseAddress! + start * session.decoder.outputCount).update(from: b.floats.baseAddress!, count: b.count)
        }
        #expect(session.lastDecode?.batch == batch)
        #expect(written == NPY.encode(whole))
    }

    /// A budget smaller than the weights and one sample's activations is refused when the model is
    /// opened, with the estimate and its parts.
    @Test func anImpossibleBudgetIsRefusedWithTheEstimate() throws {
        let probe = try ModelSession(path: shippedModel)
        let one = try probe.localModel(for: "test").session.planner.memory(batch: 1).total
        let budget = probe.weightBytes + one / 2
        do {
            _ = try ModelSession(path: shippedModel, options: SessionOptions(memoryBudget: budget))
            Issue.record("a budget of \(budget) bytes was accepted")
        } catch let e as MemoryBudgetError {
            #expect(e.needed == probe.weightBytes + one && e.budget == budget)
            #expect(e.description == "decoding with vae_decoder.onnx needs at least \(Memory.format(probe.weightBytes + one)) "
                + "(weights \(Memory.format(probe.weightBytes)) + activations of one sample \(Memory.format(one))), more than the "
                + "memory budget of \(Memory.format(budget)); raise the budget or decode fewer latents at a time")
        }
    }

    /// A figure whose pictures cannot fit is refused before anything is decoded or written.
    @Test func aFigureTooLargeForTheBudgetIsRefusedBeforeDecoding() throws {
        let dir = try temporaryFolder()
        let session = try ModelSession(path: shippedModel, options: SessionOptions(memoryBudget: 16 << 20))
        let latents = [[Float]](repeating: try session.sample(seed: 0), count: 2000)
        let spec = FigureSpec(kind: "decoded", rows: 40, cols: 50, latents: latents, description: "test")
        do {
            try session.write(spec, style: FigureStyle(), to: dir + "/big.png", command: "test", overwrite: false)
            Issue.record("2000 cells were written under 16 MB")
        } catch let e as MemoryBudgetError {
            #expect(e.description.hasPrefix("decoding 2000 latent(s) with vae_decoder.onnx needs at least"))
            #expect(e.description.contains("the pictures 24 MB") && e.description.contains("the composed figure"))
            #expect(e.budget == 16 << 20)
        }
        #expect(session.decoder.decodedSamples == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test(arguments: [("2G", 2 << 30), ("512M", 512 << 20), ("800k", 800 << 10), ("1.5G", 3 << 29), ("512MiB", 512 << 20),
                      ("4096", 4096), ("0", nil), ("-1G", nil), ("lots", nil), ("G", nil)] as [(String, Int?)])
    func sizesParse(_ text: String, _ bytes: Int?) {
        #expect(Memory.parse(text) == bytes, "\(text)")
    }
}
