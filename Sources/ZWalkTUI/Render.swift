// render(state, size) → Canvas: the whole screen as cells, pure. The terminal layer only copies
// the canvas to the terminal; tests read it as text.
import ZWalkImage

/// Keeps the last picture's cells: the image is re-fitted only when the frame, the cell grid or
/// the rendering options change, not when the selection moves or a message appears.
public final class ImageCellCache {
    private struct Key: Equatable {
        var seq: Int
        var frameSize: Size
        var grid: Size
        var options: ImageRenderOptions
    }
    private var key: Key?
    private var cells: [ImageCell] = []

    public init() {}

    private struct TileKey: Equatable {
        var generation: Int
        var grid: Size
        var options: ImageRenderOptions
    }
    private var tileCells: [Int: (key: TileKey, cells: [ImageCell])] = [:]

    /// A tile's cells, kept until its generation, size or options change (a tile view redraws
    /// every tile on every key; only new pictures are fitted again).
    func tileCells(frame: Image, generation: Int, index: Int, grid: Size, options: ImageRenderOptions) -> [ImageCell] {
        let k = TileKey(generation: generation, grid: grid, options: options)
        if let hit = tileCells[index], hit.key == k { return hit.cells }
        if let any = tileCells.first?.value, any.key.generation != generation { tileCells.removeAll() }
        let cells = ImageRenderer.render(frame, cols: grid.width, rows: grid.height, options: options)
        tileCells[index] = (k, cells)
        return cells
    }

    /// Forgets every picture (another model is open: sequence numbers and generations go on, but
    /// nothing cached belongs to it).
    func reset() { key = nil; cells = []; tileCells.removeAll() }

    func cells(frame: Image, seq: Int, grid: Size, options: ImageRenderOptions) -> [ImageCell] {
        let k = Key(seq: seq, frameSize: Size(width: frame.width, height: frame.height), grid: grid, options: options)
        if k == key { return cells }
        cells = ImageRenderer.render(frame, cols: grid.width, rows: grid.height, options: options)
        key = k
        return cells
    }
}

public func render(_ state: ExplorerState, size: Size, cache: ImageCellCache? = nil) -> Canvas {
    let rt = ResolvedTheme(theme: state.theme, mode: state.colorMode)
    var c = Canvas(size: size, fill: Cell(" ", style: rt.style(.text)))
    guard size.width > 0, size.height > 0 else { return c }
    let layout = computeLayout(size: size, imageAspect: imageAspect(state))

    if let v = state.tiles {
        drawTiles(&c, state, v, pane: tilePane(size: size), rt, cache)
    } else {
        drawImage(&c, state, layout, rt, cache)
        if layout.panel != nil { drawPanel(&c, state, layout, rt) }
    }
    if let row = layout.status { drawStatus(&c, state, row, rt, compact: layout.panel == nil) }
    if let row = layout.hints {
        drawHints(&c, row, rt, table: KeyMap.table(for: state.tiles != nil ? .tiles : (state.interpolating ? .interpolate : .normal)))
    }

    switch state.mode {
    case .normal: break
    case .prompt(let kind, let text):
        let row = layout.hints ?? layout.status ?? Rect(x: 0, y: size.height - 1, width: size.width, height: 1)
        drawPrompt(&c, kind: kind, text: text, row: row, rt)
    case .help(let scroll): drawHelp(&c, scroll: scroll, rt)
    case .chooser(let sel): drawChooser(&c, state, selected: sel, rt)
    }
    return c
}

// MARK: - Picture

private func drawImage(_ c: inout Canvas, _ state: ExplorerState, _ layout: ScreenLayout, _ rt: ResolvedTheme, _ cache: ImageCellCache?) {
    let r = layout.image
    guard !r.isEmpty else { return }
    guard let shown = state.shown else {
        let msg = "decoding…"
        let pane = layout.imagePane
        c.writeTruncated(msg, x: pane.x + max(0, (pane.width - displayWidth(msg)) / 2), y: pane.y + pane.height / 2,
                         style: rt.style(.text_dim), maxWidth: pane.width)
        return
    }
    // A picture reaching the last row would scroll the screen when a sixel terminal moves the
    // cursor below it: on a screen that small (no status line), blocks.
    if state.graphics != .blocks, !overlayCoversPicture(state.mode), r.maxY < c.height {
        c.graphics.append(GraphicPlacement(rect: r, image: shown.frame, key: shown.request.seq))
        return
    }
    let options = ImageRenderOptions(blocks: state.blocks, mode: state.colorMode, dither: state.dither,
                                     lightBackground: state.theme.isLight)
    let grid = Size(width: r.width, height: r.height)
    let cells = cache?.cells(frame: shown.frame, seq: shown.request.seq, grid: grid, options: options)
        ?? ImageRenderer.render(shown.frame, cols: grid.width, rows: grid.height, options: options)
    guard cells.count == grid.width * grid.height else { return }
    for y in 0..<grid.height {
        for x in 0..<grid.width {
            let ic = cells[y * grid.width + x]
            c[r.x + x, r.y + y] = Cell(ic.scalar, fg: ic.fg, bg: ic.bg, isImage: true)
        }
    }
}

