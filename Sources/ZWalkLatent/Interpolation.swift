import Foundation

public enum InterpolationMode: String, Sendable, CaseIterable {
    case lerp, slerp
}

/// Interpolation between latents. Computed in Double and rounded once; t = 0 and t = 1 return the
/// endpoints bit for bit.
public enum Interpolation {
    /// Below this |sin Ω| two latents are treated as (anti)parallel and slerp falls back to lerp:
    /// the slerp weights sin((1−t)Ω)/sin Ω are 0/0 there.
    public static let parallelThreshold = 1e-6

    /// (1 − t)·a + t·b.
    public static func lerp(_ a: [Float], _ b: [Float], _ t: Double) -> [Float] {
        precondition(a.count == b.count, "lerp of latents of \(a.count) and \(b.count) values")
        if t == 0 { return a }
        if t == 1 { return b }
        return (0..<a.count).map { Float((1 - t) * Double(a[$0]) + t * Double(b[$0])) }
    }

    /// Spherical interpolation (Shoemake; White 2016 for latents):
    /// sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b with cos Ω = â·b̂. Between two latents of equal norm
    /// the result keeps that norm all along the arc; with unequal norms the norm moves smoothly
    /// between them (not linearly). Nearly parallel or antiparallel latents (|sin Ω| <
    /// `parallelThreshold`) and zero latents fall back to lerp.
    public static func slerp(_ a: [Float], _ b: [Float], _ t: Double) -> [Float] {
        precondition(a.count == b.count, "slerp of latents of \(a.count) and \(b.count) values")
        if t == 0 { return a }
        if t == 1 { return b }
        let na = Vec.norm(a), nb = Vec.norm(b)
        guard na > 0, nb > 0 else { return lerp(a, b, t) }
        let c = max(-1, min(1, Vec.dot(a, b) / (na * nb)))
        let omega = acos(c)
        let s = sin(omega)
        guard abs(s) >= parallelThreshold else { return lerp(a, b, t) }
        let wa = sin((1 - t) * omega) / s, wb = sin(t * omega) / s
        return (0..<a.count).map { Float(wa * Double(a[$0]) + wb * Double(b[$0])) }
    }

    public static func interpolate(_ a: [Float], _ b: [Float], _ t: Double, mode: InterpolationMode) -> [Float] {
        mode == .lerp ? lerp(a, b, t) : slerp(a, b, t)
    }
}

/// A path through several keyframe latents, optionally closed into a loop. Sampled into cells,
/// every keyframe is a cell and the cells between keyframes are shared out among the segments
/// (see `schedule`), so a chosen keyframe is never stepped over.
public struct LatentPath: Sendable {
    public let keyframes: [[Float]]
    public let loop: Bool
    public let mode: InterpolationMode

    public init(keyframes: [[Float]], loop: Bool = false, mode: InterpolationMode = .slerp) throws {
        guard keyframes.count >= 2 else {
            throw LatentError.invalidArgument("a path needs at least 2 keyframes, got \(keyframes.count)")
        }
        let n = keyframes[0].count
        guard n > 0 else { throw LatentError.invalidArgument("keyframe 0 is empty") }
        if let bad = keyframes.firstIndex(where: { $0.count != n }) {
            throw LatentError.invalidArgument("keyframe \(bad) has \(keyframes[bad].count) values, keyframe 0 has \(n)")
        }
        self.keyframes = keyframes; self.loop = loop; self.mode = mode
    }

    /// Number of segments: keyframes − 1, or keyframes when looping (the last returns to the first).
    public var segments: Int { loop ? keyframes.count : keyframes.count - 1 }

    /// The latent at parameter u ∈ [0, segments]: segment ⌊u⌋ at fraction u − ⌊u⌋.
    public func point(at u: Double) -> [Float] {
        let clamped = max(0, min(Double(segments), u))
        var seg = Int(clamped.rounded(.down))
        if seg == segments { seg -= 1 }
        return point(segment: seg, fraction: clamped - Double(seg))
    }

    /// The latent a fraction t ∈ [0, 1] of the way along segment `segment`; t = 0 and t = 1 give
    /// its keyframes bit for bit.
    public func point(segment: Int, fraction t: Double) -> [Float] {
        Interpolation.interpolate(keyframes[segment], keyframes[(segment + 1) % keyframes.count], t, mode: mode)
    }

    /// Where one cell of a sampling lies: on segment `segment`, a fraction `fraction` ∈ [0, 1] of
    /// the way along it (0 at the segment's first keyframe).
    public struct CellPosition: Equatable, Sendable {
        public let segment: Int
        public let fraction: Double
    }

    /// Where the cells of a `steps`-cell sampling fall.
    public struct Schedule: Equatable, Sendable {
        public let positions: [CellPosition]
        /// The cell of each keyframe, in keyframe order (the loop's return is not a cell).
        public let keyframeCells: [Int]
        /// Per cell, its place along the whole path: (segment + fraction) / segments, in [0, 1]
        /// for an open path and [0, 1) for a loop.
        public let t: [Double]
    }

    /// The cells of a `steps`-cell sampling: every keyframe is a cell; the remaining (interior)
    /// cells are shared out among the segments, evenly in each, the first `interior % segments`
    /// segments taking one more (as the geodesic strips do). An open path includes both ends; a
    /// loop stops before returning to its start so that playing it repeatedly never shows a frame
    /// twice. Fewer steps than keyframes is an error: a keyframe would have to be left out.
    public func schedule(steps: Int) throws -> Schedule {
        guard steps >= keyframes.count else {
            throw LatentError.invalidArgument("a \(loop ? "loop" : "path") through \(keyframes.count) keyframes needs at least \(keyframes.count) steps (one cell per keyframe), got \(steps)")
        }
        let interior = steps - (loop ? segments : segments + 1)
        var positions: [CellPosition] = [], keyframeCells: [Int] = []
        for j in 0..<segments {
            let m = interior / segments + (j < interior % segments ? 1 : 0)
            keyframeCells.append(positions.count)
            positions.append(CellPosition(segment: j, fraction: 0))
            for k in stride(from: 1, through: m, by: 1) { positions.append(CellPosition(segment: j, fraction: Double(k) / Double(m + 1))) }
        }
        if !loop {
            keyframeCells.append(positions.count)
            positions.append(CellPosition(segment: segments - 1, fraction: 1))
        }
        let t = positions.map { (Double($0.segment) + $0.fraction) / Double(segments) }
        return Schedule(positions: positions, keyframeCells: keyframeCells, t: t)
    }

    /// The latents of `schedule(steps:)`'s cells; keyframes are returned bit for bit.
    public func sample(steps: Int) throws -> [[Float]] {
        try schedule(steps: steps).positions.map { point(segment: $0.segment, fraction: $0.fraction) }
    }
}
