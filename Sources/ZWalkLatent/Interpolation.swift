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

/// A path through several keyframe latents, optionally closed into a loop, traversed at uniform
/// parameter speed: each segment gets the same share of the steps whatever its length.
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
        let t = clamped - Double(seg)
        let a = keyframes[seg], b = keyframes[(seg + 1) % keyframes.count]
        return Interpolation.interpolate(a, b, t, mode: mode)
    }

    /// `steps` latents uniformly in the parameter. An open path includes both ends; a loop stops
    /// one step short of its start so that playing it repeatedly never shows a frame twice.
    /// Keyframes that fall on a step are returned exactly.
    public func sample(steps: Int) throws -> [[Float]] {
        guard steps >= (loop ? 1 : 2) else {
            throw LatentError.invalidArgument("a \(loop ? "loop" : "path") needs at least \(loop ? 1 : 2) steps, got \(steps)")
        }
        let denominator = Double(loop ? steps : steps - 1)
        return (0..<steps).map { i in point(at: Double(segments) * Double(i) / denominator) }
    }
}
