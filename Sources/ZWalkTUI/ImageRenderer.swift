// Drawing a picture with text cells, pure (no terminal): resample the image to the cell grid's
// sub-pixels (ZWalkImage's resampler: it averages the whole source area when shrinking, so a large
// picture does not alias), reduce to the colour mode (dithering the palette modes), then give each
// cell the glyph and the two colours that best reproduce the sub-pixels it covers.
import ZWalkImage

/// How a cell is split into sub-pixels.
public enum BlockStyle: String, CaseIterable, Sendable {
    /// ▀ with two colours: 1×2 sub-pixels; every font has it.
    case half
    /// ▘▝▖▗▚▞▙▛▜▟ …: 2×2 sub-pixels, two colours per cell.
    case quadrant
    /// U+1FB00 block sextants: 2×3 sub-pixels, two colours per cell; sharper edges, newer fonts.
    case sextant

    public init?(name: String) {
        switch name.lowercased() {
        case "half", "halfblock", "half-block": self = .half
        case "quadrant", "quadrants", "quad": self = .quadrant
        case "sextant", "sextants": self = .sextant
        default: return nil
        }
    }

    /// Sub-pixels per cell across and down.
    public var subWidth: Int { self == .half ? 1 : 2 }
    public var subHeight: Int { self == .sextant ? 3 : 2 }

    public var next: BlockStyle {
        switch self {
        case .half: return .quadrant
        case .quadrant: return .sextant
        case .sextant: return .half
        }
    }
}

/// One drawn cell of the picture.
public struct ImageCell: Hashable, Sendable {
    public var scalar: Unicode.Scalar
    public var fg: TermColor
    public var bg: TermColor
}

public struct ImageRenderOptions: Hashable, Sendable {
    public var blocks: BlockStyle
    public var mode: ColorMode
    public var dither: Dither
    /// Mono mode only: the terminal draws dark ink on a light background, so dense shades are dark.
    public var lightBackground: Bool

    public init(blocks: BlockStyle = .half, mode: ColorMode = .truecolor, dither: Dither = .auto, lightBackground: Bool = false) {
        self.blocks = blocks; self.mode = mode; self.dither = dither; self.lightBackground = lightBackground
    }
}

public enum ImageRenderer {
    /// The largest cell grid inside `pane` that keeps the picture's aspect, given that a terminal
    /// cell is about twice as tall as it is wide. Never zero when the pane is not empty.
    public static func fit(imageWidth: Int, imageHeight: Int, in pane: Size) -> Size {
        guard pane.width > 0, pane.height > 0, imageWidth > 0, imageHeight > 0 else { return Size(width: 0, height: 0) }
        // cols / rows = 2 · (w / h)
        let ratio = 2.0 * Double(imageWidth) / Double(imageHeight)
        var rows = pane.height
        var cols = Int((ratio * Double(rows)).rounded())
        if cols > pane.width {
            cols = pane.width
            rows = Int((Double(cols) / ratio).rounded())
        }
        return Size(width: min(pane.width, max(1, cols)), height: min(pane.height, max(1, rows)))
    }

    /// The picture resampled to `width`×`height` as (height, width, 3) floats in 0…255: what the
    /// cell fitting and the dithering work on. Grey and RGBA pictures come out as RGB.
    static func subPixels(_ image: Image, width: Int, height: Int) -> [Float] {
        guard width > 0, height > 0, image.width > 0, image.height > 0 else { return [] }
        return image.resized(width: width, height: height).toRGB().pixels.map(Float.init)
    }

