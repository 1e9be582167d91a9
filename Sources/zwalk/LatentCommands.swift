import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

// `zwalk sample`, `zwalk directions`, `zwalk encode`, and what `zwalk decode` needs to read a zwalk
// PNG's latents and write PNGs.

// MARK: sample

let sampleCommand = Command(
    name: "sample", summary: "Draw latents from seeds and decode them: one PNG, one PNG per seed, or a .npy batch.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT", "OUT.png (one sample), OUT-{seed}.png (one PNG per sample, {seed} replaced), or OUT.npy (the decoded batch, (N, C, H, W))"),
        .value("seed", "S", "the first seed", default: "0"),
        .value("count", "N", "samples, with seeds S, S+1, …, S+N−1", default: "1"),
        .value("seeds", "LIST", "explicit seeds instead of --seed/--count: 1,5,9 or ranges 0-15"),
    ] + modelOptions + priorOptions + [
        .value("scale", "N", "enlarge every sample N× (nearest neighbour)", default: "1"),
        .value("output-range", "LO,HI", "the model output values shown as black…white", default: "the model's range (zwalk info)"),
    ] + outputOptions,
    details: """
    examples:
      zwalk sample --seed 42 --out face.png
      zwalk sample --seed 0 --count 16 --out samples/s-{seed}.png --latents-out z.npy
      zwalk sample --seeds 3,17,40-43 --psi 0.7 --out batch.npy
    Seeds: sample i is exactly numpy.random.RandomState(seed_i).standard_normal(latent shape)·ψ with
    seed_i = S + i (one RandomState per sample, the convention of GAN repositories' --seeds), so a
    seed found here is the same latent in a Python notebook. --prior uniform draws
    RandomState(seed).uniform(-1, 1, latent shape) instead.
    Each PNG carries zwalk.seeds, zwalk.latents, zwalk.model_sha256 and zwalk.command (the command
    line that reproduces it); 'zwalk decode --latents OUT.png' gets the same latent back. The same
    command always writes the same bytes; existing files are kept unless --force.
    """
) { inv in
    let out = try inv.required("out")
    let kind = try outputKind(out, inv)
    let model = try LatentModel(inv)
    let p = try prior(inv, model)
    // Only --scale and --output-range apply to single pictures; the rest keep their defaults.
    let style = try figureStyle(inv, model)
    let seeds: [UInt32]
    if let list = inv.string("seeds") {
        if inv.string("seed") != nil || inv.string("count") != nil { throw usageError(inv, "give --seeds, or --seed with --count, not both") }
        seeds = try parseSeedList(list, option: "seeds", inv)
    } else {
        let count = try boundedInt(inv, "count", default: 1, in: 1...100_000)
        seeds = try Figures.consecutiveSeeds(from: seedValue(inv), count: count)
    }
    let latents = try p.sample(seeds: seeds)
    let rows = (0..<seeds.count).map { Array(latents.floats[($0 * model.latentCount)..<(($0 + 1) * model.latentCount)]) }
    let force = inv.flag("force")
    let latentsOut = inv.string("latents-out")
    let extraOut = latentsOut.map { [$0] } ?? []

    switch kind {
    case .npy:
        try checkWritable([out] + extraOut, force: force)
        let batch = try decodeLatents(model, latents.floatArray, count: seeds.count, label: "decoding")
        try NPY.write(batch, to: out, overwrite: force)
        note("wrote \(out): \(batch.shape)")
    case .png:
        let templated = out.contains("{seed}")
        guard templated || seeds.count == 1 else {
            throw usageError(inv, "\(seeds.count) samples need {seed} in --out (e.g. s-{seed}.png), or use 'zwalk grid' for one figure")
        }
        let paths = seeds.map { out.replacingOccurrences(of: "{seed}", with: String($0)) }
        try checkWritable(paths + extraOut, force: force)
        let batch = try decodeLatents(model, latents.floatArray, count: seeds.count, label: "decoding")
        let pictures = try images(batch, style: style)
        for (i, image) in pictures.enumerated() {
            let meta = try pngMetadata(
                model, description: "sample of \(p), seed \(seeds[i])",
                figure: [("kind", .string("sample")), ("rows", .int(1)), ("cols", .int(1)), ("scale", .int(style.scale)),
                         ("prior", .string(p.kind.rawValue)), ("psi", .double(p.psi))],
                latents: [rows[i]], extra: [(PNGMetadata.Key.seeds, PNGMetadata.seedsJSON([Int64(seeds[i])]))])
            try PNGCodec.write(image, to: paths[i], text: meta.pairs, overwrite: force)
        }
        note(paths.count == 1 ? "wrote \(paths[0])" : "wrote \(paths.count) samples \(paths[0])…\(paths[paths.count - 1])")
    }
    if let path = latentsOut { try writeLatents(rows, model: model, to: path, force: force) }
    return 0
}

