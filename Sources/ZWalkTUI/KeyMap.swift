// Keys and the binding tables, one per mode of the screen. The tables are data (lazygit's
// Binding{Keys, Handler, Description}): the same rows drive the key dispatch, the `?` help, the
// hint bar, the overlays' titles and `zwalk explore --help`, so none of them can disagree with what
// a key does. update() never sees a key, only the action a table gave for it.
import ZWalkLatent

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

/// Everything that changes the explorer's state: keys through the tables, mouse, typed commands,
/// and results coming back from the decode worker. `update` is the only thing that applies them.
public enum Action: Equatable, Sendable {
    // From the normal table.
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
    /// Pin the picture on screen as the next keyframe (A, B, C…).
    case pin
    /// Remove the last keyframe.
    case unpin
    /// Enter interpolate mode (needs two keyframes).
    case enterInterpolate
    /// Prompt for a bookmark's name (M) or the bookmark to go to (').
    case promptMark
    case promptGo
    /// Label the picture + (true) or − for the last attribute named in :label.
    case labelPicture(Bool)
    /// A page of samples from the current seed (g).
    case enterGallery
    /// The chosen direction on several samples (v).
    case enterPreview
    /// The chosen direction and the next as a 2-D map (x).
    case enterMap
    /// The previous (−1) or next (+1) checkpoint of a training run, the latent kept.
    case stepCheckpoint(Int)
    case dismiss
    case redraw
    case quit

    // From the overlays' and the prompt's tables; each acts only in its own mode.
    /// Help: scroll by this many lines.
    case scrollHelp(Int)
    /// Chooser: move the highlight by this many entries (wrapping).
    case moveChoice(Int)
    /// Chooser: take the highlighted entry.
    case pickChoice
    /// Chooser: take entry n (1-based, as numbered on screen).
    case pickChoiceNumber(Int)
    /// Prompt: add a character.
    case typeInPrompt(Unicode.Scalar)
    /// Prompt: remove the last character (on an empty prompt: close it).
    case erasePromptCharacter
    case clearPrompt
    case acceptPrompt
    /// Close the overlay or the prompt without acting.
    case cancel
    /// Interpolate: move along the path by this many segments.
    case movePath(Double)
    /// Interpolate: go to this place along the whole path (0 start, 1 end).
    case seekPath(Double)
    /// Interpolate: play or pause.
    case togglePlay
    /// Interpolate: double or halve the playing speed.
    case scaleSpeed(up: Bool)
    /// Interpolate: open path ↔ loop.
    case toggleLoop
    /// Interpolate: slerp → lerp → geodesic → slerp.
    case cyclePathMode
    /// Interpolate: back to walking, from the latent on screen.
    case leaveInterpolate
    /// Tiles: move the cursor by columns and rows.
    case moveTile(dx: Int, dy: Int)
    /// Tiles: the next (1) or previous (−1) page, direction or y direction.
    case turnTilePage(Int)
    /// Tiles: a wider or narrower range (preview, map).
    case scaleTileRange(up: Bool)
    /// Tiles: walk on from the tile under the cursor.
    case diveIntoTile
    /// Tiles: back to the walk the view was opened from.
    case leaveTiles

