// Keys and the bindings table. The table is data (lazygit's Binding{Keys, Handler, Description}):
// the same rows drive the key dispatch, the `?` help overlay and the hint bar, so they cannot
// disagree with each other.

public enum Key: Hashable, Sendable {
    /// A printable character.
    case char(Unicode.Scalar)
    /// Ctrl with a letter, stored as the lower-case letter.
    case ctrl(Unicode.Scalar)
    case up, down, left, right
    case shiftLeft, shiftRight
    case pageUp, pageDown, home, end
    case enter, escape, backspace, tab, delete

    /// How the help and the hint bar spell the key.
    public var label: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-" + String(c).uppercased()
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .shiftLeft: return "Shift-←"
        case .shiftRight: return "Shift-→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .tab: return "Tab"
        case .delete: return "Del"
        }
    }

    /// The key for a character code as the terminal delivers it (control codes included).
    public static func fromCode(_ v: UInt32) -> Key? {
        switch v {
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 9: return .tab
        case 1...26: return .ctrl(Unicode.Scalar(UInt8(0x60 + v)))
        case 0, 28...31: return nil
        default:
            guard let s = Unicode.Scalar(v), !(0x80..<0xa0).contains(v) else { return nil }
            return .char(s)
        }
    }
}

/// A mouse event in screen cells.
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case press, wheelUp, wheelDown }
    public var x: Int
    public var y: Int
    public var kind: Kind
    public init(x: Int, y: Int, kind: Kind) { self.x = x; self.y = y; self.kind = kind }
}

/// Everything that changes the explorer's state: keys through the table, mouse, typed commands,
/// and results coming back from the decode worker. `update` is the only thing that applies them.
public enum Action: Equatable, Sendable {
    // From the key table.
    case selectDirection(Int)
    case step(Int)
    case scaleStep(up: Bool)
    case resetDirection
    case resetAll
    case nextSample
    case promptSeed
    case adjustPsi(Int)
    case chooseDirections
    case undo
    case redo
    case cycleBlocks
    case exportImage
    case toggleHelp
    case openCommandLine
    case dismiss
    case redraw
    case quit

    // From elsewhere.
    case start
    case selectIndex(Int)
    case stepIndex(Int, by: Int)
    /// A key while a prompt, the help or a chooser is open.
    case input(Key)
    case command(Command)
    case frameDecoded(DecodeResult, at: Double)
    case decodeFailed(seq: Int, message: String)
    /// origin: the latent the directions were computed at (the walk continues from it).
    case directionsLoaded(WalkDirections, origin: [Float]?)
    case directionsFailed(String)
    case exported(path: String)
    case exportFailed(String)
    case themeLoaded(Theme, warnings: [String])
}

public struct Binding: Sendable {
    public let keys: [Key]
    public let action: Action
    public let description: String
    /// Short form for the hint bar ("j/k", "dir"), nil to leave it to the help.
    public let hint: (keys: String, label: String)?

    public init(_ keys: [Key], _ action: Action, _ description: String, hint: (String, String)? = nil) {
        self.keys = keys; self.action = action; self.description = description
        self.hint = hint.map { (keys: $0.0, label: $0.1) }
    }

    public var keyLabel: String { keys.map(\.label).joined(separator: " ") }
}

public enum KeyMap {
    /// The explorer's keys. Arrows sit beside the letters in the same rows.
    public static let bindings: [Binding] = [
        Binding([.char("j"), .down], .selectDirection(1), "choose the next direction", hint: ("j/k", "dir")),
        Binding([.char("k"), .up], .selectDirection(-1), "choose the previous direction"),
        Binding([.char("l"), .right], .step(1), "step the direction forward", hint: ("h/l", "step")),
        Binding([.char("h"), .left], .step(-1), "step the direction back"),
        Binding([.char("L"), .shiftRight], .step(5), "five steps forward"),
        Binding([.char("H"), .shiftLeft], .step(-5), "five steps back"),
        Binding([.char("+"), .char("=")], .scaleStep(up: true), "larger step size", hint: ("+/-", "size")),
        Binding([.char("-"), .char("_")], .scaleStep(up: false), "smaller step size"),
        Binding([.char("0")], .resetDirection, "reset this direction to 0"),
        Binding([.char("R")], .resetAll, "reset every direction to 0", hint: ("R", "reset")),
        Binding([.char("r")], .nextSample, "new random sample (next seed)", hint: ("r", "sample")),
        Binding([.char("s")], .promptSeed, "type a seed", hint: ("s", "seed")),
        Binding([.char("[")], .adjustPsi(-1), "lower the truncation ψ"),
        Binding([.char("]")], .adjustPsi(1), "raise the truncation ψ", hint: ("[ ]", "ψ")),
        Binding([.char("d")], .chooseDirections, "choose the direction set (axis, SeFa, PCA, local, file)", hint: ("d", "set")),
        Binding([.char("u")], .undo, "undo", hint: ("u", "undo")),
        Binding([.ctrl("r")], .redo, "redo"),
        Binding([.char("b")], .cycleBlocks, "blocks style (half, quadrant, sextant)", hint: ("b", "blocks")),
        Binding([.char("e")], .exportImage, "export the image as PNG (its latent in the metadata)", hint: ("e", "export")),
        Binding([.char("?")], .toggleHelp, "this help", hint: ("?", "help")),
        Binding([.char(":")], .openCommandLine, "command line (:seed 42, :export x.png, :theme light, :q)", hint: (":", "cmd")),
        Binding([.escape], .dismiss, "close the overlay, clear the message"),
        Binding([.ctrl("l")], .redraw, "redraw the screen"),
        Binding([.char("q")], .quit, "quit", hint: ("q", "quit")),
    ]

    private static let index: [Key: Action] = {
        var m: [Key: Action] = [:]
        for b in bindings { for k in b.keys where m[k] == nil { m[k] = b.action } }
        return m
    }()

    /// The action a key triggers in the normal (no overlay) mode.
    public static func action(for key: Key) -> Action? { index[key] }

    /// Hints that must stay visible however narrow the bar is.
    static let essentialHints: Set<String> = ["?", "q"]

    /// The hint bar's entries, fitted to `width` columns: the essential ones always, then the
    /// others in table order while they fit.
    public static func hintEntries(width: Int) -> [(keys: String, label: String)] {
        let all = bindings.compactMap(\.hint)
        func cost(_ h: (keys: String, label: String)) -> Int { displayWidth(h.keys) + 1 + displayWidth(h.label) + 2 }
        var budget = width - all.filter { essentialHints.contains($0.keys) }.reduce(0) { $0 + cost($1) }
        var keep: [Bool] = all.map { essentialHints.contains($0.keys) }
        for (i, h) in all.enumerated() where !keep[i] {
            if cost(h) <= budget { keep[i] = true; budget -= cost(h) } else { break }
        }
        return all.enumerated().filter { keep[$0.offset] }.map(\.element)
    }
}
