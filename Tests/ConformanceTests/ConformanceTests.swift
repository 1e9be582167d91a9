import Foundation
import Testing
import TestSupport
import ZWalkEngine
import ZWalkFormats

/// The ONNX project's own backend test cases (node, pytorch-converted, pytorch-operator, simple),
/// written out by tools/conformance.py into $ZWALK_CONFORMANCE_DIR. Every case whose operators and
/// types the runtime claims is run and compared with the case's tolerance; the rest are skipped
/// with the reason. Skip this suite during development with `swift test --skip ConformanceTests`.
///
/// Environment:
///   ZWALK_CONFORMANCE_DIR      the directory tools/conformance.py wrote (with cases.json)
///   ZWALK_CONFORMANCE_FILTER   comma-separated substrings: run only cases whose name contains one
///   ZWALK_CONFORMANCE_VERBOSE  1: print each case before it runs (to find one that crashes)
@Suite struct ConformanceTests {
    @Test func onnxBackendTestCases() throws {
        let env = ProcessInfo.processInfo.environment
        guard let dir = env["ZWALK_CONFORMANCE_DIR"], !dir.isEmpty else {
            Issue.record("""
                ZWALK_CONFORMANCE_DIR is not set, so the ONNX conformance cases cannot run. \
                Run `make conformance`, or `python tools/conformance.py --out DIR` and then \
                `ZWALK_CONFORMANCE_DIR=DIR swift test --filter ConformanceTests`. \
                To leave them out while developing: `swift test --skip ConformanceTests`.
                """)
            return
        }
        let index = dir + "/cases.json"
        guard FileManager.default.fileExists(atPath: index) else {
            Issue.record("\(index) does not exist: run `python tools/conformance.py --out \(dir)` (or `make conformance`) first")
            return
        }
        var cases = try ConformanceCase.loadIndex(index)
        if let filter = env["ZWALK_CONFORMANCE_FILTER"], !filter.isEmpty {
            let parts = filter.split(separator: ",").map(String.init)
            cases = cases.filter { c in parts.contains { c.name.contains($0) } }
        }
        #expect(!cases.isEmpty, "no conformance cases in \(index)")
        let verbose = env["ZWALK_CONFORMANCE_VERBOSE"] == "1"

        let start = Date()
        var results: [(ConformanceCase, Outcome)] = []
        for c in cases {
            if verbose { FileHandle.standardError.write("conformance: \(c.kind)/\(c.name)\n".data(using: .utf8)!) }
            results.append((c, ConformanceRunner.run(c, root: dir)))
        }
        let report = ConformanceReport(results: results, seconds: Date().timeIntervalSince(start))
        print(report.text)
        let failedCount = report.failed.count
        #expect(failedCount == 0, "\(report.summaryLine); the failed cases are listed above")
    }
}

/// One entry of cases.json.
struct ConformanceCase {
    let name: String
    let kind: String
    let dir: String
    let ops: [String]
    let inputTypes: [String]
    let outputTypes: [String]
    let tolerances: [(rtol: Double, atol: Double)]
    let rtol: Double
    let atol: Double
    let dataSets: Int

    static func loadIndex(_ path: String) throws -> [ConformanceCase] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["cases"] as? [[String: Any]] else {
            throw FormatError(file: path, message: "is not a conformance index (no \"cases\" list); regenerate it with tools/conformance.py")
        }
        return list.compactMap { e in
            guard let name = e["name"] as? String, let dir = e["dir"] as? String else { return nil }
            let rtol = (e["rtol"] as? Double) ?? 1e-3, atol = (e["atol"] as? Double) ?? 1e-7
            let tol = (e["output_tolerances"] as? [[Double]] ?? []).map { ($0.first ?? rtol, $0.count > 1 ? $0[1] : atol) }
            return ConformanceCase(name: name, kind: e["kind"] as? String ?? "", dir: dir, ops: e["ops"] as? [String] ?? [],
                                   inputTypes: e["inputs"] as? [String] ?? [], outputTypes: e["outputs"] as? [String] ?? [],
                                   tolerances: tol, rtol: rtol, atol: atol, dataSets: e["data_sets"] as? Int ?? 0)
        }
    }

    func tolerance(output k: Int) -> (rtol: Double, atol: Double) {
        k < tolerances.count ? tolerances[k] : (rtol, atol)
    }
}

enum Outcome {
    /// `boundConstants`: graph inputs that had to become initializers (shape-deciding values).
    case passed(boundConstants: [String])
    case failed(String)
    /// `group` collects like reasons in the report ("operator Resize", "type tensor(string)").
    case skipped(group: String, detail: String)
}

enum ConformanceRunner {
    /// Element types the engine computes with (after widening); anything else is skipped.
    static let representable: Set<String> = [
        "tensor(float)", "tensor(float16)", "tensor(double)", "tensor(bfloat16)", "tensor(int8)", "tensor(int16)",
        "tensor(int32)", "tensor(int64)", "tensor(uint8)", "tensor(uint16)", "tensor(uint32)", "tensor(uint64)",
        "tensor(bool)",
    ]