    /// Draws `image` on a cols×rows cell grid. Cells are row-major.
    public static func render(_ image: Image, cols: Int, rows: Int, options: ImageRenderOptions) -> [ImageCell] {
        guard cols > 0, rows > 0, image.width > 0, image.height > 0 else { return [] }
        if options.mode == .mono { return renderMono(image, cols: cols, rows: rows, lightBackground: options.lightBackground) }
        let sx = options.blocks.subWidth, sy = options.blocks.subHeight
        let sw = cols * sx, sh = rows * sy
        var px = subPixels(image, width: sw, height: sh)
        if options.mode != .truecolor && options.dither != .none {
            ditherToPalette(&px, width: sw, height: sh, mode: options.mode, dither: options.dither)
        }
        var cells = [ImageCell](repeating: ImageCell(scalar: " ", fg: .default, bg: .default), count: cols * rows)
        let n = sx * sy
        // Sub-pixel order inside a cell: row-major (TL, TR, ML, MR, BL, BR), the bit order of the
        // quadrant and sextant glyph tables.
        var pr = [Float](repeating: 0, count: n), pg = pr, pb = pr
        px.withUnsafeBufferPointer { p in
            for cy in 0..<rows {
                for cx in 0..<cols {
                    for j in 0..<sy {
                        for i in 0..<sx {
                            let k = j * sx + i
                            let o = ((cy * sy + j) * sw + cx * sx + i) * 3
                            pr[k] = p[o]; pg[k] = p[o + 1]; pb[k] = p[o + 2]
                        }
                    }
                    let fit: CellFit
                    if options.blocks == .half {
                        // ▀ with fg = top, bg = bottom is exact for two sub-pixels.
                        fit = CellFit(mask: 1, fg: (pr[0], pg[0], pb[0]), bg: (pr[1], pg[1], pb[1]))
                    } else {
                        fit = fitTwoColours(pr, pg, pb)
                    }
                    cells[cy * cols + cx] = makeCell(fit, blocks: options.blocks, mode: options.mode)
                }
            }
        }
        return cells
    }

    /// The chosen split of a cell's sub-pixels: bit k of `mask` set = sub-pixel k takes `fg`.
    struct CellFit {
        var mask: Int
        var fg: (Float, Float, Float)
        var bg: (Float, Float, Float)
    }

    /// The two-colour approximation with least squared error: every split of the n sub-pixels into
    /// two groups is tried (2^(n-1) of them, as a split and its complement are the same), each group
    /// takes its mean colour. Minimising the error equals maximising |S_A|²/n_A + |S_B|²/n_B.
    static func fitTwoColours(_ r: [Float], _ g: [Float], _ b: [Float]) -> CellFit {
        let n = r.count
        var tr: Float = 0, tg: Float = 0, tb: Float = 0
        for k in 0..<n { tr += r[k]; tg += g[k]; tb += b[k] }
        var bestMask = 0
        var bestScore = (tr * tr + tg * tg + tb * tb) / Float(n)
        let limit = 1 << (n - 1)
        if limit > 1 {
            for m in 1..<limit {
                var ar: Float = 0, ag: Float = 0, ab: Float = 0, na = 0
                for k in 0..<n where m & (1 << k) != 0 { ar += r[k]; ag += g[k]; ab += b[k]; na += 1 }
                let nb = n - na
                let br = tr - ar, bg = tg - ag, bb = tb - ab
                let score = (ar * ar + ag * ag + ab * ab) / Float(na) + (br * br + bg * bg + bb * bb) / Float(nb)
                // A strict improvement (with a little slack for rounding) keeps flat cells flat.
                if score > bestScore * (1 + 1e-6) + 1e-3 { bestScore = score; bestMask = m }
            }
        }
        if bestMask == 0 {
            let mean = (tr / Float(n), tg / Float(n), tb / Float(n))
            return CellFit(mask: 0, fg: mean, bg: mean)
        }
        var ar: Float = 0, ag: Float = 0, ab: Float = 0, na = 0
        for k in 0..<n where bestMask & (1 << k) != 0 { ar += r[k]; ag += g[k]; ab += b[k]; na += 1 }
        let nb = Float(n - na), fa = Float(na)
        return CellFit(mask: bestMask, fg: (ar / fa, ag / fa, ab / fa), bg: ((tr - ar) / nb, (tg - ag) / nb, (tb - ab) / nb))
    }

