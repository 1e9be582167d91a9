import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent
import ZWalkSession

// `zwalk sample`, `zwalk decode`, `zwalk directions`, `zwalk encode`: latents in and out.

let sampleCommand = Command(
    name: "sample", summary: "Draw latents from seeds and decode them: one PNG, one PNG per seed, or a .npy batch.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT", "OUT.png (one sample), OUT-{seed}.png (one PNG per sample, {seed} replaced), or OUT.npy (the decoded batch, (N, C, H, W))"),
        .value("seed", "S", "the first seed", default: "0"),
        .value("count", "N", "samples, with seeds S, S+1, …, S+N−1", default: "1"),
        .list("seeds", "LIST", "explicit seeds instead of --seed/--count: 1,5,9 or ranges 0-15"),
        .value("scale", "N", "enlarge every sample N× (nearest neighbour)", default: "1"),
    ] + modelOptions + outputOptions,
    details: """
    examples:
      zwalk sample --seed 42 --out face.png
      zwalk sample --seed 0 --count 16 --out samples/s-{seed}.png --latents-out z.npy
      zwalk sample --seeds 3,17,40-43 --psi 0.7 --out batch.npy
    Sample i has seed S + i (one RandomState per sample, as GAN repositories' --seeds); --prior
    uniform draws RandomState(seed).uniform(-1, 1, latent shape) instead.
    \(figureConventions)
    """
) { inv in
    let out = try inv.required("out")
    let templated = out.contains("{seed}")
    try precheckOutput(out, inv, templated: templated)
    let seeds: [UInt32]
    if !inv.list("seeds").isEmpty {
        if inv.string("seed") != nil || inv.string("count") != nil { throw usageError(inv, "give --seeds, or --seed with --count, not both") }
        seeds = try seedList(inv, "seeds", default: "")
    } else {
        seeds = try Figures.consecutiveSeeds(from: seedValue(inv), count: boundedInt(inv, "count", default: 1, in: 1...100_000))
    }
    let session = try openSession(inv)
    let spec = try session.samplesFigure(seeds: seeds, rows: 1, cols: seeds.count)
    let style = FigureStyle(scale: try boundedInt(inv, "scale", default: 1, in: 1...64))
    if try OutputKind(path: out) == .npy {
        note(try session.write(spec, style: style, to: out, latentsOut: inv.string("latents-out"), command: reproducingCommand(),
                               overwrite: inv.flag("force")))
        return 0
    }
    guard templated || seeds.count == 1 else {
        throw usageError(inv, "\(seeds.count) samples need {seed} in --out (e.g. s-{seed}.png), or use 'zwalk grid' for one figure")
    }
    note(try session.writeCells(spec, style: style, paths: OutputTemplate.expand(out, key: "seed", values: seeds.map { Int($0) }),
                                latentsOut: inv.string("latents-out"), command: reproducingCommand(), overwrite: inv.flag("force")))
    return 0
}

let decodeCommand = Command(
    name: "decode", summary: "Decode latents from .npy files or zwalk PNGs into images: .npy (N×C×H×W) or .png (one picture, or a grid).",
    positionals: "[MODEL]",
    options: modelOptions + [
        .list("latents", "Z.npy|FIG.png", "latents, one per row: shape (N, latent…) or (N, latent count); or a PNG written by zwalk (its zwalk.latents)"),
        .value("out", "OUT.npy|OUT.png", "the decoded batch: .npy (float32, the model's output range) or .png"),
        .value("cols", "C", ".png out: columns of the grid when there are several latents", default: "the source PNG's columns, else ⌈√N⌉"),
        .value("scale", "N", ".png out: enlarge every sample N×", default: "1"),
        .value("padding", "P", ".png out: pixels around and between cells", default: "2"),
        .flag("force", "overwrite OUT if it exists"),
    ],
    details: """
    examples:
      zwalk sample --seed 0 --count 4 --out s-{seed}.png --latents-out z.npy && zwalk decode --latents z.npy --out images.npy
      zwalk grid --rows 2 --cols 3 --out grid.png && zwalk decode --latents grid.png --out same-cells.png
    A .png OUT of several latents is a grid (--cols, default the source figure's columns) with the
    figure commands' padding, so each cell lands on the same pixels as in the source figure.
    """
) { inv in
    let files = inv.list("latents"), out = try inv.required("out")
    guard !files.isEmpty else { throw usageError(inv, "--latents is required; see 'zwalk decode --help'") }
    try precheckOutput(out, inv)
    let session = try openSession(inv)
    let read = try files.map { try readLatents($0, session) }
    let rows = read.flatMap(\.rows)
    let cols = try boundedInt(inv, "cols", default: read.count == 1 ? read[0].figureColumns ?? Int(Double(rows.count).squareRoot().rounded(.up))
                                  : Int(Double(rows.count).squareRoot().rounded(.up)), in: 1...4096)
    let spec = session.latentsFigure(rows, cols: cols, source: files.joined(separator: ", "))
    let style = FigureStyle(scale: try boundedInt(inv, "scale", default: 1, in: 1...64), padding: try boundedInt(inv, "padding", default: 2, in: 0...256))
    note(try session.write(spec, style: style, to: out, command: reproducingCommand(), overwrite: inv.flag("force")))
    return 0
}

