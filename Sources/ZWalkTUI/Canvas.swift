// The in-memory screen: a grid of cells (one character, foreground, background, attributes) that
// render() fills and the terminal layer draws. Tests read it as text.

public struct Size: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    public var description: String { "\(width)×\(height)" }
}

public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
    public func inset(_ d: Int) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
    public var description: String { "(\(x),\(y) \(width)×\(height))" }
}

public struct CellAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = CellAttributes(rawValue: 1)
    public static let dim = CellAttributes(rawValue: 2)
    public static let reverse = CellAttributes(rawValue: 4)
    public static let underline = CellAttributes(rawValue: 8)
}

/// What a cell is drawn with.
public struct Style: Hashable, Sendable {
    public var fg: TermColor
    public var bg: TermColor
    public var attrs: CellAttributes
    public init(fg: TermColor = .default, bg: TermColor = .default, attrs: CellAttributes = []) {
        self.fg = fg; self.bg = bg; self.attrs = attrs
    }
    public static let plain = Style()
}

public struct Cell: Hashable, Sendable {
    /// One scalar of display width 1 (text is sanitised before it reaches a cell).
    public var scalar: Unicode.Scalar
    public var fg: TermColor
    public var bg: TermColor
    public var attrs: CellAttributes
    /// Drawn by the image renderer: the terminal layer may send these cells by its own fast path.
    public var isImage: Bool

    public init(_ scalar: Unicode.Scalar = " ", fg: TermColor = .default, bg: TermColor = .default,
                attrs: CellAttributes = [], isImage: Bool = false) {
        self.scalar = scalar; self.fg = fg; self.bg = bg; self.attrs = attrs; self.isImage = isImage
    }

    public init(_ scalar: Unicode.Scalar, style: Style) {
        self.init(scalar, fg: style.fg, bg: style.bg, attrs: style.attrs)
    }

    public static let blank = Cell()
    public var style: Style { Style(fg: fg, bg: bg, attrs: attrs) }
}

public struct Point: Hashable, Sendable {
    public var x: Int, y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}

public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var cells: [Cell]
    /// Where the terminal's cursor should show (a prompt being typed), nil to hide it.
    public var cursor: Point?
    /// Pictures to draw with pixels over their (blank) cells, when the terminal can.
    public var graphics: [GraphicPlacement] = []

    public init(size: Size, fill: Cell = .blank) {
        width = max(0, size.width); height = max(0, size.height)
        cells = Array(repeating: fill, count: width * height)
    }

    public var size: Size { Size(width: width, height: height) }

    /// Out-of-range reads give a blank and writes are ignored: drawing code clips by construction
    /// and can never crash on a tiny terminal.
    public subscript(x: Int, y: Int) -> Cell {
        get { (x >= 0 && x < width && y >= 0 && y < height) ? cells[y * width + x] : .blank }
        set { if x >= 0 && x < width && y >= 0 && y < height { cells[y * width + x] = newValue } }
    }

    public mutating func fill(_ rect: Rect, style: Style, scalar: Unicode.Scalar = " ") {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX), y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let c = Cell(scalar, style: style)
        for y in y0..<y1 { for x in x0..<x1 { cells[y * width + x] = c } }
    }

    /// Writes text from (x, y), clipped to `maxWidth` columns and the canvas; returns the columns used.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int? = nil) -> Int {
        let limit = min(maxWidth ?? Int.max, width - x)
        guard y >= 0, y < height, limit > 0 else { return 0 }
        var col = 0
        for s in displayScalars(text) {
            if col >= limit { break }
            self[x + col, y] = Cell(s, style: style)
            col += 1
        }
        return col
    }

    /// Writes text clipped to `maxWidth`, ending in "…" when it had to be cut.
    @discardableResult
    public mutating func writeTruncated(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int) -> Int {
        write(truncate(text, to: maxWidth), x: x, y: y, style: style, maxWidth: maxWidth)
    }

    /// A box-drawing frame around `rect` with an optional title on the top edge.
    public mutating func box(_ rect: Rect, style: Style, title: String? = nil, titleStyle: Style? = nil) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let x1 = rect.maxX - 1, y1 = rect.maxY - 1
        for x in rect.x...x1 {
            self[x, rect.y] = Cell("─", style: style)
            self[x, y1] = Cell("─", style: style)
        }
        for y in rect.y...y1 {
            self[rect.x, y] = Cell("│", style: style)
            self[x1, y] = Cell("│", style: style)
        }
        self[rect.x, rect.y] = Cell("╭", style: style)
        self[x1, rect.y] = Cell("╮", style: style)
        self[rect.x, y1] = Cell("╰", style: style)
        self[x1, y1] = Cell("╯", style: style)
        if let t = title, rect.width > 4 {
            writeTruncated(" " + t + " ", x: rect.x + 2, y: rect.y, style: titleStyle ?? style, maxWidth: rect.width - 4)
        }
    }

    /// The characters of each row, for tests and debugging.
    public var lines: [String] {
        (0..<height).map { y in
            var s = String.UnicodeScalarView()
            for x in 0..<width { s.append(cells[y * width + x].scalar) }
            return String(s)
        }
    }

    public var text: String { lines.joined(separator: "\n") }
}

/// The scalars of `text` as they will occupy cells: controls become "?", combining marks are
/// dropped (they would merge into the previous cell), wide (CJK, emoji) become "?" since every
/// cell is one column. File names and direction names come from users, so this must hold for any input.
public func displayScalars(_ text: String) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(text.unicodeScalars.count)
    for s in text.unicodeScalars {
        let v = s.value
        if v < 0x20 || (v >= 0x7f && v < 0xa0) { out.append("?"); continue }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: continue
        default: break
        }
        if isWide(v) { out.append("?"); continue }
        out.append(s)
    }
    return out
}

/// East Asian wide and emoji ranges (the common ones; exact width tables are the terminal's).
func isWide(_ v: UInt32) -> Bool {
    switch v {
    case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
         0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
         0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
        return true
    default:
        return false
    }
}

/// Display width of text after sanitising (one column per kept scalar).
public func displayWidth(_ text: String) -> Int { displayScalars(text).count }

/// Cuts text to `width` columns, ending in "…" when it had to be cut (with no space before it).
public func truncate(_ text: String, to width: Int) -> String {
    guard width > 0 else { return "" }
    let s = displayScalars(text)
    if s.count <= width { return String(String.UnicodeScalarView(s)) }
    var kept = s.prefix(width - 1)
    while kept.last == " " { kept = kept.dropLast() }
    return String(String.UnicodeScalarView(kept)) + "…"
}
