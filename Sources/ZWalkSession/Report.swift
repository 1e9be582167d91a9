import Foundation
import ZWalkFormats
import ZWalkEngine
import ZWalkRemote

// What `zwalk info` says about a model, as text and as JSON: its inputs, outputs, latent, output
// range (and where it came from), operators, size, cost and metadata.

extension ModelSession {
    /// The model described, one `key  value` line each, for people.
    public func report() throws -> String {
        if let remote { return remoteReport(remote) }
        let r = try Report(self)
        let d = description, model = try localModel(for: "info").model, g = model.graph
        var lines = ["model        \(path)"]
        if !model.producer.isEmpty { lines.append("producer     \(model.producer)") }
        lines.append("opset        " + model.opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "ai.onnx" : $0.key) \($0.value)" }.joined(separator: ", "))
        for v in g.runtimeInputs { lines.append("input        \(v.name) \(Report.dims(v)) \(v.dtype.map(\.description) ?? "type \(v.elementType)")") }
        for v in g.outputs { lines.append("output       \(v.name) \(Report.dims(v))") }
        lines.append("latent       \(d.latentShape) (\(d.latentCount) values), prior \(d.prior)")
        let image = d.imageShape.map { "\($0.channels)×\($0.height)×\($0.width) image" } ?? "not an image"
        lines.append("sample       \(d.outputShape) — \(image)")
        lines.append("range        \(d.outputRange.0)…\(d.outputRange.1) (\(d.outputRangeSource))")
        lines.append("parameters   \(Report.count(r.parameters))")
        lines.append("cost         \(String(format: "%.3f", r.flops / 1e9)) GFLOP per sample (Conv, ConvTranspose, Gemm, MatMul)")
        lines.append("nodes        \(g.nodes.count): " + r.operators.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if let s = d.summary { lines.append("about        \(s)") }
        if !d.dimNames.isEmpty {
            lines.append("named dims   " + d.dimNames.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        if let b = bindReport, let w = options.weights {
            lines.append("weights      \(w) — \(b.fileKind)" + (b.fileEntries.isEmpty ? "" : " (" + b.fileEntries.joined(separator: ", ") + ")"))
            lines.append("bound        \(b.bound.count) initializer(s): " + b.ruleCounts.map { "\($0.count) by \($0.rule.rawValue)" }.joined(separator: ", "))
            for m in b.mappings where m.initializer != m.tensor {
                lines.append("  \(m.initializer) ← \(m.tensor) (\(m.rule.rawValue))")
            }
            if b.mappings.contains(where: { $0.rule == .batchNormFold }) {
                lines.append("  BatchNorm folded with eps \(BindReport.batchNormEpsilon) (PyTorch's default; state dicts do not store it)")
            }
            if !b.unusedInFile.isEmpty {
                lines.append("skipped      \(b.unusedInFile.count) tensor(s) of the file the graph does not use: "
                             + b.unusedGroups.map { "\($0.prefix) \($0.count)" }.joined(separator: ", "))
            }
            if !b.notCovered.isEmpty { lines.append("kept         \(b.notCovered.count) constant(s) of the graph: " + b.notCovered.joined(separator: ", ")) }
        }
        if !model.metadata.isEmpty {
            lines.append("metadata")
            for (k, v) in model.metadata.sorted(by: { $0.key < $1.key }) { lines.append("  \(k) = \(v)") }
        }
        return lines.joined(separator: "\n")
    }

    /// The same as one JSON object, keys sorted, for scripts.
    public func reportJSON() throws -> String {
        if let remote { return try remoteReportJSON(remote) }
        let r = try Report(self)
        let d = description, model = try localModel(for: "info").model, g = model.graph
        var obj: [String: Any] = [
            "model": path,
            "inputs": g.runtimeInputs.map { ["name": $0.name, "shape": Report.dims($0)] },
            "outputs": g.outputs.map { ["name": $0.name, "shape": Report.dims($0)] },
            "latent_shape": d.latentShape, "output_shape": d.outputShape,
            "output_range": [d.outputRange.0, d.outputRange.1], "output_range_source": d.outputRangeSource,
            "prior": d.prior, "operators": r.operators, "parameters": r.parameters,
            "flops_per_sample": r.flops, "metadata": model.metadata,
            "opsets": model.opsets.map { ["domain": $0.key.isEmpty ? "ai.onnx" : $0.key, "version": $0.value] },
        ]
        if let b = bindReport, let w = options.weights {
            obj["weights"] = [
                "file": w, "kind": b.fileKind, "entries": b.fileEntries, "bound": b.bound.count, "skipped": b.unusedInFile,
                "kept": b.notCovered,
                "rules": Dictionary(uniqueKeysWithValues: b.ruleCounts.map { ($0.rule.rawValue, $0.count) }),
                "mappings": b.mappings.map { ["initializer": $0.initializer, "tensor": $0.tensor, "rule": $0.rule.rawValue] },
            ] as [String: Any]
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}

extension ModelSession {
    /// What the server says of a served model, and what zwalk made of it.
    func remoteReport(_ r: RemoteDecoder) -> String {
        let d = description, m = r.metadata
        var lines = ["model        \(m.name.isEmpty ? r.address.model : m.name) on \(r.server.address) (Open Inference Protocol)"]
        if let v = r.address.version { lines.append("version      \(v)") }
        if !m.versions.isEmpty { lines.append("versions     \(m.versions.joined(separator: ", "))") }
        if !m.platform.isEmpty { lines.append("platform     \(m.platform)") }
        for t in m.inputs { lines.append("input        \(t.name) \(t.shape) \(t.datatype)") }
        for t in m.outputs { lines.append("output       \(t.name) \(t.shape) \(t.datatype)") }
        lines.append("batch        " + (m.maxBatchSize.map { "at most \($0) per request (max_batch_size)" } ?? "\(decoder.maxBatch) per request (the server states no limit)"))
        lines.append("latent       \(d.latentShape) (\(d.latentCount) values), prior \(d.prior)")
        let image = d.imageShape.map { "\($0.channels)×\($0.height)×\($0.width) image" } ?? "not an image"
        lines.append("sample       \(d.outputShape) — \(image)")
        lines.append("range        \(outputRange.0)…\(outputRange.1) (\(options.outputRange != nil ? "--output-range" : d.outputRangeSource))")
        if let t = r.lastRoundTrip { lines.append("round trip   \(String(format: "%.1f", t * 1000)) ms for one latent") }
        if !d.dimNames.isEmpty {
            lines.append("named dims   " + d.dimNames.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        }
        if !m.parameters.isEmpty {
            lines.append("parameters")
            for (k, v) in m.parameters.sorted(by: { $0.key < $1.key }) { lines.append("  \(k) = \(v)") }
        }
        lines.append("fingerprint  \(r.fingerprint)")
        return lines.joined(separator: "\n")
    }

    func remoteReportJSON(_ r: RemoteDecoder) throws -> String {
        let d = description, m = r.metadata
        func tensors(_ list: [TensorMetadata]) -> [[String: Any]] { list.map { ["name": $0.name, "shape": $0.shape, "datatype": $0.datatype] } }
        var obj: [String: Any] = [
            "model": path, "server": r.server.address, "name": r.address.model, "protocol": "open-inference-v2",
            "inputs": tensors(m.inputs), "outputs": tensors(m.outputs),
            "latent_shape": d.latentShape, "output_shape": d.outputShape,
            "output_range": [outputRange.0, outputRange.1],
            "output_range_source": options.outputRange != nil ? "--output-range" : d.outputRangeSource,
            "prior": d.prior, "metadata": m.parameters, "fingerprint": r.fingerprint, "max_batch": decoder.maxBatch,
        ]
        if let v = r.address.version { obj["version"] = v }
        return String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}

/// The counts both reports share.
private struct Report {
    let operators: [String: Int]
    let parameters: Int
    let flops: Double

    init(_ s: ModelSession) throws {
        let local = try s.localModel(for: "info")
        let g = local.model.graph
        operators = g.nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
        parameters = g.initializers.values.filter { $0.dtype == .float32 }.reduce(0) { $0 + $1.count }
        flops = try local.session.plan(batch: 1).flops
    }

    static func dims(_ v: ValueInfo) -> String { v.dims.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[?]" }

    static func count(_ n: Int) -> String {
        n >= 1_000_000 ? String(format: "%.2f M", Double(n) / 1e6) : n >= 1000 ? String(format: "%.1f k", Double(n) / 1e3) : "\(n)"
    }
}