    static func isNotSupported(_ text: String) -> Bool { text.contains("not supported") }

    /// A skip for an error whose text says "not supported", grouped by operator and reason.
    static func skipOrFail(_ error: Error, stage: String) -> Outcome {
        let text = "\(error)"
        if case EngineError.unsupportedOperators(let list) = error {
            let ops = Set(list.map { $0.domain.isEmpty ? $0.op : "\($0.domain)::\($0.op)" }).sorted()
            return .skipped(group: "unsupported operator", detail: ops.joined(separator: ","))
        }
        guard isNotSupported(text) else { return .failed("\(stage): \(text)") }
        switch error {
        case EngineError.invalidNode(_, let op, let reason):
            return .skipped(group: "not supported by \(op)", detail: reason)
        case let e as FormatError:
            return .skipped(group: "not supported by the loader", detail: e.message)
        default:
            return .skipped(group: "not supported", detail: text)
        }
    }

    static func run(_ c: ConformanceCase, root: String) -> Outcome {
        // Types the engine cannot hold are known from the index before touching the model.
        if let t = (c.inputTypes + c.outputTypes).first(where: { !representable.contains($0) }) {
            return .skipped(group: "type \(t)", detail: t)
        }
        let caseDir = root + "/" + c.dir
        let model: Model
        do {
            model = try ONNXLoader.load(path: caseDir + "/model.onnx", options: .init(allowNonFiniteWeights: true))
        } catch {
            return skipOrFail(error, stage: "load")
        }
        let planner: Planner
        do { planner = try Planner(model: model) } catch { return skipOrFail(error, stage: "plan") }
        let sets = (try? FileManager.default.contentsOfDirectory(atPath: caseDir))?
            .filter { $0.hasPrefix("test_data_set_") }.sorted() ?? []
        guard !sets.isEmpty else { return .failed("no test_data_set_* directories in \(caseDir)") }
        var bound = Set<String>()
        for set in sets {
            let outcome = runDataSet(caseDir + "/" + set, c, model: model, planner: planner)
            if case .passed(let b) = outcome { bound.formUnion(b); continue }
            return outcome
        }
        return .passed(boundConstants: bound.sorted())
    }