    // From elsewhere.
    case start
    case selectIndex(Int)
    case stepIndex(Int, by: Int)
    case command(Command)
    case frameDecoded(DecodeResult, at: Double)
    /// `retryAt`: when the failure may pass by itself (a server away), the time to ask again.
    case decodeFailed(seq: Int, message: String, retryAt: Double?)
    /// The clock, while a failed decode waits to be tried again (see ExplorerState.retryDecodeAt).
    case retryDecode(at: Double)
    /// origin: the latent the directions were computed at (the walk continues from it).
    case directionsLoaded(WalkDirections, origin: [Float]?)
    case directionsFailed(String)
    case exported(path: String)
    case exportFailed(String)
    case themeLoaded(Theme, warnings: [String])
    /// `:theme` named no theme that can be read: the one on screen stays.
    case themeFailed(String)
    case geodesicComputed(GeodesicPath)
    case geodesicFailed(String)
    /// Tiles: the cursor to this tile (a click).
    case selectTile(Int)
    case tilesDecoded(generation: Int, [DecodedTile])
    case tilesFailed(generation: Int, String)
    case latentRowsLoaded(LatentRows)
    case latentRowsFailed(String)
    /// The terminal's size, at start and after every resize.
    case resized(Size)
    case attributeBuilt(WalkDirections)
    /// Another model (or other weights) is open: the walk starts again on it, the latent kept
    /// when it has the same size.
    case modelSwitched(name: String, latentShape: [Int], workbench: Workbench?)
    case modelOpenFailed(String)
    case attributeFailed(String)
    /// The workbench could not be saved (once per run is enough).
    case workbenchFailed(String)
    /// The clock while playing (seconds, monotonic).
    case tick(at: Double)
}

/// Keys a binding answers to besides its listed ones, when the action depends on the key.
public enum KeyClass: Hashable, Sendable {
    /// 1…9.
    case digit
    /// Any printable character.
    case printable
    /// Any key the table binds in no other row.
    case anyOther

    public var label: String {
        switch self {
        case .digit: return "1…9"
        case .printable: return "any character"
        case .anyOther: return "any other key"
        }
    }

    func matches(_ key: Key) -> Bool {
        switch (self, key) {
        case (.digit, .char(let c)): return ("1"..."9").contains(c)
        case (.printable, .char): return true
        case (.anyOther, _): return true
        default: return false
        }
    }
}

public struct Binding: Sendable {
    public let keys: [Key]
    public let keyClass: KeyClass?
    public let description: String
    /// Short form for the hint bar and the overlays' titles ("j/k", "dir"), nil to leave it to
    /// the help.
    public let hint: (keys: String, label: String)?
    private let make: @Sendable (Key) -> Action?

    public init(_ keys: [Key], _ action: Action, _ description: String, hint: (String, String)? = nil) {
        self.keys = keys; self.keyClass = nil; self.description = description
        self.hint = hint.map { (keys: $0.0, label: $0.1) }
        make = { _ in action }
    }

    /// A row for a class of keys; `action` makes the action from the key pressed.
    public init(_ keyClass: KeyClass, _ description: String, hint: (String, String)? = nil,
                _ action: @escaping @Sendable (Key) -> Action?) {
        self.keys = []; self.keyClass = keyClass; self.description = description
        self.hint = hint.map { (keys: $0.0, label: $0.1) }
        make = action
    }

    /// The action for a key this row answers to.
    public func action(for key: Key) -> Action? { make(key) }

    public var keyLabel: String { (keys.map(\.label) + [keyClass?.label].compactMap { $0 }).joined(separator: " ") }
}

/// The key tables, one per mode: which table answers a key depends on what is on screen.
public enum KeyMode: String, CaseIterable, Sendable {
    case normal
    case help
    case chooser
    case prompt
    case interpolate
    case tiles
}

extension Mode {
    /// The table that answers keys in this mode.
    public var keyMode: KeyMode {
        switch self {
        case .normal: return .normal
        case .help: return .help
        case .chooser: return .chooser
        case .prompt: return .prompt
        }
    }
}

public struct KeyTable: Sendable {
    public let mode: KeyMode
    /// The help's heading for this table.
    public let title: String
    public let bindings: [Binding]
    private let exact: [Key: Int]

    public init(_ mode: KeyMode, _ title: String, _ bindings: [Binding]) {
        self.mode = mode; self.title = title; self.bindings = bindings
        var m: [Key: Int] = [:]
        for (i, b) in bindings.enumerated() { for k in b.keys where m[k] == nil { m[k] = i } }
        exact = m
    }

