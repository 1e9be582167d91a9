import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

// `zwalk grid`, `zwalk traverse`, `zwalk slice`, `zwalk interpolate`: figures of a latent space as
// PNGs that carry the latents of every cell, the model fingerprint and the command that made them.
// Latents come from ZWalkLatent's `Figures`; decoding, composing and writing from LatentSupport.

private let figureCommonOptions: [Option] = modelOptions + priorOptions + figureStyleOptions + outputOptions

private let seedConvention = """
    Seeds: --seed S draws exactly numpy.random.RandomState(S).standard_normal(latent shape) (×ψ), so
    a seed here is the same latent in a Python notebook; several samples take consecutive seeds
    S, S+1, … (one RandomState per sample, the convention of GAN repositories' --seeds).
    """

private let metadataNote = """
    Every PNG carries tEXt metadata: zwalk.model_sha256, zwalk.latents (every cell, row-major),
    zwalk.figure, zwalk.command (the command line that reproduces the file) and, where they apply,
    zwalk.seeds, zwalk.direction and zwalk.step. 'zwalk decode --latents FIG.png' decodes the latents
    back; the same command always writes the same bytes. Existing files are kept unless --force.
    """

// MARK: grid

let gridCommand = Command(
    name: "grid", summary: "A rows×cols grid of samples drawn from consecutive seeds, as one PNG.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT.png", "the figure (.png), or the decoded batch (.npy, (N, C, H, W))"),
        .value("rows", "R", "rows", default: "4"),
        .value("cols", "C", "columns", default: "4"),
        .value("seed", "S", "the seed of the top-left cell; cell (r, c) has seed S + r·cols + c", default: "0"),
    ] + figureCommonOptions,
    details: """
    example: zwalk grid --rows 3 --cols 8 --seed 100 --scale 2 --labels --out grid.png
    Labels: each row's first seed on the left, the offset +c of each column on top.

    \(seedConvention)

    \(metadataNote)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutputs(out, inv)
    let model = try LatentModel(inv)
    let style = try figureStyle(inv, model)
    let p = try prior(inv, model)
    let rows = try boundedInt(inv, "rows", default: 4, in: 1...4096)
    let cols = try boundedInt(inv, "cols", default: 4, in: 1...4096)
    guard rows * cols <= Figures.maxSeedList else { throw usageError(inv, "a \(rows)×\(cols) grid has more than \(Figures.maxSeedList) cells") }
    let first = try seedValue(inv)
    let seeds = try Figures.consecutiveSeeds(from: first, count: rows * cols)
    let layout = try Figures.sampleGrid(prior: p, seeds: seeds, rows: rows, columns: cols)
    let spec = FigureSpec(
        kind: "samples", rows: rows, cols: cols, latents: (0..<(rows * cols)).map { layout.latent(row: $0 / cols, column: $0 % cols) },
        rowLabels: (0..<rows).map { String(UInt64(first) + UInt64($0 * cols)) },
        columnLabels: (0..<cols).map { "+\($0)" },
        description: "\(rows)×\(cols) samples of \(p), seeds \(first)…\(seeds.last ?? first) row by row",
        figureFields: [("prior", .string(p.kind.rawValue)), ("psi", .double(p.psi))],
        extra: [(PNGMetadata.Key.seeds, PNGMetadata.seedsJSON(seeds.map(Int64.init)))])
    try writeFigure(spec, model: model, style: style, out: out, inv: inv)
    return 0
}

// MARK: traverse

/// The direction rows of a traversal or slice as metadata: the set's method and fingerprint, and
/// per row its index, name, score, 1σ length and unit vector, so the PNG alone says what was walked.
/// Refuses `--dims` entries that are not directions of the set.
private func checkDirectionIndices(_ dims: [Int], in set: DirectionSet, _ inv: Invocation) throws {
    if let bad = dims.first(where: { $0 < 0 || $0 >= set.count }) {
        throw usageError(inv, "--dims \(bad) is not a direction of the set (it has \(set.count): 0…\(set.count - 1))")
    }
}

/// What a walk figure (traverse, slice) records besides its latents: the base latent's seed when
/// it was drawn from one, the directions walked and the steps taken.
private func walkMetadata(_ inv: Invocation, set: DirectionSet, rows: [Int], base: BaseLatent, steps: JSON) -> [(String, String)] {
    var extra: [(String, String)] = [
        (PNGMetadata.Key.direction, directionJSON(set, source: inv.string("directions") ?? defaultDirections, rows: rows)),
        (PNGMetadata.Key.step, steps.text),
    ]
    if let s = base.seed { extra.insert(("zwalk.base_seed", String(s)), at: 0) }
    return extra
}

private func directionJSON(_ set: DirectionSet, source: String, rows: [Int]) -> String {
    JSON.object([
        ("source", .string(source)), ("method", .string(set.method)), ("model_sha256", .string(set.modelSHA256)),
        ("score_kind", .string(set.scoreKind.rawValue)),
        ("rows", .array(rows.map { i in
            .object([("index", .int(i)), ("name", .string(set.names[i])), ("score", .float(set.scores[i])),
                     ("sigma", .float(set.sigmas[i])), ("vector", .array(set.vectors[i].map { .float($0) }))])
        })),
    ]).text
}

let traverseCommand = Command(
    name: "traverse", summary: "A traversal grid: rows = directions, columns = steps across ±range σ, the unmodified sample framed.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT.png", "the figure (.png), or the decoded batch (.npy, (rows·steps, C, H, W))"),
        .value("count", "K", "walk the top K directions of the set", default: "10, or all when fewer"),
        .value("dims", "I,J,…", "walk these directions of the ranked set instead of the top K"),
        .value("range", "R", "steps reach ±R σ (σ: the set's 1σ step, the prior's spread for axis/sefa/local)", default: "3"),
        .value("steps", "N", "columns; an odd N has the unmodified sample in the middle column", default: "9"),
    ] + baseLatentOptions + directionSourceOptions + figureCommonOptions,
    details: """
    examples:
      zwalk traverse --out t.png                         the shipped model's ranked axes around seed 0
      zwalk traverse --directions sefa --count 4 --steps 7 --range 2 --labels --scale 2 --out t.png
      zwalk directions --method pca --out pca.npy && zwalk traverse --directions pca.npy --seed 7 --out t.png
    Directions by method: auto is \(DirectionMethod.autoHelp); axis ranks the latent axes
    over --samples prior samples from seed 0 (named by the model's zwalk.dim_names); sefa
    factorises the first layer; pca reads --node over --samples samples; local takes the decoder's
    Jacobian at the base latent. A FILE.npy must carry the JSON sidecar that ties it to this model
    (else --trust-directions).
    A cell at step s on row i holds base + s·σ_i·v_i; the middle column holds the base latent itself,
    bit for bit, framed in red. Labels: direction names on the left, steps in σ on top.

    \(seedConvention)

    \(metadataNote)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutputs(out, inv)
    let model = try LatentModel(inv)
    let style = try figureStyle(inv, model)
    let p = try prior(inv, model)
    let steps = try boundedInt(inv, "steps", default: 9, in: 1...4096)
    let range = try sigmaRange(inv)
    let base = try baseLatent(inv, model, p)
    let set = try resolveDirections(inv, model: model, prior: p, base: base.values)
    let rows: [Int]
    if inv.string("dims") != nil {
        rows = try inv.ints("dims", default: [])
        try checkDirectionIndices(rows, in: set, inv)
    } else {
        let k = try boundedInt(inv, "count", default: min(10, set.count), in: 1...4096)
        rows = Array(0..<min(k, set.count))
    }
    let layout = try Figures.traversal(base: base.values, directions: set, indices: rows, columns: steps, range: range)
    let stepValues = Figures.steps(columns: steps, range: range)
    let highlighted = layout.referenceColumn.map { c in Set(rows.indices.map { $0 * steps + c }) } ?? []
    let extra = walkMetadata(inv, set: set, rows: rows, base: base, steps: .array(stepValues.map { .double($0) }))
    var fields: [(String, JSON)] = [("range_sigma", .double(range))]
    if let c = layout.referenceColumn { fields.append(("reference_column", .int(c))) }
    let spec = FigureSpec(
        kind: "traversal", rows: rows.count, cols: steps,
        latents: (0..<(rows.count * steps)).map { layout.latent(row: $0 / steps, column: $0 % steps) },
        rowLabels: rows.map { set.names[$0] }, columnLabels: stepValues.map(stepLabel),
        highlighted: highlighted,
        description: "traversal of \(rows.count) \(set.method) direction(s) across ±\(JSON.number(range))σ in \(steps) steps around \(base.label)",
        figureFields: fields, extra: extra)
    try writeFigure(spec, model: model, style: style, out: out, inv: inv)
    return 0
}

