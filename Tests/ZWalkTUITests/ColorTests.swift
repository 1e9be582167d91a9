import Testing
@testable import ZWalkTUI

@Suite struct ColorTests {
    struct Q: Sendable, CustomTestStringConvertible {
        let c: RGB, i256: UInt8, i16: UInt8
        var testDescription: String { c.hex }
    }

    @Test(arguments: [
        Q(c: RGB(255, 0, 0), i256: 196, i16: 9),
        Q(c: RGB(0, 255, 0), i256: 46, i16: 10),
        Q(c: RGB(0, 0, 255), i256: 21, i16: 4),
        Q(c: RGB(255, 255, 255), i256: 231, i16: 15),
        Q(c: RGB(0, 0, 0), i256: 16, i16: 0),
        Q(c: RGB(255, 255, 0), i256: 226, i16: 11),
        Q(c: RGB(0, 255, 255), i256: 51, i16: 14),
        Q(c: RGB(255, 0, 255), i256: 201, i16: 13),
        Q(c: RGB(128, 128, 128), i256: 244, i16: 8),
        Q(c: RGB(95, 135, 175), i256: 67, i16: 8),
    ])
    func pureColoursQuantiseToTheirPaletteEntries(q: Q) {
        #expect(Palette.nearest256(q.c) == q.i256)
        #expect(Palette.nearest16(q.c) == q.i16)
    }

    @Test func paletteIndicesRoundTrip() {
        // Every cube and grey entry is its own nearest colour.
        for i in 16...255 {
            let c = Palette.rgb(ofIndex: UInt8(i))
            #expect(Palette.rgb(ofIndex: Palette.nearest256(c)) == c, "index \(i)")
        }
    }

    struct Detect: Sendable, CustomTestStringConvertible {
        let colorterm: String?, rgb: Bool, colors: Int, want: ColorMode
        var testDescription: String { "COLORTERM=\(colorterm ?? "-") RGB=\(rgb) colors=\(colors)" }
    }

    @Test(arguments: [
        Detect(colorterm: "truecolor", rgb: false, colors: 8, want: .truecolor),
        Detect(colorterm: "24bit", rgb: false, colors: 256, want: .truecolor),
        Detect(colorterm: nil, rgb: true, colors: 16_777_216, want: .truecolor),
        Detect(colorterm: nil, rgb: false, colors: 256, want: .ansi256),
        Detect(colorterm: "yes", rgb: false, colors: 88, want: .ansi16),
        Detect(colorterm: nil, rgb: false, colors: 8, want: .ansi16),
        Detect(colorterm: nil, rgb: false, colors: 2, want: .mono),
        Detect(colorterm: nil, rgb: false, colors: -1, want: .mono),
    ])
    func autoDetection(d: Detect) {
        var env: [String: String] = [:]
        if let c = d.colorterm { env["COLORTERM"] = c }
        #expect(detectColorMode(environment: env, terminfoRGB: d.rgb, terminfoColors: d.colors) == d.want)
    }

    @Test func hexParsing() {
        #expect(RGB(hex: "#1e1e2e") == RGB(0x1e, 0x1e, 0x2e))
        #expect(RGB(hex: "FFFFFF") == white)
        #expect(RGB(hex: "#fff") == nil)
        #expect(RGB(hex: "#gggggg") == nil)
        #expect(RGB(0x1e, 0x1e, 0x2e).hex == "#1e1e2e")
    }

    @Test func colorChoiceParsing() {
        #expect(ColorChoice("auto") == .auto)
        #expect(ColorChoice("256") == .fixed(.ansi256))
        #expect(ColorChoice("TrueColor") == .fixed(.truecolor))
        #expect(ColorChoice("mono") == .fixed(.mono))
        #expect(ColorChoice("lots") == nil)
    }
}
