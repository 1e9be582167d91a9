import Foundation
import ZWalkEngine

/// What one cell of a figure shows: its seed, its steps, its place on a path, and a caption.
public struct FigureCell: Equatable, Sendable {
    public var row: Int
    public var column: Int
    /// The seed the cell's latent was drawn from (sample grids).
    public var seed: UInt32?
    /// Steps along directions, in σ (traversals and slices).
    public var steps: [DirectionStep]
    /// Interpolation parameter(s): t for strips; (u, v) for J-diagrams (u across, v down).
    public var t: Double?
    public var u: Double?
    public var v: Double?
    /// A short caption ("seed 42", "pc 0 −2σ", "t = 0.25").
    public var label: String

    public struct DirectionStep: Equatable, Sendable {
        public var index: Int
        public var name: String
        public var sigma: Double
    }
}

/// The latents of a figure, cell by cell in row-major order, with what each cell shows.
public struct FigureLayout: Sendable {
    public enum Kind: String, Sendable { case samples, traversal, interpolation, slice, jDiagram = "j-diagram" }
    public let kind: Kind
    public let rows: Int
    public let columns: Int
    /// (rows·columns, latentShape…).
    public let latents: Tensor
    public let cells: [FigureCell]
    /// The column whose latents are the unmodified base (traversals; nil when no step is 0).
    public let referenceColumn: Int?
    /// Interpolation strips: the cells (indices into `cells`, row-major) that hold a keyframe
    /// exactly, in keyframe order, for framing or marking them. Empty for other figures.
    public var keyframeCells: [Int] = []

    public func latent(row: Int, column: Int) -> [Float] {
        let n = latents.count / max(1, rows * columns)
        let start = (row * columns + column) * n
        return Array(latents.floats[start..<(start + n)])
    }
}

/// Latents for the figures `zwalk grid/traverse/interpolate/slice` draw. Only latents: decoding
/// and composing the images is the imaging code's job.
public enum Figures {
    /// A grid of samples, one seed per cell (the GAN-repository convention: cell i is
    /// `RandomState(seeds[i]).standard_normal((1,) + shape)`), row-major.
    public static func sampleGrid(prior: Prior, seeds: [UInt32], rows: Int, columns: Int) throws -> FigureLayout {
        try checkGrid(rows, columns)
        guard seeds.count == rows * columns else {
            throw LatentError.invalidArgument("a \(rows)×\(columns) grid needs \(rows * columns) seeds, got \(seeds.count)")
        }
        let latents = try prior.sample(seeds: seeds)
        let cells = seeds.enumerated().map { i, s in
            FigureCell(row: i / columns, column: i % columns, seed: s, steps: [], label: "seed \(s)")
        }
        return FigureLayout(kind: .samples, rows: rows, columns: columns, latents: latents, cells: cells, referenceColumn: nil)
    }

    /// Seeds first, first + 1, … for a grid, refusing to run past 2³² − 1.
    public static func consecutiveSeeds(from first: UInt32, count: Int) throws -> [UInt32] {
        guard count >= 0, UInt64(first) + UInt64(count) <= UInt64(UInt32.max) + 1 else {
            throw LatentError.invalidArgument("seeds \(first)…\(UInt64(first) + UInt64(max(count, 1)) - 1) run past 4294967295")
        }
        return (0..<count).map { first + UInt32($0) }
    }

    /// The step values of `columns` evenly spaced steps across [−range, +range]; with an odd count
    /// the middle one is exactly 0.
    public static func steps(columns: Int, range: Double) -> [Double] {
        guard columns > 1 else { return [0] }
        // range·(2c − (C−1))/(C−1): the numerator is exactly 0 in the middle column.
        return (0..<columns).map { range * Double(2 * $0 - (columns - 1)) / Double(columns - 1) }
    }

