import Foundation
import ZWalkEngine
import ZWalkSession

// `zwalk info`, `zwalk bench`, `zwalk ops`: the runtime seen from the shell.

let infoCommand = Command(
    name: "info", summary: "Describe a model: inputs, outputs, latent, output range, operators, size, cost, metadata.",
    positionals: "[MODEL]", options: modelFileOptions + [.flag("json", "print one JSON object instead of text")]
) { inv in
    let session = try openSession(inv)
    print(try inv.flag("json") ? session.reportJSON() : session.report())
    return 0
}

let opsCommand = Command(name: "ops", summary: "List the ONNX operators the runtime supports.", positionals: "", options: []) { _ in
    for op in OperatorRegistry.supportedOperators { print(op) }
    return 0
}

let benchCommand = Command(
    name: "bench", summary: "Time decoding per batch size: median and spread, GFLOP/s, and the fraction of measured sgemm peak.",
    positionals: "[MODEL]",
    options: modelFileOptions + [
        .value("batch", "B1,B2,…", "batch sizes to time", default: "1,64"),
        .value("threads", "N", "threads for BLAS and the engine's loops", default: "all cores"),
        .value("runs", "N", "at least this many timed runs per batch size", default: "20"),
        .value("seconds", "S", "and keep timing until S seconds have passed", default: "2"),
        .flag("json", "print one JSON object (median_ms per batch size) for scripts"),
        .flag("profile", "also time every node: milliseconds per run by operator and the slowest nodes"),
    ],
    details: "Medians, not means: the first runs and scheduler noise do not move them. `make bench` runs this beside onnxruntime."
) { inv in
    let batches = try inv.ints("batch", default: [1, 64])
    guard batches.allSatisfy({ $0 >= 1 }) else { throw UsageError(message: "--batch sizes must be ≥ 1") }
    let threads = try inv.int("threads", default: ProcessInfo.processInfo.activeProcessorCount)
    guard threads >= 1 else { throw UsageError(message: "--threads must be ≥ 1") }
    setEngineThreads(threads)
    let runs = try inv.int("runs", default: 20)
    let seconds = try inv.double("seconds", default: 2)
    let session = try openSession(inv)
    let path = session.path
    let planner = try Planner(model: session.localModel(for: "the plan is made by the engine on this machine").model)
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
            "model": path, "threads": threads, "sgemm_peak_gflops": peak, "openblas_core": BLAS.coreName,
            "results": results.map { r -> [String: Any] in
                let gf = r.flops / r.median / 1e9
                return ["batch": r.batch, "median_ms": r.median * 1e3, "min_ms": r.times[0] * 1e3,
                        "p25_ms": r.quantile(0.25) * 1e3, "p75_ms": r.quantile(0.75) * 1e3, "runs": r.times.count,
                        "gflop_per_run": r.flops / 1e9, "gflops": gf, "peak_fraction": gf / peak]
            },
            "profiles": zip(batches, profiles).map { b, p -> [String: Any] in
                ["batch": b, "runs": p.runs,
                 "nodes": p.nodes.indices.map { i in
                     ["node": p.nodes[i].displayName, "op": p.labels[i], "fused": p.fused[i].map(\.displayName),
                      "ms": p.perRun[i] * 1e3] as [String: Any] }]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        return 0
    }
    print("\(path) — \(threads) thread(s), OpenBLAS \(BLAS.coreName), sgemm peak \(String(format: "%.1f", peak)) GFLOP/s (1024³)")
    print("batch   median ms   p25–p75 ms        per sample ms   GFLOP/s   of peak   runs")
    for r in results {
        let gf = r.flops / r.median / 1e9
        print(String(format: "%5d   %9.3f   %7.3f–%-8.3f   %13.3f   %7.1f   %6.1f%%   %4d",
                     r.batch, r.median * 1e3, r.quantile(0.25) * 1e3, r.quantile(0.75) * 1e3,
                     r.median * 1e3 / Double(r.batch), gf, 100 * gf / peak, r.times.count))
    }
    for (b, p) in zip(batches, profiles) { print(p.report(batch: b), terminator: "") }
    return 0
}
