import Foundation
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

// Animations: a figure's cells played one after another, as an animated PNG or a GIF that
// carries every frame's latent. The frames come from the figure builders (an interpolation strip,
// a one-row traversal), so an animation and the strip of the same walk hold the same latents.

extension ModelSession {
    /// A back-and-forth sweep along direction `dim` of `set` around `base`: −range σ up to
    /// +range σ and back in equal steps, `frames` frames in all (even), so played in a loop it
    /// never repeats a frame or jumps. The outward half is the one-row traversal of
    /// `frames/2 + 1` steps; the way back reuses its inner cells.
    public func sweepAnimation(base: BaseLatent, set: DirectionSet, source: String, dim: Int, range: Double,
                               frames: Int) throws -> FigureSpec {
        guard frames >= 2, frames % 2 == 0 else {
            throw SessionError.invalidOption("a back-and-forth sweep has an even number of frames (2 or more), got \(frames)")
        }
        guard dim >= 0, dim < set.count else {
            throw SessionError.invalidOption("direction \(dim) is not in the set (it has \(set.count): 0…\(set.count - 1))")
        }
        let half = frames / 2 + 1
        let strip = try traversalFigure(base: base, set: set, source: source, rows: [dim], steps: half, range: range)
        let order = Array(0..<half) + Array((1..<(half - 1)).reversed())
        let steps = Figures.steps(columns: half, range: range)
        let extra = strip.extra.filter { $0.0 != PNGMetadata.Key.step }
            + [(PNGMetadata.Key.step, JSON.array(order.map { .double(steps[$0]) }).text)]
        return FigureSpec(
            kind: "sweep", rows: 1, cols: frames, latents: order.map { strip.latents[$0] },
            columnLabels: order.map { stepLabel(steps[$0]) },
            description: "back-and-forth sweep of \(set.names[dim]) (\(set.method)) across ±\(JSON.number(range))σ around \(base.label), \(frames) frames",
            fields: strip.fields + [("direction", .string(set.names[dim]))], extra: extra)
    }

    /// The `zwalk.figure` object of `spec` played as an animation: kind "animation", what it
    /// animates (`of`), frames, fps, loop (playback repeats), scale, then the spec's own fields
    /// (an interpolation's closed path is `path_loop`, so it is not read as playback).
    public func animationFigureJSON(_ spec: FigureSpec, fps: Int, loop: Bool, scale: Int) -> [(String, JSON)] {
        [("kind", .string("animation")), ("of", .string(spec.kind)), ("rows", .int(1)), ("cols", .int(spec.latents.count)),
         ("frames", .int(spec.latents.count)), ("fps", .int(fps)), ("loop", .bool(loop)), ("scale", .int(scale))]
            + spec.fields.map { $0.0 == "loop" ? ("path_loop", $0.1) : $0 }
    }

    /// Decodes every cell of `spec` as a frame and writes the animation: `.png` an animated PNG
    /// whose text chunks are the session's metadata (every frame's latent in `zwalk.latents`,
    /// in order), `.gif` a GIF with the same entries as `key=value` lines in a comment. Frames last
    /// 1/fps s; `loop` repeats forever, else it plays once. `latentsOut` also saves the latents.
    /// Outputs are readied (refused when they exist, folders made) before any decoding. Returns a
    /// line saying what was written. The explorer calls this too.
    @discardableResult
    public func writeAnimation(_ spec: FigureSpec, fps: Int, loop: Bool, scale: Int, to out: String, latentsOut: String? = nil,
                               command: String, overwrite: Bool) throws -> String {
        let kind = try OutputKind(path: out, allowed: OutputKind.animations)
        guard (1...AnimationTiming.maxFPS).contains(fps) else {
            throw SessionError.invalidOption("an animation plays at 1…\(AnimationTiming.maxFPS) frames per second, got \(fps)")
        }
        guard (1...64).contains(scale) else { throw SessionError.invalidOption("scale must be in 1…64, got \(scale)") }
        guard !spec.latents.isEmpty else { throw SessionError.invalidOption("an animation needs at least one frame") }
        try Outputs.prepare([out] + (latentsOut.map { [$0] } ?? []), overwrite: overwrite)
        let frames = try decodeImages(spec.latents, scale: scale, label: "decoding \(spec.kind) frames")
        let meta = try metadata(description: "animation: " + spec.description + ", \(fps) fps" + (loop ? ", looping" : ""),
                                command: command, figure: animationFigureJSON(spec, fps: fps, loop: loop, scale: scale),
                                latents: spec.latents, extra: spec.extra)
        let timing = AnimationTiming(fps: fps, loop: loop)
        switch kind {
        case .gif:
            try GIF.write(frames, timing: timing, comment: meta.pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "\n"),
                          to: out, overwrite: overwrite)
        case .png, .npy:  // .npy was refused above: an animation is a picture
            try APNG.write(frames, timing: timing, text: meta.pairs, to: out, overwrite: overwrite)
        }
        var said = "wrote \(out): \(kind == .gif ? "GIF" : "animated PNG") of \(spec.kind), \(frames.count) frames at \(fps) fps, "
            + "\(frames[0].width)×\(frames[0].height) pixels"
        if let p = latentsOut { said += "\n" + (try writeLatents(spec.latents, to: p, overwrite: overwrite)) }
        return said
    }
}