    /// A listed key first, then the classes in table order (`anyOther` last).
    public func action(for key: Key) -> Action? {
        if let i = exact[key] { return bindings[i].action(for: key) }
        for b in bindings { if let c = b.keyClass, c != .anyOther, c.matches(key) { return b.action(for: key) } }
        for b in bindings where b.keyClass == .anyOther { return b.action(for: key) }
        return nil
    }

    /// The hints as one line, for an overlay's title ("j/k scroll · Esc close").
    public var hintLine: String { bindings.compactMap(\.hint).map { "\($0.keys) \($0.label)" }.joined(separator: " · ") }
}

public enum KeyMap {
    /// Every mode's table, in the order the help lists them. A new mode (interpolate, gallery)
    /// adds a KeyMode case and its table here; the help and `zwalk explore --help` follow.
    public static let tables: [KeyTable] = [normal, interpolate, tiles, help, chooser, prompt]

    /// Walking the latent. Arrows sit beside the letters in the same rows.
    public static let normal = KeyTable(.normal, "Walking", [
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
        Binding([.char("p")], .pin, "pin the picture as the next keyframe (A, B, C…)", hint: ("p", "pin")),
        Binding([.char("P")], .unpin, "unpin the last keyframe"),
        Binding([.char("i")], .enterInterpolate, "interpolate between the keyframes (needs two)", hint: ("i", "interp")),
        Binding([.char("g")], .enterGallery, "gallery: a page of samples from this seed", hint: ("g", "gallery")),
        Binding([.char("v")], .enterPreview, "preview the direction on several samples", hint: ("v", "preview")),
        Binding([.char("x")], .enterMap, "2-D map of this direction and the next around the picture", hint: ("x", "map")),
        Binding([.char("M")], .promptMark, "bookmark the picture (a name; :go returns, saved for this model)"),
        Binding([.char("'")], .promptGo, "go to a bookmark"),
        Binding([.char(".")], .labelPicture(true), "label the picture + for the attribute last named in :label NAME +|-"),
        Binding([.char(",")], .labelPicture(false), "label the picture − for that attribute"),
        Binding([.char("<")], .stepCheckpoint(-1), "previous checkpoint of the training run (--weights DIR), same latent"),
        Binding([.char(">")], .stepCheckpoint(1), "next checkpoint of the training run, same latent"),
        Binding([.char("?")], .toggleHelp, "this help", hint: ("?", "help")),
        Binding([.char(":")], .openCommandLine, "command line (:seed 42, :export x.png, :theme light, :q)", hint: (":", "cmd")),
        Binding([.escape], .dismiss, "close the overlay, clear the message"),
        Binding([.ctrl("l")], .redraw, "redraw the screen"),
        Binding([.char("q")], .quit, "quit", hint: ("q", "quit")),
    ])

    /// Moving along the path through the pinned keyframes (i).
    public static let interpolate = KeyTable(.interpolate, "Interpolating (i)", [
        Binding([.char("l"), .right], .movePath(PathState.fineStep), "move along the path (1/32 of a segment)", hint: ("h/l", "move")),
        Binding([.char("h"), .left], .movePath(-PathState.fineStep), "move back along the path"),
        Binding([.char("L"), .shiftRight], .movePath(PathState.coarseStep), "a quarter segment forward"),
        Binding([.char("H"), .shiftLeft], .movePath(-PathState.coarseStep), "a quarter segment back"),
        Binding([.home], .seekPath(0), "go to the start (A)"),
        Binding([.end], .seekPath(1), "go to the end"),
        Binding([.char(" ")], .togglePlay, "play or pause", hint: ("Space", "play")),
        Binding([.char("+"), .char("=")], .scaleSpeed(up: true), "play faster (×2)", hint: ("+/-", "speed")),
        Binding([.char("-"), .char("_")], .scaleSpeed(up: false), "play slower (÷2)"),
        Binding([.char("o")], .toggleLoop, "open path or loop (back to A)", hint: ("o", "loop")),
        Binding([.char("m")], .cyclePathMode, "slerp, lerp or geodesic between keyframes", hint: ("m", "mode")),
        Binding([.char("p")], .pin, "pin the picture as the next keyframe"),
        Binding([.char("P")], .unpin, "unpin the last keyframe"),
        Binding([.char("e")], .exportImage, "export the path as a strip PNG (as zwalk interpolate)", hint: ("e", "export")),
        Binding([.char("?")], .toggleHelp, "this help", hint: ("?", "help")),
        Binding([.char(":")], .openCommandLine, "command line (:export strip.png 8, :speed 2, :q)", hint: (":", "cmd")),
        Binding([.escape, .char("i")], .leaveInterpolate, "back to walking, from the picture on screen", hint: ("Esc", "walk")),
        Binding([.ctrl("l")], .redraw, "redraw the screen"),
        Binding([.char("q")], .quit, "quit", hint: ("q", "quit")),
    ])