/// Help and the chooser are drawn over the picture: pixels would cover them, so while they are
/// open the picture is drawn with blocks, under them.
func overlayCoversPicture(_ mode: Mode) -> Bool {
    switch mode {
    case .help, .chooser: return true
    case .normal, .prompt: return false
    }
}

// MARK: - Tiles

/// The proportions of a tile: the first decoded tile's, else the walk's picture's.
func tileAspect(_ state: ExplorerState) -> Size {
    if let f = state.tiles?.images.lazy.compactMap({ $0 }).first { return Size(width: f.width, height: f.height) }
    return imageAspect(state)
}

/// The tiles, each with its caption under it; the cursor's caption in the selection's colours
/// and the columns beside its picture marked. A tile still decoding shows "…".
private func drawTiles(_ c: inout Canvas, _ state: ExplorerState, _ v: TileView, pane: Rect, _ rt: ResolvedTheme,
                       _ cache: ImageCellCache?) {
    let g = tileGeometry(cols: v.cols, rows: v.rows, pane: pane, imageAspect: tileAspect(state))
    let options = ImageRenderOptions(blocks: state.blocks, mode: state.colorMode, dither: state.dither,
                                     lightBackground: state.theme.isLight)
    let reference = referenceTiles(v)
    for (i, r) in g.tiles.enumerated() where i < v.count && !r.isEmpty {
        let grid = Size(width: r.width, height: r.height)
        if let frame = v.images[i] {
            let cells = cache?.tileCells(frame: frame, generation: v.generation, index: i, grid: grid, options: options)
                ?? ImageRenderer.render(frame, cols: grid.width, rows: grid.height, options: options)
            guard cells.count == grid.width * grid.height else { continue }
            for y in 0..<grid.height {
                for x in 0..<grid.width {
                    let ic = cells[y * grid.width + x]
                    c[r.x + x, r.y + y] = Cell(ic.scalar, fg: ic.fg, bg: ic.bg, isImage: true)
                }
            }
        } else {
            c.writeTruncated("…", x: r.x + r.width / 2, y: r.y + r.height / 2, style: rt.style(.text_dim), maxWidth: 1)
        }
        let cap = g.captions[i]
        let on = i == v.cursor
        let style = on ? rt.style(.selection_fg, on: .selection_bg, attrs: .bold)
            : rt.style(reference.contains(i) ? .pending_fg : .text_dim)
        if on { c.fill(cap, style: style) }
        // A caption too long for its tile keeps its last word (the step); the status line has it whole.
        let full = v.captions[i]
        let text = truncate(displayWidth(full) <= cap.width ? full : (full.split(separator: " ").last.map(String.init) ?? full), to: cap.width)
        c.writeTruncated(text, x: cap.x + max(0, (cap.width - displayWidth(text)) / 2), y: cap.y, style: style, maxWidth: cap.width)
        if on {
            for y in r.y..<r.maxY {
                if r.x > pane.x { c[r.x - 1, y] = Cell("▐", style: rt.style(.selection_bg)) }
                if r.maxX < pane.maxX { c[r.maxX, y] = Cell("▌", style: rt.style(.selection_bg)) }
            }
        }
    }
}

/// The tiles that hold the latent they were built around (a preview's step-0 column, a map's
/// centre): their captions stand out, as the figures frame those cells.
func referenceTiles(_ v: TileView) -> Set<Int> {
    switch v.kind {
    case .gallery: return []
    case .preview: return v.cols % 2 == 1 ? Set((0..<v.rows).map { $0 * v.cols + v.cols / 2 }) : []
    case .map: return v.cols % 2 == 1 ? [(v.rows / 2) * v.cols + v.cols / 2] : []
    }
}

