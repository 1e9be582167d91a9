import Foundation
import ZWalkImage
import ZWalkLatent
import ZWalkSession

// `zwalk animate`: an interpolation through keyframes, or a sweep along one direction, played as
// an animated PNG or a GIF. The frames are built and written by the session.

let animateCommand = Command(
    name: "animate", summary: "An animated PNG or GIF: an interpolation through keyframes, or a back-and-forth sweep along a direction.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT.png|OUT.gif", "the animation: .png an animated PNG (APNG), .gif a GIF"),
        .value("frames", "N", "frames in all (a sweep: even)", default: "24"),
        .value("fps", "F", "frames per second, 1…\(AnimationTiming.maxFPS)", default: "12"),
        .flag("once", "play once and stop on the last frame (default: repeat forever)"),
        .list("seeds", "A,B,…", "keyframes drawn from these seeds (ranges like 0-3 allowed)", default: "0,1"),
        .list("latents", "FILE", "keyframes: the rows of .npy files, or the latents of PNGs or GIFs written by zwalk, instead of --seeds"),
        .value("mode", "slerp|lerp", "how to move between keyframes", default: "slerp"),
        .flag("loop", "return from the last keyframe to the first, so the animation repeats without a jump"),
        .value("dim", "I", "sweep direction I of the ranked set back and forth instead of interpolating keyframes"),
        .value("range", "R", "the sweep reaches ±R σ", default: "3"),
    ] + baseLatentOptions + directionSourceOptions + modelOptions + [
        .value("scale", "N", "enlarge every frame N× (nearest neighbour, so pixels stay crisp)", default: "1"),
    ] + outputOptions,
    details: """
    examples:
      zwalk animate --seeds 0-3 --loop --frames 32 --fps 12 --scale 2 --out walk.png
      zwalk animate --dim 0 --directions sefa --range 2 --seed 7 --frames 24 --out sweep.gif
      zwalk animate --seeds 3,7 --mode lerp --frames 16 --fps 8 --once --out ab.gif
    Keyframes (--seeds or --latents) are interpolated as 'zwalk interpolate' does, every keyframe a
    frame; with --loop the path closes, so a looping animation has no jump. With --dim the frames go
    −R σ … +R σ … back along that direction around the base latent (--seed or --latent), in equal
    steps, without repeating a frame; directions as for 'zwalk traverse'.
    An animated PNG keeps exact colours and carries zwalk's metadata in text chunks: 'zwalk decode
    --latents OUT.png' decodes every frame again. A GIF has at most 256 colours (one median-cut
    palette for all frames, no dithering) and carries the same metadata as key=value lines in a
    comment, which 'zwalk decode --latents OUT.gif' reads too. GIF delays are whole centiseconds,
    so at rates that do not divide 100 the frame times alternate (24 fps: 4 and 5 cs) to keep the
    total length right.

    \(figureConventions)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutput(out, inv, allowed: OutputKind.animations)
    let frames = try boundedInt(inv, "frames", default: 24, in: 2...4096)
    let fps = try boundedInt(inv, "fps", default: 12, in: 1...AnimationTiming.maxFPS)
    let scale = try boundedInt(inv, "scale", default: 1, in: 1...64)
    let sweep = inv.string("dim") != nil
    if sweep {
        for flag in ["seeds", "latents"] where !inv.list(flag).isEmpty {
            throw usageError(inv, "--dim sweeps around one base latent (--seed or --latent); --\(flag) gives keyframes to interpolate")
        }
        for flag in ["mode", "loop"] where inv.string(flag) != nil || inv.flag(flag) {
            throw usageError(inv, "--\(flag) is for keyframes; a --dim sweep always returns to where it started")
        }
        guard frames % 2 == 0 else { throw usageError(inv, "a back-and-forth sweep has an even number of --frames, got \(frames)") }
    } else {
        for flag in ["seed", "latent", "index", "range", "directions"] where inv.string(flag) != nil {
            throw usageError(inv, "--\(flag) is for a sweep along a direction: give --dim I too")
        }
    }
    let session = try openSession(inv)
    let spec: FigureSpec
    if sweep {
        let range = try sigmaRange(inv)
        let base = try baseLatent(inv, session)
        let (set, source) = try walkDirections(inv, session, base: base)
        let dim = try inv.int("dim", default: 0)
        guard dim >= 0, dim < set.count else {
            throw usageError(inv, "--dim \(dim) is not a direction of the set (it has \(set.count): 0…\(set.count - 1))")
        }
        spec = try session.sweepAnimation(base: base, set: set, source: source, dim: dim, range: range, frames: frames)
    } else {
        let mode = try inv.choice("mode", "slerp or lerp") { m -> PathMode? in
            let mode = PathMode(rawValue: m.lowercased())
            return mode == .geodesic ? nil : mode
        } ?? .slerp
        let (keyframes, keySeeds, source) = try keyframeLatents(inv, session, defaultSeeds: "0,1")
        spec = try session.interpolationFigure(keyframes: keyframes, keySeeds: keySeeds, source: source, mode: mode,
                                               loop: inv.flag("loop"), steps: frames)
    }
    note(try session.writeAnimation(spec, fps: fps, loop: !inv.flag("once"), scale: scale, to: out,
                                    latentsOut: inv.string("latents-out"), command: reproducingCommand(),
                                    overwrite: inv.flag("force")))
    return 0
}