    /// The gallery (g), the direction preview (v) and the 2-D map (x): a grid of tiles.
    public static let tiles = KeyTable(.tiles, "In a gallery (g), preview (v) or map (x)", [
        Binding([.char("h"), .left], .moveTile(dx: -1, dy: 0), "move to the tile on the left", hint: ("hjkl", "move")),
        Binding([.char("l"), .right], .moveTile(dx: 1, dy: 0), "move to the tile on the right"),
        Binding([.char("k"), .up], .moveTile(dx: 0, dy: -1), "move to the tile above"),
        Binding([.char("j"), .down], .moveTile(dx: 0, dy: 1), "move to the tile below"),
        Binding([.enter], .diveIntoTile, "explore the tile: walk on from it", hint: ("Enter", "explore")),
        Binding([.char("n"), .pageDown], .turnTilePage(1), "next page (gallery), next direction (preview), next y direction (map)",
                hint: ("n/N", "page")),
        Binding([.char("N"), .pageUp], .turnTilePage(-1), "previous page, direction or y direction"),
        Binding([.char("+"), .char("=")], .scaleTileRange(up: true), "wider range (preview, map)", hint: ("+/-", "range")),
        Binding([.char("-"), .char("_")], .scaleTileRange(up: false), "narrower range"),
        Binding([.char("g")], .enterGallery, "gallery"),
        Binding([.char("v")], .enterPreview, "preview"),
        Binding([.char("x")], .enterMap, "2-D map"),
        Binding([.char("p")], .pin, "pin the tile as the next keyframe", hint: ("p", "pin")),
        Binding([.char("e")], .exportImage, "export the tiles as the figure the command writes (zwalk grid, traverse, slice)",
                hint: ("e", "export")),
        Binding([.char("?")], .toggleHelp, "this help", hint: ("?", "help")),
        Binding([.char(":")], .openCommandLine, "command line (:export page.png, :gallery z.npy, :map 0 2, :q)", hint: (":", "cmd")),
        Binding([.escape], .leaveTiles, "back to walking", hint: ("Esc", "walk")),
        Binding([.ctrl("l")], .redraw, "redraw the screen"),
        Binding([.char("q")], .quit, "quit", hint: ("q", "quit")),
    ])

    /// The `?` help.
    public static let help = KeyTable(.help, "In this help", [
        Binding([.char("j"), .down], .scrollHelp(1), "scroll down", hint: ("j/k", "scroll")),
        Binding([.char("k"), .up], .scrollHelp(-1), "scroll up"),
        Binding([.pageDown, .char(" ")], .scrollHelp(10), "scroll down a page"),
        Binding([.pageUp], .scrollHelp(-10), "scroll up a page"),
        Binding([.char("?"), .escape], .toggleHelp, "close the help", hint: ("Esc", "close")),
        Binding(.anyOther, "also closes the help") { _ in .toggleHelp },
    ])

