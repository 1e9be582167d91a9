import Testing
@testable import ZWalkTUI

@Suite struct LayoutTests {
    let square = Size(width: 64, height: 64)

    @Test func standardTerminalHasEverything() {
        let l = computeLayout(size: Size(width: 80, height: 24), imageAspect: square)
        #expect(l.hints == Rect(x: 0, y: 23, width: 80, height: 1))
        #expect(l.status == Rect(x: 0, y: 22, width: 80, height: 1))
        // The picture fills the height; the columns it leaves go to the panel, less a margin.
        #expect(l.panel == Rect(x: 47, y: 0, width: 33, height: 22))
        #expect(l.image == Rect(x: 1, y: 0, width: 44, height: 22))
        #expect(l.directionList?.height == 19)
    }

    @Test func largeTerminalGivesTheImageTheRoom() {
        let l = computeLayout(size: Size(width: 200, height: 60), imageAspect: square)
        #expect(l.panel?.width == 64)
        #expect(l.image.height == 58 && l.image.width == 116)
        #expect(l.image.maxX <= l.panel!.x)
    }

    @Test func smallTerminalDropsThePanel() {
        let l = computeLayout(size: Size(width: 40, height: 12), imageAspect: square)
        #expect(l.panel == nil && l.directionList == nil)
        #expect(l.status != nil && l.hints != nil)
        #expect(l.image == Rect(x: 10, y: 0, width: 20, height: 10))
    }

    struct Tiny: Sendable, CustomTestStringConvertible {
        let size: Size, status: Bool, hints: Bool
        var testDescription: String { size.description }
    }

    @Test(arguments: [
        Tiny(size: Size(width: 1, height: 1), status: false, hints: false),
        Tiny(size: Size(width: 3, height: 2), status: false, hints: false),
        Tiny(size: Size(width: 10, height: 3), status: true, hints: false),
        Tiny(size: Size(width: 10, height: 5), status: true, hints: true),
        Tiny(size: Size(width: 0, height: 0), status: false, hints: false),
    ])
    func tinyTerminalsKeepWhatFits(t: Tiny) {
        let l = computeLayout(size: t.size, imageAspect: square)
        #expect(l.panel == nil)
        #expect((l.status != nil) == t.status && (l.hints != nil) == t.hints)
        for r in [l.image, l.imagePane] + [l.status, l.hints].compactMap({ $0 }) {
            #expect(r.x >= 0 && r.y >= 0 && r.maxX <= t.size.width && r.maxY <= t.size.height, "\(r)")
        }
    }

    @Test func listWindowKeepsTheSelectionVisible() {
        #expect(listWindow(count: 5, selected: 4, rows: 10) == 0..<5)
        #expect(listWindow(count: 100, selected: 0, rows: 10) == 0..<10)
        #expect(listWindow(count: 100, selected: 50, rows: 10) == 45..<55)
        #expect(listWindow(count: 100, selected: 99, rows: 10) == 90..<100)
        #expect(listWindow(count: 3, selected: 0, rows: 0) == 0..<0)
    }
}

@Suite struct RenderTests {
    @Test func screenAt80x24ShowsImagePanelStatusAndHints() {
        let s = startedState()
        let c = render(s, size: Size(width: 80, height: 24))
        let lines = c.lines
        #expect(lines[0].contains("Directions · axes (4)"))
        #expect(lines.contains { $0.contains("▸ z[0]") })
        #expect(lines[22].contains("seed 7 · ψ 1.00 · fake · z 4"))
        #expect(lines[23].contains("? help") && lines[23].contains("q quit"))
        // The picture: 44×22 image cells, all flagged for the image path.
        #expect(c.cells.filter(\.isImage).count == 44 * 22)
        // The fake's left half is red-ish, right half blue-ish (z = seed 7's sample).
        let left = c[2, 5], right = c[44, 5]
        if case .rgb(let l) = left.bg, case .rgb(let r) = right.bg {
            #expect(l.r > 0 && l.b == 0 && r.b > 0 && r.r == 0, "\(l) \(r)")
        } else { Issue.record("image cells should be truecolor: \(left) \(right)") }
    }

