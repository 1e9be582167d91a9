import Testing
import ZWalkImage
@testable import ZWalkTUI

@Suite struct ImageRendererTests {
    @Test func redOverBlueIsOneUpperHalfBlock() {
        // 2×2 pixels → one cell of 1×2 sub-pixels (each the mean of a row).
        let f = frame(2, 2) { _, y in y == 0 ? red : blue }
        let cells = ImageRenderer.render(f, cols: 1, rows: 1, options: ImageRenderOptions(blocks: .half, mode: .truecolor))
        #expect(cells == [ImageCell(scalar: "▀", fg: .rgb(red), bg: .rgb(blue))])
    }

    @Test func flatCellIsASpaceWithBackground() {
        let f = frame(4, 4) { _, _ in RGB(10, 20, 30) }
        for blocks in BlockStyle.allCases {
            let cells = ImageRenderer.render(f, cols: 2, rows: 1, options: ImageRenderOptions(blocks: blocks, mode: .truecolor))
            #expect(cells.allSatisfy { $0.scalar == " " && $0.bg == .rgb(RGB(10, 20, 30)) }, "\(blocks)")
        }
    }

    /// Every sextant split, drawn as a 2×3 black/white pattern, comes back as the glyph whose
    /// foreground sub-pixels are exactly the pattern's (or its complement with colours swapped).
    @Test(arguments: 1..<63)
    func sextantFittingFindsThePattern(mask: Int) {
        let f = frame(2, 3) { x, y in mask & (1 << (y * 2 + x)) != 0 ? white : black }
        let c = ImageRenderer.render(f, cols: 1, rows: 1, options: ImageRenderOptions(blocks: .sextant, mode: .truecolor))[0]
        let direct = ImageRenderer.glyph(mask: mask, blocks: .sextant)
        let complement = ImageRenderer.glyph(mask: 63 ^ mask, blocks: .sextant)
        let ok = (c.scalar == direct && c.fg == .rgb(white) && c.bg == .rgb(black))
            || (c.scalar == complement && c.fg == .rgb(black) && c.bg == .rgb(white))
        #expect(ok, "mask \(mask): got \(c)")
    }

    @Test(arguments: 1..<15)
    func quadrantFittingFindsThePattern(mask: Int) {
        let f = frame(2, 2) { x, y in mask & (1 << (y * 2 + x)) != 0 ? red : blue }
        let c = ImageRenderer.render(f, cols: 1, rows: 1, options: ImageRenderOptions(blocks: .quadrant, mode: .truecolor))[0]
        let ok = (c.scalar == ImageRenderer.glyph(mask: mask, blocks: .quadrant) && c.fg == .rgb(red) && c.bg == .rgb(blue))
            || (c.scalar == ImageRenderer.glyph(mask: 15 ^ mask, blocks: .quadrant) && c.fg == .rgb(blue) && c.bg == .rgb(red))
        #expect(ok, "mask \(mask): got \(c)")
    }

    @Test func sextantGlyphTableCoversTheUnicodeBlock() {
        var seen = Set<Unicode.Scalar>()
        for m in 0..<64 { seen.insert(ImageRenderer.glyph(mask: m, blocks: .sextant)) }
        #expect(seen.count == 64)
        let sextants = seen.filter { (0x1FB00...0x1FB3B).contains($0.value) }
        #expect(sextants.count == 60)
        #expect(ImageRenderer.glyph(mask: 1, blocks: .sextant) == "\u{1FB00}")
        #expect(ImageRenderer.glyph(mask: 62, blocks: .sextant) == "\u{1FB3B}")
        #expect(ImageRenderer.glyph(mask: 21, blocks: .sextant) == "▌")
        #expect(ImageRenderer.glyph(mask: 42, blocks: .sextant) == "▐")
    }

    /// Three sub-pixels of one colour and three of another, not on a glyph boundary, with noise:
    /// the least-squares split still groups them by colour, and each side is its group's mean.
    @Test func twoColourFitUsesGroupMeans() {
        let r: [Float] = [200, 210, 10, 205, 0, 20]
        let g: [Float] = [0, 0, 0, 0, 0, 0]
        let b: [Float] = [10, 10, 200, 10, 190, 210]
        let fit = ImageRenderer.fitTwoColours(r, g, b)
        let groupA = [0, 1, 3], groupB = [2, 4, 5]
        let fgSet = (0..<6).filter { fit.mask & (1 << $0) != 0 }
        #expect(fgSet == groupA || fgSet == groupB)
        let meanA = Float(200 + 210 + 205) / 3
        let fgR = fgSet == groupA ? fit.fg.0 : fit.bg.0
        #expect(abs(fgR - meanA) < 1e-3)
    }

