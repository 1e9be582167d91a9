// The tile views, as pieces of update(): a gallery of samples (g), a direction's preview on several
// samples (v) and a 2-D map of two directions (x). Each is a grid of latents decoded tile by tile on
// the decode thread, with a cursor; Enter dives into the tile under it, Esc returns to the walk.
// Their tiles are the cells of the figure the matching command writes (zwalk grid, zwalk traverse
// --seeds, zwalk slice, zwalk decode), so `e` exports exactly that figure through the core.
import ZWalkImage
import ZWalkLatent

public enum TileKind: Equatable, Sendable {
    /// Samples of consecutive seeds, or the rows of a latent file (`TileView.file`).
    case gallery
    /// One direction across ±range σ (columns) on several samples (rows): the current one first.
    case preview(direction: Int)
    /// Two directions around the current latent: x across the columns, y up the rows.
    case map(x: Int, y: Int)

    public var name: String {
        switch self {
        case .gallery: return "gallery"
        case .preview: return "preview"
        case .map: return "map"
        }
    }
}

/// The rows of a latent file opened as a gallery (`:gallery FILE`).
public struct LatentRows: Equatable, Sendable {
    public var path: String
    public var rows: [[Float]]
    /// "z.npy[3]" per row.
    public var labels: [String]
    /// Asked for as a gallery (:gallery); else (:open) one row is gone to, several make a gallery.
    public var asGallery = true

    public init(path: String, rows: [[Float]], labels: [String]) { self.path = path; self.rows = rows; self.labels = labels }
}

/// What a tile view shows: its latents (as specs the worker composes), their pictures as they
/// arrive, the cursor.
public struct TileView: Equatable, Sendable {
    public var kind: TileKind
    public var cols: Int
    public var rows: Int
    public var specs: [LatentSpec]
    public var captions: [String]
    public var images: [Image?]
    /// The latent each decoded tile was made from (what p pins).
    public var latents: [[Float]?] = []
    public var cursor: Int = 0
    /// Changes with every new set of tiles: pictures of an older one are dropped.
    public var generation: Int
    /// Gallery: the first tile's offset (seeds from `firstSeed`, or rows of `file`).
    public var first: Int = 0
    public var firstSeed: UInt32
    public var file: LatentRows? = nil
    /// Preview and map: steps reach ±range σ.
    public var range: Float
    /// The walk the view was opened from: Esc returns to it, preview and map are built around it.
    public var origin: LatentSpec