    @Test func stepChangesTheImageAndTheBar() {
        var s = startedState()
        let before = render(s, size: Size(width: 80, height: 24))
        let (a, fx) = update(s, .step(4))
        s = a
        for case .decode(let r) in fx {
            let z = r.spec.compose(base: try! FakeSampler().sample(seed: r.spec.seed, psi: r.spec.psi))
            s = update(s, .frameDecoded(DecodeResult(request: r, latent: z, frame: try! FakeDecoder().decode(z), milliseconds: 1), at: 2)).0
        }
        let after = render(s, size: Size(width: 80, height: 24))
        #expect(after.cells.filter(\.isImage) != before.cells.filter(\.isImage))
        let row = after.lines.first { $0.contains("▸ z[0]") } ?? ""
        #expect(row.contains("━") && row.contains("+1.00σ"), "\(row)")
    }

    @Test func pendingMarkerShowsWhileAFrameIsOutstanding() {
        let s = startedState()
        #expect(!render(s, size: Size(width: 80, height: 24)).lines[22].hasPrefix("●"))
        let (p, _) = update(s, .step(1))
        #expect(render(p, size: Size(width: 80, height: 24)).lines[22].hasPrefix("●"))
    }

    @Test func smallScreenShowsTheDirectionInTheStatusLine() {
        let s = startedState()
        let c = render(s, size: Size(width: 60, height: 12))
        #expect(!c.text.contains("Directions"))
        #expect(c.lines[10].hasPrefix("   0.00σ z[0] 1/4 · seed 7"), "\(c.lines[10])")
    }

    @Test func directionNamesGetTheRoomTheBarDoesNotNeed() {
        var s = startedState()
        s.spec.directions = WalkDirections(method: "axes", vectors: s.spec.directions.vectors,
                                           names: ["background brightness", "x position", "c", "d"])
        let at120 = render(s, size: Size(width: 120, height: 40)).text
        #expect(at120.contains("x position ") && at120.contains("background brightn"), "\(at120)")
        // At 80×24 the panel is narrow: names are cut, the bar keeps 8 columns and the value shows.
        let row = render(s, size: Size(width: 80, height: 24)).lines.first { $0.contains("▸") } ?? ""
        #expect(row.contains("backgr") && row.contains("0.00σ") && row.contains("│"), "\(row)")
    }

    @Test func aLongDirectionNameLeavesRoomForItsValueOnANarrowScreen() {
        var s = startedState()
        s.spec.directions = WalkDirections(method: "axes", vectors: s.spec.directions.vectors,
                                           names: ["background brightness", "b", "c", "d"])
        s.spec.coefficients[0] = 1
        s.message = StatusMessage(text: "wrote zwalk-7-1.png", isWarning: false)
        let line = render(s, size: Size(width: 40, height: 12)).lines[10]
        #expect(line.hasPrefix("  +1.00σ backgr"), "\(line)")
        #expect(line.hasSuffix("wrote zwalk-7-1.png"), "\(line)")
    }

