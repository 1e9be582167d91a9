import Foundation
import ZWalkLatent
import ZWalkSession

// `zwalk grid`, `zwalk traverse`, `zwalk slice`, `zwalk interpolate`: figures of a latent space as
// PNGs that carry the latents of every cell. The figures themselves are built by the session.

private let figureCommonOptions: [Option] = modelOptions + figureStyleOptions + outputOptions

/// What every figure command's help ends with: how seeds map to latents, what a PNG records.
let figureConventions = """
    Seed S is numpy.random.RandomState(S).standard_normal(latent shape)·ψ, the same latent a notebook
    gets. Every PNG records its latents, the model's sha256 and the command that made it (the README
    lists the keys); 'zwalk decode --latents FIG.png' decodes them again. The same command writes the
    same bytes; existing files are kept unless --force; folders named in --out are created.
    """

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
    example:
      zwalk grid --rows 3 --cols 8 --seed 100 --scale 2 --labels --out grid.png
    Labels: each row's first seed on the left, the offset +c of each column on top.
    A training run (--weights DIR, or a quoted glob such as --weights 'ckpts/*.pth'): one row per
    checkpoint in natural order (epoch_2 before epoch_10), each row the same seeds S…S+cols−1
    decoded with that checkpoint's weights; labels: the file names on the left, the seeds on top.

    \(figureConventions)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutput(out, inv)
    let run = try trainingRun(inv)
    if let run, inv.string("rows") != nil {
        throw usageError(inv, "--rows: with a training run (--weights \(inv.string("weights")!)) the rows are its \(run.count) checkpoint(s)")
    }
    let session = try openSession(inv)
    if let run {
        let cols = try boundedInt(inv, "cols", default: 4, in: 1...4096)
        let sessions = try runSessions(run, session)
        let seeds = try Figures.consecutiveSeeds(from: seedValue(inv), count: cols)
        try writeFigure(try session.checkpointFigure(seeds: seeds, runs: sessions), session, inv, out: out, rowSessions: sessions)
        return 0
    }
    let rows = try boundedInt(inv, "rows", default: 4, in: 1...4096), cols = try boundedInt(inv, "cols", default: 4, in: 1...4096)
    guard rows * cols <= SeedList.maxCount else { throw usageError(inv, "a \(rows)×\(cols) grid has more than \(SeedList.maxCount) cells") }
    let seeds = try Figures.consecutiveSeeds(from: seedValue(inv), count: rows * cols)
    try writeFigure(try session.samplesFigure(seeds: seeds, rows: rows, cols: cols), session, inv, out: out)
    return 0
}

/// `--dims` entries must be directions of the set.
private func checkDirectionIndices(_ dims: [Int], in set: DirectionSet, _ inv: Invocation) throws {
    if let bad = dims.first(where: { $0 < 0 || $0 >= set.count }) {
        throw usageError(inv, "--dims \(bad) is not a direction of the set (it has \(set.count): 0…\(set.count - 1))")
    }
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
        .list("seeds", "A,B,…", "rows = these samples instead, all walked along one direction (--dims I, default 0): the explorer's preview (v)"),
    ] + baseLatentOptions + directionSourceOptions + figureCommonOptions,
    details: """
    examples:
      zwalk traverse --out t.png
      zwalk traverse --directions sefa --count 4 --steps 7 --range 2 --labels --scale 2 --out t2.png
      zwalk directions --method pca --out pca.npy && zwalk traverse --directions pca.npy --seed 7 --out t3.png
      zwalk traverse --seeds 0-4 --dims 2 --steps 7 --range 2 --out same-direction-5-samples.png
    Directions: auto is \(DirectionMethod.autoRule); axis ranks the latent axes over --samples prior
    samples from seed 0 (named by the model's zwalk.dim_names); sefa factorises the first layer; pca
    reads --node over --samples samples; local takes the decoder's Jacobian at the base latent. A
    FILE.npy must carry the JSON sidecar that ties it to this model (else --trust-directions).
    A cell at step s on row i holds base + s·σ_i·v_i; the middle column holds the base latent itself,
    bit for bit, framed in red. Labels: direction names on the left, steps in σ on top.

    \(figureConventions)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutput(out, inv)
    let session = try openSession(inv)
    let steps = try boundedInt(inv, "steps", default: 9, in: 1...4096)
    let range = try sigmaRange(inv)
    if !inv.list("seeds").isEmpty {
        // Rows are samples: one direction, checked on the same set every row walks.
        if inv.string("seed") != nil || inv.string("latent") != nil { throw usageError(inv, "give --seeds, or --seed/--latent, not both") }
        let seeds = try seedList(inv, "seeds", default: "0")
        let dims = try inv.ints("dims", default: [0])
        guard dims.count == 1 else { throw usageError(inv, "with --seeds, --dims names one direction, got \(dims.count)") }
        let bases = try seeds.map { try session.base(seed: $0) }
        let (set, source) = try walkDirections(inv, session, base: bases[0])
        try checkDirectionIndices(dims, in: set, inv)
        try writeFigure(try session.previewFigure(bases: bases, set: set, source: source, dim: dims[0], steps: steps, range: range),
                        session, inv, out: out)
        return 0
    }
    let base = try baseLatent(inv, session)
    let (set, source) = try walkDirections(inv, session, base: base)
    let rows: [Int]
    if inv.string("dims") != nil {
        rows = try inv.ints("dims", default: [])
        try checkDirectionIndices(rows, in: set, inv)
    } else {
        rows = Array(0..<min(try boundedInt(inv, "count", default: min(10, set.count), in: 1...4096), set.count))
    }
    let spec = try session.traversalFigure(base: base, set: set, source: source, rows: rows, steps: steps, range: range)
    try writeFigure(spec, session, inv, out: out)
    return 0
}

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
    example:
      zwalk slice --directions sefa --dims 0,2 --steps 9 --labels --out slice.png
    Cell (row, col) holds base + x·σ_X·v_X + y·σ_Y·v_Y, x increasing to the right and y to the top (as
    plots do); the centre cell is the base latent itself, framed. Labels: y steps on the left, x steps
    on top, in σ, each axis's first caption naming its direction. Directions as for 'zwalk traverse'.

    \(figureConventions)
    """
) { inv in
    let out = try inv.required("out")
    try precheckOutput(out, inv)
    let session = try openSession(inv)
    let n = try boundedInt(inv, "steps", default: 7, in: 1...64)
    let range = try sigmaRange(inv)
    let dims = try inv.ints("dims", default: [0, 1])
    guard dims.count == 2, dims[0] != dims[1] else { throw usageError(inv, "--dims needs two different directions X,Y, got \(dims)") }
    let base = try baseLatent(inv, session)
    let (set, source) = try walkDirections(inv, session, base: base)
    try checkDirectionIndices(dims, in: set, inv)
    let spec = try session.sliceFigure(base: base, set: set, source: source, x: dims[0], y: dims[1], steps: n, range: range)
    try writeFigure(spec, session, inv, out: out)
    return 0
}