    @Test func shrinkingAveragesTheWholeArea() {
        // A checkerboard seen from afar is its mean grey, not one of its squares (no aliasing).
        let f = frame(8, 8) { x, y in (x + y) % 2 == 0 ? white : black }
        let px = ImageRenderer.subPixels(f, width: 1, height: 1)
        #expect(px.count == 3 && px.allSatisfy { abs($0 - 127.5) <= 1 }, "\(px)")
    }

    @Test func greyAndRGBAPicturesAreDrawnAsRGB() {
        let grey = Image(width: 2, height: 2, channels: 1, pixels: [200, 200, 10, 10])
        let cells = ImageRenderer.render(grey, cols: 1, rows: 1, options: ImageRenderOptions(blocks: .half, mode: .truecolor))
        #expect(cells == [ImageCell(scalar: "▀", fg: .rgb(RGB(200, 200, 200)), bg: .rgb(RGB(10, 10, 10)))])
        let rgba = Image(width: 1, height: 2, channels: 4, pixels: [255, 0, 0, 7, 0, 0, 255, 7])
        let c2 = ImageRenderer.render(rgba, cols: 1, rows: 1, options: ImageRenderOptions(blocks: .half, mode: .truecolor))
        #expect(c2 == [ImageCell(scalar: "▀", fg: .rgb(red), bg: .rgb(blue))])
    }

    struct FitCase: CustomTestStringConvertible, Sendable {
        let image: Size, pane: Size, want: Size
        var testDescription: String { "\(image) in \(pane)" }
    }

    @Test(arguments: [
        FitCase(image: Size(width: 64, height: 64), pane: Size(width: 51, height: 22), want: Size(width: 44, height: 22)),
        FitCase(image: Size(width: 64, height: 64), pane: Size(width: 40, height: 30), want: Size(width: 40, height: 20)),
        FitCase(image: Size(width: 128, height: 64), pane: Size(width: 200, height: 60), want: Size(width: 200, height: 50)),
        FitCase(image: Size(width: 64, height: 64), pane: Size(width: 1, height: 1), want: Size(width: 1, height: 1)),
        FitCase(image: Size(width: 64, height: 64), pane: Size(width: 0, height: 5), want: Size(width: 0, height: 0)),
    ])
    func fitKeepsAspectWithTallCells(c: FitCase) {
        #expect(ImageRenderer.fit(imageWidth: c.image.width, imageHeight: c.image.height, in: c.pane) == c.want)
    }

    @Test(arguments: [ColorMode.ansi256, .ansi16])
    func paletteModesGivePaletteIndices(mode: ColorMode) {
        let f = frame(16, 16) { x, y in RGB(UInt8(x * 16), UInt8(y * 16), 128) }
        for dither in Dither.allCases {
            let cells = ImageRenderer.render(f, cols: 8, rows: 4, options: ImageRenderOptions(blocks: .quadrant, mode: mode, dither: dither))
            let ok = cells.allSatisfy { c in
                [c.fg, c.bg].allSatisfy { if case .indexed(let i) = $0 { return mode == .ansi256 || i < 16 }; return false }
            }
            #expect(ok, "\(mode) \(dither)")
        }
    }

    @Test func pureColoursSurviveTheDitherExactly() {
        // Pure palette colours have no quantisation error, so no dither may disturb them.
        let f = frame(2, 2) { _, y in y == 0 ? red : blue }
        for d in Dither.allCases {
            let c = ImageRenderer.render(f, cols: 1, rows: 1, options: ImageRenderOptions(blocks: .half, mode: .ansi256, dither: d))[0]
            #expect(c == ImageCell(scalar: "▀", fg: .indexed(196), bg: .indexed(21)), "\(d)")
        }
    }

