// Key-to-frame time and bytes per frame without a terminal: the same update → decode → render →
// encode path the explorer runs for a key press, timed end to end, with the bytes our escape
// encoder would write for the changed cells.

import ZWalkEngine
public struct BenchmarkRow: Sendable {
    public var size: Size
    public var mode: ColorMode
    public var blocks: BlockStyle
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
}

public struct BenchmarkReport: CustomStringConvertible, Sendable {
    public var rows: [BenchmarkRow]
    public var model: String

    public var description: String {
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - displayWidth(s))) }
        func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - displayWidth(s))) + s }
        var lines = ["zwalk bench-ui: \(model); one frame = step a direction → decode → render → encode (goal ≤ 16 ms)",
                     pad("size", 8) + pad("colour", 11) + pad("blocks", 10) + lpad("key→frame ms", 14) + lpad("p95", 8)
                         + lpad("decode", 9) + lpad("ui ms", 8) + lpad("ui p95", 8) + lpad("bytes/frame", 13) + lpad("full frame", 12)]
        for r in rows {
            lines.append(pad(r.size.description, 8) + pad(r.mode.rawValue, 11) + pad(r.blocks.rawValue, 10)
                         + lpad(formatFixed(r.medianMs, 2), 14) + lpad(formatFixed(r.p95Ms, 2), 8)
                         + lpad(formatFixed(r.decodeMedianMs, 2), 9) + lpad(formatFixed(r.uiMedianMs, 2), 8)
                         + lpad(formatFixed(r.uiP95Ms, 2), 8)
                         + lpad(formatFixed(r.bytesPerFrame, 0), 13) + lpad(String(r.firstFrameBytes), 12))
        }
        return lines.joined(separator: "\n")
    }
}

/// Runs `frames` key presses per (size, colour mode, blocks) — a ping-pong walk along the
/// directions, moving to the next direction every 8 steps — and reports timings and bytes (with the
/// terminal layer's 24-bit colour tolerance; 0 counts every change).
/// Pure computation: no terminal is touched, the decoder is called on this thread.
public func benchmarkFrames(decoder: ExplorerDecoder, sampler: ExplorerSampler, directions: WalkDirections? = nil,
                            sizes: [Size] = [Size(width: 80, height: 24), Size(width: 200, height: 60)],
                            modes: [ColorMode] = ColorMode.allCases, blocks: [BlockStyle] = [.half],
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

    for size in sizes {
        for mode in modes {
            for style in blocks {
                var state = ExplorerState(modelName: decoder.modelName, latentShape: decoder.latentShape, seed: seed,
                                          blocks: style, colorMode: mode, theme: theme, directions: dirs)
                let cache = ImageCellCache()
                var clock = 0.0
                var (s, fx) = update(state, .start)
                state = s
                for case .decode(let r) in fx { (state, _) = update(state, .frameDecoded(try decode(r), at: clock)) }
                var shown: Canvas? = nil
                var buffer: [UInt8] = []
                FrameEncoder.encode(render(state, size: size, cache: cache), shown: &shown, tolerance: colourTolerance, into: &buffer)
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
                    let ms = (monotonicSeconds() - t0) * 1000
                    total.append(ms); decodeT.append(dms); ui.append(ms - dms)
                    bytes += buffer.count
                }
                rows.append(BenchmarkRow(size: size, mode: mode, blocks: style, frames: total.count,
                                         medianMs: percentile(total, 0.5), p95Ms: percentile(total, 0.95),
                                         decodeMedianMs: percentile(decodeT, 0.5), uiMedianMs: percentile(ui, 0.5),
                                         uiP95Ms: percentile(ui, 0.95),
                                         bytesPerFrame: Double(bytes) / Double(total.count), firstFrameBytes: firstBytes))
            }
        }
    }
    return BenchmarkReport(rows: rows, model: decoder.modelName)
}

func percentile(_ xs: [Double], _ q: Double) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s[min(s.count - 1, max(0, Int((q * Double(s.count - 1)).rounded())))]
}
