import Testing
import Foundation
import ZWalkImage
@testable import ZWalkTUI

@Suite struct WorkerTests {
    /// Waits for the worker to produce `n` results (the worker notifies on each).
    func collect(_ w: BackendWorker, until done: ([WorkerResult]) -> Bool) -> [WorkerResult] {
        var all: [WorkerResult] = []
        let deadline = Date().addingTimeInterval(10)
        while !done(all) && Date() < deadline {
            all += w.takeResults()
            usleep(2000)
        }
        return all
    }

    func spec(_ c: [Float]) -> LatentSpec { LatentSpec(seed: 1, psi: 1, directions: .axes(count: 4), coefficients: c) }

    @Test func latestDecodeWinsWhileTheModelIsBusy() {
        let decoder = FakeDecoder(delay: 0.05)
        let w = BackendWorker(decoder: decoder, sampler: FakeSampler(), provider: FakeProvider(), exporter: FakeExporter(), notify: {})
        w.start()
        defer { w.stop() }
        for i in 1...6 { w.submit(DecodeRequest(seq: i, spec: spec([Float(i), 0, 0, 0]))) }
        let results = collect(w) { rs in rs.contains { if case .decoded(let r) = $0 { return r.request.seq == 6 }; return false } }
        let seqs = results.compactMap { r -> Int? in if case .decoded(let d) = r { return d.request.seq }; return nil }
        #expect(seqs.last == 6)
        #expect(seqs.count <= 2, "queued requests must be dropped, decoded \(seqs)")
        if case .decoded(let d)? = results.last {
            let base = try! FakeSampler().sample(seed: 1, psi: 1)
            #expect(d.latent == [base[0] + 6, base[1], base[2], base[3]])
        }
    }

    /// Frames must not wait for a slow direction set (per-axis ranking of a 100-d GAN takes
    /// seconds, of a 512-d decoder minutes): direction sets are computed on their own thread.
    @Test(arguments: [false, true])
    func framesDoNotWaitForADirectionSet(whileComputing: Bool) {
        let w = BackendWorker(decoder: FakeDecoder(), sampler: FakeSampler(), provider: FakeProvider(delay: 0.5),
                              exporter: FakeExporter(), notify: {})
        // Queued before the threads start, as the explorer's start-up queues them, or a key press
        // while the set is being computed.
        w.submit(.directions(.axis, spec([0, 0, 0, 0])))
        if whileComputing { w.start(); usleep(100_000) }
        w.submit(DecodeRequest(seq: 1, spec: spec([0, 0, 0, 0])))
        if !whileComputing { w.start() }
        defer { w.stop() }
        let results = collect(w) { $0.count >= 2 }
        guard results.count >= 2 else { Issue.record("results: \(results)"); return }
        if case .decoded = results[0] {} else { Issue.record("the frame came after the direction set: \(results)") }
        if case .directions = results[1] {} else { Issue.record("no direction set: \(results)") }
    }

    /// A set asked for twice before the first request started is computed once, at the newer
    /// point, and comes back stamped with its source.
    @Test func queuedRequestsForOneSetCollapseToTheNewest() {
        let w = BackendWorker(decoder: FakeDecoder(), sampler: FakeSampler(), provider: FakeProvider(), exporter: FakeExporter(), notify: {})
        w.submit(.directions(.local, spec([1, 0, 0, 0])))
        w.submit(.directions(.sefa, spec([0, 0, 0, 0])))
        w.submit(.directions(.local, spec([2, 0, 0, 0])))
        w.start(); defer { w.stop() }
        let rs = collect(w) { $0.count >= 2 }
        usleep(100_000)
        let all = rs + w.takeResults()
        let sets = all.compactMap { r -> (WalkDirections, [Float]?)? in if case .directions(let d, let o) = r { return (d, o) }; return nil }
        #expect(sets.map { $0.0.source } == [.sefa, .local])
        let base = try! FakeSampler().sample(seed: 1, psi: 1)
        #expect(sets.last?.1 == [base[0] + 2, base[1], base[2], base[3]])
    }

    @Test func errorsComeBackAsResults() {
        final class Failing: ExplorerDecoder {
            let modelName = "f"; let latentShape = [4]
            func decode(_ z: [Float]) throws -> Image { throw CommandError(message: "node 'out' (Sigmoid): broken") }
        }
        let w = BackendWorker(decoder: Failing(), sampler: FakeSampler(), provider: FakeProvider(), exporter: FakeExporter(), notify: {})
        w.start(); defer { w.stop() }
        w.submit(DecodeRequest(seq: 1, spec: spec([0, 0, 0, 0])))
        w.submit(.directions(.file("x.npy"), spec([0, 0, 0, 0])))
        let rs = collect(w) { $0.count >= 2 }
        let actions = rs.map { $0.action(at: 0) }
        #expect(actions.contains(.decodeFailed(seq: 1, message: "node 'out' (Sigmoid): broken")))
        #expect(actions.contains { if case .directionsFailed(let m) = $0 { return m.contains("x.npy") }; return false })
    }

    @Test func wrongLatentSizeFromTheSamplerIsAnError() {
        let w = BackendWorker(decoder: FakeDecoder(latentShape: [4]), sampler: FakeSampler(count: 3), provider: FakeProvider(),
                              exporter: FakeExporter(), notify: {})
        w.start(); defer { w.stop() }
        w.submit(DecodeRequest(seq: 1, spec: spec([0, 0, 0, 0])))
        let rs = collect(w) { !$0.isEmpty }
        if case .decodeFailed(_, let m)? = rs.first { #expect(m.contains("3 elements") && m.contains("4")) }
        else { Issue.record("expected a failure, got \(rs)") }
    }

    @Test func exportsGoThroughTheExporter() {
        let ex = FakeExporter()
        let w = BackendWorker(decoder: FakeDecoder(), sampler: FakeSampler(), provider: FakeProvider(), exporter: ex, notify: {})
        w.start(); defer { w.stop() }
        let req = ExportRequest(path: "/tmp/a.png", overwrite: false, frame: frame(1, 1) { _, _ in red }, latent: [1, 2, 3, 4],
                                latentShape: [4], seed: 1, psi: 1, directionsMethod: "axes", directionNames: [], coefficients: [], modelName: "fake")
        w.submit(.export(req))
        let rs = collect(w) { !$0.isEmpty }
        #expect(rs.first.map { $0.action(at: 0) } == .exported(path: "/tmp/a.png"))
        #expect(ex.requests == [req])
    }
}

@Suite struct BenchmarkTests {
    @Test func reportsEverySizeAndMode() throws {
        let report = try benchmarkFrames(decoder: FakeDecoder(), sampler: FakeSampler(), frames: 4)
        #expect(report.rows.count == 2 * ColorMode.allCases.count)
        for r in report.rows {
            #expect(r.frames == 4 && r.medianMs > 0 && r.firstFrameBytes > 0 && r.bytesPerFrame > 0)
            #expect(r.bytesPerFrame < Double(r.firstFrameBytes), "a step must cost less than a full frame: \(r)")
        }
        #expect(report.description.contains("200×60") && report.description.contains("truecolor"))
    }
}
