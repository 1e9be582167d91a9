import Foundation
import ZWalkEngine
import ZWalkSession

// `zwalk info`, `zwalk bench`, `zwalk ops`: the runtime seen from the shell.

let infoCommand = Command(
    name: "info", summary: "Describe a model: inputs, outputs, latent, output range, operators, size, cost, metadata.",
    positionals: "[MODEL]", options: [weightsOption, .flag("json", "print one JSON object instead of text")]
) { inv in
    let session = try openSession(inv)
    let path = session.path, model = session.generative.model
    let plan = try session.generative.session.plan(batch: 1)
    let d = session.description
    let g = model.graph
    var histogram: [String: Int] = [:]
    for n in g.nodes { histogram[n.opType, default: 0] += 1 }
    let params = g.initializers.values.filter { $0.dtype == .float32 }.reduce(0) { $0 + $1.count }
    func dims(_ v: ValueInfo) -> String { v.dims.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[?]" }
    if inv.flag("json") {
        let obj: [String: Any] = [
            "model": path,
            "inputs": g.runtimeInputs.map { ["name": $0.name, "shape": dims($0)] },
            "outputs": g.outputs.map { ["name": $0.name, "shape": dims($0)] },
            "latent_shape": d.latentShape, "output_shape": d.outputShape,
            "output_range": [d.outputRange.0, d.outputRange.1], "output_range_source": d.outputRangeSource,
            "prior": d.prior, "operators": histogram, "parameters": params,
            "flops_per_sample": plan.flops, "metadata": model.metadata,
            "opsets": model.opsets.map { ["domain": $0.key.isEmpty ? "ai.onnx" : $0.key, "version": $0.value] },
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        return 0
    }
    print("model        \(path)")
    if !model.producer.isEmpty { print("producer     \(model.producer)") }
    print("opset        " + model.opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)" }.joined(separator: ", "))
    for v in g.runtimeInputs { print("input        \(v.name) \(dims(v)) \(v.dtype.map(\.description) ?? "type \(v.elementType)")") }
    for v in g.outputs { print("output       \(v.name) \(dims(v))") }
    print("latent       \(d.latentShape) (\(d.latentCount) values), prior \(d.prior)")
    let image = d.imageShape.map { "\($0.channels)×\($0.height)×\($0.width) image" } ?? "not an image"
    print("sample       \(d.outputShape) — \(image)")
    print("range        \(d.outputRange.0)…\(d.outputRange.1) (\(d.outputRangeSource))")
    print("parameters   \(formatCount(params))")
    print("cost         \(String(format: "%.3f", plan.flops / 1e9)) GFLOP per sample (Conv, ConvTranspose, Gemm, MatMul)")
    print("nodes        \(g.nodes.count): " + histogram.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    if let s = d.summary { print("about        \(s)") }
    if !d.dimNames.isEmpty {
        print("named dims   " + d.dimNames.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
    }
    let shown = model.metadata.sorted { $0.key < $1.key }
    if !shown.isEmpty {
        print("metadata")
        for (k, v) in shown { print("  \(k) = \(v)") }
    }
    return 0
}

func formatCount(_ n: Int) -> String {
    n >= 1_000_000 ? String(format: "%.2f M", Double(n) / 1e6) : n >= 1000 ? String(format: "%.1f k", Double(n) / 1e3) : "\(n)"
}

let opsCommand = Command(name: "ops", summary: "List the ONNX operators the runtime supports.", positionals: "", options: []) { _ in
    for op in OperatorRegistry.supportedOperators { print(op) }
    return 0
}

let benchCommand = Command(
    name: "bench", summary: "Time decoding per batch size: median and spread, GFLOP/s, and the fraction of measured sgemm peak.",
    positionals: "[MODEL]",
    options: [weightsOption,
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
    let planner = try Planner(model: session.generative.model)
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
