// The only file that calls ncurses. ncurses sets the terminal up and restores it, reads keys and
// the mouse, knows the terminal's capabilities, and draws the cells it can express with colour
// pairs (the panels). Cells it cannot express cheaply — the picture, and 24-bit colours on a
// terminfo entry without direct colour — are written as SGR escape sequences right after its
// doupdate(), with our own diff, so no colour pair is allocated per picture cell.
import CNcursesw
import Foundation

enum TerminalEvent: Equatable {
    case key(Key)
    case mouse(MouseEvent)
    case resize
    /// SIGINT / SIGTERM / SIGHUP / SIGQUIT: leave with 128 + the signal.
    case terminate(Int32)
    case suspend
    case continued
    case wake
}

final class CursesTerminal {
    private var screen: OpaquePointer?
    private var window: UnsafeMutablePointer<WINDOW>?
    private let signals: SignalPipe
    private var closed = false
    private let mouseOn: Bool

    let colorCount: Int
    let terminfoRGB: Bool
    /// A direct-colour terminfo entry (colors = 2^24): ncurses takes RGB values as colour numbers.
    let directColor: Bool
    let hasColors: Bool
    private var defaultColors = false
    private let pairLimit: Int
    let imageOutput: ImageOutput
    /// Levels per channel a displayed 24-bit colour may be off before the cell is resent.
    let colourTolerance: Int

    private(set) var size: Size
    /// What is on the screen now, and which of its cells we wrote as escapes.
    private var previous: Canvas?
    private var escapeOwned: [Bool] = []
    private var mustRepaint = true
    private var pairs: [UInt64: Int32] = [:]
    private var out: [UInt8] = []

    /// Draws the pictures of canvas.graphics with pixels; nil: the terminal draws blocks only.
    let painter: PixelPainter?

    /// Figures about the last draw, for the trace.
    private(set) var lastGraphicsBytes = 0
    private(set) var lastEscapeBytes = 0
    private(set) var lastEscapeCells = 0
    private(set) var lastCursesCells = 0

