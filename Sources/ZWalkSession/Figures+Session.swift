import Foundation
import ZWalkFormats
import ZWalkEngine
import ZWalkImage
import ZWalkLatent

/// The latent a walk is built around: drawn from a seed, or a row of a latent file.
public struct BaseLatent: Sendable {
    public let values: [Float]
    /// The seed it was drawn from, when it was.
    public let seed: UInt32?
    /// "seed 3" or "z.npy[0]", for notes, status lines and the PNG's caption.
    public let label: String

    public init(values: [Float], seed: UInt32?, label: String) { self.values = values; self.seed = seed; self.label = label }
}

/// How an interpolation moves between keyframes.
public enum PathMode: String, CaseIterable, Sendable {
    case slerp, lerp, geodesic

    var interpolation: InterpolationMode { self == .lerp ? .lerp : .slerp }
}

// The figures of a latent space, as specs: which latents, which captions, what their PNG records.
// The commands and the explorer build them here and write them with `write(_:style:to:…)`.
extension ModelSession {
    public func base(seed: UInt32) throws -> BaseLatent {
        BaseLatent(values: try sample(seed: seed), seed: seed, label: "seed \(seed)")
    }

    public func base(file: LatentFile, index: Int) throws -> BaseLatent {
        BaseLatent(values: try file.row(index), seed: nil, label: file.label(index))
    }

    /// Samples drawn from seeds, one cell each, `cols` to a row; `psi`: the truncation, nil the
    /// session's (the explorer's `]` changes it for its gallery).
    public func samplesFigure(seeds: [UInt32], rows: Int, cols: Int, psi: Double? = nil) throws -> FigureSpec {
        let p = try prior(psi: psi)
        let layout = try Figures.sampleGrid(prior: p, seeds: seeds, rows: rows, columns: cols)
        let first = seeds.first ?? 0
        return FigureSpec(
            kind: rows * cols == 1 ? "sample" : "samples", rows: rows, cols: cols, latents: layout.latentRows,
            rowLabels: (0..<rows).map { String(seeds[$0 * cols]) }, columnLabels: (0..<cols).map { "+\($0)" },
            description: rows * cols == 1 ? "sample of \(p), seed \(first)"
                : "\(rows)×\(cols) samples of \(p), seeds \(first)…\(seeds.last ?? first) row by row",
            fields: [("prior", .string(p.kind.rawValue)), ("psi", .double(p.psi))],
            extra: [(PNGMetadata.Key.seeds, PNGMetadata.seedsJSON(seeds.map(Int64.init)))],
            cellExtra: seeds.map { [(PNGMetadata.Key.seeds, PNGMetadata.seedsJSON([Int64($0)]))] })
    }

    /// Rows = directions of `set` (`rows` indices), columns = `steps` steps across ±range σ; the
    /// column of step 0 holds the base latent itself and is framed.
    public func traversalFigure(base: BaseLatent, set: DirectionSet, source: String, rows: [Int], steps: Int,
                                range: Double) throws -> FigureSpec {
        let layout = try Figures.traversal(base: base.values, directions: set, indices: rows, columns: steps, range: range)
        let stepValues = Figures.steps(columns: steps, range: range)
        var fields: [(String, JSON)] = [("range_sigma", .double(range))]
        if let c = layout.referenceColumn { fields.append(("reference_column", .int(c))) }
        return FigureSpec(
            kind: "traversal", rows: rows.count, cols: steps, latents: layout.latentRows,
            rowLabels: rows.map { set.names[$0] }, columnLabels: stepValues.map(stepLabel),
            highlighted: layout.referenceColumn.map { c in Set(rows.indices.map { $0 * steps + c }) } ?? [],
            description: "traversal of \(rows.count) \(set.method) direction(s) across ±\(JSON.number(range))σ in \(steps) steps around \(base.label)",
            fields: fields,
            extra: walkMetadata(set: set, source: source, rows: rows, base: base, steps: .array(stepValues.map { .double($0) })))
    }

