// Turning a canvas into the bytes a terminal needs to show it: cursor moves and SGR colour
// sequences for the cells that changed since the previous frame. Pure, so the benchmark measures
// exactly what the terminal layer writes, without a terminal.

public enum FrameEncoder {
    /// Appends to `out` the bytes that bring a terminal showing `previous` to `current`, for the
    /// cells `include` accepts. A cell is sent when it differs from the previous frame's, when the
    /// previous frame did not include it (someone else drew there), when its row is in
    /// `dirtyRows`, or always when there is no comparable previous frame. Ends with the attributes
    /// reset; returns the number of cells sent.
    @discardableResult
    public static func encode(_ current: Canvas, previous: Canvas?, dirtyRows: [Bool]? = nil,
                              include: (Cell) -> Bool = { _ in true }, into out: inout [UInt8]) -> Int {
        var shown = previous
        return encode(current, shown: &shown, dirtyRows: dirtyRows, include: include, tolerance: 0, into: &out)
    }

    /// As above, against `shown` — what the terminal displays — which is updated to match. With a
    /// `tolerance` > 0, a cell whose glyph is unchanged and whose 24-bit colours moved by at most
    /// that many levels per channel from what is displayed is not resent: small steps through
    /// latent space shift most colours by a level or two, and skipping those cuts the bytes per
    /// frame (what matters over SSH) without visible change. The error is bounded by the
    /// tolerance, since the comparison is always with what is displayed, never with the last
    /// frame.
    @discardableResult
    public static func encode(_ current: Canvas, shown: inout Canvas?, dirtyRows: [Bool]? = nil,
                              include: (Cell) -> Bool = { _ in true }, tolerance: Int, into out: inout [UInt8]) -> Int {
        let w = current.width, h = current.height
        guard w > 0, h > 0 else { shown = current; return 0 }
        if shown?.width != w || shown?.height != h { shown = nil }
        var display = shown ?? current
        let compare = shown != nil
        var cursorX = -1, cursorY = -1
        var sgr = SGRState(fg: .default, bg: .default, attrs: [])
        var started = false
        var sent = 0
        current.cells.withUnsafeBufferPointer { cur in
            display.cells.withUnsafeMutableBufferPointer { disp in
                for y in 0..<h {
                    let rowDirty = dirtyRows.map { y < $0.count && $0[y] } ?? false
                    for x in 0..<w {
                        let i = y * w + x
                        let cell = cur[i]
                        guard include(cell) else { disp[i] = cell; continue }
                        if compare && !rowDirty {
                            let old = disp[i]
                            if include(old) && (old == cell || (tolerance > 0 && close(old, cell, tolerance))) { continue }
                        }
                        disp[i] = cell
                        if !started {
                            // The terminal's attributes are not ours to assume: start from a reset.
                            out.append(contentsOf: [0x1b, 0x5b, 0x30, 0x6d])
                            started = true
                        }
                        if cursorY != y || cursorX != x {
                            if cursorY == y && x > cursorX && cursorX >= 0 {
                                // Cursor forward is shorter than an absolute move within a row.
                                out.append(contentsOf: [0x1b, 0x5b]); appendNumber(x - cursorX, &out); out.append(0x43)
                            } else {
                                out.append(contentsOf: [0x1b, 0x5b]); appendNumber(y + 1, &out); out.append(0x3b)
                                appendNumber(x + 1, &out); out.append(0x48)
                            }
                        }
                        sgr.transition(to: cell, &out)
                        appendUTF8(cell.scalar, &out)
                        sent += 1
                        cursorY = y
                        // Writing the last column leaves the cursor in the "pending wrap" state: its
                        // position is no longer known, so the next cell moves absolutely.
                        cursorX = x + 1 < w ? x + 1 : -1
                    }
                }
            }
        }
        if started { out.append(contentsOf: [0x1b, 0x5b, 0x30, 0x6d]) }
        shown = display
        return sent
    }

    /// Same glyph and attributes, colours within `tol` levels (a blank's foreground is invisible).
    @inline(__always) static func close(_ a: Cell, _ b: Cell, _ tol: Int) -> Bool {
        guard a.scalar == b.scalar, a.attrs == b.attrs, a.isImage == b.isImage else { return false }
        return near(a.bg, b.bg, tol) && (a.scalar == " " || near(a.fg, b.fg, tol))
    }

    @inline(__always) static func near(_ a: TermColor, _ b: TermColor, _ tol: Int) -> Bool {
        if case .rgb(let p) = a, case .rgb(let q) = b {
            return abs(Int(p.r) - Int(q.r)) <= tol && abs(Int(p.g) - Int(q.g)) <= tol && abs(Int(p.b) - Int(q.b)) <= tol
        }
        return a == b
    }

    struct SGRState {
        var fg: TermColor
        var bg: TermColor
        var attrs: CellAttributes

        /// Emits one SGR sequence with only what changed; attributes can only be turned off by a
        /// reset, after which colours are set again.
        mutating func transition(to cell: Cell, _ out: inout [UInt8]) {
            if cell.fg == fg && cell.bg == bg && cell.attrs == attrs { return }
            out.append(contentsOf: [0x1b, 0x5b])
            var first = true
            func sep(_ out: inout [UInt8]) { if !first { out.append(0x3b) }; first = false }
            if !attrs.isSubset(of: cell.attrs) {
                sep(&out); out.append(0x30)
                attrs = []; fg = .default; bg = .default
            }
            let add = cell.attrs.subtracting(attrs)
            if add.contains(.bold) { sep(&out); out.append(0x31) }
            if add.contains(.dim) { sep(&out); out.append(0x32) }
            if add.contains(.underline) { sep(&out); out.append(0x34) }
            if add.contains(.reverse) { sep(&out); out.append(0x37) }
            attrs = cell.attrs
            if cell.fg != fg { sep(&out); appendColor(cell.fg, foreground: true, &out); fg = cell.fg }
            if cell.bg != bg { sep(&out); appendColor(cell.bg, foreground: false, &out); bg = cell.bg }
            out.append(0x6d)
        }
    }

    static func appendColor(_ c: TermColor, foreground: Bool, _ out: inout [UInt8]) {
        switch c {
        case .default:
            out.append(foreground ? 0x33 : 0x34); out.append(0x39)           // 39 / 49
        case .indexed(let i) where i < 8:
            appendNumber((foreground ? 30 : 40) + Int(i), &out)
        case .indexed(let i) where i < 16:
            appendNumber((foreground ? 90 : 100) + Int(i) - 8, &out)
        case .indexed(let i):
            out.append(foreground ? 0x33 : 0x34); out.append(contentsOf: [0x38, 0x3b, 0x35, 0x3b])   // 38;5;
            appendNumber(Int(i), &out)
        case .rgb(let v):
            out.append(foreground ? 0x33 : 0x34); out.append(contentsOf: [0x38, 0x3b, 0x32, 0x3b])   // 38;2;
            appendNumber(Int(v.r), &out); out.append(0x3b)
            appendNumber(Int(v.g), &out); out.append(0x3b)
            appendNumber(Int(v.b), &out)
        }
    }

    private static let smallNumbers: [[UInt8]] = (0..<256).map { Array(String($0).utf8) }

    @inline(__always) static func appendNumber(_ n: Int, _ out: inout [UInt8]) {
        if n >= 0 && n < 256 { out.append(contentsOf: smallNumbers[n]); return }
        out.append(contentsOf: Array(String(n).utf8))
    }

    @inline(__always) static func appendUTF8(_ s: Unicode.Scalar, _ out: inout [UInt8]) {
        let v = s.value
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
