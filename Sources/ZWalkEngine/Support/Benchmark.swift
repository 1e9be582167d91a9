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


extension PlanProfile {
    /// Where a run's time goes: per operator, then the slowest nodes with their output shapes.
    public func report(batch: Int) -> String {
        let total = perRun.reduce(0, +)
        guard total > 0 else { return "" }
        var out = "\nbatch \(batch): \(String(format: "%.3f", total * 1e3)) ms per run in \(nodes.count) steps of \(nodes.count + fused.joined().count) nodes (\(runs) profiled runs)\n"
        let width = max(20, (byOperator.map(\.op.count).max() ?? 0) + 1)
        out += "  " + "operator".padding(toLength: width, withPad: " ", startingAt: 0) + " steps   ms/run   share\n"
        for o in byOperator {
            out += "  " + o.op.padding(toLength: width, withPad: " ", startingAt: 0)
                + String(format: " %5d   %6.3f   %5.1f%%\n", o.nodes, o.seconds * 1e3, 100 * o.seconds / total)
        }
        out += "  slowest nodes:\n"
        for i in perRun.indices.sorted(by: { perRun[$0] > perRun[$1] }).prefix(8) {
            let shape = outputShapes[i].first.map { "[\($0.map(String.init).joined(separator: ","))]" } ?? ""
            out += String(format: "  %6.3f ms  %5.1f%%  %@ %@ → %@\n", perRun[i] * 1e3, 100 * perRun[i] / total,
                          labels[i] as NSString, nodes[i].displayName as NSString, shape as NSString)
        }
        return out
    }
}
