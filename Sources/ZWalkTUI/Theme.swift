// Themes: colours named by what they colour (htop's ColorElements), kept in files of
// `role = "#rrggbb"` lines (btop's themes/*.theme). Four ship built in; users add their own under
// $XDG_CONFIG_HOME/zwalk/themes. Bad lines never stop the explorer: they come back as warnings.
import Foundation

public enum ThemeRole: String, CaseIterable, Sendable {
    case background
    case text
    case text_dim
    case panel_border
    case panel_title
    case selection_bg
    case selection_fg
    case slider_fill
    case slider_empty
    case slider_zero
    case status_bg
    case status_fg
    case hint_fg
    case hint_key
    case warning_fg
    case pending_fg
    case overlay_bg
    case overlay_border
    case prompt_fg
}

public struct Theme: Equatable, Sendable {
    public var name: String
    public var colors: [ThemeRole: RGB]

    public init(name: String, colors: [ThemeRole: RGB]) { self.name = name; self.colors = colors }

    /// Every role has a colour: a theme file that leaves one out gets the default's.
    public subscript(role: ThemeRole) -> RGB {
        colors[role] ?? Theme.defaultTheme.colors[role] ?? RGB(255, 255, 255)
    }

    /// A light background means dark ink: the mono picture's shades are inverted on it.
    public var isLight: Bool { self[.background].luminance > 0.5 }

    public static let defaultName = "dark"

    /// The built-in default (the shipped `dark`), parsed once from its text.
    public static let defaultTheme: Theme = {
        var colors: [ThemeRole: RGB] = [:]
        for line in BuiltInThemes.text["dark", default: ""].split(separator: "\n") {
            if case .assignment(let role, let c)? = ThemeParser.parseLine(String(line)), let r = ThemeRole(rawValue: role), let rgb = c {
                colors[r] = rgb
            }
        }
        return Theme(name: "dark", colors: colors)
    }()
}

public enum ThemeParser {
    enum Line: Equatable {
        case assignment(role: String, color: RGB?)
        case malformed
    }

    /// One line: nil for blank lines and comments.
    static func parseLine(_ raw: String) -> Line? {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") { return nil }
        guard let eq = line.firstIndex(of: "=") else { return .malformed }
        var key = line[..<eq].trimmingCharacters(in: .whitespaces)
        // btop writes theme[main_bg]="#…"; accept that spelling as well.
        if key.hasPrefix("theme["), key.hasSuffix("]") { key = String(key.dropFirst(6).dropLast()) }
        var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("\"") {
            let body = value.dropFirst()
            guard let close = body.firstIndex(of: "\"") else { return .malformed }
            value = String(body[..<close])
        } else if let space = value.firstIndex(where: { $0 == " " || $0 == "\t" }) {
            value = String(value[..<space])
        }
        guard !key.isEmpty else { return .malformed }
        return .assignment(role: key, color: RGB(hex: value))
    }

    /// Parses a theme file. Unknown roles, bad colours and malformed lines are reported as
    /// "source:line: …" warnings and skipped; roles left out keep the default's colour.
    public static func parse(_ text: String, name: String, source: String) -> (Theme, [String]) {
        var theme = Theme(name: name, colors: Theme.defaultTheme.colors)
        var warnings: [String] = []
        let known = ThemeRole.allCases.map(\.rawValue).joined(separator: ", ")
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let at = "\(source):\(i + 1)"
            switch parseLine(String(raw)) {
            case nil:
                continue
            case .malformed?:
                warnings.append("\(at): expected role = \"#rrggbb\", got '\(truncate(String(raw), to: 40))'")
            case .assignment(let role, let color)?:
                guard let r = ThemeRole(rawValue: role) else {
                    warnings.append("\(at): unknown role '\(role)' (known: \(known))")
                    continue
                }
                guard let c = color else {
                    warnings.append("\(at): '\(role)' is not a colour; write \"#rrggbb\"")
                    continue
                }
                theme.colors[r] = c
            }
        }
        return (theme, warnings)
    }

    /// The theme as file text (the same format the parser reads).
    public static func format(_ theme: Theme) -> String {
        ThemeRole.allCases.map { "\($0.rawValue) = \"\(theme[$0].hex)\"" }.joined(separator: "\n") + "\n"
    }
}