// MARK: slice

let sliceCommand = Command(
    name: "slice", summary: "A 2-D slice of latent space: columns step along one direction, rows along another.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT.png", "the figure (.png), or the decoded batch (.npy, (steps², C, H, W))"),
        .value("dims", "X,Y", "the two directions of the ranked set: X across the columns, Y down the rows", default: "0,1"),
        .value("range", "R", "both axes reach ±R σ", default: "3"),
        .value("steps", "N", "N×N cells; an odd N puts the base latent in the centre", default: "7"),
    ] + baseLatentOptions + directionSourceOptions + figureCommonOptions,
    details: """
    example: zwalk slice --directions sefa --dims 0,2 --steps 9 --labels --out slice.png
    Cell (row, col) holds base + x·σ_X·v_X + y·σ_Y·v_Y, x increasing to the right and y to the top (as
    plots do); the centre cell is the base latent itself, framed. Labels: y steps on the left, x steps
    on top, in σ. Directions as for 'zwalk traverse'.

    \(seedConvention)

    \(metadataNote)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutputs(out, inv)
    let model = try LatentModel(inv)
    let style = try figureStyle(inv, model)
    let p = try prior(inv, model)
    let n = try boundedInt(inv, "steps", default: 7, in: 1...64)
    let range = try sigmaRange(inv)
    let dims = try inv.ints("dims", default: [0, 1])
    guard dims.count == 2, dims[0] != dims[1] else { throw usageError(inv, "--dims needs two different directions X,Y, got \(dims)") }
    let base = try baseLatent(inv, model, p)
    let set = try resolveDirections(inv, model: model, prior: p, base: base.values)
    try checkDirectionIndices(dims, in: set, inv)
    let layout = try Figures.slice(centre: base.values, directions: set, x: dims[0], y: dims[1], rows: n, columns: n, range: range)
    let xs = Figures.steps(columns: n, range: range)
    let ys = Array(xs.reversed())
    let extra = walkMetadata(inv, set: set, rows: dims, base: base,
                             steps: .object([("x", .array(xs.map { .double($0) })), ("y", .array(ys.map { .double($0) }))]))
    let centre = n % 2 == 1 ? (n / 2) * n + n / 2 : nil
    let spec = FigureSpec(
        kind: "slice", rows: n, cols: n,
        latents: (0..<(n * n)).map { layout.latent(row: $0 / n, column: $0 % n) },
        rowLabels: ys.map(stepLabel), columnLabels: xs.map(stepLabel),
        highlighted: centre.map { [$0] } ?? [],
        description: "slice around \(base.label): x = \(set.names[dims[0]]), y = \(set.names[dims[1]]) (\(set.method)), ±\(JSON.number(range))σ in \(n) steps",
        figureFields: [("range_sigma", .double(range))], extra: extra)
    try writeFigure(spec, model: model, style: style, out: out, inv: inv)
    return 0
}

// MARK: interpolate

/// Points along a geodesic through the keyframes: each segment between consecutive keyframes is
/// shortened in output space with its share of the interior points (`points` in all, keyframes
/// included; a loop leaves out the return to the first).
private func geodesicPoints(_ model: LatentModel, keyframes: [[Float]], loop: Bool, points: Int, iterations: Int,
                            inv: Invocation) throws -> (points: [[Float]], fields: [(String, JSON)]) {
    let segments = loop ? keyframes.count : keyframes.count - 1
    let interior = points - (loop ? segments : segments + 1)
    guard interior >= 0 else {
        throw usageError(inv, "a geodesic through \(keyframes.count) keyframes\(loop ? " (looped)" : "") needs --steps ≥ \(loop ? segments : segments + 1), got \(points)")
    }
    let perIteration = (2 * model.latentCount + 1) * max(1, interior)
    note("geodesic: \(interior) interior point(s), about \(perIteration) decodes per iteration, up to \(iterations) iterations")
    let progress = segments > 1 ? Progress("geodesic", total: segments) : nil
    var out: [[Float]] = []
    var before = 0.0, after = 0.0, done = 0, decodes = 0
    for j in 0..<segments {
        let a = keyframes[j], b = keyframes[(j + 1) % keyframes.count]
        let m = interior / segments + (j < interior % segments ? 1 : 0)
        if m == 0 {
            out.append(a)
        } else {
            let r = try Geodesic.shorten(decoder: model.decoder, from: a, to: b, interior: m, iterations: iterations, mode: .slerp)
            out += r.points.dropLast()
            before += r.energyBefore; after += r.energyAfter; done = max(done, r.iterations); decodes += r.decodes
        }
        progress?.advance()
    }
    if !loop, let last = keyframes.last { out.append(last) }
    if before > 0 {
        note(String(format: "geodesic: path energy %.4g → %.4g (%.1f%% lower) after %d iteration(s), %d decodes",
                    before, after, 100 * (1 - after / before), done, decodes))
    }
    return (out, [("energy_before", .double(before)), ("energy_after", .double(after)), ("iterations", .int(done)), ("decodes", .int(decodes))])
}

let interpolateCommand = Command(
    name: "interpolate", summary: "Interpolate between latents (lerp, slerp, geodesic; looped paths) as a strip, frames or a J-diagram.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT.png", "the strip (.png); with {step} in the name one PNG per frame (frame-{step}.png); .npy: the decoded batch"),
        .value("seeds", "A,B,…", "keyframes drawn from these seeds (ranges like 0-3 allowed)", default: "0,1 (0,1,2 with --jdiagram)"),
        .value("latents", "FILE", "keyframes: the rows of a .npy, or the latents of a PNG written by zwalk, instead of --seeds"),
        .value("steps", "N", "cells of the strip (with --jdiagram: N×N cells)", default: "8 (5 with --jdiagram)"),
        .value("mode", "slerp|lerp|geodesic", "how to move between keyframes", default: "slerp"),
        .flag("loop", "return from the last keyframe to the first (frames loop without repeating one)"),
        .value("iterations", "N", "geodesic: gradient steps on the path energy", default: "30"),
        .flag("jdiagram", "White's J-diagram from three keyframes A, B, C: A top-left, B top-right, C bottom-left, B+C−A bottom-right"),
    ] + figureCommonOptions,
    details: """
    examples:
      zwalk interpolate --seeds 3,7 --steps 10 --out strip.png
      zwalk interpolate --seeds 0-3 --loop --steps 48 --out frames/f-{step}.png
      zwalk interpolate --seeds 1,2,3 --jdiagram --steps 6 --labels --out j.png
    slerp follows the great circle between keyframes (lerp when they are nearly parallel), which
    keeps Gaussian latents at a typical norm; the path visits keyframes at uniform parameter speed.
    geodesic starts from slerp and shortens the path in output space by gradient descent on its
    discrete energy Σ‖f(z_i+1) − f(z_i)‖², with finite-difference Jacobians. Its cost: each iteration
    takes about K·(2·latent size + 1) decodes for K interior points (168 for the shipped 10-d model
    and 8 points), so keep --steps and --iterations small on big models.

    Seeds: keyframe seed S is exactly numpy.random.RandomState(S).standard_normal(latent shape)
    (×ψ), the same latent a Python notebook gets from that seed.

    \(metadataNote)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutputs(out, inv)
    let model = try LatentModel(inv)
    let style = try figureStyle(inv, model)
    let p = try prior(inv, model)
    let jd = inv.flag("jdiagram")
    let loop = inv.flag("loop")
    let modeName = (inv.string("mode") ?? "slerp").lowercased()
    guard ["slerp", "lerp", "geodesic"].contains(modeName) else {
        throw usageError(inv, "--mode must be slerp, lerp or geodesic, got '\(modeName)'")
    }
    let steps = try boundedInt(inv, "steps", default: jd ? 5 : 8, in: 1...4096)
    let iterations = try boundedInt(inv, "iterations", default: 30, in: 0...100_000)

    // Keyframes.
    var keyframes: [[Float]]
    var keySeeds: [UInt32]? = nil
    var source: String
    if let path = inv.string("latents") {
        if inv.string("seeds") != nil { throw usageError(inv, "give --seeds or --latents, not both") }
        keyframes = try LatentFile(path: path, model: model).rows
        source = "latents of \(URL(fileURLWithPath: path).lastPathComponent)"
    } else {
        let seeds = try parseSeedList(inv.string("seeds") ?? (jd ? "0,1,2" : "0,1"), option: "seeds", inv)
        keyframes = try seeds.map { try p.sample(seed: $0).floatArray }
        keySeeds = seeds
        source = "seeds " + seeds.map(String.init).joined(separator: ",")
    }

    var extra: [(String, String)] = []
    if let s = keySeeds { extra.append(("zwalk.keyframe_seeds", PNGMetadata.seedsJSON(s.map(Int64.init)))) }
    var fields: [(String, JSON)] = [("mode", .string(modeName)), ("loop", .bool(loop)), ("keyframes", .int(keyframes.count))]

    if jd {
        guard keyframes.count == 3 else { throw usageError(inv, "--jdiagram needs exactly three keyframes A,B,C, got \(keyframes.count)") }
        guard modeName != "geodesic", !loop else { throw usageError(inv, "--jdiagram takes --mode slerp or lerp, without --loop") }
        guard steps >= 2, steps <= 64 else { throw usageError(inv, "--steps for a J-diagram must be in 2…64, got \(steps)") }
        let mode: InterpolationMode = modeName == "lerp" ? .lerp : .slerp
        let layout = try Figures.jDiagram(a: keyframes[0], b: keyframes[1], c: keyframes[2], latentShape: model.latentShape,
                                          rows: steps, columns: steps, mode: mode)
        let us = (0..<steps).map { Double($0) / Double(steps - 1) }
        extra.append((PNGMetadata.Key.step, JSON.object([("u", .array(us.map { .double($0) })), ("v", .array(us.map { .double($0) }))]).text))
        let spec = FigureSpec(
            kind: "j-diagram", rows: steps, cols: steps,
            latents: (0..<(steps * steps)).map { layout.latent(row: $0 / steps, column: $0 % steps) },
            rowLabels: us.map { "v " + stepLabel($0).replacingOccurrences(of: "+", with: "") },
            columnLabels: us.map { "u " + stepLabel($0).replacingOccurrences(of: "+", with: "") },
            // The three anchors are the given latents; frame them.
            highlighted: [0, steps - 1, (steps - 1) * steps],
            description: "J-diagram (\(modeName)) of \(source): A top-left, B top-right, C bottom-left, B+C−A bottom-right",
            figureFields: fields, extra: extra)
        try writeFigure(spec, model: model, style: style, out: out, inv: inv)
        return 0
    }

    guard keyframes.count >= 2 else {
        throw usageError(inv, "interpolation needs at least two keyframes, got \(keyframes.count) (\(source))")
    }
    var points: [[Float]]
    var ts: [Double]
    if modeName == "geodesic" {
        let r = try geodesicPoints(model, keyframes: keyframes, loop: loop, points: steps, iterations: iterations, inv: inv)
        points = r.points
        fields += r.fields
        let denominator = Double(loop ? points.count : max(points.count - 1, 1))
        ts = points.indices.map { Double($0) / denominator }
    } else {
        let layout = try Figures.interpolationStrip(keyframes: keyframes, latentShape: model.latentShape, steps: steps,
                                                    mode: modeName == "lerp" ? .lerp : .slerp, loop: loop)
        points = (0..<steps).map { layout.latent(row: 0, column: $0) }
        ts = layout.cells.map { $0.t ?? 0 }
    }
    extra.append((PNGMetadata.Key.step, JSON.array(ts.map { .double($0) }).text))
    let spec = FigureSpec(
        kind: "interpolation", rows: 1, cols: points.count, latents: points,
        columnLabels: ts.map { stepLabel($0).replacingOccurrences(of: "+", with: "") },
        description: "\(modeName) interpolation through \(source)\(loop ? ", looped" : ""), \(points.count) steps",
        figureFields: fields, extra: extra)
    if out.contains("{step}") {
        try writeFrames(spec, ts: ts, model: model, style: style, template: out, inv: inv)
    } else {
        try writeFigure(spec, model: model, style: style, out: out, inv: inv)
    }
    return 0
}

