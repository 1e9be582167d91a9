import Foundation
import Testing
@testable import ZWalkEngine

/// Tanh and Sigmoid in CZWalkKernels against libm (double) and their Swift reference in
/// VectorMath, over a sweep that covers the polynomial and exp branches, saturation, ±∞ and NaN,
/// with every variant this CPU runs.
@Suite struct CPUActivationTests {
    static let sweep: [Float] = stride(from: -100.0, through: 100.0, by: 0.0137).map { Float($0) }
        + [0, -0, 0.624, 0.626, -0.625, 1e-8, -1e-8, 88.7, -87.3, 89, -90, .infinity, -.infinity, .nan]

    static func check(_ name: String, _ fast: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, CPUKernels.Variant) -> Void,
                      variant: CPUKernels.Variant,
                      _ reference: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                      _ exact: (Double) -> Double) {
        let x = sweep
        var got = [Float](repeating: 0, count: x.count), ref = got
        fast(x, &got, x.count, variant)
        reference(x, &ref, x.count)
        for i in x.indices {
            if x[i].isNaN { #expect(got[i].isNaN, "\(name)(NaN)"); continue }
            let want = exact(Double(x[i]))
            let err = abs(Double(got[i]) - want) / max(abs(want), 1e-30)
            #expect(err < 1e-6 || abs(Double(got[i]) - want) < 1e-37, "\(name)(\(x[i])) = \(got[i]), libm \(want)")
            #expect(abs(got[i] - ref[i]) <= 4 * ref[i].ulp || abs(got[i] - ref[i]) < 1e-37, "\(name)(\(x[i])) = \(got[i]), VectorMath \(ref[i])")
        }
    }

    @Test(arguments: CPUKernels.Variant.available)
    func matchLibmAndTheSwiftReference(variant: CPUKernels.Variant) {
        Self.check("tanh", { CPUKernels.tanh($0, $1, $2, variant: $3) }, variant: variant, VectorMath.tanh, Foundation.tanh)
        Self.check("sigmoid", { CPUKernels.sigmoid($0, $1, $2, variant: $3) }, variant: variant, VectorMath.sigmoid,
                   { 1 / (1 + Foundation.exp(-$0)) })
    }
}
