// The threads that call the model, so the UI thread never waits on it: one decodes (the latest
// request wins; older ones still queued are dropped, so holding a key never builds a backlog) and
// exports, one computes direction sets.
import Foundation
import ZWalkEngine

enum WorkerResult {
    case decoded(DecodeResult)
    case decodeFailed(seq: Int, message: String)
    case directions(WalkDirections, origin: [Float]?)
    case directionsFailed(String)
    case exported(String)
    case exportFailed(String)
    case geodesic(GeodesicPath)
    case geodesicFailed(String)

    func action(at now: Double) -> Action {
        switch self {
        case .decoded(let r): return .frameDecoded(r, at: now)
        case .decodeFailed(let seq, let m): return .decodeFailed(seq: seq, message: m)
        case .directions(let d, let o): return .directionsLoaded(d, origin: o)
        case .directionsFailed(let m): return .directionsFailed(m)
        case .exported(let p): return .exported(path: p)
        case .exportFailed(let m): return .exportFailed(m)
        case .geodesic(let g): return .geodesicComputed(g)
        case .geodesicFailed(let m): return .geodesicFailed(m)
        }
    }
}

enum WorkerJob {
    case directions(DirectionSource, LatentSpec)
    case export(ExportRequest)
    case exportPath(PathExportRequest)
    /// On the directions thread; a newer one replaces one not yet started.
    case geodesic(GeodesicRequest)
}

/// Computes the latent of a spec: the base (given, or the seed's sample, cached) plus the walk.
final class LatentComposer {
    private let sampler: ExplorerSampler
    private let count: Int
    private var cache: (seed: UInt32, psi: Float, z: [Float])?

    init(sampler: ExplorerSampler, count: Int) { self.sampler = sampler; self.count = count }

    func latent(for spec: LatentSpec) throws -> [Float] {
        let base: [Float]
        if let b = spec.base {
            base = b
        } else if let c = cache, c.seed == spec.seed, c.psi == spec.psi {
            base = c.z
        } else {
            base = try sampler.sample(seed: spec.seed, psi: spec.psi)
            cache = (spec.seed, spec.psi, base)
        }
        guard base.count == count else {
            throw ExplorerError.terminal("the latent has \(base.count) elements; the model expects \(count)")
        }
        return spec.compose(base: base)
    }
}

final class BackendWorker {
    private let decoder: ExplorerDecoder
    private let provider: DirectionProvider
    private let exporter: FrameExporter
    /// One per thread: the composer caches the last seed's sample and is not shared.
    private let decodeComposer: LatentComposer
    private let directionsComposer: LatentComposer
    private let notify: () -> Void

    private let cond = NSCondition()
    private var pendingDecode: DecodeRequest?
    /// Exports run on the decode thread (the exporter shares the decoder's session), in order.
    private enum Export { case frame(ExportRequest), path(PathExportRequest) }
    private var exports: [Export] = []
    private var directionJobs: [(DirectionSource, LatentSpec)] = []
    private var geodesicJob: GeodesicRequest?
    private var results: [WorkerResult] = []
    private var stopping = false
    private var threads: [Thread] = []

    init(decoder: ExplorerDecoder, sampler: ExplorerSampler, provider: DirectionProvider, exporter: FrameExporter,
         notify: @escaping () -> Void) {
        self.decoder = decoder
        self.provider = provider
        self.exporter = exporter
        let count = decoder.latentShape.reduce(1, *)
        decodeComposer = LatentComposer(sampler: sampler, count: count)
        directionsComposer = LatentComposer(sampler: sampler, count: count)
        self.notify = notify
    }

    /// Two threads: one decodes (and exports what was decoded), one computes direction sets, so
    /// that ranking the axes of a large model (minutes for a 512-d decoder at 50 ms a sample)
    /// never holds back a frame. The provider must therefore not share a model session with the
    /// decoder (ExplorerBackend gives it its own).
    func start() {
        for (name, body) in [("zwalk-decode", decodeLoop), ("zwalk-directions", directionsLoop)] as [(String, () -> Void)] {
            let t = Thread { blockTerminalSignals(); body() }
            t.name = name
            t.stackSize = 16 << 20
            threads.append(t)
            t.start()
        }
    }