// MARK: - Directions panel

/// The rows that list directions: the panel's list less its last row while keyframes are pinned
/// (that row lists them). The mouse maps rows through this too.
func directionRows(_ layout: ScreenLayout, _ state: ExplorerState) -> Rect? {
    guard let list = layout.directionList else { return nil }
    guard !state.keyframes.isEmpty, list.height >= 3 else { return list }
    return Rect(x: list.x, y: list.y, width: list.width, height: list.height - 1)
}

/// "A seed 1 · B seed 2 · C latent", the keyframe shown now (on the path: the segment's start)
/// bracketed.
func keyframeStrip(_ state: ExplorerState) -> String {
    let current: Int?
    if state.interpolating {
        current = state.path.segment(keyframes: state.keyframes.count)
    } else {
        current = state.shown.flatMap { shown in state.keyframes.lastIndex { $0.latent == shown.latent } }
    }
    return state.keyframes.enumerated().map { i, k in
        let text = Keyframe.letter(i) + " " + (k.seed.map(String.init) ?? "latent")
        return i == current ? "[" + text + "]" : text
    }.joined(separator: " · ")
}

private func drawPanel(_ c: inout Canvas, _ state: ExplorerState, _ layout: ScreenLayout, _ rt: ResolvedTheme) {
    guard let p = layout.panel else { return }
    if state.interpolating { drawPathPanel(&c, state, layout, p, rt); return }
    if let list = layout.directionList, let rows = directionRows(layout, state), rows.height < list.height {
        let y = list.maxY - 1
        c.writeTruncated("keys " + keyframeStrip(state), x: list.x + 1, y: y, style: rt.style(.text_dim), maxWidth: list.width - 1)
    }
    let d = state.directions
    c.box(p, style: rt.style(.panel_border), title: "Directions · \(d.method) (\(d.count))",
          titleStyle: rt.style(.panel_title, attrs: .bold))
    if let list = directionRows(layout, state), !list.isEmpty {
        if d.count == 0 {
            c.writeTruncated("no directions", x: list.x + 1, y: list.y, style: rt.style(.text_dim), maxWidth: list.width - 1)
        }
        let window = listWindow(count: d.count, selected: state.selected, rows: list.height)
        let nameWidth = panelNameWidth(d, listWidth: list.width)
        for (row, i) in window.enumerated() {
            drawDirectionRow(&c, state, index: i, x: list.x, y: list.y + row, width: list.width, nameWidth: nameWidth, rt)
        }
    }
    if let f = layout.panelFooter {
        var left = "step \(formatSigma(state.stepSize))"
        if let list = layout.directionList, d.count > list.height { left += " · \(state.selected + 1)/\(d.count)" }
        c.writeTruncated(left, x: f.x + 1, y: f.y, style: rt.style(.text_dim), maxWidth: f.width - 1)
        if let loading = state.loadingDirections {
            let t = "computing \(loading)…"
            let used = displayWidth(left) + 2
            let room = f.width - 1 - used
            if room >= 6 {
                let tw = min(room, displayWidth(t))
                c.writeTruncated(t, x: f.maxX - tw, y: f.y, style: rt.style(.pending_fg), maxWidth: tw)
            }
        }
    }
}

