import Testing
import Foundation
@testable import ZWalkTUI

@Suite struct ThemeTests {
    @Test func validFileSetsEveryRoleItNames() {
        let (t, warnings) = ThemeParser.parse("""
            # a comment
            background = "#000000"
            text = "#ffffff"   # trailing note
            theme[warning_fg]="#ff0000"
            panel_title = #00ff00

            """, name: "t", source: "t.theme")
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(t[.background] == RGB(0, 0, 0))
        #expect(t[.text] == white)
        #expect(t[.warning_fg] == red)
        #expect(t[.panel_title] == RGB(0, 255, 0))
        // Roles left out keep the default's colour.
        #expect(t[.slider_fill] == Theme.defaultTheme[.slider_fill])
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let line: String, mentions: String
        var testDescription: String { line }
    }

    @Test(arguments: [
        Bad(line: "sparkle = \"#ffffff\"", mentions: "unknown role 'sparkle'"),
        Bad(line: "text = \"#ff\"", mentions: "'text' is not a colour"),
        Bad(line: "text = \"red\"", mentions: "'text' is not a colour"),
        Bad(line: "just words", mentions: "expected role = "),
        Bad(line: "text = \"#ffffff", mentions: "expected role = "),
    ])
    func badLinesAreWarnedAboutWithFileAndLine(b: Bad) {
        let (t, warnings) = ThemeParser.parse("background = \"#101010\"\n" + b.line + "\n", name: "x", source: "x.theme")
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("x.theme:2: ") == true, "\(warnings)")
        #expect(warnings.first?.contains(b.mentions) == true, "\(warnings)")
        #expect(t[.background] == RGB(16, 16, 16))     // the good line still counts
        #expect(t[.text] == Theme.defaultTheme[.text])
    }

    @Test func missingFileFallsBackToTheDefaultWithAWarning() {
        let (t, w) = ThemeLibrary(userDirectory: nil).load("/nonexistent/dir/nothing.theme")
        #expect(t == Theme.defaultTheme)
        #expect(w.count == 1 && w[0].contains("/nonexistent/dir/nothing.theme"))
    }

    @Test func unknownNameFallsBackAndSaysWhereThemesLive() {
        let (t, w) = ThemeLibrary(userDirectory: "/home/u/.config/zwalk/themes").load("solarized")
        #expect(t == Theme.defaultTheme)
        #expect(w.count == 1 && w[0].contains("solarized") && w[0].contains("/home/u/.config/zwalk/themes"))
    }

    /// Issue 10 #9: `:theme light`, then `:theme nosuch` showed an error and switched to dark.
    /// A failed command changes nothing.
    @Test func aThemeTypoLeavesTheThemeAlone() throws {
        let lib = ThemeLibrary(userDirectory: nil)
        var s = startedState()
        for name in ["light", "nosuch", "/nonexistent/x.theme"] {
            let (n, fx) = update(s, .command(.theme(name)))
            #expect(fx == [.loadTheme(name)])
            s = update(n, lib.action(loading: name)).0
        }
        #expect(s.theme.name == "light" && s.theme == lib.load("light").0)
        #expect(s.message?.isWarning == true && s.message?.text.contains("/nonexistent/x.theme") == true, "\(String(describing: s.message))")
        #expect(s.message?.text.contains("stays light") == true)
        // Start-up still falls back to the default: there is no theme on screen to keep yet.
        #expect(lib.load("nosuch").0 == Theme.defaultTheme)
    }

    @Test(arguments: BuiltInThemes.names)
    func builtInThemesParseCleanly(name: String) {
        let (t, w) = ThemeLibrary(userDirectory: nil).load(name)
        #expect(w.isEmpty, "\(w)")
        #expect(t.name == name)
        #expect(Set(t.colors.keys) == Set(ThemeRole.allCases), "every role set explicitly")
    }

    /// themes/*.theme ship for users to copy: they must say exactly what the built-ins say.
    @Test(arguments: BuiltInThemes.names)
    func shippedFilesMatchTheBuiltIns(name: String) throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = repo.appendingPathComponent("themes/\(name).theme").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let (fromFile, w) = ThemeParser.parse(text, name: name, source: path)
        #expect(w.isEmpty)
        let (builtIn, _) = ThemeLibrary(userDirectory: nil).load(name)
        #expect(fromFile == builtIn)
    }

    @Test func userThemesComeFromXDGConfigHome() throws {
        let dir = NSTemporaryDirectory() + "zwalk-theme-test-\(getpid())"
        let themes = dir + "/zwalk/themes"
        try FileManager.default.createDirectory(atPath: themes, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "background = \"#123456\"\nglow = \"#ffffff\"\n".write(toFile: themes + "/mine.theme", atomically: true, encoding: .utf8)
        let lib = ThemeLibrary(environment: ["XDG_CONFIG_HOME": dir, "HOME": "/nowhere"])
        #expect(lib.userDirectory == themes)
        let (t, w) = lib.load("mine")
        #expect(t[.background] == RGB(0x12, 0x34, 0x56))
        #expect(w.count == 1 && w[0].contains("unknown role 'glow'") && w[0].contains("mine.theme:2"))
        #expect(lib.availableNames().contains("mine"))
    }

    @Test func userDirectoryDefaultsToDotConfig() {
        #expect(ThemeLibrary.userDirectory(environment: ["HOME": "/home/a"]) == "/home/a/.config/zwalk/themes")
        // A relative XDG_CONFIG_HOME is invalid per the spec and ignored.
        #expect(ThemeLibrary.userDirectory(environment: ["HOME": "/home/a", "XDG_CONFIG_HOME": "rel"]) == "/home/a/.config/zwalk/themes")
        #expect(ThemeLibrary.userDirectory(environment: [:]) == nil)
    }

    @Test func formatRoundTrips() {
        let (light, _) = ThemeLibrary(userDirectory: nil).load("light")
        let (again, w) = ThemeParser.parse(ThemeParser.format(light), name: "light", source: "x")
        #expect(w.isEmpty && again == light)
    }

    @Test func monoModeUsesAttributesInsteadOfColour() {
        let rt = ResolvedTheme(theme: .defaultTheme, mode: .mono)
        let sel = rt.style(.selection_fg, on: .selection_bg)
        #expect(sel.fg == .default && sel.bg == .default && sel.attrs.contains(.reverse))
        #expect(ResolvedTheme(theme: .defaultTheme, mode: .truecolor).style(.text).fg == .rgb(Theme.defaultTheme[.text]))
    }
}