    /// The glyph for a split: bit k set = sub-pixel k drawn in the foreground colour.
    public static func glyph(mask: Int, blocks: BlockStyle) -> Unicode.Scalar {
        switch blocks {
        case .half:
            switch mask & 3 {
            case 0: return " "
            case 1: return "▀"
            case 2: return "▄"
            default: return "█"
            }
        case .quadrant:
            return quadrantGlyphs[mask & 15]
        case .sextant:
            let m = mask & 63
            switch m {
            case 0: return " "
            case 21: return "▌"   // the left column is the half block, not in the sextant range
            case 42: return "▐"
            case 63: return "█"
            default:
                let index = m - 1 - (m > 21 ? 1 : 0) - (m > 42 ? 1 : 0)
                return Unicode.Scalar(0x1FB00 + UInt32(index))!
            }
        }
    }

    /// Bits: 1 = top-left, 2 = top-right, 4 = bottom-left, 8 = bottom-right.
    static let quadrantGlyphs: [Unicode.Scalar] = [
        " ", "▘", "▝", "▀", "▖", "▌", "▞", "▛", "▗", "▚", "▐", "▜", "▄", "▙", "▟", "█",
    ]

    @inline(__always) static func toRGB(_ c: (Float, Float, Float)) -> RGB {
        @inline(__always) func q(_ v: Float) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }
        return RGB(q(c.0), q(c.1), q(c.2))
    }

    static func makeCell(_ fit: CellFit, blocks: BlockStyle, mode: ColorMode) -> ImageCell {
        let fg = Palette.resolve(toRGB(fit.fg), mode: mode)
        let bg = Palette.resolve(toRGB(fit.bg), mode: mode)
        if fit.mask == 0 || fg == bg { return ImageCell(scalar: " ", fg: bg, bg: bg) }
        return ImageCell(scalar: glyph(mask: fit.mask, blocks: blocks), fg: fg, bg: bg)
    }

    /// 8×8 Bayer matrix (values 0…63).
    static let bayer8: [Int] = [
        0, 32, 8, 40, 2, 34, 10, 42, 48, 16, 56, 24, 50, 18, 58, 26,
        12, 44, 4, 36, 14, 46, 6, 38, 60, 28, 52, 20, 62, 30, 54, 22,
        3, 35, 11, 43, 1, 33, 9, 41, 51, 19, 59, 27, 49, 17, 57, 25,
        15, 47, 7, 39, 13, 45, 5, 37, 63, 31, 55, 23, 61, 29, 53, 21,
    ]

    @inline(__always) static func paletteIndex(_ r: Float, _ g: Float, _ b: Float, mode: ColorMode) -> UInt8 {
        @inline(__always) func c(_ v: Float) -> Int { Int(max(0, min(255, v.rounded()))) }
        return mode == .ansi16 ? Palette.nearest16(r: c(r), g: c(g), b: c(b)) : Palette.nearest256(r: c(r), g: c(g), b: c(b))
    }

    /// Replaces every sub-pixel by a palette colour, dithered, before the cells are fitted, so that
    /// the fitted colours are palette colours and the dither pattern survives.
    static func ditherToPalette(_ px: inout [Float], width: Int, height: Int, mode: ColorMode, dither requested: Dither) {
        let dither = requested.resolved(for: mode)
        if mode == .ansi256 {
            switch dither {
            case .ordered: orderedDither256(&px, width: width, height: height)
            case .diffusion: diffuse256(&px, width: width, height: height)
            case .none, .auto: break
            }
            return
        }
        guard dither != .none else { return }
        ditherToANSI16(&px, width: width, height: height, dither: dither)
    }

    /// The 16 ANSI colours are about 128 apart: a fixed threshold spread of half that, or
    /// Floyd–Steinberg.
    static func ditherToANSI16(_ px: inout [Float], width: Int, height: Int, dither: Dither) {
        let palette = Palette.xterm256
        let spread: Float = 64
        px.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                for x in 0..<width {
                    let o = (y * width + x) * 3
                    var r = p[o], g = p[o + 1], b = p[o + 2]
                    if dither == .ordered {
                        let t = (Float(bayer8[(y & 7) * 8 + (x & 7)]) + 0.5) / 64 - 0.5
                        r += t * spread; g += t * spread; b += t * spread
                    }
                    let c = palette[Int(paletteIndex(r, g, b, mode: .ansi16))]
                    let qr = Float(c.r), qg = Float(c.g), qb = Float(c.b)
                    if dither == .diffusion {
                        let er = r - qr, eg = g - qg, eb = b - qb
                        @inline(__always) func spread(_ dx: Int, _ dy: Int, _ w: Float) {
                            let nx = x + dx, ny = y + dy
                            guard nx >= 0, nx < width, ny < height else { return }
                            let q = (ny * width + nx) * 3
                            p[q] += er * w; p[q + 1] += eg * w; p[q + 2] += eb * w
                        }
                        spread(1, 0, 7 / 16); spread(-1, 1, 3 / 16); spread(0, 1, 5 / 16); spread(1, 1, 1 / 16)
                    }
                    p[o] = qr; p[o + 1] = qg; p[o + 2] = qb
                }
            }
        }
    }

    /// The greys of the 256-colour palette: the cube's six and the ramp's 24, in order.
    static let greyLevels: [Float] = Array(Set(Palette.cubeLevels.map { Float($0) } + (0..<24).map { Float(8 + 10 * $0) })).sorted()

    /// A colour whose channels are this close is drawn with the greys (steps of 10) rather than
    /// the cube (steps of 40–95): a near-grey background stays grey instead of picking up tints.
    static let neutralSpread: Float = 12

    /// The two palette levels around v in `levels` (ascending) and where v lies between them, 0…1.
    @inline(__always) static func bracket(_ v: Float, _ levels: [Float]) -> (lo: Float, hi: Float, f: Float) {
        let c = max(levels[0], min(levels[levels.count - 1], v))
        var i = 0
        while i + 2 < levels.count && levels[i + 1] <= c { i += 1 }
        let lo = levels[i], hi = levels[i + 1]
        return (lo, hi, hi > lo ? (c - lo) / (hi - lo) : 0)
    }

    /// Ordered dithering between the two palette colours around each sub-pixel: an 8×8 Bayer
    /// threshold picks the upper one where the colour is that far along the step, so the pattern's
    /// amplitude is the local palette step (10 levels among the greys, 40 or 95 in the cube), a
    /// colour on a palette level is not dithered at all, and a near-flat area uses two
    /// neighbouring levels, never a spread of five. Stable from frame to frame.
    static func orderedDither256(_ px: inout [Float], width: Int, height: Int) {
        let cube = Palette.cubeLevels.map { Float($0) }
        let greys = greyLevels
        px.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                for x in 0..<width {
                    let o = (y * width + x) * 3
                    let t = (Float(bayer8[(y & 7) * 8 + (x & 7)]) + 0.5) / 64
                    let r = p[o], g = p[o + 1], b = p[o + 2]
                    if max(r, g, b) - min(r, g, b) <= neutralSpread {
                        let k = bracket((r + g + b) / 3, greys)
                        let v = k.f > t ? k.hi : k.lo
                        p[o] = v; p[o + 1] = v; p[o + 2] = v
                    } else {
                        // One threshold for the three channels, so the pattern does not split hues.
                        for c in 0..<3 {
                            let k = bracket(p[o + c], cube)
                            p[o + c] = k.f > t ? k.hi : k.lo
                        }
                    }
                }
            }
        }
    }

    /// The palette colour a diffused sub-pixel becomes: a grey for a near-grey colour, else the
    /// nearest of the cube and ramp.
    @inline(__always) static func quantise256(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
        if max(r, g, b) - min(r, g, b) <= neutralSpread {
            let k = bracket((r + g + b) / 3, greyLevels)
            let v = (k.f >= 0.5 ? k.hi : k.lo)
            return (v, v, v)
        }
        let c = Palette.xterm256[Int(paletteIndex(r, g, b, mode: .ansi256))]
        return (Float(c.r), Float(c.g), Float(c.b))
    }

    /// Floyd–Steinberg in serpentine order, the error weighted by how much each channel shows
    /// (luminance weights, so a blue error does not throw a grey pixel into a red one), the
    /// running colour clamped to the palette's range and each error limited to one cube step:
    /// smooth gradients without the coloured specks plain diffusion scatters into grey areas.
    static func diffuse256(_ px: inout [Float], width: Int, height: Int) {
        let limit: Float = 24
        px.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                let leftToRight = y % 2 == 0
                for i in 0..<width {
                    let x = leftToRight ? i : width - 1 - i
                    let o = (y * width + x) * 3
                    let r = max(0, min(255, p[o])), g = max(0, min(255, p[o + 1])), b = max(0, min(255, p[o + 2]))
                    let (qr, qg, qb) = quantise256(r, g, b)
                    // The error keeps the colour's luminance; its chroma is damped, not carried.
                    let er = r - qr, eg = g - qg, eb = b - qb
                    let lum = 0.2126 * er + 0.7152 * eg + 0.0722 * eb
                    @inline(__always) func keep(_ e: Float) -> Float { max(-limit, min(limit, 0.5 * e + 0.5 * lum)) }
                    let (kr, kg, kb) = (keep(er), keep(eg), keep(eb))
                    let dir = leftToRight ? 1 : -1
                    @inline(__always) func spread(_ dx: Int, _ dy: Int, _ w: Float) {
                        let nx = x + dx * dir, ny = y + dy
                        guard nx >= 0, nx < width, ny < height else { return }
                        let q = (ny * width + nx) * 3
                        p[q] += kr * w; p[q + 1] += kg * w; p[q + 2] += kb * w
                    }
                    spread(1, 0, 7 / 16); spread(-1, 1, 3 / 16); spread(0, 1, 5 / 16); spread(1, 1, 1 / 16)
                    p[o] = qr; p[o + 1] = qg; p[o + 2] = qb
                }
            }
        }
    }

    /// Shades for the mono mode, from empty to full.
    public static let shades: [Unicode.Scalar] = [" ", "░", "▒", "▓", "█"]

    /// No colour at all: one shade character per cell by luminance, error-diffused over the five
    /// levels so gradients survive.
    static func renderMono(_ image: Image, cols: Int, rows: Int, lightBackground: Bool) -> [ImageCell] {
        let px = subPixels(image, width: cols, height: rows)
        var lum = [Float](repeating: 0, count: cols * rows)
        for i in 0..<(cols * rows) {
            let l = (0.2126 * px[3 * i] + 0.7152 * px[3 * i + 1] + 0.0722 * px[3 * i + 2]) / 255
            lum[i] = lightBackground ? 1 - l : l
        }
        var cells = [ImageCell](repeating: ImageCell(scalar: " ", fg: .default, bg: .default), count: cols * rows)
        let top = Float(shades.count - 1)
        for y in 0..<rows {
            for x in 0..<cols {
                let i = y * cols + x
                let v = max(0, min(1, lum[i]))
                let level = Int((v * top).rounded())
                let err = lum[i] - Float(level) / top
                if x + 1 < cols { lum[i + 1] += err * 7 / 16 }
                if y + 1 < rows {
                    if x > 0 { lum[i + cols - 1] += err * 3 / 16 }
                    lum[i + cols] += err * 5 / 16
                    if x + 1 < cols { lum[i + cols + 1] += err * 1 / 16 }
                }
                cells[i].scalar = shades[level]
            }
        }
        return cells
    }
}