    /// No size may crash or draw outside the canvas, in any mode and overlay.
    @Test func everySizeRenders() {
        var states = [startedState(), ExplorerState(modelName: "m", latentShape: [4])]
        var help = startedState(); help.mode = .help(scroll: 100); states.append(help)
        var chooser = startedState(); chooser.mode = .chooser(selected: 3); states.append(chooser)
        var prompt = startedState(); prompt.mode = .prompt(.command, text: String(repeating: "x", count: 300)); states.append(prompt)
        var sextant = startedState(); sextant.blocks = .sextant; sextant.colorMode = .ansi256; states.append(sextant)
        var warned = startedState(); warned.message = StatusMessage(text: "a very long warning that will not fit", isWarning: true); states.append(warned)
        for s in states {
            for w in [0, 1, 2, 5, 13, 40, 63, 64, 80, 121] {
                for h in [0, 1, 2, 3, 4, 5, 9, 10, 24] {
                    let c = render(s, size: Size(width: w, height: h))
                    #expect(c.width == w && c.height == h && c.cells.count == w * h)
                    if let cur = c.cursor { #expect(cur.x >= 0 && cur.x < w && cur.y >= 0 && cur.y < h) }
                }
            }
        }
    }

    /// The help lists every mode's keys under that mode's heading, then the commands.
    @Test func helpOverlayListsEveryModesKeysAndEveryCommand() {
        var s = startedState()
        s.mode = .help(scroll: 0)
        let lines = render(s, size: Size(width: 200, height: 200)).lines
        var at = 0
        for t in KeyMap.tables {
            guard let title = lines[at...].firstIndex(where: { $0.contains(t.title) }) else {
                Issue.record("no heading '\(t.title)' after line \(at)"); continue
            }
            at = title
            for b in t.bindings {
                guard let row = lines[at...].firstIndex(where: { $0.contains(b.description) }) else {
                    Issue.record("\(t.mode): missing '\(b.description)'"); continue
                }
                #expect(lines[row].contains(b.keyLabel), "\(t.mode): '\(b.description)' without its keys \(b.keyLabel)")
                at = row
            }
        }
        let text = lines.joined(separator: "\n")
        for c in CommandParser.specs { #expect(text.contains(c.usage), "missing \(c.usage)") }
    }

    @Test func helpScrollsWhenTheScreenIsShort() {
        var s = startedState()
        s.mode = .help(scroll: 0)
        let top = render(s, size: Size(width: 100, height: 20)).text
        s.mode = .help(scroll: 1000)
        let bottom = render(s, size: Size(width: 100, height: 20)).text
        #expect(top.contains(KeyMap.bindings[0].description) && !bottom.contains(KeyMap.bindings[0].description))
        #expect(bottom.contains("Mouse"))
    }

    /// Issue 10 #11: at 120 columns `:directions d.npy` showed "cannot load d.npy directions:
    /// d.npy l…" and the reason was lost. A message too long for the status line wraps onto the
    /// lines above it, whole, and the status line keeps its fields.
    @Test(arguments: [120, 80, 40])
    func aLongMessageIsShownWhole(width: Int) {
        var s = startedState()
        let text = "cannot load d.npy directions: d.npy: no such file or directory (zwalk directions MODEL --out d.npy writes one)"
        s.message = StatusMessage(text: text, isWarning: true)
        let size = Size(width: width, height: width == 40 ? 12 : 30)
        let c = render(s, size: size)
        let status = computeLayout(size: size, imageAspect: imageAspect(s)).status!.y
        #expect(c.lines[status].contains("seed 7"), "\(c.lines[status])")
        // The message's lines (the status bar's colours, full width), read back in order above
        // the status line, make the whole text.
        let bar = ResolvedTheme(theme: s.theme, mode: s.colorMode).color(.status_bg)
        var first = status
        while first > 0, (0..<size.width).allSatisfy({ c[$0, first - 1].bg == bar }) { first -= 1 }
        #expect(first < status, "no message lines above the status line:\n\(c.text)")
        let shown = c.lines[first..<status].map { $0.split(separator: " ").joined(separator: " ") }.joined(separator: " ")
        #expect(shown == text, "\(c.text)")
        // A message that fits stays on the status line.
        s.message = StatusMessage(text: "wrote zwalk-7-1.png", isWarning: false)
        let short = render(s, size: size)
        #expect(short.lines[status].hasSuffix("wrote zwalk-7-1.png"))
        #expect(short.lines[status - 1] == render(startedState(), size: size).lines[status - 1])
    }

    @Test func promptShowsTheTextAndTheCursor() {
        var s = startedState()
        s.mode = .prompt(.command, text: "seed 4")
        let c = render(s, size: Size(width: 80, height: 24))
        #expect(c.lines[23].hasPrefix(":seed 4"))
        #expect(c.cursor == Point(x: 7, y: 23))
        s.mode = .normal
        #expect(render(s, size: Size(width: 80, height: 24)).cursor == nil)
    }

    @Test func chooserListsTheMethodsAndAFile() {
        var s = startedState()
        s.mode = .chooser(selected: 1)
        let text = render(s, size: Size(width: 120, height: 30)).text
        for m in ["per-axis", "SeFa", "PCA", "local", "file…"] { #expect(text.contains(m), "\(m)") }
    }

    @Test func beforeTheFirstFrameTheImagePaneSaysSo() {
        let s = ExplorerState(modelName: "m", latentShape: [4])
        #expect(render(s, size: Size(width: 80, height: 24)).text.contains("decoding…"))
    }

    @Test func monoModeUsesNoColourAnywhere() {
        var s = startedState()
        s.colorMode = .mono
        let c = render(s, size: Size(width: 80, height: 24))
        #expect(c.cells.allSatisfy { $0.fg == .default && $0.bg == .default })
        #expect(c.cells.filter(\.isImage).allSatisfy { ImageRenderer.shades.contains($0.scalar) })
    }

    @Test func untrustedNamesCannotBreakTheGrid() {
        var s = startedState()
        s.spec.directions = WalkDirections(method: "file\u{1b}[31m", vectors: [[1, 0, 0, 0]], names: ["日本語\u{0301}\n\tname"])
        s.spec.coefficients = [0]
        let c = render(s, size: Size(width: 80, height: 24))
        #expect(c.cells.allSatisfy { $0.scalar.value >= 0x20 && !isWide($0.scalar.value) })
    }

    /// One cache through a sequence of renders that change every input of the picture's cells
    /// (block style, colour mode, dither, theme brightness, size, frame): each cached render must
    /// equal a fresh one, so a cache that missed one of them would show a stale picture here.
    @Test func cachedAndUncachedRenderAgree() {
        let s = startedState()
        var stepped = s
        for case .decode(let r) in update(s, .step(8)).1 {
            let z = r.spec.compose(base: try! FakeSampler().sample(seed: r.spec.seed, psi: r.spec.psi))
            stepped = update(update(s, .step(8)).0, .frameDecoded(DecodeResult(request: r, latent: z, frame: try! FakeDecoder().decode(z), milliseconds: 1), at: 2)).0
        }
        #expect(stepped.shown?.frame != s.shown?.frame)
        let (light, _) = ThemeLibrary(userDirectory: nil).load("light")
        let cache = ImageCellCache()
        var last: Canvas? = nil
        var checked = 0
        for size in [Size(width: 90, height: 30), Size(width: 60, height: 20)] {
            for blocks in BlockStyle.allCases {
                for mode in ColorMode.allCases {
                    for dither in Dither.allCases {
                        for base in [s, stepped] {
                            for theme in [Theme.defaultTheme, light] where mode == .mono || theme == .defaultTheme {
                                var v = base
                                v.blocks = blocks; v.colorMode = mode; v.dither = dither; v.theme = theme
                                let cached = render(v, size: size, cache: cache)
                                let fresh = render(v, size: size)
                                #expect(cached == fresh, "\(size) \(blocks) \(mode) \(dither) \(theme.name) frame \(v.shown?.request.seq ?? 0)")
                                if let l = last, l != cached { checked += 1 }
                                last = cached
                            }
                        }
                    }
                }
            }
        }
        // Most steps changed the picture, so agreeing is not a matter of nothing changing.
        #expect(checked > 100)
        #expect(render(s, size: Size(width: 90, height: 30), cache: cache) == render(s, size: Size(width: 90, height: 30)))
    }
}