/// Interpolate mode's panel: the keyframes (the segment's two marked), where along the path the
/// picture is, and how it plays.
private func drawPathPanel(_ c: inout Canvas, _ state: ExplorerState, _ layout: ScreenLayout, _ p: Rect, _ rt: ResolvedTheme) {
    let n = state.keyframes.count
    let path = state.path
    let computing = path.mode == .geodesic && currentGeodesic(state) == nil ? "…" : ""
    c.box(p, style: rt.style(.panel_border), title: "Path · \(path.mode.rawValue)\(computing) · \(path.loop ? "loop" : "open") (\(n))",
          titleStyle: rt.style(.panel_title, attrs: .bold))
    guard let list = layout.directionList, !list.isEmpty else { return }
    let seg = path.segment(keyframes: n)
    let ends = [seg, (seg + 1) % n]
    // The bar, then the keyframes below it (as many as fit).
    let barWidth = list.width - 2
    if barWidth >= 3 {
        let t = path.t(keyframes: n)
        let pos = Int((t * Double(barWidth - 1)).rounded())
        for k in 0..<barWidth {
            c[list.x + 1 + k, list.y] = k == pos ? Cell("●", style: rt.style(.slider_fill, attrs: .bold))
                : Cell(k < pos ? "━" : "─", style: rt.style(k < pos ? .slider_fill : .slider_empty))
        }
    }
    let window = listWindow(count: n, selected: seg, rows: max(0, list.height - 2))
    for (row, i) in window.enumerated() {
        let y = list.y + 2 + row
        let on = ends.contains(i)
        let style = on ? rt.style(.selection_fg, on: .selection_bg, attrs: .bold) : rt.style(.text)
        c.fill(Rect(x: list.x, y: y, width: list.width, height: 1), style: rt.style(.text, on: on ? .selection_bg : .background))
        let marker = i == seg ? "▸ " : (on ? "→ " : "  ")
        c.writeTruncated(marker + Keyframe.letter(i) + "  " + state.keyframes[i].label, x: list.x, y: y, style: style, maxWidth: list.width)
    }
    if let f = layout.panelFooter {
        let text = "t \(formatFixed(path.t(keyframes: n), 3)) · \(segmentLabel(state)) · \(formatSpeed(path.speed))"
        c.writeTruncated(text, x: f.x + 1, y: f.y, style: rt.style(.text_dim), maxWidth: f.width - 1)
    }
}

/// Names get the room the bar does not need: a bar of 8 columns still reads as a position, while
/// a name cut short ("x positi…") loses what the direction is.
private func panelNameWidth(_ d: WalkDirections, listWidth: Int) -> Int {
    let longest = d.names.map(displayWidth).max() ?? 4
    // marker 2 + name + 1 + score + bar ≥ 8 + 1 + value 7
    return max(3, min(longest, 22, listWidth - 19 - scoreColumnWidth(d, listWidth: listWidth)))
}

/// The scores column: shown when the set has scores and the list is wide enough for them.
private func scoreColumnWidth(_ d: WalkDirections, listWidth: Int) -> Int {
    d.scores != nil && listWidth >= 44 ? 7 : 0
}

/// The coefficient bar's range: ±3σ fills it.
let barRange: Float = 3

private func drawDirectionRow(_ c: inout Canvas, _ state: ExplorerState, index i: Int, x: Int, y: Int, width: Int,
                              nameWidth: Int, _ rt: ResolvedTheme) {
    let d = state.directions
    let selected = i == state.selected
    let bgRole: ThemeRole = selected ? .selection_bg : .background
    let textStyle = selected ? rt.style(.selection_fg, on: .selection_bg, attrs: .bold) : rt.style(.text)
    c.fill(Rect(x: x, y: y, width: width, height: 1), style: rt.style(.text, on: bgRole))
    let v = i < state.spec.coefficients.count ? state.spec.coefficients[i] : 0
    var col = x
    col += c.write(selected ? "▸ " : "  ", x: col, y: y, style: textStyle, maxWidth: x + width - col)
    let valueText = formatSigned(v)
    let valueWidth = 7
    let scoreWidth = scoreColumnWidth(d, listWidth: width)
    var nameW = nameWidth
    var barW = width - 2 - nameW - 1 - scoreWidth - valueWidth - 1
    if barW < 5 { nameW = max(1, width - 2 - valueWidth - 1); barW = 0 }
    c.writeTruncated(d.names[i], x: col, y: y, style: textStyle, maxWidth: nameW)
    col += nameW + 1
    // The selected row is all in the selection's own colours: the text, bar and dim roles are
    // chosen against the background, and on a bright selection bar (high-contrast's yellow) they
    // would vanish. Its bar still reads by shape (━ filled, ─ empty).
    let dimStyle = selected ? textStyle : rt.style(.text_dim, on: bgRole)
    if scoreWidth > 0, let s = d.scores, i < s.count {
        let t = formatScore(s[i])
        c.writeTruncated(t, x: col + scoreWidth - 1 - min(displayWidth(t), scoreWidth - 1), y: y,
                         style: dimStyle, maxWidth: scoreWidth - 1)
        col += scoreWidth
    }
    if barW > 0 {
        drawBar(&c, value: v, x: col, y: y, width: barW, selected: selected, rt)
        col += barW + 1
    }
    let vw = displayWidth(valueText)
    c.write(valueText, x: x + width - vw, y: y, style: v == 0 ? dimStyle : textStyle, maxWidth: vw)
}

