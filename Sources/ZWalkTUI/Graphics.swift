// Real pixels for the picture in terminals that can draw them: which protocol (from what the
// terminal answered to the start-up queries, never from its name alone), and the escape sequences
// of each. Pure: the queries are sent and read by TerminalQuery, the bytes written by
// CursesTerminal; the tests feed replies and decode what comes out.
import Foundation
import ZWalkImage

/// How the picture reaches the screen.
public enum GraphicsProtocol: String, CaseIterable, Sendable {
    /// The kitty graphics protocol (kitty, WezTerm, Ghostty, Konsole): PNG frames under image ids.
    case kitty
    /// DEC sixel (xterm -ti vt340, foot, mlterm, Windows Terminal, VS Code), encoded by libsixel.
    case sixel
    /// iTerm2's inline images (iTerm2, WezTerm): a PNG in an OSC 1337 sequence.
    case iterm
    /// Unicode block characters with colours: every terminal.
    case blocks
}

/// `--graphics auto|kitty|sixel|iterm|blocks`.
public enum GraphicsChoice: Equatable, Sendable {
    case auto
    case fixed(GraphicsProtocol)

    public init?(name: String) {
        if name == "auto" { self = .auto; return }
        guard let p = GraphicsProtocol(rawValue: name) else { return nil }
        self = .fixed(p)
    }
}

/// What the terminal answered to `TerminalReplies.queries`.
public struct TerminalReplies: Equatable, Sendable {
    /// The kitty graphics query came back OK.
    public var kittyGraphics = false
    /// Primary Device Attributes (DA1): 4 among them means sixel graphics.
    public var deviceAttributes: [Int]? = nil
    /// XTSMGRAPHICS: the sixel colour registers and the largest sixel image.
    public var sixelRegisters: Int? = nil
    public var sixelGeometry: Size? = nil
    /// `CSI 16 t`: the size of one cell in pixels.
    public var cellPixels: Size? = nil

    public init() {}

    /// The kitty graphics query (a 1×1 image, a=q: checked, never stored or shown), the sixel
    /// colour registers and geometry (XTSMGRAPHICS), the cell size in pixels, then DA1. Every
    /// VT100-like terminal answers DA1, and answers in order: once its reply is in, so is every
    /// reply there will be, and a terminal that answers nothing costs only the timeout.
    public static let queries: [UInt8] = Array(("\u{1b}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1b}\\"
        + "\u{1b}[?1;1;0S" + "\u{1b}[?2;1;0S" + "\u{1b}[16t" + "\u{1b}[c").utf8)

    /// Whether `bytes` hold the DA1 reply, the last one asked for.
    public static func complete(_ bytes: [UInt8]) -> Bool { parse(bytes).deviceAttributes != nil }

    /// Reads the replies out of whatever came back (keys typed meanwhile are skipped).
    public static func parse(_ bytes: [UInt8]) -> TerminalReplies {
        var r = TerminalReplies()
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0x1b, i + 1 < bytes.count else { i += 1; continue }
            if bytes[i + 1] == UInt8(ascii: "_") {
                // APC G …;OK ESC \ : the kitty reply (our query's id is 31).
                guard let end = find(bytes, [0x1b, 0x5c], from: i + 2) else { break }
                let body = String(decoding: bytes[(i + 2)..<end], as: UTF8.self)
                if body.hasPrefix("G"), body.contains("i=31"), body.hasSuffix(";OK") { r.kittyGraphics = true }
                i = end + 2
            } else if bytes[i + 1] == UInt8(ascii: "[") {
                // CSI [?] params final
                var j = i + 2
                let privateMarker = j < bytes.count && bytes[j] == UInt8(ascii: "?")
                if privateMarker { j += 1 }
                let start = j
                while j < bytes.count, (0x30...0x3f).contains(bytes[j]) { j += 1 }
                guard j < bytes.count else { break }
                let params = String(decoding: bytes[start..<j], as: UTF8.self).split(separator: ";", omittingEmptySubsequences: false)
                    .map { Int($0) ?? 0 }
                switch (privateMarker, bytes[j]) {
                case (true, UInt8(ascii: "c")): r.deviceAttributes = params
                case (true, UInt8(ascii: "S")) where params.count >= 3 && params[1] == 0:
                    if params[0] == 1 { r.sixelRegisters = params[2] }
                    if params[0] == 2, params.count >= 4 { r.sixelGeometry = Size(width: params[2], height: params[3]) }
                case (false, UInt8(ascii: "t")) where params.count == 3 && params[0] == 6 && params[1] > 0 && params[2] > 0:
                    r.cellPixels = Size(width: params[2], height: params[1])
                default: break
                }
                i = j + 1
            } else {
                i += 1
            }
        }
        return r
    }

    private static func find(_ bytes: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var k = from
        while k + needle.count <= bytes.count {
            if bytes[k] == needle[0] && bytes[k + 1] == needle[1] { return k }
            k += 1
        }
        return nil
    }
}