    /// Rows = directions (`indices` into the set), columns = steps across [−range, +range] σ
    /// around `base` (σ = the set's `sigmas`). The column with step 0 — present when `columns` is
    /// odd — holds `base` itself, bit for bit; its index is `referenceColumn`.
    public static func traversal(base: [Float], directions: DirectionSet, indices: [Int]? = nil, columns: Int,
                                 range: Double) throws -> FigureLayout {
        let n = directions.latentCount
        guard base.count == n else {
            throw LatentError.invalidArgument("the base latent has \(base.count) values, the directions live in \(n)")
        }
        let rowsIdx = indices ?? Array(0..<directions.count)
        if let bad = rowsIdx.first(where: { $0 < 0 || $0 >= directions.count }) {
            throw LatentError.invalidArgument("direction \(bad) does not exist (the set has \(directions.count): 0…\(directions.count - 1))")
        }
        try checkGrid(rowsIdx.count, columns)
        try checkRange(range)
        let stepValues = steps(columns: columns, range: range)
        var values: [Float] = []
        values.reserveCapacity(rowsIdx.count * columns * n)
        var cells: [FigureCell] = []
        for (r, di) in rowsIdx.enumerated() {
            for (c, s) in stepValues.enumerated() {
                if s == 0 {
                    values += base
                } else {
                    let delta = directions.displacement(di, steps: s)
                    values += (0..<n).map { base[$0] + delta[$0] }
                }
                let name = directions.names[di]
                cells.append(FigureCell(row: r, column: c, steps: [.init(index: di, name: name, sigma: s)],
                                        label: "\(name) \(signed(s))σ"))
            }
        }
        return FigureLayout(kind: .traversal, rows: rowsIdx.count, columns: columns,
                            latents: Tensor(shape: [rowsIdx.count * columns] + directions.latentShape, floats: values),
                            cells: cells, referenceColumn: stepValues.firstIndex(of: 0))
    }

    /// A strip through `keyframes` (two for a plain a → b strip), `steps` cells on one row. Every
    /// keyframe is a cell (`keyframeCells`), bit for bit; the cells between are shared out among
    /// the segments (`LatentPath.schedule`). Each cell's t is its place along the whole path.
    public static func interpolationStrip(keyframes: [[Float]], latentShape: [Int], steps: Int,
                                          mode: InterpolationMode = .slerp, loop: Bool = false) throws -> FigureLayout {
        try checkLatents(keyframes, latentShape, what: "keyframe")
        let path = try LatentPath(keyframes: keyframes, loop: loop, mode: mode)
        let schedule = try path.schedule(steps: steps)
        let points = schedule.positions.map { path.point(segment: $0.segment, fraction: $0.fraction) }
        let cells = schedule.t.enumerated().map { i, t in
            FigureCell(row: 0, column: i, steps: [], t: t, label: "t = \(format(t))")
        }
        return FigureLayout(kind: .interpolation, rows: 1, columns: steps,
                            latents: Tensor(shape: [steps] + latentShape, floats: points.flatMap { $0 }),
                            cells: cells, referenceColumn: nil, keyframeCells: schedule.keyframeCells)
    }

    /// A strip along precomputed points (a geodesic's `points`).
    public static func strip(points: [[Float]], latentShape: [Int]) throws -> FigureLayout {
        try checkLatents(points, latentShape, what: "point")
        guard !points.isEmpty else { throw LatentError.invalidArgument("a strip needs at least one point") }
        let denominator = Double(max(points.count - 1, 1))
        let cells = points.indices.map { i in
            FigureCell(row: 0, column: i, steps: [], t: Double(i) / denominator, label: "t = \(format(Double(i) / denominator))")
        }
        return FigureLayout(kind: .interpolation, rows: 1, columns: points.count,
                            latents: Tensor(shape: [points.count] + latentShape, floats: points.flatMap { $0 }),
                            cells: cells, referenceColumn: nil)
    }

    /// A 2-D slice of latent space through `centre`: columns step along direction `x`, rows along
    /// direction `y` (top row = +range, as plots have y up), both across [−range, +range] σ. With odd
    /// rows and columns the centre cell is `centre` exactly.
    public static func slice(centre: [Float], directions: DirectionSet, x: Int, y: Int, rows: Int, columns: Int,
                             range: Double) throws -> FigureLayout {
        let n = directions.latentCount
        guard centre.count == n else {
            throw LatentError.invalidArgument("the centre latent has \(centre.count) values, the directions live in \(n)")
        }
        for i in [x, y] where i < 0 || i >= directions.count {
            throw LatentError.invalidArgument("direction \(i) does not exist (the set has \(directions.count))")
        }
        guard x != y else { throw LatentError.invalidArgument("a slice needs two different directions, got \(x) twice") }
        try checkGrid(rows, columns)
        try checkRange(range)
        let xs = steps(columns: columns, range: range)
        let ys = steps(columns: rows, range: range).reversed().map { $0 }
        var values: [Float] = []
        values.reserveCapacity(rows * columns * n)
        var cells: [FigureCell] = []
        for (r, sy) in ys.enumerated() {
            let dy = directions.displacement(y, steps: sy)
            for (c, sx) in xs.enumerated() {
                if sx == 0 && sy == 0 {
                    values += centre
                } else {
                    let dx = directions.displacement(x, steps: sx)
                    values += (0..<n).map { Float(Double(centre[$0]) + Double(dx[$0]) + Double(dy[$0])) }
                }
                cells.append(FigureCell(row: r, column: c,
                                        steps: [.init(index: x, name: directions.names[x], sigma: sx),
                                                .init(index: y, name: directions.names[y], sigma: sy)],
                                        label: "\(signed(sx))σ, \(signed(sy))σ"))
            }
        }
        return FigureLayout(kind: .slice, rows: rows, columns: columns,
                            latents: Tensor(shape: [rows * columns] + directions.latentShape, floats: values),
                            cells: cells, referenceColumn: nil)
    }

