import Testing
@testable import ZWalkTUI

@Suite struct KeyMapTests {
    struct K: Sendable, CustomTestStringConvertible {
        let key: Key, action: Action
        var testDescription: String { key.label }
    }

    @Test(arguments: [
        K(key: .char("j"), action: .selectDirection(1)), K(key: .down, action: .selectDirection(1)),
        K(key: .char("k"), action: .selectDirection(-1)), K(key: .up, action: .selectDirection(-1)),
        K(key: .char("l"), action: .step(1)), K(key: .right, action: .step(1)),
        K(key: .char("h"), action: .step(-1)), K(key: .left, action: .step(-1)),
        K(key: .char("L"), action: .step(5)), K(key: .char("H"), action: .step(-5)),
        K(key: .shiftRight, action: .step(5)), K(key: .shiftLeft, action: .step(-5)),
        K(key: .char("+"), action: .scaleStep(up: true)), K(key: .char("-"), action: .scaleStep(up: false)),
        K(key: .char("0"), action: .resetDirection), K(key: .char("R"), action: .resetAll),
        K(key: .char("r"), action: .nextSample), K(key: .char("s"), action: .promptSeed),
        K(key: .char("["), action: .adjustPsi(-1)), K(key: .char("]"), action: .adjustPsi(1)),
        K(key: .char("d"), action: .chooseDirections),
        K(key: .char("u"), action: .undo), K(key: .ctrl("r"), action: .redo),
        K(key: .char("b"), action: .cycleBlocks), K(key: .char("e"), action: .exportImage),
        K(key: .char("?"), action: .toggleHelp), K(key: .char(":"), action: .openCommandLine),
        K(key: .char("q"), action: .quit), K(key: .escape, action: .dismiss),
    ])
    func keyTableGivesTheAction(k: K) {
        #expect(KeyMap.action(for: k.key) == k.action)
    }

    @Test(arguments: KeyMode.allCases)
    func noKeyIsBoundTwiceInAMode(mode: KeyMode) {
        var seen: [Key: String] = [:]
        for b in KeyMap.table(for: mode).bindings {
            for k in b.keys {
                #expect(seen[k] == nil, "\(mode): \(k.label) is bound to both '\(seen[k] ?? "")' and '\(b.description)'")
                seen[k] = b.description
            }
        }
    }

    /// Every key there is, for checking the tables: the special keys, Ctrl with every letter and
    /// the printable ASCII characters (plus one beyond).
    static let everyKey: [Key] = {
        var keys: [Key] = [.up, .down, .left, .right, .shiftLeft, .shiftRight, .pageUp, .pageDown, .home, .end,
                           .enter, .escape, .backspace, .tab, .delete, .char("é")]
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { keys.append(.ctrl(Unicode.Scalar(c))) }
        for c in UInt8(0x20)...UInt8(0x7e) { keys.append(.char(Unicode.Scalar(c))) }
        return keys
    }()

    /// A screen in each mode, prepared so that every binding of the mode has something to do:
    /// a walked direction (reset, undo), a message (Esc clears it), help scrolled down, text typed.
    static func screen(in mode: KeyMode) -> ExplorerState {
        var s = update(startedState(), .step(1)).0
        s.message = StatusMessage(text: "note", isWarning: false)
        switch mode {
        case .normal: s.mode = .normal
        case .help: s.mode = .help(scroll: 20)
        case .chooser: s.mode = .chooser(selected: 1)
        case .prompt: s.mode = .prompt(.command, text: "seed 3")
        case .interpolate:
            // Two keyframes, a little way along the path so that both directions move.
            s = update(s, .pin).0
            s = decoded(update(s, .command(.seed(9))).0)
            s = update(update(s, .pin).0, .enterInterpolate).0
            s = decoded(update(s, .movePath(0.5)).0)
            s.message = StatusMessage(text: "note", isWarning: false)
        case .tiles:
            // A preview, every tile decoded, the cursor inside the grid so that every move moves.
            s = tilesDecoded(update(s, .enterPreview).0)
            s = update(s, .moveTile(dx: 0, dy: 1)).0
            s.message = StatusMessage(text: "note", isWarning: false)
        }
        return s
    }

    /// The same state, its message's age aside (every key ages it).
    static func same(_ a: ExplorerState, _ b: ExplorerState) -> Bool {
        var x = a, y = b
        x.message?.age = 0; y.message?.age = 0
        return x == y
    }

