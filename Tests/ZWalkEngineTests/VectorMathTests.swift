import Foundation
import Testing
@testable import ZWalkEngine

/// The vectorised activations against libm, over dense sweeps and the special values.
@Suite struct VectorMathTests {
    typealias Kernel = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

    /// Every float from `lo` to `hi` in `count` even steps, plus odd lengths to exercise the tail.
    func sweep(_ lo: Float, _ hi: Float, count: Int = 200_003) -> [Float] {
        (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
    }

    func apply(_ k: Kernel, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { k(xp.baseAddress!, $0.baseAddress!, x.count) } }
        return y
    }

    /// Largest error in units of the reference's own spacing (ulp), and the worst input.
    func worstUlps(_ got: [Float], _ want: [Float], _ x: [Float]) -> (Float, Float) {
        var worst: Float = 0, at: Float = 0
        for i in x.indices where want[i].isFinite && want[i] != 0 {
            let e = abs(got[i] - want[i]) / want[i].magnitude.ulp
            if e > worst { worst = e; at = x[i] }
        }
        return (worst, at)
    }

    @Test func expIsWithinTwoUlpOfLibm() {
        let x = sweep(-87.3, 88.7)
        let (ulps, at) = worstUlps(apply(VectorMath.exp, x), x.map { expf($0) }, x)
        #expect(ulps <= 2, "exp off by \(ulps) ulp at \(at)")
    }

    @Test func sigmoidIsWithinAFewUlpOfTheExactFormula() {
        let x = sweep(-30, 30)
        let want = x.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }
        let got = apply(VectorMath.sigmoid, x)
        let (ulps, at) = worstUlps(got, want, x)
        #expect(ulps <= 4, "sigmoid off by \(ulps) ulp at \(at)")
        let far = apply(VectorMath.sigmoid, [-200, -100, 100, 200])
        #expect(far[0] == 0 && far[1] >= 0 && far[1] < 1e-38 && far[2] == 1 && far[3] == 1)
    }

    @Test func tanhIsWithinAFewUlpOfLibmIncludingNearZero() {
        for (lo, hi) in [(Float(-10), Float(10)), (-1e-3, 1e-3), (-0.7, 0.7)] {
            let x = sweep(lo, hi)
            let (ulps, at) = worstUlps(apply(VectorMath.tanh, x), x.map { tanhf($0) }, x)
            #expect(ulps <= 4, "tanh off by \(ulps) ulp at \(at) on [\(lo), \(hi)]")
        }
    }

    @Test func specialValues() {
        let x: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 88.8, -104, 1000, -1000]
        let e = apply(VectorMath.exp, x)
        #expect(e[0].isNaN && e[1] == .infinity && e[2] == 0 && e[3] == 1 && e[4] == 1)
        #expect(e[5] == .infinity && e[6] == 0 && e[7] == .infinity && e[8] == 0)
        let s = apply(VectorMath.sigmoid, x)
        #expect(s[0].isNaN && s[1] == 1 && s[2] == 0 && s[3] == 0.5 && s[4] == 0.5)
        let t = apply(VectorMath.tanh, x)
        #expect(t[0].isNaN && t[1] == 1 && t[2] == -1 && t[3] == 0 && t[7] == 1 && t[8] == -1)
        let r = apply(VectorMath.relu, x)
        #expect(r[0].isNaN && r[1] == .infinity && r[2] == 0 && r[8] == 0 && r[7] == 1000)
    }

    @Test func everyLengthAndOffsetGivesTheSameValuesAsOneVector() {
        // The tail goes through a padded vector: lengths 0…17 must match the full-length result.
        let x = sweep(-5, 5, count: 17)
        for k in [VectorMath.exp, VectorMath.sigmoid, VectorMath.tanh, VectorMath.relu] as [Kernel] {
            let full = apply(k, x)
            for n in 0...17 {
                #expect(apply(k, Array(x.prefix(n))) == Array(full.prefix(n)))
            }
        }
    }
}
