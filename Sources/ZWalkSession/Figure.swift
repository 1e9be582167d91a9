import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

/// How decoded cells become a picture: enlargement, padding, captions.
public struct FigureStyle: Sendable {
    public var scale: Int
    public var padding: Int
    public var labels: Bool
    public init(scale: Int = 1, padding: Int = 2, labels: Bool = false) {
        self.scale = scale; self.padding = padding; self.labels = labels
    }
}

/// A figure ready to decode and compose: its cells' latents row-major, the grid, the captions and
/// what its PNG records besides the common metadata.
public struct FigureSpec: Sendable {
    public var kind: String
    public var rows: Int
    public var cols: Int
    public var latents: [[Float]]
    public var rowLabels: [String] = []
    public var columnLabels: [String] = []
    /// What the rows and columns are, on a line above the figure ("x: hue, y: size").
    public var title = ""
    /// Row-major cells framed: the unmodified sample of a walk, the keyframes of a strip.
    public var highlighted: Set<Int> = []
    /// The PNG's Description: what the figure shows, in words.
    public var description: String
    /// Fields of `zwalk.figure` after kind, rows, cols, scale, padding and labels.
    public var fields: [(String, JSON)] = []
    /// Entries particular to the figure (zwalk.seeds, zwalk.direction, zwalk.step, …).
    public var extra: [(String, String)] = []
    /// Per cell, what replaces those entries when the cell is written as a PNG of its own (its
    /// seed, its t); empty, or one list per cell.
    public var cellExtra: [[(String, String)]] = []

    public init(kind: String, rows: Int, cols: Int, latents: [[Float]], rowLabels: [String] = [], columnLabels: [String] = [],
                highlighted: Set<Int> = [], description: String, fields: [(String, JSON)] = [], extra: [(String, String)] = [],
                cellExtra: [[(String, String)]] = []) {
        self.kind = kind; self.rows = rows; self.cols = cols; self.latents = latents
        self.rowLabels = rowLabels; self.columnLabels = columnLabels; self.highlighted = highlighted
        self.description = description; self.fields = fields; self.extra = extra; self.cellExtra = cellExtra
    }

    /// The `zwalk.figure` object for this figure drawn in `style`.
    public func figureJSON(_ style: FigureStyle) -> [(String, JSON)] {
        [("kind", .string(kind)), ("rows", .int(rows)), ("cols", .int(cols)), ("scale", .int(style.scale)),
         ("padding", .int(style.padding)), ("labels", .bool(style.labels))] + fields
    }
}

/// A step in σ as a caption: up to two decimals, explicit sign ("-3", "+1.5", "0").
public func stepLabel(_ s: Double) -> String {
    var t = String(format: "%.2f", s)
    while t.hasSuffix("0") { t.removeLast() }
    if t.hasSuffix(".") { t.removeLast() }
    if t == "-0" { t = "0" }
    return s > 0 && t != "0" ? "+" + t : t
}

extension FigureLayout {
    /// The latent of every cell, row-major.
    public var latentRows: [[Float]] {
        (0..<(rows * columns)).map { latent(row: $0 / columns, column: $0 % columns) }
    }
}

extension ModelSession {
    /// The figure as one picture: cells decoded from `batch`, laid out with the spec's captions.
    public func compose(_ spec: FigureSpec, style: FigureStyle, batch: Tensor) throws -> Image {
        try compose(spec, style: style, cells: images(batch, scale: style.scale))
    }

    /// The figure as one picture: its decoded cells laid out with the spec's captions.
    public func compose(_ spec: FigureSpec, style: FigureStyle, cells: [Image]) throws -> Image {
        if spec.rows * spec.cols == 1 && !style.labels { return cells[0] }
        let layout = GridLayout(rows: spec.rows, cols: spec.cols, padding: style.padding,
                                rowLabels: style.labels ? spec.rowLabels : [],
                                columnLabels: style.labels ? spec.columnLabels : [],
                                title: style.labels ? spec.title : "",
                                highlighted: spec.highlighted, labelScale: style.scale)
        return try Grid.compose(cells, layout: layout)
    }

