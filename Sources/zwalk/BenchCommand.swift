import Foundation
import ZWalkEngine

// `zwalk bench`: decode time per batch size, as medians with spread, and how close the
// BLAS-backed work comes to the machine's measured sgemm peak.

func nowSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Best of a few 1024³ sgemm runs: the practical peak the model's GEMM-shaped work is measured against.
func measureSgemmPeak() -> Double {
    let n = 1024
    let a = Tensor(shape: [n, n], floats: [Float](repeating: 0.5, count: n * n))
    let b = Tensor(shape: [n, n], floats: [Float](repeating: 0.25, count: n * n))
    let c = Tensor(shape: [n, n])
    var best = Double.infinity
    for _ in 0..<6 {
        let t0 = nowSeconds()
        BLAS.sgemm(m: n, n: n, k: n, a: a.floats.baseAddress!, lda: n, b: b.floats.baseAddress!, ldb: n,
                   c: c.floats.baseAddress!, ldc: n)
        best = min(best, nowSeconds() - t0)
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
    let start = nowSeconds()
    while times.count < minRuns || (nowSeconds() - start < minSeconds && times.count < 1000) {
        let t0 = nowSeconds()
        _ = try plan.runBorrowing(inputs)
        times.append(nowSeconds() - t0)
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
    for b in batches {
        let plan = try planner.plan(batch: b)
        results.append(try benchmark(plan, minRuns: runs, minSeconds: seconds))
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
    return 0
}
