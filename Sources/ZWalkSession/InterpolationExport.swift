import Foundation
import ZWalkFormats
import ZWalkLatent

// The explorer's interpolate mode exports its path through here: the same figure and the same
// writer as `zwalk interpolate`, so a strip made in the explorer and one made by the command from
// the same keyframes have the same pixels and the same latents.
extension ModelSession {
    /// Writes the strip through `keyframes` as `zwalk interpolate` does. `keySeeds`: the
    /// keyframes' seeds when each is its seed's sample at ψ `psi`; the PNG then records the command
    /// that makes it again, else the command that decodes its cells again.
    @discardableResult
    public func writeInterpolation(keyframes: [[Float]], keySeeds: [UInt32]?, psi: Double, mode: PathMode, loop: Bool,
                                   steps: Int, to out: String, overwrite: Bool) throws -> String {
        let source = keySeeds.map { "seeds " + $0.map(String.init).joined(separator: ",") }
            ?? "\(keyframes.count) keyframes pinned in the explorer"
        let spec = try interpolationFigure(keyframes: keyframes, keySeeds: keySeeds, source: source, mode: mode, loop: loop,
                                           steps: steps)
        let command = keySeeds.map { interpolateCommand(seeds: $0, psi: psi, mode: mode, loop: loop, steps: steps, out: out) }
            ?? decodeCommand(latents: out)
        return try write(spec, style: FigureStyle(), to: out, command: command, overwrite: overwrite)
    }

    /// The geodesic `zwalk interpolate --mode geodesic` computes, `perSegment` points a segment
    /// (the keyframe first; an open path ends with its last keyframe), for the explorer to move along.
    public func geodesicPoints(keyframes: [[Float]], loop: Bool, perSegment: Int, iterations: Int = 30) throws -> [[Float]] {
        let segments = loop ? keyframes.count : keyframes.count - 1
        return try geodesicPath(keyframes: keyframes, loop: loop, points: segments * perSegment + (loop ? 0 : 1),
                                iterations: iterations).points
    }

    /// `zwalk interpolate MODEL [model options] --seeds A,B,… --steps N [--mode M] [--loop] --out OUT`.
    public func interpolateCommand(seeds: [UInt32], psi: Double, mode: PathMode, loop: Bool, steps: Int, out: String) -> String {
        var words = ["--seeds", seeds.map(String.init).joined(separator: ","), "--steps", String(steps)]
        if mode != .slerp { words += ["--mode", mode.rawValue] }
        if loop { words.append("--loop") }
        return figureCommand("interpolate", psi: psi, words + ["--out", out])
    }

    /// `zwalk COMMAND MODEL [model options] [--psi ψ] ARGS…`, quoted for a shell: what the explorer
    /// records in a figure it exports, so the command line makes it again.
    public func figureCommand(_ command: String, psi: Double, _ arguments: [String]) -> String {
        var words = ["zwalk", command] + modelArguments
        if let p = options.prior { words += ["--prior", p.rawValue] }
        if psi != 1 { words += ["--psi", JSON.number(psi)] }
        if let r = options.outputRange { words += ["--output-range", "\(r.0),\(r.1)"] }
        return (words + arguments).map(shellQuote).joined(separator: " ")
    }
}