/// ───────│━━━━▶ : the centre tick is 0, the fill runs from it to the value, an arrow says the value
/// is beyond the bar's ±3σ.
private func drawBar(_ c: inout Canvas, value v: Float, x: Int, y: Int, width: Int, selected: Bool, _ rt: ResolvedTheme) {
    let half = (width - 1) / 2
    let centre = half
    let pos = Int(max(-Float(half), min(Float(half), (v / barRange * Float(half)).rounded())))
    let fill: Style, empty: Style, zero: Style
    if selected {
        let sel = rt.style(.selection_fg, on: .selection_bg)
        (fill, empty, zero) = (rt.style(.selection_fg, on: .selection_bg, attrs: .bold), sel, sel)
    } else {
        (fill, empty, zero) = (rt.style(.slider_fill), rt.style(.slider_empty), rt.style(.slider_zero))
    }
    for k in 0..<width {
        let off = k - centre
        if off == 0 {
            c[x + k, y] = Cell("│", style: zero)
        } else if (pos > 0 && off > 0 && off <= pos) || (pos < 0 && off < 0 && off >= pos) {
            c[x + k, y] = Cell("━", style: fill)
        } else {
            c[x + k, y] = Cell("─", style: empty)
        }
    }
    if v > barRange { c[x + centre + half, y] = Cell("▶", style: fill) }
    if v < -barRange { c[x + centre - half, y] = Cell("◀", style: fill) }
}

// MARK: - Status line and hints

/// The status line's fields, left to right.
func statusFields(_ state: ExplorerState, compact: Bool) -> [String] {
    if let v = state.tiles { return tileStatusFields(state, v) }
    var f: [String] = []
    if state.interpolating {
        let p = state.path
        f += ["interpolate \(segmentLabel(state))", "t " + formatFixed(p.t(keyframes: state.keyframes.count), 3),
              p.mode.rawValue + (p.mode == .geodesic && currentGeodesic(state) == nil ? " (computing, slerp)" : "") + (p.loop ? " loop" : ""), formatSpeed(p.speed), p.playing ? "▶ playing" : "paused"]
        f += [state.modelName]
        if let ms = state.shown?.milliseconds { f.append(formatFixed(ms, ms < 10 ? 1 : 0) + " ms") }
        if let fps = state.framesPerSecond { f.append(formatFixed(fps, 0) + " fps") }
        return f
    }
    // Without the panel, the direction being walked leads: it is what the keys change. Its value
    // comes first and its name is cut short, so that what a step changes stays on a narrow line
    // even beside a message.
    if compact, state.selected < state.directions.count {
        let v = state.spec.coefficients[state.selected]
        let name = truncate(state.directions.names[state.selected], to: 12)
        f.append("\(formatSigned(v)) \(name) \(state.selected + 1)/\(state.directions.count)")
    }
    f.append(state.spec.baseDescription)
    if state.spec.base == nil { f.append("ψ " + formatFixed(state.spec.psi, 2)) }
    f += [state.modelName, "z " + state.latentShape.map(String.init).joined(separator: "×")]
    if state.checkpoints.count > 1 {
        f.append("\(state.checkpoints[state.checkpoint]) \(state.checkpoint + 1)/\(state.checkpoints.count)")
    }
    if let ms = state.shown?.milliseconds { f.append(formatFixed(ms, ms < 10 ? 1 : 0) + " ms") }
    if let fps = state.framesPerSecond { f.append(formatFixed(fps, 0) + " fps") }
    f.append((state.graphics == .blocks ? state.blocks.rawValue : state.graphics.rawValue) + " · " + state.colorMode.rawValue)
    return f
}

