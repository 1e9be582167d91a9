// Key-to-frame time and bytes per frame without a terminal: the same update → decode → render →
// encode path the explorer runs for a key press, timed end to end, with the bytes our escape
// encoder would write for the changed cells.

import ZWalkEngine
public struct BenchmarkRow: Sendable {
    public var size: Size
    public var mode: ColorMode
    public var blocks: BlockStyle
    /// Blocks, or the pixel protocol the picture went out in (then `blocks` and `mode` only
    /// concern the panel's text).
    public var graphics: GraphicsProtocol = .blocks
    public var frames: Int
    /// Key press to encoded frame (update + decode + render + encode), milliseconds.
    public var medianMs: Double
    public var p95Ms: Double
    /// The decode alone and everything else (the UI's share).
    public var decodeMedianMs: Double
    public var uiMedianMs: Double
    public var uiP95Ms: Double
    /// Mean bytes written per frame after a step, and for the first full frame.
    public var bytesPerFrame: Double
    public var firstFrameBytes: Int
    /// With pixels: scaling and encoding the picture (part of the ui time), median ms.
    public var graphicsMedianMs: Double = 0
}

public struct BenchmarkReport: CustomStringConvertible, Sendable {
    public var rows: [BenchmarkRow]
    public var model: String

    public var description: String {
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - displayWidth(s))) }
        func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - displayWidth(s))) + s }
        let pixels = rows.contains { $0.graphics != .blocks }
        var lines = ["zwalk bench-ui: \(model); one frame = step a direction → decode → render → encode (goal ≤ 16 ms)",
                     pad("size", 8) + pad("colour", 11) + pad("picture", 10) + lpad("key→frame ms", 14) + lpad("p95", 8)
                         + lpad("decode", 9) + lpad("ui ms", 8) + lpad("ui p95", 8) + lpad("bytes/frame", 13) + lpad("full frame", 12) + (pixels ? lpad("pixels ms", 11) : "")]
        for r in rows {
            let picture = r.graphics == .blocks ? r.blocks.rawValue : r.graphics.rawValue
            lines.append(pad(r.size.description, 8) + pad(r.mode.rawValue, 11) + pad(picture, 10)
                         + lpad(formatFixed(r.medianMs, 2), 14) + lpad(formatFixed(r.p95Ms, 2), 8)
                         + lpad(formatFixed(r.decodeMedianMs, 2), 9) + lpad(formatFixed(r.uiMedianMs, 2), 8)
                         + lpad(formatFixed(r.uiP95Ms, 2), 8)
                         + lpad(formatFixed(r.bytesPerFrame, 0), 13) + lpad(String(r.firstFrameBytes), 12)
                         + (pixels ? lpad(r.graphics == .blocks ? "-" : formatFixed(r.graphicsMedianMs, 2), 11) : ""))
        }
        return lines.joined(separator: "\n")
    }
}