    @Test func orderedDitherMixesTwoPaletteColoursForAnInBetweenGrey() {
        // Grey 123 lies between the ramp's 118 and 128: ordered dither must use both.
        let f = frame(16, 16) { _, _ in RGB(123, 123, 123) }
        let cells = ImageRenderer.render(f, cols: 16, rows: 8, options: ImageRenderOptions(blocks: .half, mode: .ansi256, dither: .ordered))
        let used = Set(cells.flatMap { [$0.fg, $0.bg] })
        #expect(used.count >= 2)
    }

    /// The palette colours a 256-colour render uses, as RGB.
    func coloursUsed(_ cells: [ImageCell]) -> [RGB] {
        Array(Set(cells.flatMap { [$0.fg, $0.bg] }.compactMap { c -> UInt8? in if case .indexed(let i) = c { return i }; return nil }))
            .map { Palette.xterm256[Int($0)] }
    }

    @Test func orderedDitherOfANearFlatGreyUsesTheTwoNeighbouringGreys() {
        // A background within ±0.4 levels of 80 (between the ramp's 78 and 88): it used to come
        // out as five greys from 58 to 95 in a checkerboard.
        let f = frame(64, 64) { x, y in let v = UInt8(80 + (x + y) % 2); return RGB(v, v, v) }
        let cells = ImageRenderer.render(f, cols: 32, rows: 16, options: ImageRenderOptions(blocks: .half, mode: .ansi256, dither: .ordered))
        let used = coloursUsed(cells)
        #expect(used.allSatisfy { $0.r == $0.g && $0.g == $0.b }, "\(used)")
        #expect(Set(used.map(\.r)).isSubset(of: [78, 88]), "\(used)")
    }

    @Test func orderedDitherKeepsAGradientsMeanAtEveryColumn() {
        // A grey ramp 40…200: the dithered columns average to the source within a few levels,
        // which plain quantisation (steps of 10) cannot do between levels.
        let f = frame(64, 32) { x, _ in let v = UInt8(40 + x * 160 / 63); return RGB(v, v, v) }
        let cells = ImageRenderer.render(f, cols: 64, rows: 16, options: ImageRenderOptions(blocks: .half, mode: .ansi256, dither: .ordered))
        for x in 0..<64 {
            var sum = 0.0
            for y in 0..<16 {
                let c = cells[y * 64 + x]
                for t in [c.fg, c.bg] { if case .indexed(let i) = t { sum += Double(Palette.xterm256[Int(i)].r) } }
            }
            #expect(abs(sum / 32 - Double(40 + x * 160 / 63)) < 4, "column \(x)")
        }
    }

    @Test func diffusionScattersNoColourIntoGrey() {
        // A noisy near-grey area (channels within 6 of each other): every sub-pixel stays grey.
        var rng = SystemRandomNumberGenerator()
        let f = frame(64, 64) { _, _ in
            let v = Int.random(in: 90...140, using: &rng)
            return RGB(UInt8(v + Int.random(in: 0...6, using: &rng)), UInt8(v), UInt8(v + Int.random(in: 0...6, using: &rng)))
        }
        let cells = ImageRenderer.render(f, cols: 64, rows: 32, options: ImageRenderOptions(blocks: .half, mode: .ansi256, dither: .diffusion))
        let coloured = coloursUsed(cells).filter { max($0.r, $0.g, $0.b) - min($0.r, $0.g, $0.b) > 48 }
        #expect(coloured.isEmpty, "\(coloured)")
    }

    @Test func autoIsNoneIn256ColoursAndOrderedIn16() {
        #expect(Dither.auto.resolved(for: .ansi256) == Dither.none && Dither.auto.resolved(for: .ansi16) == .ordered)
        #expect(Dither.diffusion.resolved(for: .ansi256) == .diffusion)
    }

    @Test func monoUsesShadesByLuminance() {
        let f = frame(5, 2) { x, _ in let v = UInt8(x * 255 / 4); return RGB(v, v, v) }
        let cells = ImageRenderer.render(f, cols: 5, rows: 1, options: ImageRenderOptions(mode: .mono))
        #expect(cells.map(\.scalar) == [" ", "░", "▒", "▓", "█"])
        #expect(cells.allSatisfy { $0.fg == .default && $0.bg == .default })
        let light = ImageRenderer.render(f, cols: 5, rows: 1, options: ImageRenderOptions(mode: .mono, lightBackground: true))
        #expect(light.map(\.scalar) == ["█", "▓", "▒", "░", " "])
    }
}