public struct ThemeNotFound: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Finds themes by name: a path, the user's theme directory, then the built-in ones.
public struct ThemeLibrary: Sendable {
    public var userDirectory: String?

    public init(userDirectory: String?) { self.userDirectory = userDirectory }

    public init(environment: [String: String]) { self.init(userDirectory: ThemeLibrary.userDirectory(environment: environment)) }

    /// `$XDG_CONFIG_HOME/zwalk/themes`, defaulting to `~/.config/zwalk/themes` as the XDG spec says.
    public static func userDirectory(environment: [String: String]) -> String? {
        if let x = environment["XDG_CONFIG_HOME"], x.hasPrefix("/") { return x + "/zwalk/themes" }
        if let h = environment["HOME"], !h.isEmpty { return h + "/.config/zwalk/themes" }
        return nil
    }

    public var builtInNames: [String] { BuiltInThemes.names }

    /// Names the user can pick: built-in and user themes.
    public func availableNames() -> [String] {
        var names = builtInNames
        if let dir = userDirectory, let files = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            for f in files.sorted() where f.hasSuffix(".theme") {
                let n = String(f.dropLast(6))
                if !names.contains(n) { names.append(n) }
            }
        }
        return names
    }

    /// Loads a theme by name or path. Never fails: a missing or unknown theme gives the default
    /// with a warning saying where it looked (what the explorer wants at start-up).
    public func load(_ nameOrPath: String) -> (Theme, [String]) {
        switch find(nameOrPath) {
        case .success(let found): return found
        case .failure(let e): return (Theme.defaultTheme, ["\(e.message); using \(Theme.defaultTheme.name)"])
        }
    }

    /// Finds a theme by name or path: the theme and the warnings about its lines, or why there is
    /// none (what `:theme` wants: a typo must leave the theme on screen alone).
    public func find(_ nameOrPath: String) -> Result<(Theme, [String]), ThemeNotFound> {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".theme") {
            let path = expandTilde(nameOrPath)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                return .failure(ThemeNotFound(message: "theme file \(path) cannot be read"))
            }
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            return .success(ThemeParser.parse(text, name: name, source: path))
        }
        if let dir = userDirectory {
            let path = dir + "/" + nameOrPath + ".theme"
            if FileManager.default.fileExists(atPath: path) {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    return .failure(ThemeNotFound(message: "theme file \(path) cannot be read"))
                }
                return .success(ThemeParser.parse(text, name: nameOrPath, source: path))
            }
        }
        if let text = BuiltInThemes.text[nameOrPath] {
            return .success(ThemeParser.parse(text, name: nameOrPath, source: "built-in \(nameOrPath)"))
        }
        let mine = userDirectory.map { "; yours go in \($0)" } ?? ""
        return .failure(ThemeNotFound(message: "unknown theme '\(nameOrPath)' (built in: \(builtInNames.joined(separator: ", "))\(mine))"))
    }

    /// What `:theme NAME` does: the theme found, or the reason there is none.
    public func action(loading nameOrPath: String) -> Action {
        switch find(nameOrPath) {
        case .success(let (theme, warnings)): return .themeLoaded(theme, warnings: warnings)
        case .failure(let e): return .themeFailed(e.message)
        }
    }

    private func expandTilde(_ p: String) -> String {
        if p.hasPrefix("~/"), let h = ProcessInfo.processInfo.environment["HOME"] { return h + p.dropFirst() }
        return p
    }
}

/// A theme turned into cell styles for one colour mode. In mono there is no colour, so roles that
/// must stand out fall back to attributes (selection reversed, titles bold, secondary text dim).
public struct ResolvedTheme: Equatable, Sendable {
    public let theme: Theme
    public let mode: ColorMode

    public init(theme: Theme, mode: ColorMode) { self.theme = theme; self.mode = mode }

    public func color(_ role: ThemeRole) -> TermColor { Palette.resolve(theme[role], mode: mode) }