    /// White's J-diagram ("Sampling Generative Networks", 2016): A top-left, B top-right, C
    /// bottom-left and the analogy corner B + C − A bottom-right. Row v interpolates from the left
    /// edge (A → C) to the right edge (B → D); both edges and the rows use `mode`, so lerp gives the
    /// bilinear (here affine) blend A + u(B − A) + v(C − A). The three anchors land exactly on their
    /// corners.
    public static func jDiagram(a: [Float], b: [Float], c: [Float], latentShape: [Int], rows: Int, columns: Int,
                                mode: InterpolationMode = .slerp) throws -> FigureLayout {
        try checkLatents([a, b, c], latentShape, what: "anchor")
        guard rows >= 2, columns >= 2 else {
            throw LatentError.invalidArgument("a J-diagram needs at least 2×2 cells, got \(rows)×\(columns)")
        }
        try checkGrid(rows, columns)
        let dCorner = (0..<a.count).map { b[$0] + c[$0] - a[$0] }
        var values: [Float] = []
        var cells: [FigureCell] = []
        for r in 0..<rows {
            let v = Double(r) / Double(rows - 1)
            let left = Interpolation.interpolate(a, c, v, mode: mode)
            let right = Interpolation.interpolate(b, dCorner, v, mode: mode)
            for col in 0..<columns {
                let u = Double(col) / Double(columns - 1)
                values += Interpolation.interpolate(left, right, u, mode: mode)
                let top = r == 0, bottom = r == rows - 1, first = col == 0, last = col == columns - 1
                let corner: String? = top && first ? "A" : top && last ? "B" : bottom && first ? "C" : bottom && last ? "B+C−A" : nil
                cells.append(FigureCell(row: r, column: col, steps: [], u: u, v: v,
                                        label: corner ?? "u = \(format(u)), v = \(format(v))"))
            }
        }
        return FigureLayout(kind: .jDiagram, rows: rows, columns: columns,
                            latents: Tensor(shape: [rows * columns] + latentShape, floats: values),
                            cells: cells, referenceColumn: nil)
    }

    // MARK: Helpers

    /// Figures are for looking at: 64×64 cells is already 4096 decodes.
    static let maxCells = 4096

    static func checkGrid(_ rows: Int, _ columns: Int) throws {
        guard rows >= 1, columns >= 1 else {
            throw LatentError.invalidArgument("a figure needs at least 1 row and 1 column, got \(rows)×\(columns)")
        }
        guard rows <= maxCells, columns <= maxCells, rows * columns <= maxCells else {
            throw LatentError.invalidArgument("a \(rows)×\(columns) figure has more than \(maxCells) cells")
        }
    }

    static func checkRange(_ range: Double) throws {
        guard range.isFinite, range >= 0 else {
            throw LatentError.invalidArgument("the step range must be a finite number ≥ 0 (in σ), got \(range)")
        }
    }

    static func checkLatents(_ latents: [[Float]], _ shape: [Int], what: String) throws {
        let n = shape.reduce(1, *)
        guard n > 0 else { throw LatentError.invalidArgument("latent shape \(shape) is empty") }
        if let bad = latents.firstIndex(where: { $0.count != n }) {
            throw LatentError.invalidArgument("\(what) \(bad) has \(latents[bad].count) values, the latent \(shape) has \(n)")
        }
    }

    /// Shortest text that reads back as the same Double ("0.25", "-2", "0.3333333333333333").
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }

    static func signed(_ x: Double) -> String { x > 0 ? "+" + format(x) : format(x) }
}