    /// Decodes a figure and writes it: `.png` the composed picture with its metadata, `.npy` the
    /// decoded batch; `latentsOut` also saves the cells' latents. Outputs are readied (refused when
    /// they exist, folders made) before any decoding. Returns a line saying what was written.
    /// `rowSessions`: row r is decoded by its own session (a training run's checkpoints).
    @discardableResult
    public func write(_ spec: FigureSpec, style: FigureStyle, to out: String, latentsOut: String? = nil, command: String,
                      overwrite: Bool, rowSessions: [ModelSession]? = nil) throws -> String {
        let kind = try OutputKind(path: out)
        try Outputs.prepare([out] + (latentsOut.map { [$0] } ?? []), overwrite: overwrite)
        let label = "decoding \(spec.kind)"
        let groups = try cellGroups(spec, rowSessions: rowSessions)
        var said: String
        switch kind {
        case .npy:
            // Rows go to the file as their batch is decoded: only one batch is ever held.
            let shape = [spec.latents.count] + decoder.outputShape
            let file = try NPY.RowWriter(path: out, shape: shape, overwrite: overwrite)
            for (session, latents) in groups {
                try session.decodeBatches(latents, progress: progressReporter(label, total: latents.count)) { batch, _ in try file.append(batch) }
            }
            try file.finish()
            said = "wrote \(out): the decoded outputs of the \(spec.kind), \(shape)"
        case .png, .gif:  // OutputKind(path:) refused .gif above: a figure is a still
            let grid = figureBytes(rows: spec.rows, cols: spec.cols, style: style)
            let cells = try groups.flatMap { session, latents in
                try session.decodeImages(latents, scale: style.scale, label: label, holding: [("the composed figure", grid)])
            }
            let image = try compose(spec, style: style, cells: cells)
            let meta = try metadata(description: spec.description, command: command, figure: spec.figureJSON(style),
                                    latents: spec.latents, extra: spec.extra)
            try PNGCodec.write(image, to: out, text: meta.pairs, overwrite: overwrite)
            said = "wrote \(out): \(spec.kind), \(spec.rows)×\(spec.cols) cells, \(image.width)×\(image.height) pixels"
        }
        if let p = latentsOut { said += "\n" + (try writeLatents(spec.latents, to: p, overwrite: overwrite)) }
        if let r = decodeReport { said += "\n" + r }
        return said
    }

    /// One PNG per cell at `paths` (a template's expansions): each carries its own latent, the
    /// figure's metadata with `frame`/`frames`, and the spec's `cellExtra` for that cell.
    @discardableResult
    public func writeCells(_ spec: FigureSpec, style: FigureStyle, paths: [String], latentsOut: String? = nil, command: String,
                           overwrite: Bool) throws -> String {
        guard paths.count == spec.latents.count else {
            throw SessionError.invalidOption("\(spec.latents.count) cells need as many file names, got \(paths.count)")
        }
        try Outputs.prepare(paths + (latentsOut.map { [$0] } ?? []), overwrite: overwrite)
        let pictures = try decodeImages(spec.latents, scale: style.scale, label: "decoding \(spec.kind)")
        for (i, image) in pictures.enumerated() {
            let fields: [(String, JSON)] = [("kind", .string(spec.kind)), ("rows", .int(1)), ("cols", .int(1)),
                                            ("scale", .int(style.scale)), ("frame", .int(i)), ("frames", .int(pictures.count))]
                + spec.fields
            let own = i < spec.cellExtra.count ? spec.cellExtra[i] : []
            let extra = spec.extra.filter { e in !own.contains { $0.0 == e.0 } } + own
            let meta = try metadata(description: spec.description + (pictures.count > 1 ? ", cell \(i)" : ""), command: command,
                                    figure: fields, latents: [spec.latents[i]], extra: extra)
            try PNGCodec.write(image, to: paths[i], text: meta.pairs, overwrite: overwrite)
        }
        var said = paths.count == 1 ? "wrote \(paths[0])" : "wrote \(paths.count) files \(paths[0])…\(paths[paths.count - 1])"
        if let p = latentsOut { said += "\n" + (try writeLatents(spec.latents, to: p, overwrite: overwrite)) }
        return said
    }