    public func style(_ fg: ThemeRole, on bg: ThemeRole = .background, attrs: CellAttributes = []) -> Style {
        var a = attrs
        if mode == .mono {
            switch fg {
            case .selection_fg: a.insert(.reverse)
            case .panel_title, .hint_key, .warning_fg, .pending_fg, .prompt_fg: a.insert(.bold)
            case .text_dim, .slider_empty, .panel_border: a.insert(.dim)
            default: break
            }
            if bg == .status_bg { a.insert(.reverse) }
        }
        return Style(fg: color(fg), bg: color(bg), attrs: a)
    }
}

/// The shipped themes, compiled in so the binary works from any directory. `themes/*.theme` holds
/// the same text for users to copy; a test checks the files and these strings agree.
public enum BuiltInThemes {
    public static let names = ["dark", "light", "high-contrast", "mono"]

    public static let text: [String: String] = [
        "dark": """
        # zwalk dark: light text on a dark blue-grey background.
        background = "#1e1e2e"
        text = "#cdd6f4"
        text_dim = "#83889f"
        panel_border = "#858797"
        panel_title = "#89b4fa"
        selection_bg = "#45475a"
        selection_fg = "#f5e0dc"
        slider_fill = "#a6e3a1"
        slider_empty = "#868794"
        slider_zero = "#9399b2"
        status_bg = "#313244"
        status_fg = "#cdd6f4"
        hint_fg = "#a6adc8"
        hint_key = "#f9e2af"
        warning_fg = "#f38ba8"
        pending_fg = "#fab387"
        overlay_bg = "#181825"
        overlay_border = "#89b4fa"
        prompt_fg = "#f9e2af"

        """,
        "light": """
        # zwalk light: dark text on a light background.
        background = "#eff1f5"
        text = "#4c4f69"
        text_dim = "#656774"
        panel_border = "#696b76"
        panel_title = "#1c5ee1"
        selection_bg = "#ccd0da"
        selection_fg = "#11111b"
        slider_fill = "#317b21"
        slider_empty = "#6a6c71"
        slider_zero = "#686b7b"
        status_bg = "#dce0e8"
        status_fg = "#4c4f69"
        hint_fg = "#686b80"
        hint_key = "#8538ea"
        warning_fg = "#c30e35"
        pending_fg = "#a84207"
        overlay_bg = "#e6e9ef"
        overlay_border = "#1c5ee1"
        prompt_fg = "#8839ef"

        """,
        "high-contrast": """
        # zwalk high-contrast: pure black and white with saturated accents; a navy status bar, so the
        # pending marker and warnings stand out on it as well as on black.
        background = "#000000"
        text = "#ffffff"
        text_dim = "#c0c0c0"
        panel_border = "#ffffff"
        panel_title = "#ffff00"
        selection_bg = "#ffff00"
        selection_fg = "#000000"
        slider_fill = "#00ff00"
        slider_empty = "#808080"
        slider_zero = "#ffffff"
        status_bg = "#000080"
        status_fg = "#ffffff"
        hint_fg = "#ffffff"
        hint_key = "#00ffff"
        warning_fg = "#ff6060"
        pending_fg = "#ffff00"
        overlay_bg = "#000000"
        overlay_border = "#ffff00"
        prompt_fg = "#00ffff"

        """,
        "mono": """
        # zwalk mono: greys only, for people who want the picture to be the only colour.
        background = "#000000"
        text = "#d0d0d0"
        text_dim = "#858585"
        panel_border = "#808080"
        panel_title = "#ffffff"
        selection_bg = "#d0d0d0"
        selection_fg = "#000000"
        slider_fill = "#ffffff"
        slider_empty = "#808080"
        slider_zero = "#a8a8a8"
        status_bg = "#303030"
        status_fg = "#ffffff"
        hint_fg = "#a8a8a8"
        hint_key = "#ffffff"
        warning_fg = "#ffffff"
        pending_fg = "#ffffff"
        overlay_bg = "#1c1c1c"
        overlay_border = "#ffffff"
        prompt_fg = "#ffffff"

        """,
    ]
}
