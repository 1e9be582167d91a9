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

    @Test func noKeyIsBoundTwice() {
        var seen: [Key: String] = [:]
        for b in KeyMap.bindings {
            for k in b.keys {
                #expect(seen[k] == nil, "\(k.label) is bound to both '\(seen[k] ?? "")' and '\(b.description)'")
                seen[k] = b.description
            }
        }
    }

    @Test func unboundKeysDoNothing() {
        #expect(KeyMap.action(for: .char("z")) == nil)
        #expect(KeyMap.action(for: .ctrl("x")) == nil)
    }

    @Test func keysInsideAPromptGoToThePrompt() {
        var s = ExplorerState(modelName: "m", latentShape: [4])
        s.mode = .prompt(.command, text: "")
        #expect(action(for: .char("q"), in: s) == .input(.char("q")))
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