    /// Rows = samples (`bases`), columns = `steps` steps of one direction across ±range σ: does a
    /// direction mean the same thing on every sample? The explorer's direction preview, and
    /// `zwalk traverse --seeds … --dims I`. The column of step 0 holds each base itself, framed.
    public func previewFigure(bases: [BaseLatent], set: DirectionSet, source: String, dim: Int, steps: Int,
                              range: Double) throws -> FigureSpec {
        guard !bases.isEmpty else { throw SessionError.invalidOption("a direction preview needs at least one sample") }
        var latents: [[Float]] = []
        var reference: Int? = nil
        for b in bases {
            let layout = try Figures.traversal(base: b.values, directions: set, indices: [dim], columns: steps, range: range)
            latents += layout.latentRows
            reference = layout.referenceColumn
        }
        let stepValues = Figures.steps(columns: steps, range: range)
        var fields: [(String, JSON)] = [("range_sigma", .double(range))]
        if let c = reference { fields.append(("reference_column", .int(c))) }
        var extra = walkMetadata(set: set, source: source, rows: [dim], base: nil, steps: .array(stepValues.map { .double($0) }))
        let seeds = bases.compactMap(\.seed)
        if seeds.count == bases.count { extra.append((PNGMetadata.Key.seeds, PNGMetadata.seedsJSON(seeds.map(Int64.init)))) }
        var spec = FigureSpec(
            kind: "preview", rows: bases.count, cols: steps, latents: latents,
            rowLabels: bases.map(\.label), columnLabels: stepValues.map(stepLabel),
            highlighted: reference.map { c in Set(bases.indices.map { $0 * steps + c }) } ?? [],
            description: "\(set.names[dim]) (\(set.method)) across ±\(JSON.number(range))σ in \(steps) steps on \(bases.count) sample(s): "
                + bases.map(\.label).joined(separator: ", "),
            fields: fields, extra: extra)
        spec.title = set.names[dim]
        return spec
    }

    /// Latents decoded as they are, `cols` to a row: what `zwalk decode --latents … --out x.png` writes.
    public func latentsFigure(_ rows: [[Float]], cols: Int, source: String) -> FigureSpec {
        let c = max(1, min(cols, rows.count))
        return FigureSpec(kind: rows.count == 1 ? "sample" : "decoded", rows: (rows.count + c - 1) / c, cols: c,
                          latents: rows, description: "\(rows.count) decoded latent(s) of " + source)
    }

    /// A 2-D slice: columns step along direction x, rows along y (top row +range), the base in the
    /// centre when `steps` is odd.
    public func sliceFigure(base: BaseLatent, set: DirectionSet, source: String, x: Int, y: Int, steps n: Int,
                            range: Double) throws -> FigureSpec {
        let layout = try Figures.slice(centre: base.values, directions: set, x: x, y: y, rows: n, columns: n, range: range)
        let xs = Figures.steps(columns: n, range: range)
        let ys = Array(xs.reversed())
        let xName = set.names[x], yName = set.names[y]
        var spec = FigureSpec(
            kind: "slice", rows: n, cols: n, latents: layout.latentRows,
            rowLabels: ys.map(stepLabel), columnLabels: xs.map(stepLabel),
            highlighted: n % 2 == 1 ? [(n / 2) * n + n / 2] : [],
            description: "slice around \(base.label): x = \(xName), y = \(yName) (\(set.method)), ±\(JSON.number(range))σ in \(n) steps",
            fields: [("range_sigma", .double(range)), ("x_direction", .string(xName)), ("y_direction", .string(yName))],
            extra: walkMetadata(set: set, source: source, rows: [x, y], base: base,
                                steps: .object([("x", .array(xs.map { .double($0) })), ("y", .array(ys.map { .double($0) }))])))
        spec.title = "x: \(xName) (columns), y: \(yName) (rows)"
        return spec
    }

    /// What a walk records besides its latents: the base's seed, the directions walked, the steps.
    public func walkMetadata(set: DirectionSet, source: String, rows: [Int], base: BaseLatent?, steps: JSON) -> [(String, String)] {
        var extra: [(String, String)] = []
        if let s = base?.seed { extra.append((PNGMetadata.Key.baseSeed, String(s))) }
        extra.append((PNGMetadata.Key.direction, set.metadataJSON(source: source, rows: rows)))
        extra.append((PNGMetadata.Key.step, steps.text))
        return extra
    }

    /// A strip through keyframes (lerp, slerp or geodesic; open or looped), `steps` cells; the
    /// keyframes are cells of the strip and are framed. `source` says where the keyframes came from.
    public func interpolationFigure(keyframes: [[Float]], keySeeds: [UInt32]?, source: String, mode: PathMode, loop: Bool,
                                    steps: Int, iterations: Int = 30) throws -> FigureSpec {
        guard keyframes.count >= 2 else {
            throw SessionError.invalidOption("interpolation needs at least two keyframes, got \(keyframes.count) (\(source))")
        }
        var fields: [(String, JSON)] = [("mode", .string(mode.rawValue)), ("loop", .bool(loop)), ("keyframes", .int(keyframes.count))]
        let points: [[Float]], ts: [Double], keyCells: [Int]
        if mode == .geodesic {
            // The geodesic shares the cells among segments as the strip does, so the strip's
            // schedule gives each cell's t.
            ts = try LatentPath(keyframes: keyframes, loop: loop).schedule(steps: steps).t
            let r = try geodesicPath(keyframes: keyframes, loop: loop, points: steps, iterations: iterations)
            points = r.points; keyCells = r.keyCells
            fields += r.fields
        } else {
            let layout = try Figures.interpolationStrip(keyframes: keyframes, latentShape: latentShape, steps: steps,
                                                        mode: mode.interpolation, loop: loop)
            points = layout.latentRows
            keyCells = layout.keyframeCells
            ts = layout.cells.map { $0.t ?? 0 }
        }
        var extra: [(String, String)] = []
        if let s = keySeeds { extra.append((PNGMetadata.Key.keyframeSeeds, PNGMetadata.seedsJSON(s.map(Int64.init)))) }
        extra.append((PNGMetadata.Key.step, JSON.array(ts.map { .double($0) }).text))
        fields.append(("keyframe_cells", .array(keyCells.map { .int($0) })))
        return FigureSpec(
            kind: "interpolation", rows: 1, cols: points.count, latents: points,
            columnLabels: ts.map { stepLabel($0).replacingOccurrences(of: "+", with: "") },
            highlighted: Set(keyCells),
            description: "\(mode.rawValue) interpolation through \(source)\(loop ? ", looped" : ""), \(points.count) steps",
            fields: fields, extra: extra, cellExtra: ts.map { [(PNGMetadata.Key.step, JSON.number($0))] })
    }

