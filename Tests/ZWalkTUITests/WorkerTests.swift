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
        #expect(actions.contains(.decodeFailed(seq: 1, message: "node 'out' (Sigmoid): broken", retryAt: nil)))
        #expect(actions.contains { if case .directionsFailed(let m) = $0 { return m.contains("x.npy") }; return false })
    }

    @Test func wrongLatentSizeFromTheSamplerIsAnError() {
        let w = BackendWorker(decoder: FakeDecoder(latentShape: [4]), sampler: FakeSampler(count: 3), provider: FakeProvider(),
                              exporter: FakeExporter(), notify: {})
        w.start(); defer { w.stop() }
        w.submit(DecodeRequest(seq: 1, spec: spec([0, 0, 0, 0])))
        let rs = collect(w) { !$0.isEmpty }
        if case .decodeFailed(_, let m, _)? = rs.first { #expect(m.contains("3 elements") && m.contains("4")) }
        else { Issue.record("expected a failure, got \(rs)") }
    }

    @Test func exportsGoThroughTheExporter() {
        let ex = FakeExporter()
        let w = BackendWorker(decoder: FakeDecoder(), sampler: FakeSampler(), provider: FakeProvider(), exporter: ex, notify: {})
        w.start(); defer { w.stop() }
        let req = ExportRequest(path: "/tmp/a.png", overwrite: false, frame: frame(1, 1) { _, _ in red }, latent: [1, 2, 3, 4],
                                latentShape: [4], seed: 1, psi: 1, directions: .axes(count: 4), coefficients: [], modelName: "fake")
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

/// What `e` and `:export` hand the exporter, against a real directory.
@Suite struct ExportRequestTests {
    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "zwalk-export-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func theExportDirectoryIsMadeWhenMissing() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let s = startedState()
        let dir = root + "/out/pics"
        guard case .success(let r) = exportRequest(path: nil, overwrite: false, of: s.shown!, state: s, directory: dir, scale: 1) else {
            Issue.record("refused"); return
        }
        #expect(r.path == dir + "/zwalk-7-1.png")
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue)
    }

    @Test func problemsWithDirectoriesAreSaidPlainly() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let s = startedState()
        try Data().write(to: URL(fileURLWithPath: root + "/file"))
        func problem(_ path: String?, _ dir: String) -> String {
            if case .failure(let p) = exportRequest(path: path, overwrite: false, of: s.shown!, state: s, directory: dir, scale: 1) { return p.message }
            return "no problem"
        }
        #expect(problem(nil, root + "/file").contains("is a file"))
        let under = problem(nil, root + "/file/sub")
        #expect(under.contains("cannot create the export directory") && under.contains("Not a directory"), "\(under)")
        let elsewhere = problem(root + "/missing/a.png", root)
        #expect(elsewhere.contains("no directory") && elsewhere.contains("missing"), "\(elsewhere)")
        #expect(!FileManager.default.fileExists(atPath: root + "/missing"))
        try Data().write(to: URL(fileURLWithPath: root + "/taken.png"))
        #expect(problem("taken.png", root).contains("not overwritten"))
        if case .success(let r) = exportRequest(path: "taken.png", overwrite: true, of: s.shown!, state: s, directory: root, scale: 1) {
            #expect(r.path == root + "/taken.png" && r.overwrite)
        } else { Issue.record(":export! refused") }
    }

    @Test func theExportScaleEnlargesThePictureBeforeTheBackendSeesIt() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let s = startedState()
        guard case .success(let r) = exportRequest(path: "x", overwrite: false, of: s.shown!, state: s, directory: root, scale: 3) else {
            Issue.record("refused"); return
        }
        #expect(r.scale == 3 && r.frame == s.shown!.frame.scaled(by: 3))
        #expect(r.frame.width == 3 * s.shown!.frame.width && r.latent == s.shown!.latent && r.path == root + "/x.png")
        guard case .success(let one) = exportRequest(path: "y", overwrite: false, of: s.shown!, state: s, directory: root, scale: 0) else { return }
        #expect(one.scale == 1 && one.frame == s.shown!.frame && one.seed == 7 && one.latentIsSeedSample)
    }

    /// A picture walked from a seed in an earlier direction set (an offset) is named after the
    /// seed but does not claim to be the seed's sample in its metadata.
    @Test func anOffsetWalkIsNotTheSeedsSample() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var s = startedState()
        s.shown!.request.spec.offset = [0.5, 0, 0, 0]
        guard case .success(let r) = exportRequest(path: nil, overwrite: false, of: s.shown!, state: s, directory: root, scale: 1) else {
            Issue.record("refused"); return
        }
        #expect(r.seed == nil && !r.latentIsSeedSample && r.path.hasSuffix("/zwalk-7-1.png"))
    }
}