/// One PNG per cell of a strip, `{step}` in the template replaced by the zero-padded index; each
/// frame carries its own latent and parameter t.
private func writeFrames(_ spec: FigureSpec, ts: [Double], model: LatentModel, style: FigureStyle, template: String,
                         inv: Invocation) throws {
    _ = try outputKind(template, inv, allowed: [.png])
    let force = inv.flag("force")
    let width = String(spec.latents.count - 1).count
    let paths = spec.latents.indices.map { i -> String in
        let n = String(i)
        return template.replacingOccurrences(of: "{step}", with: String(repeating: "0", count: width - n.count) + n)
    }
    let latentsOut = inv.string("latents-out")
    try checkWritable(paths + (latentsOut.map { [$0] } ?? []), force: force)
    let batch = try decodeLatents(model, spec.latents.flatMap { $0 }, count: spec.latents.count, label: "decoding frames")
    let frames = try images(batch, style: style)
    for (i, image) in frames.enumerated() {
        let fields: [(String, JSON)] = [("kind", .string("interpolation-frame")), ("rows", .int(1)), ("cols", .int(1)),
                                        ("scale", .int(style.scale)), ("frame", .int(i)), ("frames", .int(frames.count)),
                                        ("t", .double(ts[i]))] + spec.figureFields
        let extra = spec.extra.filter { $0.0 != PNGMetadata.Key.step } + [(PNGMetadata.Key.step, JSON.number(ts[i]))]
        let meta = try pngMetadata(model, description: spec.description + ", frame \(i)", figure: fields,
                                   latents: [spec.latents[i]], extra: extra)
        try PNGCodec.write(image, to: paths[i], text: meta.pairs, overwrite: force)
    }
    note("wrote \(frames.count) frames \(paths.first ?? "")…\(paths.last ?? "")")
    if let p = latentsOut { try writeLatents(spec.latents, model: model, to: p, force: force) }
}