// MARK: directions

let directionsCommand = Command(
    name: "directions", summary: "Find latent directions (per-axis, SeFa, PCA, local Jacobian, attribute) and save them with their metadata.",
    positionals: "[MODEL]",
    options: [
        .value("out", "DIRS.npy", "the directions as rows (count, latent size), float32; metadata goes to DIRS.npy.json"),
        .value("method", "auto|axis|sefa|pca|local|attribute", "how to find them (see below)", default: "auto (\(DirectionMethod.autoHelp))"),
        .value("count", "K", "keep the top K", default: "all"),
        .value("samples", "N", "axis: prior samples the axes are ranked over; pca: samples whose activations are analysed",
               default: "32 for axis, 2048 for pca"),
        .value("seed", "S", "axis, pca: the seed of the samples; local: the latent's seed", default: "0"),
        .value("latent", "FILE", "local: take the directions at this latent (.npy or zwalk PNG) instead of --seed"),
        .value("index", "I", "local: which row of --latent", default: "0"),
        .value("node", "NAME", "pca: the value whose activations are analysed", default: "the first layer's output"),
        .flag("sefa-normalize", "sefa: normalise each output unit's weights first, as the authors' code does"),
        .value("positive", "FILE", "attribute: latents having the attribute (.npy rows or a zwalk PNG)"),
        .value("negative", "FILE", "attribute: latents without it"),
        .value("classifier", "mean-difference|logistic", "attribute: difference of means, or a logistic boundary's normal", default: "mean-difference"),
        .value("name", "NAME", "attribute: the direction's name", default: "attribute"),
    ] + modelOptions + priorOptions + [
        .flag("force", "overwrite DIRS.npy and its sidecar"),
    ],
    details: """
    methods and their cost (decodes of the model):
      auto       \(DirectionMethod.autoHelp)
      axis       the latent axes ranked by the mean |change| of the output for a 1σ step, over --samples
                 prior samples: samples·(latent size + 1) decodes; named by the model's zwalk.dim_names
      sefa       closed-form factorisation: eigenvectors of AᵀA for the first Gemm/MatMul/ConvTranspose
                 on the latent, scored by eigenvalue; no decodes
      pca        GANSpace: PCA of --node's activations over --samples samples, mapped back to latent
                 directions by least squares; scored by the components' standard deviations, and a
                 1σ step moves a component by one standard deviation; --samples partial decodes
      local      top right-singular vectors of the decoder's Jacobian at --seed/--latent (central
                 differences): 2·latent size decodes
      attribute  mean(--positive) − mean(--negative), or a logistic classifier's normal; no decodes
    The ranked directions are printed with their scores. The JSON sidecar records the method, the
    model's sha256 and latent shape: traverse and slice refuse a set made for another model.
    example: zwalk directions --method sefa --count 5 --out sefa.npy && zwalk traverse --directions sefa.npy --out t.png
    """
) { inv in
    let out = try inv.required("out")
    _ = try outputKind(out, inv, allowed: [.npy])
    let model = try LatentModel(inv)
    let p = try prior(inv, model)
    let methodName = inv.string("method") ?? defaultDirections
    guard let method = DirectionMethod(name: methodName) else {
        throw usageError(inv, "--method must be one of \(DirectionMethod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(methodName)'")
    }
    var count: Int? = nil
    if inv.string("count") != nil { count = try boundedInt(inv, "count", default: 1, in: 1...1_000_000) }
    let force = inv.flag("force")
    // Refuse before the work, not after it.
    try checkWritable([out, DirectionSet.sidecarPath(for: out)], force: force)
    let set: DirectionSet
    switch method {
    case .attribute:
        guard let pos = inv.string("positive"), let neg = inv.string("negative") else {
            throw usageError(inv, "--method attribute needs --positive FILE and --negative FILE (latents as .npy rows or zwalk PNGs)")
        }
        let cls = inv.string("classifier") ?? "mean-difference"
        guard let classifier = Directions.AttributeMethod(rawValue: cls) else {
            throw usageError(inv, "--classifier must be one of \(Directions.AttributeMethod.allCases.map(\.rawValue).joined(separator: ", ")), got '\(cls)'")
        }
        set = try Directions.attribute(positive: LatentFile(path: pos, model: model).rows, negative: LatentFile(path: neg, model: model).rows,
                                       latentShape: model.latentShape, modelSHA256: try model.fingerprint(), method: classifier,
                                       name: inv.string("name") ?? "attribute", prior: p)
    case .local:
        let base = try baseLatent(inv, model, p)
        set = try computeDirections(.local, inv: inv, model: model, prior: p, point: base.values, seed: base.seed ?? 0, count: count)
    default:
        let seed = try seedValue(inv)
        set = try computeDirections(method, inv: inv, model: model, prior: p, point: [], seed: seed, count: count)
    }
    try set.save(npyPath: out, overwrite: force)
    print(directionTable(set), terminator: "")
    note("wrote \(out) and \(DirectionSet.sidecarPath(for: out)): \(set.count) \(set.method) direction(s); \(set.notes)")
    return 0
}