    /// A key does something in a mode exactly when that mode's table lists it (itself or by its
    /// class): the dispatcher answers from the table alone, and no row of the table is dead.
    @Test(arguments: KeyMode.allCases)
    func keysActExactlyWhenTheModesTableListsThem(mode: KeyMode) {
        let table = KeyMap.table(for: mode)
        let s = Self.screen(in: mode)
        #expect(s.keyMode == mode)
        for key in Self.everyKey {
            let listed = table.bindings.contains { $0.keys.contains(key) || ($0.keyClass?.matches(key) ?? false) }
            let a = action(for: key, in: s)
            #expect(a == table.action(for: key), "\(mode) \(key.label): the dispatcher and the table disagree")
            #expect((a != nil) == listed, "\(mode) \(key.label): \(listed ? "listed but no action" : "acts but is not listed")")
        }
        // Each row's keys (for a class row: the keys that fit this screen) change something.
        for b in table.bindings {
            var keys = b.keys
            switch b.keyClass {
            case .digit?: keys += (1...s.chooserSources.count + 1).map { .char(Unicode.Scalar(UInt8(48 + $0))) }
            case .printable?: keys += [.char("x"), .char(" "), .char("é")]
            case .anyOther?: keys += Self.everyKey.filter { k in !table.bindings.contains { $0.keys.contains(k) } }
            case nil: break
            }
            for key in keys {
                guard let a = action(for: key, in: s) else { Issue.record("\(mode) \(key.label): no action"); continue }
                let (n, fx) = update(s, a)
                #expect(!fx.isEmpty || !Self.same(n, s), "\(mode) \(key.label) ('\(b.description)') does nothing")
            }
        }
    }

    /// An overlay's or the prompt's actions do nothing in another mode, so a row cannot act
    /// outside its table.
    @Test func modalActionsOnlyActInTheirMode() {
        let modal: [(Action, KeyMode)] = [
            (.scrollHelp(1), .help), (.moveChoice(1), .chooser), (.pickChoice, .chooser), (.pickChoiceNumber(1), .chooser),
            (.typeInPrompt("x"), .prompt), (.erasePromptCharacter, .prompt), (.clearPrompt, .prompt), (.acceptPrompt, .prompt),
            (.movePath(0.25), .interpolate), (.seekPath(1), .interpolate), (.togglePlay, .interpolate),
            (.scaleSpeed(up: true), .interpolate), (.toggleLoop, .interpolate), (.cyclePathMode, .interpolate),
            (.leaveInterpolate, .interpolate),
            (.moveTile(dx: 1, dy: 0), .tiles), (.turnTilePage(1), .tiles), (.scaleTileRange(up: true), .tiles),
            (.diveIntoTile, .tiles), (.leaveTiles, .tiles),
        ]
        for (a, home) in modal {
            for mode in KeyMode.allCases where mode != home {
                let s = Self.screen(in: mode)
                let (n, fx) = update(s, a)
                #expect(fx.isEmpty && Self.same(n, s), "\(a) acted in \(mode)")
            }
        }
    }

    /// `zwalk explore --help` prints every table under its title, every key and description.
    @Test func plainHelpListsEveryModesKeys() {
        let text = explorerKeyHelp()
        let lines = text.split(separator: "\n").map(String.init)
        for t in KeyMap.tables {
            #expect(lines.contains(t.title + ":"), "no heading for \(t.mode)")
            for b in t.bindings {
                #expect(lines.contains { $0.hasPrefix("  " + b.keyLabel + " ") && $0.hasSuffix(b.description) }, "\(t.mode): \(b.keyLabel) \(b.description)")
            }
        }
        for c in CommandParser.specs { #expect(text.contains(c.usage)) }
        #expect(!text.contains("\u{1b}"))
    }

    @Test func unboundKeysDoNothing() {
        #expect(KeyMap.action(for: .char("z")) == nil)
        #expect(KeyMap.action(for: .ctrl("x")) == nil)
    }

    @Test func keysInsideAPromptGoToThePrompt() {
        var s = ExplorerState(modelName: "m", latentShape: [4])
        s.mode = .prompt(.command, text: "")
        #expect(action(for: .char("q"), in: s) == .typeInPrompt("q"))
        s.mode = .normal
        #expect(action(for: .char("q"), in: s) == .quit)
    }

    struct Code: Sendable, CustomTestStringConvertible {
        let code: UInt32, key: Key?
        var testDescription: String { "\(code)" }
    }

    @Test(arguments: [
        Code(code: 13, key: .enter), Code(code: 10, key: .enter), Code(code: 27, key: .escape),
        Code(code: 127, key: .backspace), Code(code: 8, key: .backspace), Code(code: 9, key: .tab),
        Code(code: 18, key: .ctrl("r")), Code(code: 12, key: .ctrl("l")), Code(code: 21, key: .ctrl("u")),
        Code(code: 0x6a, key: .char("j")), Code(code: 0x3a, key: .char(":")), Code(code: 0xe9, key: .char("é")),
        Code(code: 0, key: nil), Code(code: 0x9b, key: nil),
    ])
    func characterCodesBecomeKeys(c: Code) {
        #expect(Key.fromCode(c.code) == c.key)
    }

    @Test(arguments: [20, 40, 80, 200])
    func hintBarFitsAndKeepsHelpAndQuit(width: Int) {
        let entries = KeyMap.hintEntries(width: width)
        let keys = entries.map(\.keys)
        #expect(keys.contains("?") && keys.contains("q"))
        let used = entries.reduce(0) { $0 + displayWidth($1.keys) + 1 + displayWidth($1.label) + 2 }
        if width >= 20 { #expect(used <= width, "\(used) > \(width)") }
        // Every hint comes from a binding of the table.
        #expect(entries.allSatisfy { e in KeyMap.bindings.contains { $0.hint?.keys == e.keys } })
    }

    @Test func wideHintBarShowsEveryHint() {
        #expect(KeyMap.hintEntries(width: 300).count == KeyMap.bindings.filter { $0.hint != nil }.count)
    }
}
