import Foundation

// Timing a plan, as `zwalk bench` reports it: medians with spread, against the machine's measured
// sgemm peak.

/// Best of a few 1024³ sgemm runs: the practical peak the model's GEMM-shaped work is measured against.
public func measureSgemmPeak() -> Double {
    let n = 1024
    let a = Tensor(shape: [n, n], floats: [Float](repeating: 0.5, count: n * n))
    let b = Tensor(shape: [n, n], floats: [Float](repeating: 0.25, count: n * n))
    let c = Tensor(shape: [n, n])
    var best = Double.infinity
    for _ in 0..<6 {
        let t0 = monotonicSeconds()
        BLAS.sgemm(m: n, n: n, k: n, a: a.floats.baseAddress!, lda: n, b: b.floats.baseAddress!, ldb: n,
                   c: c.floats.baseAddress!, ldc: n)
        best = min(best, monotonicSeconds() - t0)
    }
    return 2 * Double(n * n * n) / best / 1e9
}

public struct BenchResult: Sendable {
    public let batch: Int
    /// Seconds per run, sorted.
    public let times: [Double]
    public let flops: Double
    public func quantile(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count - 1) * q + 0.5))] }
    public var median: Double { quantile(0.5) }
}

/// Times `plan` on fixed pseudo-random inputs: 3 warm-up runs, then at least `minRuns` runs and
/// until `minSeconds` have passed (capped at 1000 runs).
public func benchmark(_ plan: Plan, minRuns: Int, minSeconds: Double) throws -> BenchResult {
    var seed: UInt64 = 0x2545F4914F6CDD1D
    let inputs = plan.inputShapes.map { shape -> Tensor in
        let t = Tensor(shape: shape)
        let f = t.floats
        for i in 0..<f.count {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            f[i] = Float(Int64(bitPattern: seed) >> 40) / Float(1 << 23)
        }
        return t
    }
    for _ in 0..<3 { _ = try plan.runBorrowing(inputs) }
    var times: [Double] = []
    let start = monotonicSeconds()
    while times.count < minRuns || (monotonicSeconds() - start < minSeconds && times.count < 1000) {
        let t0 = monotonicSeconds()
        _ = try plan.runBorrowing(inputs)
        times.append(monotonicSeconds() - t0)
    }
    return BenchResult(batch: plan.batch, times: times.sorted(), flops: plan.flops)
}

