// The threads that call the model, so the UI thread never waits on it: one decodes (the latest
// request wins; older ones still queued are dropped, so holding a key never builds a backlog) and
// exports, one computes direction sets.
import Foundation
import ZWalkEngine
import ZWalkLatent

enum WorkerResult {
    case decoded(DecodeResult)
    case decodeFailed(seq: Int, message: String, transient: Bool)
    case directions(WalkDirections, origin: [Float]?)
    case directionsFailed(String)
    case exported(String)
    case exportFailed(String)
    case geodesic(GeodesicPath)
    case geodesicFailed(String)
    case tiles(generation: Int, [DecodedTile])
    case tilesFailed(generation: Int, String)
    case latentRows(LatentRows)
    case latentRowsFailed(String)
    case attribute(WalkDirections)
    case attributeFailed(String)
    /// Another model is ready: the explorer switches to it (see runExplorer), no action.
    case modelOpened(ExplorerModel)
    case modelOpenFailed(String)

    func action(at now: Double) -> Action? {
        switch self {
        case .decoded(let r): return .frameDecoded(r, at: now)
        case .decodeFailed(let seq, let m, let t): return .decodeFailed(seq: seq, message: m, retryAt: t ? now + ExplorerState.retrySeconds : nil)
        case .directions(let d, let o): return .directionsLoaded(d, origin: o)
        case .directionsFailed(let m): return .directionsFailed(m)
        case .exported(let p): return .exported(path: p)
        case .exportFailed(let m): return .exportFailed(m)
        case .geodesic(let g): return .geodesicComputed(g)
        case .geodesicFailed(let m): return .geodesicFailed(m)
        case .tiles(let g, let t): return .tilesDecoded(generation: g, t)
        case .tilesFailed(let g, let m): return .tilesFailed(generation: g, m)
        case .latentRows(let r): return .latentRowsLoaded(r)
        case .latentRowsFailed(let m): return .latentRowsFailed(m)
        case .attribute(let d): return .attributeBuilt(d)
        case .attributeFailed(let m): return .attributeFailed(m)
        case .modelOpened: return nil
        case .modelOpenFailed(let m): return .modelOpenFailed(m)
        }
    }
}

enum WorkerJob {
    case directions(DirectionSource, LatentSpec)
    case export(ExportRequest)
    case exportPath(PathExportRequest)
    /// On the directions thread; a newer one replaces one not yet started.
    case geodesic(GeodesicRequest)
    /// On the decode thread between frames, a chunk at a time; a newer generation replaces the rest.
    case tiles(TileBatch)
    case latentRows(String, gallery: Bool)
    case exportFigure(path: String, FigureExport)
    /// On the directions thread.
    case attribute(Workbench.LabelSet)
    /// On the decode thread, in turn with exports.
    case openModel(path: String?, weights: String?)
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
    private let sampler: ExplorerSampler
    private let provider: DirectionProvider
    private let opener: ModelOpener?
    private let exporter: FrameExporter
    /// One per thread: the composer caches the last seed's sample and is not shared.
    private let decodeComposer: LatentComposer
    private let directionsComposer: LatentComposer
    private let notify: () -> Void

    private let cond = NSCondition()
    private var pendingDecode: DecodeRequest?
    /// Exports run on the decode thread (the exporter shares the decoder's session), in order.
    private enum Export {
        case frame(ExportRequest), path(PathExportRequest), figure(String, FigureExport), rows(String, gallery: Bool)
        case open(String?, String?)
    }
    private var exports: [Export] = []
    private var directionJobs: [(DirectionSource, LatentSpec)] = []
    private var geodesicJob: GeodesicRequest?
    private var attributeJobs: [Workbench.LabelSet] = []
    /// The tiles still to decode: their batch and the indices left.
    private var tileJob: (batch: TileBatch, left: ArraySlice<Int>)?
    private var results: [WorkerResult] = []
    private var stopping = false
    private var threads: [Thread] = []

