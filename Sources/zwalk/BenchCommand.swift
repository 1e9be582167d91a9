import Foundation
import ZWalkEngine

// `zwalk bench`: decode time per batch size, as medians with spread, and how close the
// BLAS-backed work comes to the machine's measured sgemm peak.

/// Best of a few 1024³ sgemm runs: the practical peak the model's GEMM-shaped work is measured against.
func measureSgemmPeak() -> Double {
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

struct BenchResult {
    let batch: Int
    let times: [Double] // seconds, sorted
    let flops: Double
    func quantile(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count - 1) * q + 0.5))] }
    var median: Double { quantile(0.5) }
}

/// Times `plan` on fixed pseudo-random inputs: 3 warm-up runs, then at least `minRuns` runs and
/// until `minSeconds` have passed (capped at 1000 runs).
func benchmark(_ plan: Plan, minRuns: Int, minSeconds: Double) throws -> BenchResult {
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

let benchCommand = Command(
    name: "bench", summary: "Time decoding per batch size: median and spread, GFLOP/s, and the fraction of measured sgemm peak.",
    positionals: "[MODEL]",
    options: modelOptions + [
        .value("batch", "B1,B2,…", "batch sizes to time", default: "1,64"),
        .value("threads", "N", "threads for BLAS and the engine's loops", default: "all cores"),
        .value("runs", "N", "at least this many timed runs per batch size", default: "20"),
        .value("seconds", "S", "and keep timing until S seconds have passed", default: "2"),
        .flag("json", "print one JSON object (median_ms per batch size) for scripts"),
        .flag("profile", "also time every node: milliseconds per run by operator and the slowest nodes"),
    ],
    details: "Medians, not means: the first runs and scheduler noise do not move them. `make bench` runs this beside onnxruntime."
) { inv in
    let path = try inv.positional(0, "MODEL", fallback: defaultModelPath())
    let batches = try inv.ints("batch", default: [1, 64])
    guard batches.allSatisfy({ $0 >= 1 }) else { throw UsageError(message: "--batch sizes must be ≥ 1") }
    let threads = try inv.int("threads", default: ProcessInfo.processInfo.activeProcessorCount)
    guard threads >= 1 else { throw UsageError(message: "--threads must be ≥ 1") }
    setEngineThreads(threads)
    let runs = try inv.int("runs", default: 20)
    let seconds = try inv.double("seconds", default: 2)
    let model = try loadModel(path, weights: inv.string("weights"))
    let planner = try Planner(model: model)
    let peak = measureSgemmPeak()
    var results: [BenchResult] = []
    var profiles: [PlanProfile] = []
    for b in batches {
        let plan = try planner.plan(batch: b)
        results.append(try benchmark(plan, minRuns: runs, minSeconds: seconds))
        // Profiled separately: timing every node adds clock reads to the runs being measured.
        if inv.flag("profile") {
            let profile = plan.startProfiling()
            _ = try benchmark(plan, minRuns: runs, minSeconds: 0)
            profiles.append(profile)
        }
    }
    if inv.flag("json") {
        let obj: [String: Any] = [
            "model": path, "threads": threads, "sgemm_peak_gflops": peak,
            "results": results.map { r -> [String: Any] in
                let gf = r.flops / r.median / 1e9
                return ["batch": r.batch, "median_ms": r.median * 1e3, "min_ms": r.times[0] * 1e3,
                        "p25_ms": r.quantile(0.25) * 1e3, "p75_ms": r.quantile(0.75) * 1e3, "runs": r.times.count,
                        "gflop_per_run": r.flops / 1e9, "gflops": gf, "peak_fraction": gf / peak]
            },
            "profiles": zip(batches, profiles).map { b, p -> [String: Any] in
                ["batch": b, "runs": p.runs,
                 "nodes": zip(p.nodes, p.perRun).map { ["node": $0.displayName, "op": $0.opType, "ms": $1 * 1e3] }]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        return 0
    }
    print("\(path) — \(threads) thread(s), sgemm peak \(String(format: "%.1f", peak)) GFLOP/s (1024³)")
    print("batch   median ms   p25–p75 ms        per sample ms   GFLOP/s   of peak   runs")
    for r in results {
        let gf = r.flops / r.median / 1e9
        print(String(format: "%5d   %9.3f   %7.3f–%-8.3f   %13.3f   %7.1f   %6.1f%%   %4d",
                     r.batch, r.median * 1e3, r.quantile(0.25) * 1e3, r.quantile(0.75) * 1e3,
                     r.median * 1e3 / Double(r.batch), gf, 100 * gf / peak, r.times.count))
    }
    for (b, p) in zip(batches, profiles) { printProfile(p, batch: b) }
    return 0
}

/// Where a run's time goes: per operator, then the slowest nodes with their output shapes.
func printProfile(_ p: PlanProfile, batch: Int) {
    let perRun = p.perRun
    let total = perRun.reduce(0, +)
    guard total > 0 else { return }
    print("\nbatch \(batch): \(String(format: "%.3f", total * 1e3)) ms per run in \(p.nodes.count) nodes (\(p.runs) profiled runs)")
    print("  operator             nodes   ms/run   share")
    for o in p.byOperator {
        print("  " + o.op.padding(toLength: 20, withPad: " ", startingAt: 0)
              + String(format: " %5d   %6.3f   %5.1f%%", o.nodes, o.seconds * 1e3, 100 * o.seconds / total))
    }
    print("  slowest nodes:")
    for i in perRun.indices.sorted(by: { perRun[$0] > perRun[$1] }).prefix(8) {
        let shape = p.outputShapes[i].first.map { "[\($0.map(String.init).joined(separator: ","))]" } ?? ""
        print(String(format: "  %6.3f ms  %5.1f%%  %@ %@ → %@", perRun[i] * 1e3, 100 * perRun[i] / total,
                     p.nodes[i].opType as NSString, p.nodes[i].displayName as NSString, shape as NSString))
    }
}
