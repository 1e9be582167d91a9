/// How a grid figure is laid out: `rows × cols` cells of one size, `padding` pixels around and
/// between them, optional labels in a margin left of the rows and above the columns, optional
/// frames around chosen cells (the unmodified sample of a traversal).
public struct GridLayout: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    /// Pixels around the grid and between cells.
    public var padding: Int
    public var background: RGBColor
    /// Empty, or one (short, ASCII) label per row, drawn right-aligned in a left margin.
    public var rowLabels: [String]
    /// Empty, or one label per column, drawn centred above the column; when they would run together
    /// only every k-th is drawn (see `GridGeometry.columnLabelPlacements`).
    public var columnLabels: [String]
    /// Empty, or a caption on a line of its own above the column labels, centred: what the two
    /// axes are ("x: hue, y: size" for a 2-D slice).
    public var title: String = ""
    /// Row-major cell indices (`row * cols + col`) that get a frame.
    public var highlighted: Set<Int>
    public var highlightColor: RGBColor
    public var labelColor: RGBColor
    /// Integer scale of the 5×7 label font.
    public var labelScale: Int

    public init(rows: Int, cols: Int, padding: Int = 2, background: RGBColor = .white,
                rowLabels: [String] = [], columnLabels: [String] = [], title: String = "",
                highlighted: Set<Int> = [], highlightColor: RGBColor = .highlight,
                labelColor: RGBColor = .black, labelScale: Int = 1) {
        self.rows = rows
        self.cols = cols
        self.padding = padding
        self.background = background
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.title = title
        self.highlighted = highlighted
        self.highlightColor = highlightColor
        self.labelColor = labelColor
        self.labelScale = labelScale
    }

    /// The width of a highlight frame: half the padding, so frames of neighbouring cells do not
    /// meet, and at least one pixel. It lies in the padding around the cell, leaving the cell's own
    /// pixels untouched (a traversal grid's cells equal the individual decodes); with padding 0
    /// there is no room, and the frame covers the cell's outermost pixel instead.
    public var frameWidth: Int { max(1, padding / 2) }
}

/// Where everything of a grid lies, computed once from the cell size and the layout (the composer,
/// tests and the TUI's mouse mapping share it).
public struct GridGeometry: Equatable, Sendable {
    public let cellWidth: Int, cellHeight: Int
    public let width: Int, height: Int
    /// Left edge of column 0's cells and top edge of row 0's cells.
    public let originX: Int, originY: Int
    /// Margins holding the labels (0 without labels), and the gap around label text.
    public let leftBand: Int, topBand: Int, labelGap: Int
    /// The top of the column labels' text: below the title's line when there is a title.
    public let columnLabelY: Int
    let padding: Int

    public init(cellWidth: Int, cellHeight: Int, layout: GridLayout) throws {
        guard layout.rows > 0, layout.cols > 0 else {
            throw ImageError.invalidGrid("a grid needs at least one row and one column, not \(layout.rows) x \(layout.cols)")
        }
        guard layout.padding >= 0, layout.padding <= 4096 else {
            throw ImageError.invalidGrid("padding \(layout.padding) is outside 0…4096 pixels")
        }
        guard layout.labelScale >= 1, layout.labelScale <= 64 else {
            throw ImageError.invalidGrid("label scale \(layout.labelScale) is outside 1…64")
        }
        guard cellWidth > 0, cellHeight > 0 else {
            throw ImageError.invalidGrid("cells of \(cellWidth) x \(cellHeight) pixels are empty")
        }
        let s = layout.labelScale, p = layout.padding
        // Label text keeps at least two font pixels of air on both sides of it.
        let gap = max(p, 2 * s)
        // A band is gap + text + gap; the cell padding that follows it counts toward the second gap.
        // The title takes a line of its own above the column labels' line, a gap apart.
        let lines = (layout.columnLabels.isEmpty ? 0 : 1) + (layout.title.isEmpty ? 0 : 1)
        let titleLine = layout.title.isEmpty ? 0 : BitmapFont.glyphHeight * s + gap + 2 * s
        let top = lines == 0 ? 0 : 2 * gap + titleLine + (lines - (layout.title.isEmpty ? 0 : 1)) * BitmapFont.glyphHeight * s - p
        let widest = layout.rowLabels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
        let left = layout.rowLabels.isEmpty ? 0 : 2 * gap + widest - p
        // Checked arithmetic: sizes come from user flags (--rows, --scale, --padding).
        func span(_ n: Int, _ cell: Int, _ band: Int) -> Int? {
            let (a, o1) = cell.addingReportingOverflow(p)
            let (b, o2) = a.multipliedReportingOverflow(by: n)
            let (c, o3) = b.addingReportingOverflow(p + band)
            return o1 || o2 || o3 ? nil : c
        }
        guard let w = span(layout.cols, cellWidth, left), let h = span(layout.rows, cellHeight, top),
              w <= PNGCodec.maxPixels / max(h, 1) else {
            throw ImageError.tooLarge("a grid of \(layout.rows) x \(layout.cols) cells of \(cellWidth) x \(cellHeight) pixels is larger than \(PNGCodec.maxPixels) pixels")
        }
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.padding = p
        labelGap = gap
        columnLabelY = gap + titleLine
        topBand = top
        leftBand = left
        originX = left + p
        originY = top + p
        width = w
        height = h
    }