    init(decoder: ExplorerDecoder, sampler: ExplorerSampler, provider: DirectionProvider, exporter: FrameExporter,
         opener: ModelOpener? = nil, notify: @escaping () -> Void) {
        self.decoder = decoder
        self.sampler = sampler
        self.provider = provider
        self.opener = opener
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
        case .tiles(let batch): tileJob = (batch, ArraySlice(batch.specs.indices))
        case .latentRows(let path, let gallery): exports.append(.rows(path, gallery: gallery))
        case .openModel(let path, let weights): exports.append(.open(path, weights))
        case .exportFigure(let path, let e): exports.append(.figure(path, e))
        case .attribute(let labels): attributeJobs.append(labels)
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
            while !stopping && pendingDecode == nil && exports.isEmpty && tileJob == nil { cond.wait() }
            if stopping { cond.unlock(); return }
            // The picture first; an export carries its own frame, so it may wait for a decode;
            // tiles last, a chunk at a time, so neither waits long behind a page.
            let decode = pendingDecode
            pendingDecode = nil
            let export: Export? = decode == nil && !exports.isEmpty ? exports.removeFirst() : nil
            var chunk: (TileBatch, [Int])? = nil
            if decode == nil && export == nil, let job = tileJob {
                let take = Array(job.left.prefix(TileView.chunk))
                let rest = job.left.dropFirst(take.count)
                tileJob = rest.isEmpty ? nil : (job.batch, rest)
                chunk = (job.batch, take)
            }
            cond.unlock()
            let result: WorkerResult
            if let d = decode { result = perform(d) } else if let e = export { result = perform(export: e) } else {
                result = perform(tiles: chunk!.0, chunk!.1)
            }
            if !deliver(result) { return }
        }
    }

    private func directionsLoop() {
        while true {
            cond.lock()
            while !stopping && directionJobs.isEmpty && geodesicJob == nil && attributeJobs.isEmpty { cond.wait() }
            if stopping { cond.unlock(); return }
            if !attributeJobs.isEmpty {
                let labels = attributeJobs.removeFirst()
                cond.unlock()
                let result: WorkerResult
                do { result = .attribute(try provider.attributeDirection(labels)) } catch {
                    result = .attributeFailed("cannot build the direction of '\(labels.name)': \(error)")
                }
                if !deliver(result) { return }
                continue
            }
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
            return .decodeFailed(seq: r.seq, message: "\(error)", transient: (error as? TransientError)?.isTransient == true)
        }
    }

    private func perform(tiles batch: TileBatch, _ indices: [Int]) -> WorkerResult {
        do {
            let zs = try indices.map { try decodeComposer.latent(for: batch.specs[$0]) }
            let images = try decoder.decode(batch: zs)
            return .tiles(generation: batch.generation, indices.indices.map { DecodedTile(index: indices[$0], latent: zs[$0], image: images[$0]) })
        } catch {
            return .tilesFailed(generation: batch.generation, "\(error)")
        }
    }

    /// The tile view's figure with its latents composed here, where the samples are drawn.
    private func figureRequest(_ path: String, _ e: FigureExport) throws -> FigureExportRequest {
        let figure: FigureExportRequest.Figure
        switch e.figure {
        case .samples(let seeds, let rows, let cols, let psi): figure = .samples(seeds: seeds, rows: rows, cols: cols, psi: psi)
        case .latents(let rows, let cols, let source): figure = .latents(rows: rows, cols: cols, source: source)
        case .preview(let bases, let labels, let seeds, let dim, let steps, let range):
            figure = .preview(bases: try bases.map { try decodeComposer.latent(for: $0) }, labels: labels, seeds: seeds, dim: dim,
                              steps: steps, range: range)
        case .slice(let base, let label, let seed, let x, let y, let steps, let range):
            figure = .slice(base: try decodeComposer.latent(for: base), label: label, seed: seed, x: x, y: y, steps: steps, range: range)
        case .pathAnimation(let keyframes, let seeds, let mode, let loop, let frames, let fps):
            figure = .pathAnimation(keyframes: keyframes, seeds: seeds, mode: mode, loop: loop, frames: frames, fps: fps)
        case .sweepAnimation(let base, let label, let seed, let dim, let range, let frames, let fps):
            figure = .sweepAnimation(base: try decodeComposer.latent(for: base), label: label, seed: seed, dim: dim, range: range,
                                     frames: frames, fps: fps)
        }
        return FigureExportRequest(path: path, overwrite: e.overwrite, figure: figure, directions: e.directions, psi: e.psi)
    }

    private func perform(export job: Export) -> WorkerResult {
        do {
            switch job {
            case .open(let path, let weights):
                guard let opener = opener else { return .modelOpenFailed("this explorer cannot open models") }
                do { return .modelOpened(try opener.open(path: path, weights: weights)) } catch {
                    return .modelOpenFailed("cannot open \(path ?? weights ?? "the model without weights"): \(error)")
                }
            case .rows(let path, let gallery):
                do {
                    var rows = try sampler.latentRows(path: path)
                    rows.asGallery = gallery
                    return .latentRows(rows)
                } catch {
                    return .latentRowsFailed("cannot read latents from \(path): \(error)")
                }
            case .figure(let path, let e):
                try exporter.exportFigure(try figureRequest(path, e))
                return .exported(path)
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