// MARK: encode

/// Where the encoder of a decoder lives: --encoder, or the decoder's `zwalk.encoder` metadata
/// relative to the decoder file's directory.
private func encoderPath(_ inv: Invocation, _ model: LatentModel) throws -> String {
    if let e = inv.string("encoder") { return e }
    guard let name = model.description.encoderFile, !name.isEmpty else {
        throw ModelError("\(model.path) names no encoder (no zwalk.encoder metadata); pass --encoder FILE.onnx")
    }
    if name.hasPrefix("/") { return name }
    return URL(fileURLWithPath: model.path).deletingLastPathComponent().appendingPathComponent(name).path
}

let encodeCommand = Command(
    name: "encode", summary: "Encode an image into a latent through the model's encoder (its mean, mu), written as .npy.",
    positionals: "[MODEL]",
    options: [
        .value("image", "FILE.png", "the picture to encode (any PNG: gray, RGB, palette, 16-bit)"),
        .value("out", "Z.npy", "the latent, shape (1, latent…), float32: the encoder's first output"),
        .value("encoder", "FILE.onnx", "the encoder", default: "the decoder's zwalk.encoder metadata, next to MODEL"),
        .value("reconstruction", "FILE.png", "also decode the latent and save the picture (with zwalk metadata)"),
        .value("input-range", "LO,HI", "the encoder input values black…white map to", default: "the encoder's zwalk.input_range, else the decoder's output range"),
    ] + modelOptions + [
        .flag("force", "overwrite existing output files"),
    ],
    details: """
    MODEL is the decoder; its encoder is found from its zwalk.encoder metadata (relative to the
    decoder's file) or given with --encoder. The picture is converted to the encoder's channels (gray
    with PIL's luma weights, RGB dropping alpha), resized to the encoder's input with PIL's bilinear
    filter, and mapped from 0…255 to the input range. The encoder's first output (mu) is written and
    printed on stdout as a JSON list.
    example: zwalk encode --image face.png --out z.npy --reconstruction back.png && zwalk traverse --latent z.npy --out t.png
    """
) { inv in
    let imagePath = try inv.required("image"), out = try inv.required("out")
    _ = try outputKind(out, inv, allowed: [.npy])
    let force = inv.flag("force")
    let reconstruction = inv.string("reconstruction")
    if let r = reconstruction { _ = try outputKind(r, inv, allowed: [.png]) }
    try checkWritable([out] + (reconstruction.map { [$0] } ?? []), force: force)
    let model = try LatentModel(inv)
    let encPath = try encoderPath(inv, model)
    let encoder = try loadModel(encPath)
    let session = try InferenceSession(model: encoder)
    let plan = try session.plan(batch: 1)
    guard plan.inputShapes.count == 1 else {
        throw ModelError("\(encPath): the encoder takes \(plan.inputShapes.count) inputs (\(plan.inputNames.joined(separator: ", "))); zwalk feeds one image")
    }
    let inShape = plan.inputShapes[0]
    let (c, h, w): (Int, Int, Int)
    switch inShape.count {
    case 4 where [1, 3, 4].contains(inShape[1]): (c, h, w) = (inShape[1], inShape[2], inShape[3])
    case 3: (c, h, w) = (1, inShape[1], inShape[2])
    default:
        throw ModelError("\(encPath): input '\(plan.inputNames[0])' has shape \(inShape) at batch 1; zwalk feeds images as (1, C, H, W) with C = 1, 3 or 4, or (1, H, W)")
    }
    var range = model.description.outputRange
    if let r = inv.string("input-range") ?? encoder.metadata["zwalk.input_range"] {
        let parts = r.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts[0] < parts[1] else {
            throw ModelError("input range '\(r)' (\(inv.string("input-range") != nil ? "--input-range" : "\(encPath) metadata zwalk.input_range")) must be 'LO,HI' with LO < HI")
        }
        range = (parts[0], parts[1])
    }
    let picture = try PNGCodec.read(path: imagePath).image
    let fitted = try picture.converted(channels: c).resized(width: w, height: h)
    let x = Tensor(shape: inShape, floats: fitted.toCHWFloats(range: range))
    let outputs = try plan.run([x])
    guard let mu = outputs.first, mu.dtype == .float32 else { throw ModelError("\(encPath): the encoder has no float output") }
    guard mu.count == model.latentCount else {
        throw ModelError("\(encPath): its first output '\(plan.outputNames.first ?? "?")' has shape \(mu.shape) (\(mu.count) values), but \(model.path) takes latents of \(model.latentShape) (\(model.latentCount) values)")
    }
    let z = mu.floatArray
    try NPY.write(Tensor(shape: [1] + model.latentShape, floats: z), to: out, overwrite: force)
    print(JSON.array(z.map { .float($0) }).text)
    note("wrote \(out): latent of \(imagePath) (\(picture.width)×\(picture.height) → \(w)×\(h), \(c) channel(s), range \(range.0)…\(range.1)) by \(encPath)")
    if let r = reconstruction {
        let batch = try decodeLatents(model, z, count: 1, label: "decoding")
        let image = try Image.fromBatch(batch, index: 0, range: model.description.outputRange)
        let meta = try pngMetadata(model, description: "reconstruction of \(URL(fileURLWithPath: imagePath).lastPathComponent) through \(URL(fileURLWithPath: encPath).lastPathComponent)",
                                   figure: [("kind", .string("reconstruction")), ("rows", .int(1)), ("cols", .int(1)), ("scale", .int(1))],
                                   latents: [z], extra: [("zwalk.encoder_sha256", try SHA256.hash(file: encPath))])
        try PNGCodec.write(image, to: r, text: meta.pairs, overwrite: force)
        note("wrote \(r)")
    }
    return 0
}

