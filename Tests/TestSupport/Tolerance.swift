import ZWalkEngine

/// Compares two float sequences with ONNX's rule |a − b| ≤ atol + rtol·|b| (b is the reference)
/// and describes the first mismatches, so a failing test shows where and by how much.
public struct Comparison: CustomStringConvertible {
    public let maxAbsError: Double
    public let mismatches: Int
    public let firstMismatches: [(index: Int, actual: Double, expected: Double)]
    public let shapeProblem: String?

    public var ok: Bool { shapeProblem == nil && mismatches == 0 }

    public var description: String {
        if let s = shapeProblem { return s }
        let firsts = firstMismatches.map { "[\($0.index)] got \($0.actual), want \($0.expected)" }.joined(separator: "; ")
        return "max |Δ| = \(maxAbsError), \(mismatches) mismatching element(s)" + (firsts.isEmpty ? "" : ": " + firsts)
    }
}

public func compare(_ actual: [Double], _ expected: [Double], rtol: Double = 1e-3, atol: Double = 1e-7) -> Comparison {
    guard actual.count == expected.count else {
        return Comparison(maxAbsError: .infinity, mismatches: max(actual.count, expected.count), firstMismatches: [],
                          shapeProblem: "element count \(actual.count) ≠ expected \(expected.count)")
    }
    var maxErr = 0.0, bad = 0
    var firsts: [(Int, Double, Double)] = []
    for i in 0..<actual.count {
        let a = actual[i], e = expected[i]
        if a.isNaN && e.isNaN { continue }
        if a == e { continue } // equal infinities
        let d = abs(a - e)
        if !(d <= atol + rtol * abs(e)) {
            bad += 1
            if firsts.count < 5 { firsts.append((i, a, e)) }
        }
        if d.isFinite { maxErr = max(maxErr, d) } else { maxErr = .infinity }
    }
    return Comparison(maxAbsError: maxErr, mismatches: bad, firstMismatches: firsts, shapeProblem: nil)
}

public func compare(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-3, atol: Double = 1e-7) -> Comparison {
    if actual.shape != expected.shape {
        return Comparison(maxAbsError: .infinity, mismatches: max(actual.count, expected.count), firstMismatches: [],
                          shapeProblem: "shape \(actual.shape) ≠ expected \(expected.shape)")
    }
    return compare(actual.doubleArray, expected.doubleArray, rtol: rtol, atol: atol)
}

/// A deterministic pseudo-random float array (xorshift) for test inputs, in [lo, hi).
public func testValues(_ n: Int, seed: UInt64 = 1, lo: Float = -1, hi: Float = 1) -> [Float] {
    var s = seed &* 0x9E3779B97F4A7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return lo + (hi - lo) * Float(s >> 40) / Float(1 << 24)
    }
}
