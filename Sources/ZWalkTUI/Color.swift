// Colours: 24-bit values, the terminal's colour spaces (truecolor, the xterm 256-colour palette,
// the 16 ANSI colours, none at all) and how to reach each from an RGB value.

import Foundation

/// An 8-bit-per-channel colour.
public struct RGB: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// Parses `#rrggbb` (the `#` optional); nil for anything else.
    public init?(hex: String) {
        var s = Substring(hex)
        if s.hasPrefix("#") { s = s.dropFirst() }
        guard s.count == 6, s.allSatisfy({ $0.isHexDigit }), let v = UInt32(s, radix: 16) else { return nil }
        self.init(UInt8(v >> 16), UInt8((v >> 8) & 0xff), UInt8(v & 0xff))
    }

    public var hex: String {
        let digits = Array("0123456789abcdef")
        return "#" + [r, g, b].map { String(digits[Int($0 >> 4)]) + String(digits[Int($0 & 15)]) }.joined()
    }

    public var description: String { hex }

    /// Relative luminance in 0…1 (Rec. 709 weights on the stored values; good enough to rank shades).
    public var luminance: Float { (0.2126 * Float(r) + 0.7152 * Float(g) + 0.0722 * Float(b)) / 255 }

    /// WCAG 2 relative luminance: the sRGB channels linearised, then Rec. 709 weights.
    public var relativeLuminance: Double {
        func linear(_ v: UInt8) -> Double {
            let c = Double(v) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG 2 contrast ratio with another colour, 1…21; text wants at least 4.5.
    public func contrastRatio(with other: RGB) -> Double {
        let a = relativeLuminance, b = other.relativeLuminance
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }
}

/// A colour as the terminal is told it: the terminal's own default, a palette index, or 24-bit.
public enum TermColor: Hashable, Sendable {
    case `default`
    case indexed(UInt8)
    case rgb(RGB)
}

/// How many colours the image and the panels may use.
public enum ColorMode: String, CaseIterable, Sendable {
    case truecolor
    case ansi256 = "256"
    case ansi16 = "16"
    case mono

    /// The value `--color` accepts for this mode.
    public var flag: String { rawValue }
}

/// `--color auto|truecolor|256|16|mono`.
public enum ColorChoice: Equatable, Sendable {
    case auto
    case fixed(ColorMode)

    public init?(_ text: String) {
        let t = text.lowercased()
        if t == "auto" { self = .auto; return }
        if t == "24bit" || t == "rgb" { self = .fixed(.truecolor); return }
        guard let m = ColorMode(rawValue: t) else { return nil }
        self = .fixed(m)
    }
}

/// How an image is reduced to a palette in the 256- and 16-colour modes.
public enum Dither: String, CaseIterable, Sendable {
    /// What measures best in the mode (tools/dither_quality.py, luminance SSIM against the source
    /// on four models): none in 256 colours, ordered in 16.
    case auto
    /// Nearest palette colour: flat areas stay flat, gradients band.
    case none
    /// An 8×8 Bayer threshold: stable from frame to frame (the picture does not shimmer while walking).
    case ordered
    /// Floyd–Steinberg error diffusion: smoother gradients on still images, shimmers on small changes.
    case diffusion

    /// The dithering `auto` stands for in `mode`.
    public func resolved(for mode: ColorMode) -> Dither {
        guard self == .auto else { return self }
        return mode == .ansi16 ? .ordered : .none
    }
}

/// Picks the colour mode for `--color auto`, from the environment and the terminfo entry:
/// COLORTERM=truecolor|24bit or terminfo `RGB` → truecolor; else ≥ 256 colours → 256; ≥ 8 → 16;
/// else mono. Pure, so the rule is tested without a terminal.
public func detectColorMode(environment: [String: String], terminfoRGB: Bool, terminfoColors: Int) -> ColorMode {
    let colorterm = (environment["COLORTERM"] ?? "").lowercased()
    if colorterm == "truecolor" || colorterm == "24bit" || terminfoRGB { return .truecolor }
    if terminfoColors >= 256 { return .ansi256 }
    if terminfoColors >= 8 { return .ansi16 }
    return .mono
}

/// The xterm palettes and nearest-colour search.
public enum Palette {
    /// xterm's default values for the 16 ANSI colours (terminals and themes vary; this is the
    /// common reference the 16-colour mode aims at).
    public static let ansi16: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0),
        RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205), RGB(229, 229, 229),
        RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    /// The six channel levels of the 6×6×6 cube (indices 16…231).
    public static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    /// The RGB value of a 256-palette index: 0…15 ANSI, 16…231 cube, 232…255 grey ramp 8, 18 … 238.
    public static func rgb(ofIndex i: UInt8) -> RGB {
        switch i {
        case 0..<16: return ansi16[Int(i)]
        case 16..<232:
            let v = Int(i) - 16
            return RGB(cubeLevels[v / 36], cubeLevels[(v / 6) % 6], cubeLevels[v % 6])
        default:
            let g = UInt8(8 + 10 * (Int(i) - 232))
            return RGB(g, g, g)
        }
    }

    /// All 256 palette entries as RGB.
    public static let xterm256: [RGB] = (0..<256).map { rgb(ofIndex: UInt8($0)) }

    /// For each channel value, the nearest cube level's index (0…5).
    private static let nearestLevel: [UInt8] = (0..<256).map { v in
        var best = 0, bestD = Int.max
        for (k, l) in cubeLevels.enumerated() {
            let d = abs(Int(l) - v)
            if d < bestD { best = k; bestD = d }
        }
        return UInt8(best)
    }

    @inline(__always) static func distance2(_ a: RGB, _ r: Int, _ g: Int, _ b: Int) -> Int {
        let dr = Int(a.r) - r, dg = Int(a.g) - g, db = Int(a.b) - b
        return dr * dr + dg * dg + db * db
    }

    /// The nearest colour among the cube and the grey ramp (16…255). The first 16 are left out on
    /// purpose: terminal themes redefine them, so they are not the colours the index promises.
    public static func nearest256(_ c: RGB) -> UInt8 {
        nearest256(r: Int(c.r), g: Int(c.g), b: Int(c.b))
    }

    /// `nearest256` for channel values already clamped to 0…255.
    @inline(__always) public static func nearest256(r: Int, g: Int, b: Int) -> UInt8 {
        let ri = Int(nearestLevel[r]), gi = Int(nearestLevel[g]), bi = Int(nearestLevel[b])
        let cube = 16 + 36 * ri + 6 * gi + bi
        let cubeD = distance2(RGB(cubeLevels[ri], cubeLevels[gi], cubeLevels[bi]), r, g, b)
        let mean = (r + g + b) / 3
        let gi2 = min(23, max(0, (mean - 8 + 5) / 10))
        let gv = UInt8(8 + 10 * gi2)
        let greyD = distance2(RGB(gv, gv, gv), r, g, b)
        return greyD < cubeD ? UInt8(232 + gi2) : UInt8(cube)
    }

    /// The nearest of the 16 ANSI colours.
    public static func nearest16(_ c: RGB) -> UInt8 { nearest16(r: Int(c.r), g: Int(c.g), b: Int(c.b)) }

    @inline(__always) public static func nearest16(r: Int, g: Int, b: Int) -> UInt8 {
        var best = 0, bestD = Int.max
        for i in 0..<16 {
            let d = distance2(ansi16[i], r, g, b)
            if d < bestD { best = i; bestD = d }
        }
        return UInt8(best)
    }

    /// How a colour is sent to the terminal in a mode (mono: not at all).
    public static func resolve(_ c: RGB, mode: ColorMode) -> TermColor {
        switch mode {
        case .truecolor: return .rgb(c)
        case .ansi256: return .indexed(nearest256(c))
        case .ansi16: return .indexed(nearest16(c))
        case .mono: return .default
        }
    }
}