    /// White's J-diagram from A, B, C: A top-left, B top-right, C bottom-left, B+C−A bottom-right.
    public func jDiagramFigure(a: [Float], b: [Float], c: [Float], keySeeds: [UInt32]?, source: String, mode: PathMode,
                               steps: Int) throws -> FigureSpec {
        guard mode != .geodesic else { throw SessionError.invalidOption("a J-diagram interpolates by slerp or lerp, not geodesic") }
        guard (2...64).contains(steps) else { throw SessionError.invalidOption("a J-diagram has 2…64 steps a side, got \(steps)") }
        let layout = try Figures.jDiagram(a: a, b: b, c: c, latentShape: latentShape, rows: steps, columns: steps, mode: mode.interpolation)
        let us = (0..<steps).map { Double($0) / Double(steps - 1) }
        var extra: [(String, String)] = []
        if let s = keySeeds { extra.append((PNGMetadata.Key.keyframeSeeds, PNGMetadata.seedsJSON(s.map(Int64.init)))) }
        extra.append((PNGMetadata.Key.step, JSON.object([("u", .array(us.map { .double($0) })), ("v", .array(us.map { .double($0) }))]).text))
        let caption = { (x: Double) in stepLabel(x).replacingOccurrences(of: "+", with: "") }
        return FigureSpec(
            kind: "j-diagram", rows: steps, cols: steps, latents: layout.latentRows,
            // The axis is named once, on the first caption ("v 0", "0.25", …), so captions stay short.
            rowLabels: us.enumerated().map { $0.offset == 0 ? "v " + caption($0.element) : caption($0.element) },
            columnLabels: us.enumerated().map { $0.offset == 0 ? "u " + caption($0.element) : caption($0.element) },
            highlighted: [0, steps - 1, (steps - 1) * steps],
            description: "J-diagram (\(mode.rawValue)) of \(source): A top-left, B top-right, C bottom-left, B+C−A bottom-right",
            fields: [("mode", .string(mode.rawValue)), ("loop", .bool(false)), ("keyframes", .int(3))], extra: extra)
    }

    /// Points along a geodesic through the keyframes, laid out as the strip's `schedule` lays its
    /// cells (every keyframe a cell, the rest shared among segments): each segment is shortened in
    /// output space with its share of the interior points.
    func geodesicPath(keyframes: [[Float]], loop: Bool, points: Int, iterations: Int) throws
        -> (points: [[Float]], keyCells: [Int], fields: [(String, JSON)]) {
        let keyCells = try LatentPath(keyframes: keyframes, loop: loop).schedule(steps: points).keyframeCells
        let segments = loop ? keyframes.count : keyframes.count - 1
        let interior = points - keyCells.count
        log?("geodesic: \(interior) interior point(s), about \((2 * latentCount + 1) * max(1, interior)) decodes per iteration, up to \(iterations) iterations")
        var out: [[Float]] = []
        var before = 0.0, after = 0.0, done = 0, decodes = 0
        for j in 0..<segments {
            let a = keyframes[j], b = keyframes[(j + 1) % keyframes.count]
            let m = (j + 1 < keyCells.count ? keyCells[j + 1] : points) - keyCells[j] - 1
            if m == 0 {
                out.append(a)
            } else {
                let r = try Geodesic.shorten(decoder: decoder, from: a, to: b, interior: m, iterations: iterations, mode: .slerp)
                out += r.points.dropLast()
                before += r.energyBefore; after += r.energyAfter; done = max(done, r.iterations); decodes += r.decodes
            }
            if segments > 1 { progress?("geodesic", j + 1, segments) }
        }
        if !loop, let last = keyframes.last { out.append(last) }
        if before > 0 {
            log?(String(format: "geodesic: path energy %.4g → %.4g (%.1f%% lower) after %d iteration(s), %d decodes",
                        before, after, 100 * (1 - after / before), done, decodes))
        }
        return (out, keyCells, [("energy_before", .double(before)), ("energy_after", .double(after)),
                                ("iterations", .int(done)), ("decodes", .int(decodes))])
    }
}