let interpolateCommand = Command(
    name: "interpolate", summary: "Interpolate between latents (lerp, slerp, geodesic; looped paths) as a strip, frames or a J-diagram.",
    positionals: "[MODEL]",
    options: [
        .value("out", "OUT.png", "the strip (.png); with {step} in the name one PNG per frame (frame-{step}.png); .npy: the decoded batch"),
        .list("seeds", "A,B,…", "keyframes drawn from these seeds (ranges like 0-3 allowed)", default: "0,1 (0,1,2 with --jdiagram)"),
        .list("latents", "FILE", "keyframes: the rows of .npy files, or the latents of PNGs written by zwalk, instead of --seeds"),
        .value("steps", "N", "cells of the strip, keyframes included (with --jdiagram: N×N cells)", default: "8 (5 with --jdiagram)"),
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
    Every keyframe is a cell of the strip (framed): the steps are shared out among the segments.
    slerp follows the great circle between keyframes (lerp when they are nearly parallel), which
    keeps Gaussian latents at a typical norm. geodesic starts from slerp and shortens the path in
    output space by gradient descent on its discrete energy Σ‖f(z_i+1) − f(z_i)‖², with
    finite-difference Jacobians: each iteration takes about K·(2·latent size + 1) decodes for K
    interior points (168 for the shipped 10-d model and 8 points), so keep --steps and --iterations
    small on big models.

    \(figureConventions)
    """
) { inv in
    let out = try inv.required("out")
    let templated = out.contains("{step}")
    try precheckOutput(out, inv, allowed: templated ? [.png] : OutputKind.stills, templated: templated)
    let session = try openSession(inv)
    let jd = inv.flag("jdiagram"), loop = inv.flag("loop")
    let mode = try inv.choice("mode", "slerp, lerp or geodesic") { PathMode(rawValue: $0.lowercased()) } ?? .slerp
    let steps = try boundedInt(inv, "steps", default: jd ? 5 : 8, in: 1...4096)
    let (keyframes, keySeeds, source) = try keyframeLatents(inv, session, defaultSeeds: jd ? "0,1,2" : "0,1")
    let spec: FigureSpec
    if jd {
        guard keyframes.count == 3 else { throw usageError(inv, "--jdiagram needs exactly three keyframes A,B,C, got \(keyframes.count)") }
        guard !loop else { throw usageError(inv, "--jdiagram does not loop") }
        spec = try session.jDiagramFigure(a: keyframes[0], b: keyframes[1], c: keyframes[2], keySeeds: keySeeds,
                                          source: source, mode: mode, steps: steps)
    } else {
        spec = try session.interpolationFigure(keyframes: keyframes, keySeeds: keySeeds, source: source, mode: mode, loop: loop,
                                               steps: steps, iterations: boundedInt(inv, "iterations", default: 30, in: 0...100_000))
    }
    guard templated else { try writeFigure(spec, session, inv, out: out); return 0 }
    // One PNG per frame, {step} the zero-padded index, each with its own t.
    let paths = OutputTemplate.expand(out, key: "step", values: Array(spec.latents.indices), pad: true)
    note(try session.writeCells(spec, style: figureStyle(inv), paths: paths, latentsOut: inv.string("latents-out"),
                                command: reproducingCommand(), overwrite: inv.flag("force")))
    return 0
}