/// Runs `frames` key presses per (size, colour mode, blocks) — a ping-pong walk along the
/// directions, moving to the next direction every 8 steps — and reports timings and bytes (with the
/// terminal layer's 24-bit colour tolerance; 0 counts every change). Each protocol of `graphics`
/// other than blocks adds a row per size in truecolor: the picture in pixels, cells of
/// `cellPixels` (what the terminal layer would send: every frame, as text beside the picture
/// changes on every step).
/// Pure computation: no terminal is touched, the decoder is called on this thread.
public func benchmarkFrames(decoder: ExplorerDecoder, sampler: ExplorerSampler, directions: WalkDirections? = nil,
                            sizes: [Size] = [Size(width: 80, height: 24), Size(width: 200, height: 60)],
                            modes: [ColorMode] = ColorMode.allCases, blocks: [BlockStyle] = [.half],
                            graphics: [GraphicsProtocol] = [], cellPixels: Size = Size(width: 10, height: 20),
                            frames: Int = 60, seed: UInt32 = 0, theme: Theme = .defaultTheme,
                            colourTolerance: Int = ExplorerConfig.defaultColourTolerance) throws -> BenchmarkReport {
    let count = decoder.latentShape.reduce(1, *)
    let dirs = directions ?? .axes(count: count)
    if let problem = dirs.mismatch(latentCount: count) { throw ExplorerError.terminal(problem) }
    let composer = LatentComposer(sampler: sampler, count: count)
    var rows: [BenchmarkRow] = []

    func decode(_ r: DecodeRequest) throws -> DecodeResult {
        let t0 = monotonicSeconds()
        let z = try composer.latent(for: r.spec)
        let f = try decoder.decode(z)
        return DecodeResult(request: r, latent: z, frame: f, milliseconds: (monotonicSeconds() - t0) * 1000)
    }

    // (colour mode, blocks, pixels) of each row of a size.
    let pictures = modes.flatMap { m in blocks.map { (m, $0, GraphicsProtocol.blocks) } }
        + graphics.filter { $0 != .blocks }.map { (ColorMode.truecolor, BlockStyle.half, $0) }
    for size in sizes {
        for (mode, style, pixels) in pictures {
            var state = ExplorerState(modelName: decoder.modelName, latentShape: decoder.latentShape, seed: seed,
                                      blocks: style, colorMode: mode, theme: theme, directions: dirs)
            state.graphics = pixels
            let painter = pixels == .blocks ? nil : PixelPainter(proto: pixels, cell: cellPixels)
            var encodeT: [Double] = []
            let cache = ImageCellCache()
            var clock = 0.0
            var (s, fx) = update(state, .start)
            state = s
            for case .decode(let r) in fx { (state, _) = update(state, .frameDecoded(try decode(r), at: clock)) }
            var shown: Canvas? = nil
            var buffer: [UInt8] = []
            let first = render(state, size: size, cache: cache)
            FrameEncoder.encode(first, shown: &shown, tolerance: colourTolerance, into: &buffer)
            if let p = painter { buffer += p.frame(first) { _ in true } }
            let firstBytes = buffer.count

            var total: [Double] = [], decodeT: [Double] = [], ui: [Double] = []
            var bytes = 0
            for i in 0..<max(1, frames) {
                let forward = (i / 8) % 2 == 0
                let t0 = monotonicSeconds()
                if i > 0 && i % 8 == 0 { (state, _) = update(state, .selectDirection(1)) }
                (s, fx) = update(state, .step(forward ? 1 : -1))
                state = s
                var dms = 0.0
                for case .decode(let r) in fx {
                    let d0 = monotonicSeconds()
                    let result = try decode(r)
                    dms += (monotonicSeconds() - d0) * 1000
                    clock += 1.0 / 60
                    (state, _) = update(state, .frameDecoded(result, at: clock))
                }
                let canvas = render(state, size: size, cache: cache)
                buffer.removeAll(keepingCapacity: true)
                FrameEncoder.encode(canvas, shown: &shown, tolerance: colourTolerance, into: &buffer)
                if let p = painter { buffer += p.frame(canvas) { _ in true }; encodeT.append(p.lastEncodeMs) }
                let ms = (monotonicSeconds() - t0) * 1000
                total.append(ms); decodeT.append(dms); ui.append(ms - dms)
                bytes += buffer.count
            }
            rows.append(BenchmarkRow(size: size, mode: mode, blocks: style, graphics: pixels, frames: total.count,
                                     medianMs: percentile(total, 0.5), p95Ms: percentile(total, 0.95),
                                     decodeMedianMs: percentile(decodeT, 0.5), uiMedianMs: percentile(ui, 0.5),
                                     uiP95Ms: percentile(ui, 0.95),
                                     bytesPerFrame: Double(bytes) / Double(total.count), firstFrameBytes: firstBytes,
                                     graphicsMedianMs: percentile(encodeT, 0.5)))
        }
    }
    return BenchmarkReport(rows: rows, model: decoder.modelName)
}

func percentile(_ xs: [Double], _ q: Double) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s[min(s.count - 1, max(0, Int((q * Double(s.count - 1)).rounded())))]
}