/// Inside tmux: whether it lets escape sequences through to the terminal around it, and that
/// terminal's name as tmux knows it (`client_termname`, `client_termtype`).
public struct TmuxClient: Equatable, Sendable {
    public var passthrough: Bool
    public var terminal: String
    public init(passthrough: Bool, terminal: String) { self.passthrough = passthrough; self.terminal = terminal }
}

/// The protocol the explorer draws with, and a line for the status bar when that is not what the
/// user would expect (asked for pixels and did not get them).
public struct GraphicsDecision: Equatable, Sendable {
    public var proto: GraphicsProtocol
    /// Every graphics sequence is wrapped for tmux's passthrough.
    public var tmuxPassthrough = false
    public var note: String? = nil
    /// One cell in pixels (with pixels only).
    public var cell: Size? = nil
    /// Sixel: the colour registers and the largest picture, as the terminal said (XTSMGRAPHICS).
    public var sixelColors: Int? = nil
    public var sixelMaxPixels: Size? = nil
    public init(proto: GraphicsProtocol, tmuxPassthrough: Bool = false, note: String? = nil, cell: Size? = nil) {
        self.proto = proto; self.tmuxPassthrough = tmuxPassthrough; self.note = note; self.cell = cell
    }
}

/// Chooses how to draw. `replies` is nil when the terminal was not asked (inside tmux, whose own
/// replies say nothing of the terminal around it) or answered nothing in time. `cellPixels` is the
/// size of a cell as the kernel (TIOCGWINSZ) or the terminal reported it: without it an image
/// cannot be sized to the pane, and blocks are used.
public func chooseGraphics(_ choice: GraphicsChoice, replies: TerminalReplies?, environment: [String: String],
                           tmux: TmuxClient?, cellPixels: Size?) -> GraphicsDecision {
    if case .fixed(.blocks) = choice { return GraphicsDecision(proto: .blocks) }
    let asked = choice != .auto
    var proto: GraphicsProtocol?
    var passthrough = false
    if let t = tmux {
        if case .fixed(let p) = choice { proto = p } else { proto = graphicsOf(terminalName: t.terminal) }
        guard let p = proto else { return GraphicsDecision(proto: .blocks) }
        guard t.passthrough else {
            return GraphicsDecision(proto: .blocks, note: "tmux passes no pictures: blocks (for \(p.rawValue): tmux set -g allow-passthrough on)")
        }
        passthrough = true
    } else if case .fixed(let p) = choice {
        proto = p
    } else if let r = replies {
        if r.kittyGraphics { proto = .kitty }
        else if r.deviceAttributes?.dropFirst().contains(4) == true { proto = .sixel }
        else if ["iTerm.app", "WezTerm"].contains(environment["TERM_PROGRAM"] ?? "") { proto = .iterm }
    }
    guard let p = proto else {
        return GraphicsDecision(proto: .blocks, note: asked ? "the terminal shows no pixel graphics: blocks" : nil)
    }
    guard let cell = cellPixels, cell.width > 0, cell.height > 0 else {
        // Auto-detected pixels that cannot be sized are quietly not used; asked-for ones say why.
        return GraphicsDecision(proto: .blocks, note: asked || tmux != nil
                                ? "the terminal tells no cell size in pixels: blocks" : nil)
    }
    var d = GraphicsDecision(proto: p, tmuxPassthrough: passthrough, cell: cell)
    if p == .sixel {
        d.sixelColors = replies?.sixelRegisters
        d.sixelMaxPixels = replies?.sixelGeometry
    }
    return d
}