    /// Replaces any decode not yet started.
    func submit(_ r: DecodeRequest) {
        cond.lock(); pendingDecode = r; cond.broadcast(); cond.unlock()
    }

    func submit(_ j: WorkerJob) {
        cond.lock()
        switch j {
        case .directions(let src, let spec):
            // A set asked for again before the last request started (local directions after
            // each `r`) is computed once, at the newest point.
            directionJobs.removeAll { $0.0 == src }
            directionJobs.append((src, spec))
        case .export(let req): exports.append(.frame(req))
        case .exportPath(let req): exports.append(.path(req))
        case .geodesic(let req): geodesicJob = req
        }
        cond.broadcast()
        cond.unlock()
    }

    func takeResults() -> [WorkerResult] {
        cond.lock(); defer { cond.unlock() }
        let r = results
        results.removeAll()
        return r
    }

    /// Asks the threads to finish after their current call; does not wait for a long decode.
    func stop() {
        cond.lock(); stopping = true; cond.broadcast(); cond.unlock()
    }

    /// Hands a result to the UI thread; false when the worker is stopping.
    private func deliver(_ result: WorkerResult) -> Bool {
        cond.lock(); results.append(result); let stop = stopping; cond.unlock()
        if !stop { notify() }
        return !stop
    }

    private func decodeLoop() {
        while true {
            cond.lock()
            while !stopping && pendingDecode == nil && exports.isEmpty { cond.wait() }
            if stopping { cond.unlock(); return }
            // The picture first; an export carries its own frame, so it may wait for a decode.
            let decode = pendingDecode
            let export: Export? = decode == nil ? exports.removeFirst() : nil
            pendingDecode = nil
            cond.unlock()
            let result = decode.map(perform) ?? perform(export: export!)
            if !deliver(result) { return }
        }
    }

    private func directionsLoop() {
        while true {
            cond.lock()
            while !stopping && directionJobs.isEmpty && geodesicJob == nil { cond.wait() }
            if stopping { cond.unlock(); return }
            if let g = geodesicJob {
                geodesicJob = nil
                cond.unlock()
                let result: WorkerResult
                do {
                    let points = try provider.geodesic(keyframes: g.keyframes, loop: g.loop, perSegment: g.perSegment)
                    result = .geodesic(GeodesicPath(keyframes: g.keyframes, loop: g.loop, perSegment: g.perSegment, points: points))
                } catch {
                    result = .geodesicFailed("cannot compute the geodesic: \(error)")
                }
                if !deliver(result) { return }
                continue
            }
            let (source, spec) = directionJobs.removeFirst()
            cond.unlock()
            let result: WorkerResult
            do {
                let z = try directionsComposer.latent(for: spec)
                var d = try provider.directions(source, at: z)
                d.source = source
                result = .directions(d, origin: z)
            } catch {
                result = .directionsFailed("cannot load \(source) directions: \(error)")
            }
            if !deliver(result) { return }
        }
    }

    private func perform(_ r: DecodeRequest) -> WorkerResult {
        let t0 = monotonicSeconds()
        do {
            let z = try decodeComposer.latent(for: r.spec)
            let frame = try decoder.decode(z, checkpoint: r.checkpoint)
            return .decoded(DecodeResult(request: r, latent: z, frame: frame, milliseconds: (monotonicSeconds() - t0) * 1000))
        } catch {
            return .decodeFailed(seq: r.seq, message: "\(error)")
        }
    }

    private func perform(export job: Export) -> WorkerResult {
        do {
            switch job {
            case .frame(let req):
                try exporter.export(req)
                return .exported(req.path)
            case .path(let req):
                try exporter.exportPath(req)
                return .exported(req.path)
            }
        } catch FileWriteError.exists(let p) {
            return .exportFailed(overwriteRefusal(p))
        } catch {
            return .exportFailed("export failed: \(error)")
        }
    }
}