    /// The top-left pixel of the cell at (`row`, `col`).
    public func cellOrigin(row: Int, col: Int) -> (x: Int, y: Int) {
        (originX + col * (cellWidth + padding), originY + row * (cellHeight + padding))
    }

    // MARK: Labels

    /// Where the column labels go: each centred above its column (moved inward to stay inside the
    /// figure, cut only if wider than the whole figure). When neighbouring labels would come
    /// closer than two character advances (wider than the space a label may hold itself, so the
    /// gap reads as a break between labels), only every k-th is drawn, k the smallest divisor of
    /// (columns − 1) that leaves that gap: the first and last are always drawn, the middle one
    /// too when the count is odd and k allows. If even the first and last collide, only the first.
    public func columnLabelPlacements(_ labels: [String], scale s: Int) -> [PlacedLabel] {
        let fits = max((width + s) / (BitmapFont.advance * s), 0)
        let all = labels.enumerated().map { col, label -> PlacedLabel in
            let text = String(label.prefix(fits))
            let (w, h) = BitmapFont.size(of: text, scale: s)
            let centred = cellOrigin(row: 0, col: col).x + (cellWidth - w) / 2
            return PlacedLabel(index: col, text: text, x: min(max(centred, 0), width - w), y: columnLabelY, width: w, height: h)
        }
        return GridGeometry.spaced(all, gap: 2 * BitmapFont.advance * s) { ($0.x, $0.x + $0.width) }
    }

    /// Where the row labels go: right-aligned in the left band, centred on their row. Rows too
    /// short for their labels get every k-th label as columns do, with a gap of one font pixel row
    /// between lines of text.
    public func rowLabelPlacements(_ labels: [String], scale s: Int) -> [PlacedLabel] {
        let all = labels.enumerated().map { row, label -> PlacedLabel in
            let (w, h) = BitmapFont.size(of: label, scale: s)
            return PlacedLabel(index: row, text: label, x: leftBand + padding - labelGap - w,
                               y: cellOrigin(row: row, col: 0).y + (cellHeight - h) / 2, width: w, height: h)
        }
        return GridGeometry.spaced(all, gap: (BitmapFont.lineHeight - BitmapFont.glyphHeight) * s) { ($0.y, $0.y + $0.height) }
    }

    /// The title, centred over the cells on the first line of the top band (nothing when empty;
    /// cut to the figure's width).
    public func titlePlacement(_ title: String, scale s: Int) -> [PlacedLabel] {
        guard !title.isEmpty else { return [] }
        let text = String(title.prefix(max((width + s) / (BitmapFont.advance * s), 0)))
        let (w, h) = BitmapFont.size(of: text, scale: s)
        let centre = originX + (width - originX) / 2
        return [PlacedLabel(index: 0, text: text, x: min(max(centre - w / 2, 0), width - w), y: labelGap, width: w, height: h)]
    }

    /// Every k-th of `labels` (first and last included), for the smallest divisor k of
    /// (count − 1) that keeps `gap` pixels between consecutive extents along the axis.
    static func spaced(_ labels: [PlacedLabel], gap: Int, extent: (PlacedLabel) -> (lo: Int, hi: Int)) -> [PlacedLabel] {
        let n = labels.count
        guard n > 1 else { return labels }
        for k in 1..<n where (n - 1) % k == 0 {
            let chosen = stride(from: 0, to: n, by: k).map { labels[$0] }
            if zip(chosen, chosen.dropFirst()).allSatisfy({ extent($1).lo - extent($0).hi >= gap }) { return chosen }
        }
        return [labels[0]]
    }
}

/// A grid label as drawn: the row or column it names, its text and its box in pixels.
public struct PlacedLabel: Equatable, Sendable {
    public let index: Int
    public let text: String
    public let x: Int, y: Int
    public let width: Int, height: Int
}