/// What a terminal's name says it draws: what tmux reports of the terminal around it.
func graphicsOf(terminalName name: String) -> GraphicsProtocol? {
    let n = name.lowercased()
    if ["kitty", "ghostty", "wezterm", "konsole"].contains(where: n.contains) { return .kitty }
    if ["foot", "mlterm", "contour", "mintty", "xterm(", "vt340"].contains(where: n.contains) { return .sixel }
    if n.contains("iterm") { return .iterm }
    return nil
}

/// A picture drawn with pixels at a cell rectangle: `key` changes when its pixels do.
public struct GraphicPlacement: Equatable, Sendable {
    public var rect: Rect
    public var image: Image
    public var key: Int
    public init(rect: Rect, image: Image, key: Int) { self.rect = rect; self.image = image; self.key = key }

    public static func == (a: GraphicPlacement, b: GraphicPlacement) -> Bool { a.rect == b.rect && a.key == b.key }
}

/// The escape sequences of each protocol, for a picture already scaled to its pixel size.
public enum GraphicsEncoder {
    /// kitty: transmit and show a PNG under image id `id` at the cursor, stretched over `cells`
    /// (c, r), the cursor left where it is (C=1), no replies (q=2). The base64 payload goes in
    /// chunks of 4096, as the protocol requires.
    public static func kitty(png: Data, id: Int, cells: Size) -> [UInt8] {
        let payload = Array(png.base64EncodedData())
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + payload.count / 4096 * 24 + 64)
        var offset = 0
        var first = true
        repeat {
            let end = min(payload.count, offset + 4096)
            let more = end < payload.count ? 1 : 0
            let control = first ? "a=T,f=100,i=\(id),p=1,c=\(cells.width),r=\(cells.height),C=1,q=2,m=\(more)" : "m=\(more)"
            out += Array("\u{1b}_G\(control);".utf8)
            out += payload[offset..<end]
            out += [0x1b, 0x5c]
            offset = end
            first = false
        } while offset < payload.count
        return out
    }

    /// kitty: delete an image and its placements (d=I frees its data too).
    public static func kittyDelete(id: Int) -> [UInt8] { Array("\u{1b}_Ga=d,d=I,i=\(id),q=2\u{1b}\\".utf8) }

    /// iTerm2: an inline PNG stretched over `cells` (its proportions are already theirs).
    public static func iterm(png: Data, cells: Size) -> [UInt8] {
        Array("\u{1b}]1337;File=inline=1;size=\(png.count);width=\(cells.width);height=\(cells.height);preserveAspectRatio=0:".utf8)
            + Array(png.base64EncodedData()) + [0x07]
    }

    /// Wraps a sequence for tmux's passthrough (DCS tmux; … ST, every ESC inside doubled).
    public static func tmuxPassthrough(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = Array("\u{1b}Ptmux;".utf8)
        out.reserveCapacity(bytes.count + bytes.count / 64 + 16)
        for b in bytes {
            if b == 0x1b { out.append(0x1b) }
            out.append(b)
        }
        return out + [0x1b, 0x5c]
    }

    /// The cursor to a cell (0-based), as CUP.
    public static func moveTo(x: Int, y: Int) -> [UInt8] { Array("\u{1b}[\(y + 1);\(x + 1)H".utf8) }
}