/// The status line: its fields on the left, the message on the right. A message too long for the
/// room beside the fields goes whole onto lines of its own just above (over the picture's bottom
/// rows while it shows), wrapped at spaces: the reason at the end of an error is the part that
/// matters.
private func drawStatus(_ c: inout Canvas, _ state: ExplorerState, _ row: Rect, _ rt: ResolvedTheme, compact: Bool) {
    let base = rt.style(.status_fg, on: .status_bg)
    c.fill(row, style: base)
    // A fixed slot for the pending marker, so the line does not shift as frames come and go.
    if state.pending { c.write("●", x: row.x, y: row.y, style: rt.style(.pending_fg, on: .status_bg, attrs: .bold)) }
    let left = statusFields(state, compact: compact).joined(separator: " · ")
    var leftWidth = row.width - 2
    if let m = state.visibleMessage {
        let style = m.isWarning ? rt.style(.warning_fg, on: .status_bg, attrs: .bold) : base
        let room = max(row.width / 2, row.width - 2 - displayWidth(left) - 2)
        if displayWidth(m.text) <= room || row.y == 0 {
            let mw = min(displayWidth(m.text), room)
            leftWidth = max(0, row.width - 2 - mw - 2)
            c.writeTruncated(m.text, x: row.maxX - mw, y: row.y, style: style, maxWidth: mw)
        } else {
            var lines = wrapWords(m.text, width: max(1, row.width - 2))
            let most = min(row.y, max(1, (row.y + 1) / 2))
            if lines.count > most {
                lines = Array(lines.prefix(most))
                let last = lines[most - 1]   // more follows: say so
                lines[most - 1] = displayWidth(last) < row.width - 2 ? last + "…" : truncate(last, to: row.width - 2)
            }
            for (k, line) in lines.enumerated() {
                let y = row.y - lines.count + k
                c.fill(Rect(x: row.x, y: y, width: row.width, height: 1), style: base)
                c.writeTruncated(line, x: row.x + 1, y: y, style: style, maxWidth: row.width - 2)
            }
        }
    }
    if leftWidth > 0 { c.writeTruncated(left, x: row.x + 2, y: row.y, style: base, maxWidth: leftWidth) }
}

/// Lines of at most `width` columns, broken at spaces (a word longer than a line is cut).
func wrapWords(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
        var w = word
        while displayWidth(w) > width {
            if !line.isEmpty { lines.append(line); line = "" }
            let head = String(String.UnicodeScalarView(displayScalars(w).prefix(width)))
            lines.append(head)
            w = String(String.UnicodeScalarView(displayScalars(w).dropFirst(width)))
        }
        if w.isEmpty { continue }
        if line.isEmpty { line = w }
        else if displayWidth(line) + 1 + displayWidth(w) <= width { line += " " + w }
        else { lines.append(line); line = w }
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}

private func drawHints(_ c: inout Canvas, _ row: Rect, _ rt: ResolvedTheme, table: KeyTable) {
    c.fill(row, style: rt.style(.hint_fg))
    var x = row.x + 1
    for h in KeyMap.hintEntries(width: row.width - 1, table: table) {
        x += c.write(h.keys, x: x, y: row.y, style: rt.style(.hint_key, attrs: .bold), maxWidth: row.maxX - x)
        x += 1
        x += c.write(h.label, x: x, y: row.y, style: rt.style(.hint_fg), maxWidth: row.maxX - x)
        x += 2
        if x >= row.maxX { break }
    }
}

private func drawPrompt(_ c: inout Canvas, kind: PromptKind, text: String, row: Rect, _ rt: ResolvedTheme) {
    c.fill(row, style: rt.style(.prompt_fg))
    let label = kind.label
    let lw = c.write(label, x: row.x, y: row.y, style: rt.style(.prompt_fg, attrs: .bold), maxWidth: row.width)
    // Keep the end of a long input in view.
    let room = max(0, row.width - lw - 1)
    let scalars = displayScalars(text)
    let shown = String(String.UnicodeScalarView(scalars.suffix(room)))
    let tw = c.write(shown, x: row.x + lw, y: row.y, style: rt.style(.text), maxWidth: room)
    c.cursor = Point(x: min(row.maxX - 1, row.x + lw + tw), y: row.y)
}

// MARK: - Overlays

/// The help as lines of (key, text, key column width); a title line has key nil. Sections are
/// the key tables (one per mode), then the commands and the mouse (see helpSections).
private func helpLines() -> [(key: String?, text: String, keyWidth: Int)] {
    var out: [(String?, String, Int)] = []
    for (title, rows) in helpSections() {
        if !out.isEmpty { out.append(("", "", 0)) }
        out.append((nil, title, 0))
        let kw = min(40, rows.map { displayWidth($0.key) }.max() ?? 0)
        out += rows.map { ($0.key, $0.text, kw) }
    }
    return out
}

