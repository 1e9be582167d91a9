import Testing
@testable import ZWalkTUI

/// Issue 10 #10: on the high-contrast theme the selected row was unreadable (a white bar and a
/// #c0c0c0 value on #ffff00). Every glyph the explorer draws outside the picture, in every
/// screen it has, must reach WCAG's 4.5 : 1 against its background, in every shipped theme and
/// the built-in default. The pairs are read off rendered screens, so a new role pairing in the
/// renderer is checked without anyone listing it.
@Suite struct ContrastTests {
    static let themes: [String] = BuiltInThemes.names + ["built-in default"]

    static func theme(_ name: String) -> Theme {
        name == "built-in default" ? Theme.defaultTheme : ThemeLibrary(userDirectory: nil).load(name).0
    }

    /// Every kind of screen: the panel with scores, bars past ±3σ and zero values, the selected
    /// row at zero and walked, a set computing, a frame pending, messages, overlays, the prompt,
    /// the compact layout and the screen before the first frame.
    static func screens(_ theme: Theme) -> [(String, ExplorerState, Size)] {
        var s = startedState()
        s.theme = theme
        let names = ["background brightness", "x position", "slant", "width"]
        s = update(s, .directionsLoaded(WalkDirections(method: "per-axis", vectors: s.directions.vectors, names: names,
                                                       scores: [12.5, 3.25, 0.5, 0.001]), origin: nil)).0
        s.spec.coefficients = [0, 1.5, -4, 5]
        var out: [(String, ExplorerState, Size)] = [("panel", s, Size(width: 120, height: 40))]
        var walkedSelected = s; walkedSelected.selected = 1; out.append(("selected walked", walkedSelected, Size(width: 120, height: 40)))
        var past = s; past.selected = 2; out.append(("selected past the bar", past, Size(width: 120, height: 40)))
        var busy = update(s, .step(1)).0
        busy.loadingDirections = .sefa
        busy.message = nil
        out.append(("computing, pending", busy, Size(width: 120, height: 40)))
        var warned = s; warned.message = StatusMessage(text: "decode failed: node 'conv1' (Conv): bad", isWarning: true)
        out.append(("warning", warned, Size(width: 120, height: 40)))
        var info = s; info.message = StatusMessage(text: "wrote zwalk-7-1.png", isWarning: false)
        out.append(("info", info, Size(width: 120, height: 40)))
        var long = s; long.message = StatusMessage(text: "cannot load d.npy directions: " + String(repeating: "a long reason ", count: 12), isWarning: true)
        out.append(("long warning", long, Size(width: 120, height: 40)))
        var help = s; help.mode = .help(scroll: 0); out.append(("help", help, Size(width: 120, height: 20)))
        var helpEnd = s; helpEnd.mode = .help(scroll: 1000); out.append(("help, scrolled", helpEnd, Size(width: 120, height: 20)))
        var chooser = s; chooser.mode = .chooser(selected: 2); out.append(("chooser", chooser, Size(width: 120, height: 40)))
        var prompt = s; prompt.mode = .prompt(.command, text: "export walk.png"); out.append(("prompt", prompt, Size(width: 120, height: 40)))
        out.append(("compact", s, Size(width: 60, height: 12)))
        var empty = ExplorerState(modelName: "m", latentShape: [4], theme: theme)
        empty.spec.directions = WalkDirections(method: "file", vectors: [])
        empty.spec.coefficients = []
        out.append(("before the first frame, no directions", empty, Size(width: 120, height: 40)))
        return out
    }

    @Test(arguments: themes)
    func everyGlyphOutsideThePictureIsReadable(name: String) {
        let theme = Self.theme(name)
        var seen: Set<String> = []
        for (what, state, size) in Self.screens(theme) {
            let c = render(state, size: size)
            for y in 0..<c.height {
                for x in 0..<c.width {
                    let cell = c[x, y]
                    guard !cell.isImage, cell.scalar != " " else { continue }
                    guard case .rgb(let fg) = cell.fg, case .rgb(let bg) = cell.bg else {
                        Issue.record("\(name), \(what): '\(cell.scalar)' at \(x),\(y) is not in 24-bit colour"); continue
                    }
                    let ratio = fg.contrastRatio(with: bg)
                    let key = "\(fg) on \(bg)"
                    if ratio < 4.5 && !seen.contains(key) {
                        seen.insert(key)
                        Issue.record("\(name), \(what): '\(cell.scalar)' at \(x),\(y) is \(fg) on \(bg), contrast \(formatFixed(ratio, 2)) < 4.5\n\(c.lines[y])")
                    }
                }
            }
        }
    }

    @Test func contrastRatioFollowsWCAG() {
        #expect(abs(white.contrastRatio(with: black) - 21) < 1e-9)
        #expect(abs(RGB(0x76, 0x76, 0x76).contrastRatio(with: white) - 4.54) < 0.01)
        #expect(red.contrastRatio(with: red) == 1)
    }
}