    /// The .pb files named prefix_K.pb in K order.
    static func numbered(_ dir: String, _ prefix: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.compactMap { f -> (Int, String)? in
            guard f.hasPrefix(prefix + "_"), f.hasSuffix(".pb"),
                  let k = Int(f.dropFirst(prefix.count + 1).dropLast(3)) else { return nil }
            return (k, dir + "/" + f)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func runDataSet(_ dir: String, _ c: ConformanceCase, model: Model, planner: Planner) -> Outcome {
        var inputs: [(name: String, tensor: Tensor)] = []
        var expected: [Tensor] = []
        do {
            for p in numbered(dir, "input") {
                let t = try ONNXLoader.loadNamedTensor(path: p)
                inputs.append((t.name, t.tensor))
            }
            for p in numbered(dir, "output") { expected.append(try ONNXLoader.loadTensor(path: p)) }
        } catch {
            return skipOrFail(error, stage: "test data")
        }
        let graphInputs = model.graph.runtimeInputs
        // Test data names its tensors after the graph inputs; fall back to position when it does not.
        var feed = Dictionary(inputs.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        if !graphInputs.allSatisfy({ feed[$0.name] != nil }) {
            guard inputs.count == graphInputs.count else {
                return .failed("the test data has \(inputs.count) input(s) but the graph takes \(graphInputs.count) (\(graphInputs.map(\.name)))")
            }
            feed = Dictionary(zip(graphInputs.map(\.name), inputs.map(\.tensor)), uniquingKeysWith: { a, _ in a })
        }
        // zwalk plans shapes once, at load time, so values that decide shapes (Reshape's shape,
        // Slice's starts, Resize's scales …) must be constants. Node tests feed them as graph
        // inputs; such an input is bound as an initializer with the test's value and the case
        // retried, which still checks the operator's arithmetic on that value.
        var m = model
        var planner = planner
        var bound: [String] = []
        var outputs: [Tensor] = []
        while true {
            let runtime = m.graph.runtimeInputs
            let ordered = runtime.map { feed[$0.name]! }
            // Symbolic dimensions take the sizes of the data; the batch is the first input's axis 0.
            var dims: [String: Int] = [:]
            for (vi, t) in zip(runtime, ordered) {
                for (axis, d) in (vi.dims ?? []).enumerated() where axis < t.rank {
                    if case .symbolic(let s) = d, !s.isEmpty { dims[s] = t.shape[axis] }
                }
            }
            let batch = max(1, ordered.first(where: { $0.rank > 0 })?.shape[0] ?? 1)
            do {
                let plan = try planner.plan(batch: batch, dims: dims)
                outputs = try plan.run(ordered)
                break
            } catch {
                let text = "\(error)"
                guard text.contains("must be known at load time") else { return skipOrFail(error, stage: "run") }
                // The message names the value: "input 1 ('shape') must be known at load time".
                var names: [String] = []
                if let open = text.range(of: "('"), let close = text.range(of: "')", range: open.upperBound..<text.endIndex) {
                    names = [String(text[open.upperBound..<close.lowerBound])]
                }
                if !names.contains(where: { n in runtime.contains { $0.name == n } }) {
                    // Computed from an input (Cast(shape) → Reshape): bind every non-float input.
                    names = runtime.filter { $0.dtype != .float32 }.map(\.name)
                }
                names = names.filter { n in runtime.contains { $0.name == n } && !bound.contains(n) }
                guard !names.isEmpty else { return skipOrFail(error, stage: "run") }
                for n in names { m.graph.initializers[n] = feed[n]! }
                bound += names
                do { planner = try Planner(model: m) } catch { return skipOrFail(error, stage: "plan") }
            }
        }
        guard outputs.count >= expected.count else {
            return .failed("produced \(outputs.count) output(s), the test data has \(expected.count)")
        }
        for (k, want) in expected.enumerated() {
            let got = outputs[k]
            let name = k < model.graph.outputs.count ? model.graph.outputs[k].name : "#\(k)"
            if got.dtype != want.dtype && !(got.dtype.isInteger && want.dtype.isInteger) {
                return .failed("output '\(name)' is \(got.dtype), expected \(want.dtype)")
            }
            let tol = c.tolerance(output: k)
            let cmp = compare(got, want, rtol: tol.rtol, atol: tol.atol)
            if !cmp.ok {
                return .failed("output '\(name)' \(got.shape) (rtol \(tol.rtol), atol \(tol.atol)): \(cmp)")
            }
        }
        return .passed(boundConstants: bound)
    }
}

struct ConformanceReport {
    let results: [(ConformanceCase, Outcome)]
    let seconds: Double

    var passed: [ConformanceCase] { results.compactMap { if case .passed = $0.1 { return $0.0 } else { return nil } } }
    var passedWithConstants: [ConformanceCase] {
        results.compactMap { if case .passed(let b) = $0.1, !b.isEmpty { return $0.0 } else { return nil } }
    }
    var failed: [(ConformanceCase, String)] {
        results.compactMap { if case .failed(let r) = $0.1 { return ($0.0, r) } else { return nil } }
    }
    var skipped: [(ConformanceCase, String, String)] {
        results.compactMap { if case .skipped(let g, let d) = $0.1 { return ($0.0, g, d) } else { return nil } }
    }

    var summaryLine: String { "conformance: \(passed.count) passed, \(failed.count) failed, \(skipped.count) skipped" }

    var text: String {
        var lines: [String] = []
        // Skips, the unsupported operators first (with how many cases each would unlock).
        let skips = skipped
        let unsupported = skips.filter { $0.1 == "unsupported operator" }
        if !unsupported.isEmpty {
            var perOp: [String: Int] = [:]
            for (_, _, ops) in unsupported { for op in ops.split(separator: ",") { perOp[String(op), default: 0] += 1 } }
            lines.append("skipped for unsupported operators (\(unsupported.count) cases; operator: cases):")
            let sorted = perOp.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            var line = " "
            for (op, n) in sorted {
                let item = " \(op): \(n)"
                if line.count + item.count > 110 { lines.append(line); line = " " }
                line += item
            }
            if line.count > 1 { lines.append(line) }
        }
        var groups: [String: [(String, String)]] = [:]
        for (c, g, d) in skips where g != "unsupported operator" { groups[g, default: []].append((c.name, d)) }
        for g in groups.keys.sorted(by: { groups[$0]!.count != groups[$1]!.count ? groups[$0]!.count > groups[$1]!.count : $0 < $1 }) {
            let members = groups[g]!
            lines.append("skipped, \(g) (\(members.count)):")
            var byDetail: [String: [String]] = [:]
            for (name, d) in members { byDetail[d, default: []].append(name) }
            for (d, names) in byDetail.sorted(by: { $0.value.count > $1.value.count }) {
                let shown = names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", … (\(names.count))" : "")
                lines.append(d.hasPrefix("tensor(") || d == g.replacingOccurrences(of: "type ", with: "")
                             ? "  \(shown)" : "  \(d.prefix(140)) — \(shown)")
            }
        }
        let fails = failed
        if !fails.isEmpty {
            var perOp: [String: Int] = [:]
            for (c, _) in fails { for op in c.ops { perOp[op, default: 0] += 1 } }
            let top = perOp.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(25)
            lines.append("failed cases by operator: " + top.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            lines.append("failed (\(fails.count)):")
            for (c, reason) in fails {
                let r = reason.replacingOccurrences(of: "\n", with: " ")
                lines.append("  \(c.kind)/\(c.name) [\(c.ops.joined(separator: ","))]: \(r.prefix(300))")
            }
        }
        let withConstants = passedWithConstants.count
        if withConstants > 0 {
            lines.append("\(withConstants) of the passed cases fed a shape-deciding value (shape, axes, starts, scales …) as a graph input; it was bound as a load-time constant")
        }
        lines.append(String(format: "(%d cases in %.1f s)", results.count, seconds))
        lines.append(summaryLine)
        return lines.joined(separator: "\n")
    }
}