    /// The direction-set chooser (d).
    public static let chooser = KeyTable(.chooser, "In the direction-set chooser (d)", [
        Binding([.char("j"), .down, .tab], .moveChoice(1), "highlight the next set", hint: ("j/k", "move")),
        Binding([.char("k"), .up], .moveChoice(-1), "highlight the previous set"),
        Binding([.enter, .char("l"), .right], .pickChoice, "use the highlighted set", hint: ("Enter", "pick")),
        Binding(.digit, "use the set with that number") { key in
            if case .char(let c) = key, let n = Int(String(c)) { return .pickChoiceNumber(n) }
            return nil
        },
        Binding([.escape, .char("q"), .char("d"), .char("h"), .left], .cancel, "close without changing the set", hint: ("Esc", "close")),
    ])

    /// The command line (:), the seed prompt (s) and the directions-file prompt.
    public static let prompt = KeyTable(.prompt, "At a prompt (: s, file)", [
        Binding([.enter], .acceptPrompt, "run the command, or use what was typed", hint: ("Enter", "accept")),
        Binding([.escape], .cancel, "close the prompt, doing nothing", hint: ("Esc", "cancel")),
        Binding([.backspace], .erasePromptCharacter, "delete the last character (on an empty prompt: close it)"),
        Binding([.ctrl("u")], .clearPrompt, "clear what was typed", hint: ("Ctrl-U", "clear")),
        Binding(.printable, "typed into the prompt") { key in
            if case .char(let c) = key { return .typeInPrompt(c) }
            return nil
        },
    ])

    public static func table(for mode: KeyMode) -> KeyTable {
        tables.first { $0.mode == mode } ?? normal
    }

    /// The normal mode's bindings.
    public static var bindings: [Binding] { normal.bindings }

    /// The action a key triggers in the normal (no overlay) mode.
    public static func action(for key: Key) -> Action? { normal.action(for: key) }

    /// Hints that must stay visible however narrow the bar is.
    static let essentialHints: Set<String> = ["?", "q"]

    /// The hint bar's entries for `table` (walking's by default), fitted to `width` columns: the
    /// essential ones always, then the others in table order while they fit.
    public static func hintEntries(width: Int, table: KeyTable = normal) -> [(keys: String, label: String)] {
        let all = table.bindings.compactMap(\.hint)
        func cost(_ h: (keys: String, label: String)) -> Int { displayWidth(h.keys) + 1 + displayWidth(h.label) + 2 }
        var budget = width - all.filter { essentialHints.contains($0.keys) }.reduce(0) { $0 + cost($1) }
        var keep: [Bool] = all.map { essentialHints.contains($0.keys) }
        for (i, h) in all.enumerated() where !keep[i] {
            if cost(h) <= budget { keep[i] = true; budget -= cost(h) } else { break }
        }
        return all.enumerated().filter { keep[$0.offset] }.map(\.element)
    }
}

/// The help's sections: every mode's keys under its table's title, the commands, the mouse.
public func helpSections() -> [(title: String, rows: [(key: String, text: String)])] {
    KeyMap.tables.map { t in (t.title, t.bindings.map { ($0.keyLabel, $0.description) }) } + [
        ("Commands (after :)", CommandParser.specs.map { ($0.usage, $0.description) }),
        ("Mouse", [("click", "a direction's row chooses it; any click closes the help"),
                   ("wheel", "steps the direction under the pointer (elsewhere: the chosen one)")]),
    ]
}

/// Every key of every mode, the commands and the mouse as plain text, for `zwalk explore --help`.
public func explorerKeyHelp() -> String {
    var lines: [String] = []
    for (title, rows) in helpSections() {
        if !lines.isEmpty { lines.append("") }
        lines.append(title + ":")
        let kw = rows.map { displayWidth($0.key) }.max() ?? 0
        for r in rows {
            lines.append("  " + r.key + String(repeating: " ", count: kw - displayWidth(r.key)) + "  " + r.text)
        }
    }
    return lines.joined(separator: "\n") + "\n"
}
