import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkLatent

// `zwalk info`, `zwalk decode`, `zwalk bench`, `zwalk ops`: the runtime seen from the shell.

let infoCommand = Command(
    name: "info", summary: "Describe a model: inputs, outputs, latent, output range, operators, size, cost, metadata.",
    positionals: "[MODEL]", options: modelOptions + [.flag("json", "print one JSON object instead of text")]
) { inv in
    let path = try inv.positional(0, "MODEL", fallback: defaultModelPath())
    let model = try loadModel(path, weights: inv.string("weights"))
    let gm = try GenerativeModel(model: model)
    let plan = try gm.session.plan(batch: 1)
    let d = gm.description
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

let decodeCommand = Command(
    name: "decode", summary: "Decode a batch of latents (N×…) from a .npy file or a zwalk PNG into images, written as .npy (N×C×H×W) or .png.",
    positionals: "[MODEL]",
    options: modelOptions + [
        .value("latents", "Z.npy|FIG.png", "latents, one per row: shape (N, latent…) or (N, latent count); or a PNG written by zwalk (its zwalk.latents metadata)"),
        .value("out", "OUT.npy|OUT.png", "where to write the decoded batch: .npy (float32, the model's output range) or .png (one picture, or a grid of several)"),
        .flag("force", "overwrite OUT if it exists"),
    ] + decodePNGOptions,
    details: """
    examples:
      zwalk decode assets/vae_decoder.onnx --latents z.npy --out images.npy
      zwalk decode --latents traversal.png --out same-cells.png      the latents a zwalk PNG carries, decoded again
    A .png OUT of several latents is a grid (--cols, default the source figure's columns) with the
    figure commands' padding, so each cell lands on the same pixels as in the source figure.
    """
) { inv in
    let zPath = try inv.required("latents"), outPath = try inv.required("out")
    let model = try LatentModel(inv)
    let gm = model.generative, path = model.path
    let fromPNG = try decodeLatentsFromPNG(zPath, model: model)
    let z = try fromPNG?.latents ?? NPY.read(path: zPath)
    let d = gm.description
    guard z.dtype == .float32, z.rank >= 1, z.count == (z.shape.first ?? 0) * d.latentCount, z.shape[0] > 0 else {
        throw ModelError("\(zPath): latents of shape \(z.shape) do not fit \(path), which takes (N, \(d.latentShape.map(String.init).joined(separator: ", "))) — \(d.latentCount) values per row")
    }
    let y = try gm.decode(z)
    if URL(fileURLWithPath: outPath).pathExtension.lowercased() == "png" {
        try writeDecodedPNG(y, latents: z, model: model, sourceCols: fromPNG?.cols, out: outPath, inv: inv)
        return 0
    }
    try NPY.write(y, to: outPath, overwrite: inv.flag("force"))
    note("wrote \(outPath): \(y.shape)")
    return 0
}

let opsCommand = Command(name: "ops", summary: "List the ONNX operators the runtime supports.", positionals: "", options: []) { _ in
    for op in OperatorRegistry.supportedOperators { print(op) }
    return 0
}