    /// Which session decodes which cells: this one all of them, or row r `rowSessions[r]` (a
    /// training run's checkpoints), in the figure's order.
    func cellGroups(_ spec: FigureSpec, rowSessions: [ModelSession]?) throws -> [(ModelSession, [[Float]])] {
        guard let runs = rowSessions else { return [(self, spec.latents)] }
        guard runs.count == spec.rows else {
            throw SessionError.invalidOption("\(spec.rows) rows need as many sessions, got \(runs.count)")
        }
        return runs.enumerated().map { r, s in (s, Array(spec.latents[(r * spec.cols)..<((r + 1) * spec.cols)])) }
    }

    /// Latent rows as a float32 .npy of shape (N, latentShape…).
    public func writeLatents(_ latents: [[Float]], to path: String, overwrite: Bool) throws -> String {
        let t = Tensor(shape: [latents.count] + latentShape, floats: latents.flatMap { $0 })
        try Outputs.prepare([path], overwrite: overwrite)
        try NPY.write(t, to: path, overwrite: overwrite)
        return "wrote \(path): latents \(t.shape)"
    }

    /// Decodes latent rows batch by batch straight into pictures, so only the pictures and one
    /// batch's outputs are ever held; the budget check counts the pictures (and `holding`) first.
    public func decodeImages(_ latents: [[Float]], scale: Int, label: String, holding: [(String, Int)] = []) throws -> [Image] {
        var cells: [Image] = []
        let pixels = latents.count * (decoder.outputCount * scale * scale + 64)
        try decodeBatches(latents, holding: [("the pictures", pixels)] + holding,
                          progress: progressReporter(label, total: latents.count)) { batch, _ in
            if cells.isEmpty { cells.reserveCapacity(latents.count) }
            cells += try images(batch, scale: scale)
        }
        return cells
    }

    /// About the bytes of a composed rows × cols figure of this model's pictures (RGB).
    func figureBytes(rows: Int, cols: Int, style: FigureStyle) -> Int {
        let side = Int(Double(decoder.outputCount).squareRoot())
        let (h, w) = description.imageShape.map { ($0.height, $0.width) } ?? (side, side)
        return (rows * (h * style.scale + style.padding) + style.padding) * (cols * (w * style.scale + style.padding) + style.padding) * 3
    }

    func progressReporter(_ label: String, total: Int) -> ((Int, Int) -> Void)? {
        guard let report = progress, total > decoder.maxBatch else { return nil }
        return { done, all in report(label, done, all) }
    }
}

extension ModelSession {
    /// One picture the explorer shows, written with the commands' metadata: a one-cell figure
    /// whose `zwalk.direction` and `zwalk.step` say which directions of `walk` were walked how far
    /// (σ), whose seed is recorded as the cell's (`seedIsLatent`) or the walk's base, and whose
    /// command decodes it again with this model and weights.
    public func writeFrame(_ image: Image, latent: [Float], seed: UInt32?, seedIsLatent: Bool, psi: Double, scale: Int,
                           walk: (set: DirectionSet, source: String, coefficients: [Float]), to path: String,
                           overwrite: Bool) throws {
        let walked = walk.coefficients.indices.filter { walk.coefficients[$0] != 0 }
        var extra: [(String, String)] = []
        if let s = seed { extra.append(seedIsLatent ? (PNGMetadata.Key.seeds, PNGMetadata.seedsJSON([Int64(s)])) : (PNGMetadata.Key.baseSeed, String(s))) }
        if !walked.isEmpty {
            extra += walkMetadata(set: walk.set, source: walk.source, rows: walked, base: nil,
                                  steps: .array(walked.map { .double(Double(walk.coefficients[$0])) }))
        }
        let steps = walked.map { "\(walk.set.names[$0]) \(stepLabel(Double(walk.coefficients[$0])))σ" }
        let meta = try metadata(
            description: "explorer picture of \(seed.map { "seed \($0)" } ?? "a latent")" + (steps.isEmpty ? "" : ", walked " + steps.joined(separator: ", ")),
            command: decodeCommand(latents: path),
            figure: [("kind", .string("explorer")), ("rows", .int(1)), ("cols", .int(1)), ("scale", .int(scale)), ("psi", .double(psi))],
            latents: [latent], extra: extra)
        try Outputs.prepare([path], overwrite: overwrite)
        try PNGCodec.write(image, to: path, text: meta.pairs, overwrite: overwrite)
    }
}