private func overlayBox(_ c: inout Canvas, width: Int, height: Int, title: String, _ rt: ResolvedTheme) -> Rect {
    let w = min(c.width, width), h = min(c.height, height)
    let r = Rect(x: (c.width - w) / 2, y: (c.height - h) / 2, width: w, height: h)
    c.fill(r, style: rt.style(.text, on: .overlay_bg))
    c.box(r, style: rt.style(.overlay_border, on: .overlay_bg), title: title,
          titleStyle: rt.style(.panel_title, on: .overlay_bg, attrs: .bold))
    return r
}

private func drawHelp(_ c: inout Canvas, scroll: Int, _ rt: ResolvedTheme) {
    let lines = helpLines()
    let width = lines.map { $0.keyWidth + 2 + displayWidth($0.text) }.max() ?? 0
    let box = overlayBox(&c, width: width + 4, height: lines.count + 2, title: "keys · " + KeyMap.help.hintLine, rt)
    let inner = box.inset(1)
    guard !inner.isEmpty else { return }
    let maxScroll = max(0, lines.count - inner.height)
    let first = min(scroll, maxScroll)
    for row in 0..<min(inner.height, lines.count - first) {
        let line = lines[first + row]
        let y = inner.y + row
        let x0 = inner.x + 1
        guard let k = line.key else {
            c.writeTruncated(line.text, x: x0, y: y, style: rt.style(.panel_title, on: .overlay_bg, attrs: .bold), maxWidth: inner.maxX - x0)
            continue
        }
        c.writeTruncated(k, x: x0, y: y, style: rt.style(.hint_key, on: .overlay_bg, attrs: .bold), maxWidth: min(line.keyWidth, inner.maxX - x0))
        let tx = x0 + line.keyWidth + 2
        if tx < inner.maxX {
            c.writeTruncated(line.text, x: tx, y: y, style: rt.style(.text, on: .overlay_bg), maxWidth: inner.maxX - tx)
        }
    }
    if maxScroll > 0 && box.width > 16 {
        // The scroll keys as the help's own table hints them.
        let keys = KeyMap.help.bindings.compactMap(\.hint).first?.keys ?? ""
        let more = first < maxScroll ? " \(keys) scroll ↓ " : " \(keys) scroll ↑ "
        c.writeTruncated(more, x: box.maxX - displayWidth(more) - 2, y: box.maxY - 1,
                         style: rt.style(.text_dim, on: .overlay_bg), maxWidth: box.width - 4)
    }
}

/// The chooser's rows: the methods, then a file.
func chooserEntries(_ state: ExplorerState) -> [(label: String, detail: String)] {
    state.chooserSources.map { ($0.description, $0.explanation) } + [("file…", "load a .npy of directions (rows), with its .json sidecar")]
}

private func drawChooser(_ c: inout Canvas, _ state: ExplorerState, selected: Int, _ rt: ResolvedTheme) {
    let entries = chooserEntries(state)
    let labelW = entries.map { displayWidth($0.label) }.max() ?? 0
    let detailW = entries.map { displayWidth($0.detail) }.max() ?? 0
    let box = overlayBox(&c, width: 4 + 3 + 2 + labelW + 2 + detailW + 2, height: entries.count + 2,
                         title: "direction set · " + KeyMap.chooser.hintLine, rt)
    let inner = box.inset(1)
    guard !inner.isEmpty else { return }
    let window = listWindow(count: entries.count, selected: selected, rows: inner.height)
    for (row, i) in window.enumerated() {
        let y = inner.y + row
        let isSel = i == selected
        let bg: ThemeRole = isSel ? .selection_bg : .overlay_bg
        let style = isSel ? rt.style(.selection_fg, on: .selection_bg, attrs: .bold) : rt.style(.text, on: .overlay_bg)
        c.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
        let current = entries[i].label == state.directions.method ? "•" : " "
        var x = inner.x + 1
        x += c.write("\(i + 1) \(current) ", x: x, y: y, style: style, maxWidth: inner.maxX - x)
        c.writeTruncated(entries[i].label, x: x, y: y, style: style, maxWidth: inner.maxX - x)
        x += labelW + 2
        if x < inner.maxX {
            c.writeTruncated(entries[i].detail, x: x, y: y, style: rt.style(isSel ? .selection_fg : .text_dim, on: bg), maxWidth: inner.maxX - x)
        }
    }
}