// MARK: decode (PNG in and out)

/// What `zwalk decode` adds for PNGs: --latents may be a zwalk PNG, --out may be .png.
let decodePNGOptions: [Option] = [
    .value("cols", "C", ".png out: columns of the grid when there are several latents", default: "the source PNG's columns, else ⌈√N⌉"),
    .value("scale", "N", ".png out: enlarge every sample N×", default: "1"),
    .value("padding", "P", ".png out: pixels around and between cells", default: "2"),
]

/// The latents `zwalk decode --latents` names, as (N, latent…): a zwalk PNG's `zwalk.latents`, or
/// nil for any other file (read as .npy by the caller). Also returns the PNG's grid columns.
func decodeLatentsFromPNG(_ path: String, model: LatentModel) throws -> (latents: Tensor, cols: Int?)? {
    guard URL(fileURLWithPath: path).pathExtension.lowercased() == "png" else { return nil }
    let file = try LatentFile(path: path, model: model)
    var cols: Int? = nil
    if let fig = file.pngText?["zwalk.figure"], let obj = try? JSONSerialization.jsonObject(with: Data(fig.utf8)) as? [String: Any],
       let c = obj["cols"] as? Int, c >= 1, c <= file.rows.count {
        cols = c
    }
    return (Tensor(shape: [file.rows.count] + model.latentShape, floats: file.rows.flatMap { $0 }), cols)
}

/// `zwalk decode --out X.png`: one latent gives one picture; several give a grid (--cols, default
/// the source figure's columns or ⌈√N⌉) with the same padding as the figure commands, so cells sit
/// at the same pixels as in the source figure. Carries the same metadata as every zwalk PNG.
func writeDecodedPNG(_ y: Tensor, latents z: Tensor, model: LatentModel, sourceCols: Int?, out: String, inv: Invocation) throws {
    let n = y.shape.first ?? 0
    let style = FigureStyle(scale: try boundedInt(inv, "scale", default: 1, in: 1...64),
                            padding: try boundedInt(inv, "padding", default: 2, in: 0...256), labels: false,
                            range: model.description.outputRange)
    let cols = try boundedInt(inv, "cols", default: sourceCols ?? Int(Double(n).squareRoot().rounded(.up)), in: 1...4096)
    let rows = (n + cols - 1) / cols
    let cells = try images(y, style: style)
    let image = n == 1 ? cells[0] : try Grid.compose(cells, layout: GridLayout(rows: rows, cols: cols, padding: style.padding))
    let latents = (0..<n).map { Array(z.floats[($0 * model.latentCount)..<(($0 + 1) * model.latentCount)]) }
    let figure: [(String, JSON)] = [("kind", .string(n == 1 ? "sample" : "decoded")), ("rows", .int(n == 1 ? 1 : rows)),
                                    ("cols", .int(n == 1 ? 1 : cols)), ("scale", .int(style.scale))]
        + (n == 1 ? [] : [("padding", .int(style.padding))])
    let meta = try pngMetadata(model, description: "\(n) decoded latent(s)", figure: figure, latents: latents)
    try PNGCodec.write(image, to: out, text: meta.pairs, overwrite: inv.flag("force"))
    note("wrote \(out): \(n) sample(s), \(image.width)×\(image.height) pixels")
}