    init(mouse: Bool, imageOutput: ImageOutput, colourTolerance: Int, painter: PixelPainter? = nil,
         environment: [String: String]) throws {
        setlocale(LC_ALL, "")
        // ncurses writes non-ASCII cells only in a UTF-8 locale; under the C locale the panels'
        // box and block characters would come out as blanks. Terminals today speak UTF-8, so
        // borrow a UTF-8 character type when the environment names none.
        if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" {
            for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] where setlocale(LC_CTYPE, name) != nil { break }
        }
        guard isatty(0) == 1, isatty(1) == 1 else { throw ExplorerError.notATerminal }
        let term = environment["TERM"] ?? ""
        guard !term.isEmpty else { throw ExplorerError.unknownTerminal("") }
        self.imageOutput = imageOutput
        self.painter = painter
        self.mouseOn = mouse
        self.colourTolerance = max(0, colourTolerance)
        signals = try SignalPipe()
        signals.install()
        // newterm, not initscr: initscr exits the process on an unknown TERM; newterm returns nil.
        guard let scr = newterm(nil, stdout, stdin) else {
            signals.close()
            throw ExplorerError.unknownTerminal(term)
        }
        screen = scr
        set_term(scr)
        cbreak()
        noecho()
        nonl()
        _ = set_escdelay(25)
        let rows = max(1, Int(CursesTerminal.tigetnumSafe("lines")))
        let cols = max(1, Int(CursesTerminal.tigetnumSafe("cols")))
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 {
            size = Size(width: Int(ws.ws_col), height: Int(ws.ws_row))
            resizeterm(Int32(ws.ws_row), Int32(ws.ws_col))
        } else {
            size = Size(width: cols, height: rows)
        }
        window = newwin(0, 0, 0, 0)
        hasColors = has_colors()
        let colors = Int(CursesTerminal.tigetnumSafe("colors"))
        colorCount = colors > 0 ? colors : 0
        terminfoRGB = CursesTerminal.tigetflagSafe("RGB")
        directColor = colorCount >= 1 << 24
        pairLimit = max(0, min(Int(CursesTerminal.tigetnumSafe("pairs")), 32_000))
        guard let w = window else {
            endwin(); delscreen(scr); signals.close()
            throw ExplorerError.terminal("ncurses could not create a window of \(size)")
        }
        keypad(w, true)
        nodelay(w, true)
        leaveok(w, false)
        if hasColors {
            start_color()
            defaultColors = use_default_colors() == OK
        }
        curs_set(0)
        if mouse {
            _ = mousemask(CursesTerminal.mouseMask, nil)
            _ = mouseinterval(0)
        }
    }

    private static func tigetnumSafe(_ cap: String) -> Int32 { cap.withCString { tigetnum($0) } }
    private static func tigetflagSafe(_ cap: String) -> Bool { cap.withCString { tigetflag($0) } > 0 }

    // MARK: - Mouse masks (function-like macros in C, computed here)

    // NCURSES_MOUSE_VERSION 2: NCURSES_MOUSE_MASK(b, m) = m << ((b - 1) * 5).
    private static func button(_ b: Int, _ m: UInt32) -> UInt32 { m << UInt32((b - 1) * 5) }
    private static let pressed: UInt32 = 0o2, clicked: UInt32 = 0o4
    private static let button1: UInt32 = button(1, pressed) | button(1, clicked)
    private static let wheelUp: UInt32 = button(4, pressed)
    private static let wheelDown: UInt32 = button(5, pressed)
    private static let mouseMask = mmask_t(button1 | wheelUp | wheelDown)

    // MARK: - Attributes (A_BOLD and friends are macros: NCURSES_BITS(1, n) = 1 << (n + 8))

    private static func attrBits(_ a: CellAttributes) -> attr_t {
        var v: attr_t = 0
        if a.contains(.underline) { v |= attr_t(1) << (9 + 8) }
        if a.contains(.reverse) { v |= attr_t(1) << (10 + 8) }
        if a.contains(.dim) { v |= attr_t(1) << (12 + 8) }
        if a.contains(.bold) { v |= attr_t(1) << (13 + 8) }
        return v
    }

    // MARK: - Lifecycle

    /// Restores the terminal. Safe to call more than once and on every exit path.
    func close() {
        guard !closed else { return }
        closed = true
        // Pixels kitty keeps above the text would outlive the explorer.
        writeAll((painter?.forget() ?? []) + [0x1b, 0x5b, 0x30, 0x6d])
        if mouseOn { _ = mousemask(0, nil) }
        curs_set(1)
        endwin()
        if let w = window { delwin(w) }
        if let s = screen { delscreen(s) }
        window = nil; screen = nil
        signals.close()
    }

    func wake() { signals.wake() }

    /// What ncurses found, for the trace.
    var capabilities: String {
        "colors=\(colorCount) pairs=\(pairLimit) RGB=\(terminfoRGB) direct=\(directColor) default_colors=\(defaultColors) output=\(imageOutput.rawValue)"
            + " graphics=\(painter.map { "\($0.proto.rawValue) cell=\($0.cell)" + ($0.tmuxPassthrough ? " tmux-passthrough" : "") } ?? "blocks")"
    }

    /// Ctrl-Z: give the terminal back, stop, and take it again when continued.
    func suspend() {
        writeAll(painter?.forget() ?? [])
        endwin()
        signals.setDefault(SIGTSTP)
        kill(getpid(), SIGTSTP)
        // Execution continues here after SIGCONT.
        signals.setHandler(SIGTSTP)
        refreshSize()
        mustRepaint = true
    }

    /// The terminal's size changed (SIGWINCH) or may have (after a suspend).
    func refreshSize() {
        var ws = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 else { return }
        let new = Size(width: Int(ws.ws_col), height: Int(ws.ws_row))
        // resizeterm queues a KEY_RESIZE of its own: calling it for an unchanged size would loop.
        guard new != size else { return }
        resizeterm(Int32(ws.ws_row), Int32(ws.ws_col))
        if let w = window { wresize(w, Int32(ws.ws_row), Int32(ws.ws_col)) }
        size = new
        painter?.resized(cell: TerminalQuery.cellPixels())
        mustRepaint = true
    }

    func invalidate() { mustRepaint = true }

    // MARK: - Input

    /// Waits up to `timeoutMs` for keys, signals or the worker, then returns everything pending.
    func waitForEvents(timeoutMs: Int32) -> [TerminalEvent] {
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: signals.readFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, timeoutMs)
        var events: [TerminalEvent] = []
        for b in signals.drain() {
            switch Int32(b) {
            case SIGWINCH: if !events.contains(.resize) { events.append(.resize) }
            case SIGTSTP: events.append(.suspend)
            case SIGCONT: events.append(.continued)
            case SIGINT, SIGTERM, SIGHUP, SIGQUIT: events.append(.terminate(Int32(b)))
            default: if b == wakeByte && !events.contains(.wake) { events.append(.wake) }
            }
        }
        guard let w = window else { return events }
        var budget = 4096   // a paste of a long path is still bounded
        while budget > 0 {
            budget -= 1
            var ch: wint_t = 0
            let r = wget_wch(w, &ch)
            if r == ERR { break }
            if r == KEY_CODE_YES {
                if let e = functionKey(Int32(ch)) { events.append(e) }
            } else if let k = Key.fromCode(UInt32(ch)) {
                events.append(.key(k))
            }
        }
        return events
    }

    private func functionKey(_ code: Int32) -> TerminalEvent? {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_SLEFT: return .key(.shiftLeft)
        case KEY_SRIGHT: return .key(.shiftRight)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_ENTER: return .key(.enter)
        case KEY_DC: return .key(.delete)
        case KEY_RESIZE: return .resize
        case KEY_MOUSE:
            var ev = MEVENT()
            guard getmouse(&ev) == OK else { return nil }
            let b = UInt32(truncatingIfNeeded: ev.bstate)
            let kind: MouseEvent.Kind
            if b & CursesTerminal.wheelUp != 0 { kind = .wheelUp }
            else if b & CursesTerminal.wheelDown != 0 { kind = .wheelDown }
            else if b & CursesTerminal.button1 != 0 { kind = .press }
            else { return nil }
            return .mouse(MouseEvent(x: Int(ev.x), y: Int(ev.y), kind: kind))
        default: return nil
        }
    }

    // MARK: - Output

    /// Whether a cell goes out as our escapes rather than through ncurses.
    @inline(__always) private func byEscapes(_ c: Cell) -> Bool {
        if c.isImage && imageOutput == .escapes { return true }
        return !cursesCanShow(c.fg) || !cursesCanShow(c.bg)
    }

    @inline(__always) private func cursesCanShow(_ c: TermColor) -> Bool {
        switch c {
        case .default: return true
        case .indexed(let i): return hasColors && Int(i) < colorCount
        case .rgb: return hasColors && directColor
        }
    }

    private func cursesColor(_ c: TermColor, foreground: Bool) -> Int32 {
        switch c {
        case .default: return defaultColors ? -1 : (foreground ? 7 : 0)
        case .indexed(let i): return Int32(i)
        case .rgb(let v): return Int32(v.r) << 16 | Int32(v.g) << 8 | Int32(v.b)
        }
    }

    private func pair(_ fg: TermColor, _ bg: TermColor) -> Int32 {
        guard hasColors else { return 0 }
        let f = cursesColor(fg, foreground: true), b = cursesColor(bg, foreground: false)
        if f == -1 && b == -1 { return 0 }
        let key = UInt64(UInt32(bitPattern: f)) << 32 | UInt64(UInt32(bitPattern: b))
        if let p = pairs[key] { return p }
        // alloc_pair recycles the least recently used pair when the table is full, which would
        // silently recolour cells already drawn with it: start over before that happens.
        if pairs.count + 1 >= pairLimit {
            reset_color_pairs()
            pairs.removeAll()
            mustRepaint = true
        }
        let p = alloc_pair(f, b)
        guard p > 0 else { return 0 }
        pairs[key] = p
        return p
    }

    private func put(_ cell: Cell, x: Int, y: Int, _ w: UnsafeMutablePointer<WINDOW>) {
        var cc = cchar_t()
        var p = pair(cell.fg, cell.bg)
        var wch: [wchar_t] = [wchar_t(bitPattern: cell.scalar.value), 0]
        _ = setcchar(&cc, &wch, CursesTerminal.attrBits(cell.attrs), 0, &p)
        // The bottom-right cell returns ERR (the cursor cannot advance) but is drawn.
        _ = mvwadd_wch(w, Int32(y), Int32(x), &cc)
    }

    /// Shows `canvas`: ncurses' cells first (it diffs against its own idea of the screen), then
    /// the escape-owned cells that changed. A row where ncurses wrote anything gets its escape
    /// cells resent, because ncurses may rewrite the blanks it believes are there while it
    /// optimises a line.
    func draw(_ canvas: Canvas) {
        guard let w = window, canvas.width == size.width, canvas.height == size.height else { return }
        let full = mustRepaint || previous == nil || previous?.width != canvas.width || previous?.height != canvas.height
        if full {
            wclear(w)
            escapeOwned = Array(repeating: false, count: canvas.cells.count)
            pairs.removeAll(keepingCapacity: true)
            reset_color_pairs()
        }
        let width = canvas.width
        var dirtyRows = [Bool](repeating: false, count: canvas.height)
        var cursesCells = 0
        var owned = [Bool](repeating: false, count: canvas.cells.count)
        let blank = Cell()
        canvas.cells.withUnsafeBufferPointer { cells in
            for i in 0..<cells.count {
                let cell = cells[i]
                let esc = byEscapes(cell)
                owned[i] = esc
                let x = i % width, y = i / width
                if esc {
                    // ncurses keeps a blank here so it never paints over our cell on its own.
                    if full || !escapeOwned[i] { put(blank, x: x, y: y, w); dirtyRows[y] = true; cursesCells += 1 }
                } else if full || escapeOwned[i] || previous?.cells[i] != cell {
                    put(cell, x: x, y: y, w); dirtyRows[y] = true; cursesCells += 1
                }
            }
        }
        if let c = canvas.cursor {
            wmove(w, Int32(c.y), Int32(c.x))
            curs_set(1)
        } else {
            wmove(w, Int32(canvas.height - 1), 0)
            curs_set(0)
        }
        wnoutrefresh(w)
        doupdate()

        out.removeAll(keepingCapacity: true)
        var shown: Canvas? = full ? nil : previous
        lastEscapeCells = FrameEncoder.encode(canvas, shown: &shown, dirtyRows: dirtyRows,
                                              include: { [unowned self] in self.byEscapes($0) },
                                              tolerance: colourTolerance, into: &out)
        let escapeBytes = out.count
        if let painter = painter {
            if full { out += painter.forget() }
            // Text written over a picture's cells this frame erased sixel and iTerm2 pixels there.
            out += painter.frame(canvas) { r in full || (r.y..<min(r.maxY, dirtyRows.count)).contains { dirtyRows[$0] } }
            lastGraphicsBytes = out.count - escapeBytes
        }
        if !out.isEmpty {
            // Put the cursor back where ncurses left it: it moves relative to where it thinks it is.
            let c = canvas.cursor ?? Point(x: 0, y: canvas.height - 1)
            out.append(contentsOf: Array("\u{1b}[\(c.y + 1);\(c.x + 1)H".utf8))
            writeAll(out)
        }
        lastEscapeBytes = escapeBytes
        lastCursesCells = cursesCells
        // What the terminal shows: our escape cells as last sent (within the tolerance of the
        // canvas), ncurses' cells as drawn.
        previous = shown ?? canvas
        escapeOwned = owned
        mustRepaint = false
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = write(1, p, left)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return
                }
                left -= n
                p += n
            }
        }
    }
}