let directionsCommand = Command(
    name: "directions", summary: "Find latent directions (per-axis, SeFa, PCA, local Jacobian, attribute) and save them with their metadata.",
    positionals: "[MODEL]",
    options: [
        .value("out", "DIRS.npy", "the directions as rows (count, latent size), float32; metadata goes to DIRS.npy.json"),
        .value("method", "auto|axis|sefa|pca|local|attribute", "how to find them (see below)", default: "auto (\(DirectionMethod.autoRule))"),
        .value("count", "K", "keep the top K", default: "all"),
        .value("seed", "S", "axis, pca: the seed of the samples; local: the latent's seed", default: "0"),
        .value("latent", "FILE", "local: take the directions at this latent (.npy or zwalk PNG) instead of --seed"),
        .value("index", "I", "local: which row of --latent", default: "0"),
        .flag("sefa-normalize", "sefa: normalise each output unit's weights first, as the authors' code does"),
        .list("positive", "FILE", "attribute: latents having the attribute (.npy rows or zwalk PNGs)"),
        .list("negative", "FILE", "attribute: latents without it"),
        .value("classifier", "mean-difference|logistic", "attribute: difference of means, or a logistic boundary's normal", default: "mean-difference"),
        .value("name", "NAME", "attribute: the direction's name", default: "attribute"),
    ] + directionSourceOptions.filter { $0.name != "directions" && $0.name != "trust-directions" } + modelOptions + [
        .flag("force", "overwrite DIRS.npy and its sidecar"),
    ],
    details: """
    methods and their cost (decodes of the model):
      auto       \(DirectionMethod.autoRule)
      axis       the latent axes ranked by the mean |change| of the output for a 1σ step, over --samples
                 prior samples: samples·(latent size + 1) decodes; named by the model's zwalk.dim_names
      sefa       closed-form factorisation: eigenvectors of AᵀA for the first Gemm/MatMul/ConvTranspose
                 on the latent, scored by eigenvalue; no decodes
      pca        GANSpace: PCA of --node's activations over --samples samples, mapped back to latent
                 directions by least squares; scored by the components' standard deviations; --samples
                 partial decodes
      local      top right-singular vectors of the decoder's Jacobian at --seed/--latent (central
                 differences): 2·latent size decodes
      attribute  mean(--positive) − mean(--negative), or a logistic classifier's normal; no decodes
    The ranked directions are printed with their scores. The JSON sidecar records the method, the
    model's fingerprint and latent shape: traverse, slice and the explorer refuse a set made for
    another model (or other --weights).
    example:
      zwalk directions --method sefa --count 5 --out sefa.npy && zwalk traverse --directions sefa.npy --out t.png
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutput(out, inv, allowed: [.npy])
    let method = try inv.choice("method", "one of " + DirectionMethod.allCases.map(\.rawValue).joined(separator: ", "),
                                DirectionMethod.init(name:)) ?? .auto
    let count = inv.string("count") == nil ? nil : try boundedInt(inv, "count", default: 1, in: 1...1_000_000)
    let session = try openSession(inv)
    try Outputs.prepare([out, DirectionSet.sidecarPath(for: out)], overwrite: inv.flag("force"))
    let set: DirectionSet
    switch method {
    case .attribute:
        let pos = inv.list("positive"), neg = inv.list("negative")
        guard !pos.isEmpty, !neg.isEmpty else {
            throw usageError(inv, "--method attribute needs --positive FILE and --negative FILE (latents as .npy rows or zwalk PNGs)")
        }
        let classifier = try inv.choice("classifier", "mean-difference or logistic", Directions.AttributeMethod.init(rawValue:)) ?? .meanDifference
        set = try session.attributeDirections(positive: pos.flatMap { try readLatents($0, session).rows },
                                              negative: neg.flatMap { try readLatents($0, session).rows },
                                              classifier: classifier, name: inv.string("name") ?? "attribute")
    case .local:
        let base = try baseLatent(inv, session)
        set = try session.directions(.local, at: base.values, directionRequest(inv, seed: base.seed ?? 0, count: count))
    default:
        set = try session.directions(.method(method), at: [], directionRequest(inv, seed: seedValue(inv), count: count))
    }
    try set.save(npyPath: out, overwrite: inv.flag("force"))
    print(set.table, terminator: "")
    note("wrote \(out) and \(DirectionSet.sidecarPath(for: out)): \(set.count) \(set.method) direction(s); \(set.notes)")
    return 0
}

let encodeCommand = Command(
    name: "encode", summary: "Encode an image into a latent through the model's encoder (its mean, mu), written as .npy.",
    positionals: "[MODEL]",
    options: [
        .value("image", "FILE.png", "the picture to encode (any PNG: gray, RGB, palette, 16-bit)"),
        .value("out", "Z.npy", "the latent, shape (1, latent…), float32: the encoder's first output"),
        .value("encoder", "FILE.onnx", "the encoder", default: "the decoder's zwalk.encoder metadata, next to MODEL"),
        .value("fit", "stretch|crop", "a picture of another aspect ratio: stretched (with a warning), or its centre cropped", default: "stretch"),
        .value("reconstruction", "FILE.png", "also decode the latent and save the picture (with zwalk metadata)"),
        .value("input-range", "LO,HI", "the encoder input values black…white map to", default: "the encoder's zwalk.input_range, else the decoder's output range"),
    ] + modelOptions + [
        .flag("force", "overwrite existing output files"),
    ],
    details: """
    MODEL is the decoder; its encoder is found from its zwalk.encoder metadata (relative to the
    decoder's file) or given with --encoder. The picture is converted to the encoder's channels (gray
    with PIL's luma weights, RGB dropping alpha), fitted to the encoder's input with PIL's bilinear
    filter, and mapped from 0…255 to the input range. The encoder's first output (mu) is written and
    printed on stdout as a JSON list.
    example:
      zwalk sample --seed 5 --out five.png && zwalk encode --image five.png --out z5.npy --reconstruction back.png
    """
) { inv in
    let imagePath = try inv.required("image"), out = try inv.required("out")
    try precheckOutput(out, inv, allowed: [.npy])
    let reconstruction = inv.string("reconstruction")
    if let r = reconstruction { try precheckOutput(r, inv, allowed: [.png]) }
    let fit = try inv.choice("fit", "stretch or crop", ImageFit.init(rawValue:)) ?? .stretch
    let session = try openSession(inv)
    let picture = try PNGCodec.read(path: imagePath).image
    let encoded = try session.encode(picture, fit: fit, inputRange: try inv.string("input-range").map { try parseRange($0, option: "input-range", inv) })
    if let w = encoded.warning { note("warning: \(w); --fit crop takes the centre instead") }
    try Outputs.prepare([out] + (reconstruction.map { [$0] } ?? []), overwrite: inv.flag("force"))
    _ = try session.writeLatents([encoded.latent], to: out, overwrite: inv.flag("force"))
    print(JSON.array(encoded.latent.map { .float($0) }).text)
    note("wrote \(out): latent of \(imagePath) (\(encoded.summary)) by \(encoded.encoderPath)")
    if let r = reconstruction {
        var spec = FigureSpec(kind: "reconstruction", rows: 1, cols: 1, latents: [encoded.latent],
                              description: "reconstruction of \(URL(fileURLWithPath: imagePath).lastPathComponent) through \(URL(fileURLWithPath: encoded.encoderPath).lastPathComponent)")
        spec.extra = [(PNGMetadata.Key.encoderSHA256, try SHA256.hash(file: encoded.encoderPath))]
        note(try session.write(spec, style: FigureStyle(), to: r, command: reproducingCommand(), overwrite: inv.flag("force")))
    }
    return 0
}
