/// Small vector helpers for latent math. Accumulation is in Double: latents are short (10…512
/// values) and the toolkit promises exact endpoints and norm preservation, not speed.
enum Vec {
    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        var s = 0.0
        for i in 0..<min(a.count, b.count) { s += Double(a[i]) * Double(b[i]) }
        return s
    }

    static func norm(_ a: [Float]) -> Double { dot(a, a).squareRoot() }

    /// a / ‖a‖, or nil for a zero (or non-finite) vector.
    static func normalized(_ a: [Float]) -> [Float]? {
        let n = norm(a)
        guard n > 0, n.isFinite else { return nil }
        return a.map { Float(Double($0) / n) }
    }

    /// Flips a direction so that its largest-magnitude component is positive: eigen- and singular
    /// vectors are defined up to sign, and a fixed convention makes saved sets reproducible.
    static func canonicalSign(_ a: [Float]) -> [Float] {
        var best = 0
        for i in a.indices where abs(a[i]) > abs(a[best]) { best = i }
        return a.isEmpty || a[best] >= 0 ? a : a.map { -$0 }
    }

    static func sub(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 - $1 } }
}