public enum Grid {
    /// Lays `cells` out row-major (`nil` leaves a cell empty; fewer cells than rows × cols leave
    /// the last cells empty). All cells must have the same size. The result is gray when every cell
    /// and colour used is gray, else RGB; RGBA cells are composited over the background.
    public static func compose(_ cells: [Image?], layout: GridLayout) throws -> Image {
        let capacity = layout.rows.multipliedReportingOverflow(by: layout.cols)
        guard layout.rows > 0, layout.cols > 0, !capacity.overflow else {
            throw ImageError.invalidGrid("a grid needs at least one row and one column, not \(layout.rows) x \(layout.cols)")
        }
        guard cells.count <= capacity.partialValue else {
            throw ImageError.invalidGrid("\(cells.count) images do not fit a grid of \(layout.rows) x \(layout.cols) cells")
        }
        guard let first = cells.firstIndex(where: { $0 != nil }), let reference = cells[first] else {
            throw ImageError.invalidGrid("a grid needs at least one image")
        }
        for (i, cell) in cells.enumerated() {
            guard let cell = cell else { continue }
            guard cell.width == reference.width, cell.height == reference.height else {
                throw ImageError.invalidGrid("cell \(i) is \(cell.width) x \(cell.height) pixels but cell \(first) is \(reference.width) x \(reference.height); grid cells must have one size")
            }
        }
        guard layout.rowLabels.isEmpty || layout.rowLabels.count == layout.rows else {
            throw ImageError.invalidGrid("\(layout.rowLabels.count) row labels for \(layout.rows) rows")
        }
        guard layout.columnLabels.isEmpty || layout.columnLabels.count == layout.cols else {
            throw ImageError.invalidGrid("\(layout.columnLabels.count) column labels for \(layout.cols) columns")
        }
        if let bad = layout.highlighted.first(where: { $0 < 0 || $0 >= capacity.partialValue }) {
            throw ImageError.invalidGrid("highlighted cell \(bad) is outside the grid's \(capacity.partialValue) cells")
        }
        let g = try GridGeometry(cellWidth: reference.width, cellHeight: reference.height, layout: layout)

        let hasLabels = !layout.rowLabels.isEmpty || !layout.columnLabels.isEmpty
        let gray = cells.allSatisfy { $0 == nil || $0?.channels == 1 } && layout.background.isGray
            && layout.highlighted.isEmpty && (!hasLabels || layout.labelColor.isGray)
        let bg = layout.background
        var out = gray ? Image(width: g.width, height: g.height, channels: 1, fill: [bg.r])
                       : Image(width: g.width, height: g.height, channels: 3, fill: [bg.r, bg.g, bg.b])

        for (i, cell) in cells.enumerated() {
            guard let cell = cell else { continue }
            let (x0, y0) = g.cellOrigin(row: i / layout.cols, col: i % layout.cols)
            blit(cell, into: &out, x: x0, y: y0, background: bg)
        }
        for i in layout.highlighted.sorted() {
            let (x0, y0) = g.cellOrigin(row: i / layout.cols, col: i % layout.cols)
            drawFrame(into: &out, x: x0, y: y0, width: g.cellWidth, height: g.cellHeight,
                      thickness: layout.frameWidth, inside: layout.padding == 0, color: layout.highlightColor)
        }

        let placed = g.columnLabelPlacements(layout.columnLabels, scale: layout.labelScale)
            + g.rowLabelPlacements(layout.rowLabels, scale: layout.labelScale)
            + g.titlePlacement(layout.title, scale: layout.labelScale)
        for label in placed {
            BitmapFont.draw(label.text, into: &out, x: label.x, y: label.y, scale: layout.labelScale, color: layout.labelColor)
        }
        return out
    }

    /// Copies `cell` to (x, y) in `out`, converting channels (gray → RGB; RGBA composited over
    /// `background`).
    static func blit(_ cell: Image, into out: inout Image, x: Int, y: Int, background: RGBColor) {
        let oc = out.channels, cc = cell.channels
        let bg = [Int(background.r), Int(background.g), Int(background.b)]
        for row in 0..<cell.height {
            var src = row * cell.width * cc
            var dst = ((y + row) * out.width + x) * oc
            for _ in 0..<cell.width {
                switch (cc, oc) {
                case (1, 1):
                    out.pixels[dst] = cell.pixels[src]
                case (1, _):
                    let v = cell.pixels[src]
                    out.pixels[dst] = v; out.pixels[dst + 1] = v; out.pixels[dst + 2] = v
                case (3, _):
                    out.pixels[dst] = cell.pixels[src]; out.pixels[dst + 1] = cell.pixels[src + 1]; out.pixels[dst + 2] = cell.pixels[src + 2]
                default:
                    // RGBA over the background, rounded: (a·c + (255 − a)·bg) / 255.
                    let a = Int(cell.pixels[src + 3])
                    for c in 0..<3 {
                        out.pixels[dst + c] = UInt8((a * Int(cell.pixels[src + c]) + (255 - a) * bg[c] + 127) / 255)
                    }
                }
                src += cc
                dst += oc
            }
        }
    }

    /// A rectangular frame of `thickness` around (outside, or with `inside` along the inner edge of)
    /// the w×h box at (x, y).
    static func drawFrame(into out: inout Image, x: Int, y: Int, width w: Int, height h: Int,
                          thickness t: Int, inside: Bool, color: RGBColor) {
        let (x0, y0, x1, y1) = inside ? (x, y, x + w, y + h) : (x - t, y - t, x + w + t, y + h + t)
        let colour = [color.r, color.g, color.b]
        for py in max(y0, 0)..<min(y1, out.height) {
            for px in max(x0, 0)..<min(x1, out.width) {
                let inBand = px < x0 + t || px >= x1 - t || py < y0 + t || py >= y1 - t
                guard inBand else { continue }
                let o = (py * out.width + px) * out.channels
                if out.channels == 1 {
                    out.pixels[o] = RGBColor.luma(color)
                } else {
                    for c in 0..<3 { out.pixels[o + c] = colour[c] }
                }
            }
        }
    }
}