    public var count: Int { specs.count }
    public var decoded: Int { images.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    public static let defaultRange: Float = 2
    public static let rangeLadder: [Float] = [0.5, 1, 1.5, 2, 3, 4, 6]
    /// Preview: this many columns (steps), and up to this many samples.
    public static let previewSteps = 7
    public static let previewSamples = 4
    /// Map: n×n tiles.
    public static let mapSteps = 5
    /// The worker decodes this many tiles between looks at its queue, so a frame asked for while
    /// a page decodes waits for at most one chunk.
    public static let chunk = 4
}

/// A tile's picture as the worker sends it back.
public struct DecodedTile: Equatable, Sendable {
    public var index: Int
    public var latent: [Float]
    public var image: Image
    public init(index: Int, latent: [Float], image: Image) { self.index = index; self.latent = latent; self.image = image }
}

/// What the worker decodes for a tile view.
public struct TileBatch: Equatable, Sendable {
    public var generation: Int
    public var specs: [LatentSpec]
}

// MARK: - Geometry

/// The cell rectangles of a tile grid inside `pane`: one per tile (the picture) and the caption row
/// under it. Tiles keep the picture's aspect and are centred; a column of gap between them.
public struct TileGeometry: Equatable, Sendable {
    public var tiles: [Rect]
    public var captions: [Rect]
}

public func tileGeometry(cols: Int, rows: Int, pane: Rect, imageAspect: Size) -> TileGeometry {
    guard cols > 0, rows > 0, !pane.isEmpty else { return TileGeometry(tiles: [], captions: []) }
    let cellW = (pane.width - (cols - 1)) / cols
    let cellH = pane.height / rows - 1
    guard cellW >= 1, cellH >= 1 else { return TileGeometry(tiles: [], captions: []) }
    let fit = ImageRenderer.fit(imageWidth: imageAspect.width, imageHeight: imageAspect.height,
                                in: Size(width: cellW, height: cellH))
    let gridW = cols * fit.width + (cols - 1), gridH = rows * (fit.height + 1)
    let x0 = pane.x + (pane.width - gridW) / 2, y0 = pane.y + (pane.height - gridH) / 2
    var tiles: [Rect] = [], captions: [Rect] = []
    for r in 0..<rows {
        for c in 0..<cols {
            let x = x0 + c * (fit.width + 1), y = y0 + r * (fit.height + 1)
            tiles.append(Rect(x: x, y: y, width: fit.width, height: fit.height))
            captions.append(Rect(x: x, y: y + fit.height, width: fit.width, height: 1))
        }
    }
    return TileGeometry(tiles: tiles, captions: captions)
}

/// The body of the screen in a tile view: everything above the status line (no panel).
public func tilePane(size: Size) -> Rect {
    let h = size.height - (size.height >= 5 ? 1 : 0) - (size.height >= 3 ? 1 : 0)
    return Rect(x: 0, y: 0, width: size.width, height: h)
}

/// A gallery page that fills the screen: tiles about 8 rows high (fewer on a small screen), as
/// many columns as fit.
func galleryShape(screen: Size, imageAspect: Size) -> (cols: Int, rows: Int) {
    let pane = tilePane(size: screen)
    let rows = max(1, min(6, pane.height / 9))
    let tileH = max(1, pane.height / rows - 1)
    let tileW = ImageRenderer.fit(imageWidth: imageAspect.width, imageHeight: imageAspect.height,
                                  in: Size(width: 10_000, height: tileH)).width
    let cols = max(1, min(12, (pane.width + 1) / (tileW + 1)))
    return (cols, rows)
}

// MARK: - Entering and building


private func nextGeneration(_ s: inout ExplorerState) -> Int {
    s.tileGeneration += 1
    return s.tileGeneration
}

/// Puts a tile view on screen and asks the worker for its tiles.
private func show(_ s: inout ExplorerState, _ fx: inout [Effect], _ view: TileView) {
    if s.interpolating { s.interpolating = false; s.path.playing = false }
    s.mode = .normal
    s.tiles = view
    fx.append(.decodeTiles(TileBatch(generation: view.generation, specs: view.specs)))
}

func enterGallery(_ s: inout ExplorerState, _ fx: inout [Effect], file: LatentRows? = nil) {
    // From a preview or a map, the gallery starts at the walk they were opened from.
    let origin = s.tiles?.origin ?? s.spec
    var view = TileView(kind: .gallery, cols: 1, rows: 1, specs: [], captions: [], images: [], generation: 0,
                        firstSeed: origin.seed, file: file, range: TileView.defaultRange, origin: origin)
    buildGalleryPage(&s, &fx, &view)
    say(&s, file.map { "gallery of \($0.rows.count) latents of \($0.path): Enter explores, n/N pages, Esc walks" }
        ?? "gallery from seed \(origin.seed): Enter explores, n/N pages, e exports the page as zwalk grid, Esc walks")
}

/// Fills a gallery page from `view.first` at the size the screen takes now (also after a resize).
func buildGalleryPage(_ s: inout ExplorerState, _ fx: inout [Effect], _ view: inout TileView) {
    let shape = galleryShape(screen: s.screen, imageAspect: imageAspect(s))
    view.cols = shape.cols
    view.rows = shape.rows
    let perPage = shape.cols * shape.rows
    var specs: [LatentSpec] = [], captions: [String] = []
    let none = WalkDirections(method: s.directions.method, vectors: [])
    if let f = view.file {
        view.first = min(max(0, view.first), max(0, f.rows.count - 1))
        for i in view.first..<min(f.rows.count, view.first + perPage) {
            specs.append(LatentSpec(seed: view.origin.seed, psi: view.origin.psi, base: f.rows[i], baseLabel: f.labels[i], directions: none))
            captions.append(f.labels[i])
        }
    } else {
        // Seeds stop at 2^32 − 1: the last page is short rather than wrapping to seed 0.
        let maxFirst = Int(UInt32.max) - Int(view.firstSeed)
        view.first = min(max(0, view.first), maxFirst)
        let n = min(perPage, maxFirst - view.first + 1)
        for k in 0..<n {
            let seed = UInt32(Int(view.firstSeed) + view.first + k)
            specs.append(LatentSpec(seed: seed, psi: view.origin.psi, directions: none))
            captions.append("seed \(seed)")
        }
    }
    view.specs = specs
    view.captions = captions
    view.images = Array(repeating: nil, count: specs.count)
    view.latents = Array(repeating: nil, count: specs.count)
    view.cursor = min(view.cursor, max(0, specs.count - 1))
    view.generation = nextGeneration(&s)
    show(&s, &fx, view)
}

/// v in a map previews its x direction; elsewhere the chosen one.
func previewDirection(_ s: ExplorerState) -> Int? {
    if case .map(let x, _)? = s.tiles?.kind { return x }
    return nil
}

/// x in a preview maps its direction and the next; elsewhere the chosen one and the next.
func mapDirections(_ s: ExplorerState) -> (x: Int, y: Int)? {
    if case .map(let x, let y)? = s.tiles?.kind { return (x, y) }
    return nil
}

func enterPreview(_ s: inout ExplorerState, _ fx: inout [Effect], direction: Int? = nil, range: Float? = nil) {
    let d = direction ?? s.selected
    let origin = s.tiles?.origin ?? s.spec
    guard d >= 0, d < origin.directions.count else { warn(&s, "no direction \(d) to preview (the set has \(origin.directions.count))"); return }
    let r = range ?? s.tiles?.range ?? TileView.defaultRange
    let steps = Figures.steps(columns: TileView.previewSteps, range: Double(r)).map(Float.init)
    // The walk on screen first, then the samples of the next seeds at the same ψ, unwalked.
    var bases = [origin]
    for k in 1..<TileView.previewSamples {
        let seed = origin.seed &+ UInt32(k)
        bases.append(LatentSpec(seed: seed, psi: origin.psi, directions: origin.directions))
    }
    var specs: [LatentSpec] = [], captions: [String] = []
    for (row, b) in bases.enumerated() {
        for st in steps {
            var t = b
            t.coefficients[d] += st
            specs.append(t)
            captions.append((row == 0 ? origin.baseDescription : "seed \(b.seed)") + " " + formatSigned(st))
        }
    }
    var view = TileView(kind: .preview(direction: d), cols: steps.count, rows: bases.count, specs: specs, captions: captions,
                        images: Array(repeating: nil, count: specs.count), cursor: TileView.previewSteps / 2,
                        generation: nextGeneration(&s), firstSeed: origin.seed, range: r, origin: origin)
    view.latents = Array(repeating: nil, count: specs.count)
    s.selected = d
    show(&s, &fx, view)
    say(&s, "preview of \(s.directions.names[d]) on \(bases.count) samples, ±\(formatSigma(r)): n/N direction, +/- range, Enter dives in")
}

func enterMap(_ s: inout ExplorerState, _ fx: inout [Effect], x: Int? = nil, y: Int? = nil, range: Float? = nil) {
    let origin = s.tiles?.origin ?? s.spec
    let n = origin.directions.count
    guard n >= 2 else { warn(&s, "a map needs two directions; this set has \(n)"); return }
    let dx = x ?? s.selected
    let dy = y ?? (dx + 1) % n
    guard (0..<n).contains(dx), (0..<n).contains(dy), dx != dy else {
        warn(&s, "a map needs two different directions of the set (0…\(n - 1)), got \(dx) and \(dy)")
        return
    }
    let r = range ?? s.tiles?.range ?? TileView.defaultRange
    let steps = Figures.steps(columns: TileView.mapSteps, range: Double(r)).map(Float.init)
    var specs: [LatentSpec] = [], captions: [String] = []
    // Rows from the top: y = +range first, as `zwalk slice` draws it.
    for sy in steps.reversed() {
        for sx in steps {
            var t = origin
            t.coefficients[dx] += sx
            t.coefficients[dy] += sy
            specs.append(t)
            captions.append("\(shortSigned(sx)),\(shortSigned(sy))")
        }
    }
    let m = TileView.mapSteps
    var view = TileView(kind: .map(x: dx, y: dy), cols: m, rows: m, specs: specs, captions: captions,
                        images: Array(repeating: nil, count: specs.count), cursor: (m / 2) * m + m / 2,
                        generation: nextGeneration(&s), firstSeed: origin.seed, range: r, origin: origin)
    view.latents = Array(repeating: nil, count: specs.count)
    s.selected = dx
    show(&s, &fx, view)
    say(&s, "map: x = \(s.directions.names[dx]), y = \(s.directions.names[dy]), ±\(formatSigma(r)): Enter dives in, Esc walks")
}

// MARK: - Acting in a tile view

func moveTileCursor(_ s: inout ExplorerState, dx: Int, dy: Int) {
    guard var v = s.tiles, v.count > 0 else { return }
    let c = v.cursor % v.cols, r = v.cursor / v.cols
    let nc = min(max(0, c + dx), v.cols - 1), nr = min(max(0, r + dy), v.rows - 1)
    v.cursor = min(v.count - 1, nr * v.cols + nc)
    s.tiles = v
}

func selectTile(_ s: inout ExplorerState, _ i: Int) {
    guard var v = s.tiles, i >= 0, i < v.count else { return }
    v.cursor = i
    s.tiles = v
}

/// n/N: the next page of the gallery; the next direction of a preview; the next y direction of a map.
func turnTilePage(_ s: inout ExplorerState, _ fx: inout [Effect], by d: Int) {
    guard var v = s.tiles else { return }
    switch v.kind {
    case .gallery:
        let perPage = v.cols * v.rows
        let total = v.file?.rows.count ?? (Int(UInt32.max) - Int(v.firstSeed) + 1)
        let next = v.first + d * perPage
        guard next >= 0, next < total else { say(&s, d > 0 ? "last page" : "first page"); return }
        v.first = next
        buildGalleryPage(&s, &fx, &v)
    case .preview(let dir):
        let n = s.directions.count
        enterPreview(&s, &fx, direction: ((dir + d) % n + n) % n)
    case .map(let x, let y):
        let n = s.directions.count
        var ny = y
        repeat { ny = ((ny + d) % n + n) % n } while ny == x
        enterMap(&s, &fx, x: x, y: ny)
    }
}

/// +/-: a wider or narrower range for the preview and the map.
func scaleTileRange(_ s: inout ExplorerState, _ fx: inout [Effect], up: Bool) {
    guard let v = s.tiles else { return }
    let ladder = TileView.rangeLadder
    guard let r = up ? ladder.first(where: { $0 > v.range * 1.0001 }) : ladder.last(where: { $0 < v.range * 0.9999 }) else {
        say(&s, "range ±\(formatSigma(v.range)) is the \(up ? "widest" : "narrowest")")
        return
    }
    switch v.kind {
    case .gallery: say(&s, "+/- set the range of a preview (v) or a map (x)")
    case .preview(let d): enterPreview(&s, &fx, direction: d, range: r)
    case .map(let x, let y): enterMap(&s, &fx, x: x, y: y, range: r)
    }
}

/// Enter: walk on from the tile under the cursor.
func diveIntoTile(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard let v = s.tiles, v.cursor < v.count else { return }
    let tile = v.specs[v.cursor]
    let caption = v.captions[v.cursor]
    s.tiles = nil
    pushUndo(&s)
    switch v.kind {
    case .gallery:
        // The walk's directions stay; the tile gives the base.
        s.spec = LatentSpec(seed: tile.seed, psi: tile.psi, base: tile.base, baseLabel: tile.baseLabel, directions: s.spec.directions)
    case .preview, .map:
        s.spec = tile
    }
    requestDecode(&s, &fx)
    recomputeLocalDirections(&s, &fx)
    say(&s, "exploring \(caption) (u: back)")
}

/// Esc: back to the walk the view was opened from.
func leaveTiles(_ s: inout ExplorerState) {
    guard let v = s.tiles else { return }
    s.tiles = nil
    say(&s, "back to walking \(v.origin.baseDescription)")
}

/// p in a tile view: the tile under the cursor becomes the next keyframe (pick keyframes from a
/// gallery, then i).
func pinTile(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard let v = s.tiles, v.cursor < v.count else { return }
    guard let z = v.latents[v.cursor] else {
        warn(&s, "that tile is still decoding: pin it once it shows")
        return
    }
    let spec = v.specs[v.cursor]
    let seeded = spec.base == nil && spec.offset == nil && spec.coefficients.allSatisfy { $0 == 0 }
    s.keyframes.append(Keyframe(latent: z, seed: seeded ? spec.seed : nil, psi: spec.psi))
    say(&s, "pinned \(Keyframe.letter(s.keyframes.count - 1)): \(v.captions[v.cursor])"
        + (s.keyframes.count >= 2 ? " (Esc, then i interpolates)" : ""))
    fx.append(.saveWorkbench)
}

func tilesDecoded(_ s: inout ExplorerState, generation: Int, _ tiles: [DecodedTile]) {
    guard var v = s.tiles, v.generation == generation else { return }
    for t in tiles where t.index < v.count {
        v.images[t.index] = t.image
        v.latents[t.index] = t.latent
    }
    s.tiles = v
}

/// e or :export in a tile view: the figure the matching command writes for these tiles.
func exportTiles(_ s: inout ExplorerState, _ fx: inout [Effect], path: String?, overwrite: Bool) {
    guard let v = s.tiles else { return }
    let figure: FigureExport.Figure
    switch v.kind {
    case .gallery:
        if let f = v.file {
            figure = .latents(rows: v.specs.compactMap(\.base), cols: v.cols,
                              source: "\(f.path) rows \(v.first)…\(v.first + v.count - 1)")
        } else {
            figure = .samples(seeds: v.specs.map(\.seed), rows: (v.count + v.cols - 1) / v.cols, cols: v.cols, psi: v.origin.psi)
            if v.count % v.cols != 0 {
                warn(&s, "the last page is not a full grid: zwalk grid writes whole rows")
                return
            }
        }
    case .preview(let d):
        let bases = (0..<v.rows).map { r -> LatentSpec in
            var b = v.specs[r * v.cols]
            b.coefficients[d] = r == 0 ? v.origin.coefficients[d] : 0
            return b
        }
        let labels = bases.enumerated().map { $0.offset == 0 ? v.origin.baseDescription : "seed \($0.element.seed)" }
        let seeds = bases.map { b -> UInt32? in
            b.base == nil && b.offset == nil && b.coefficients.allSatisfy { $0 == 0 } ? b.seed : nil
        }
        figure = .preview(bases: bases, labels: labels, seeds: seeds, dim: d, steps: v.cols, range: v.range)
    case .map(let x, let y):
        let o = v.origin
        let seed: UInt32? = o.base == nil && o.offset == nil && o.coefficients.allSatisfy { $0 == 0 } ? o.seed : nil
        figure = .slice(base: o, label: o.baseDescription, seed: seed, x: x, y: y, steps: v.cols, range: v.range)
    }
    fx.append(.exportFigure(FigureExport(path: path, overwrite: overwrite, figure: figure, directions: v.origin.directions,
                                      psi: v.origin.psi)))
}

/// The status line's fields in a tile view.
func tileStatusFields(_ s: ExplorerState, _ v: TileView) -> [String] {
    var f: [String] = []
    switch v.kind {
    case .gallery:
        let perPage = v.cols * v.rows
        if let file = v.file {
            f.append("gallery \(file.path) \(v.first / max(1, perPage) + 1)/\((file.rows.count + perPage - 1) / perPage)")
        } else {
            f.append("gallery page \(v.first / max(1, perPage) + 1)")
        }
        f.append("ψ " + formatFixed(v.origin.psi, 2))
    case .preview(let d):
        f.append("preview \(d < s.directions.count ? s.directions.names[d] : "?") ±\(formatSigma(v.range))")
    case .map(let x, let y):
        let name = { (i: Int) in i < s.directions.count ? s.directions.names[i] : "?" }
        f.append("map x \(name(x)) · y \(name(y)) ±\(formatSigma(v.range))")
    }
    if v.cursor < v.count { f.append(v.captions[v.cursor]) }
    f.append(v.decoded < v.count ? "\(v.decoded)/\(v.count) decoded" : "\(v.count) tiles")
    f.append(s.modelName)
    return f
}

/// "+2", "−0.5", "0": a step short enough for a map tile's caption.
func shortSigned(_ v: Float) -> String {
    var t = formatFixed(abs(v), 2)
    while t.hasSuffix("0") && t.contains(".") { t.removeLast() }
    if t.hasSuffix(".") { t.removeLast() }
    if t == "0" { return "0" }
    return (v < 0 ? "−" : "+") + t
}
