// The one thread that calls the model: decodes (the latest request wins; older ones still queued are
// dropped, so holding a key never builds a backlog), direction sets and exports, in that thread
// only, so the backend is never called concurrently and the UI thread never waits on it.
import Foundation
import ZWalkEngine

enum WorkerResult {
    case decoded(DecodeResult)
    case decodeFailed(seq: Int, message: String)
    case directions(WalkDirections, origin: [Float]?)
    case directionsFailed(String)
    case exported(String)
    case exportFailed(String)

    func action(at now: Double) -> Action {
        switch self {
        case .decoded(let r): return .frameDecoded(r, at: now)
        case .decodeFailed(let seq, let m): return .decodeFailed(seq: seq, message: m)
        case .directions(let d, let o): return .directionsLoaded(d, origin: o)
        case .directionsFailed(let m): return .directionsFailed(m)
        case .exported(let p): return .exported(path: p)
        case .exportFailed(let m): return .exportFailed(m)
        }
    }
}

enum WorkerJob {
    case directions(DirectionSource, LatentSpec)
    case export(ExportRequest)
}

/// Monotonic seconds.

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
    private let composer: LatentComposer
    private let notify: () -> Void

    private let cond = NSCondition()
    private var pendingDecode: DecodeRequest?
    private var jobs: [WorkerJob] = []
    private var results: [WorkerResult] = []
    private var stopping = false
    private var thread: Thread?

    init(decoder: ExplorerDecoder, sampler: ExplorerSampler, provider: DirectionProvider, exporter: FrameExporter,
         notify: @escaping () -> Void) {
        self.decoder = decoder
        self.provider = provider
        self.exporter = exporter
        self.composer = LatentComposer(sampler: sampler, count: decoder.latentShape.reduce(1, *))
        self.notify = notify
    }

    func start() {
        let t = Thread { [weak self] in self?.run() }
        t.name = "zwalk-decode"
        t.stackSize = 16 << 20
        thread = t
        t.start()
    }

    /// Replaces any decode not yet started.
    func submit(_ r: DecodeRequest) {
        cond.lock(); pendingDecode = r; cond.signal(); cond.unlock()
    }

    func submit(_ j: WorkerJob) {
        cond.lock(); jobs.append(j); cond.signal(); cond.unlock()
    }

    func takeResults() -> [WorkerResult] {
        cond.lock(); defer { cond.unlock() }
        let r = results
        results.removeAll()
        return r
    }

    /// Asks the thread to finish after its current call; does not wait for a long decode.
    func stop() {
        cond.lock(); stopping = true; cond.signal(); cond.unlock()
    }

    private func run() {
        blockTerminalSignals()
        while true {
            cond.lock()
            while !stopping && pendingDecode == nil && jobs.isEmpty { cond.wait() }
            if stopping { cond.unlock(); return }
            // The picture first: a direction set (per-axis ranking of a 100-d latent takes seconds)
            // must not hold back the first frame or a key's frame. Order does not matter otherwise:
            // a decode carries its own directions and coefficients, a direction set its origin.
            let decode = pendingDecode
            let job: WorkerJob? = decode == nil && !jobs.isEmpty ? jobs.removeFirst() : nil
            pendingDecode = nil
            cond.unlock()

            let result: WorkerResult
            if let d = decode { result = perform(d) } else if let j = job { result = perform(j) } else { continue }
            cond.lock(); results.append(result); let stop = stopping; cond.unlock()
            if stop { return }
            notify()
        }
    }

    private func perform(_ r: DecodeRequest) -> WorkerResult {
        let t0 = monotonicSeconds()
        do {
            let z = try composer.latent(for: r.spec)
            let frame = try decoder.decode(z)
            return .decoded(DecodeResult(request: r, latent: z, frame: frame, milliseconds: (monotonicSeconds() - t0) * 1000))
        } catch {
            return .decodeFailed(seq: r.seq, message: "\(error)")
        }
    }

    private func perform(_ j: WorkerJob) -> WorkerResult {
        switch j {
        case .directions(let src, let spec):
            do {
                let z = try composer.latent(for: spec)
                return .directions(try provider.directions(src, at: z), origin: z)
            } catch {
                return .directionsFailed("cannot load \(src) directions: \(error)")
            }
        case .export(let req):
            do {
                try exporter.export(req)
                return .exported(req.path)
            } catch FileWriteError.exists(let p) {
                return .exportFailed(overwriteRefusal(p))
            } catch {
                return .exportFailed("export failed: \(error)")
            }
        }
    }
}
