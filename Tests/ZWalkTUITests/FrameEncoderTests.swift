import Testing
@testable import ZWalkTUI

func esc(_ s: String) -> [UInt8] { Array(s.replacingOccurrences(of: "⎋", with: "\u{1b}").utf8) }

@Suite struct FrameEncoderTests {
    @Test func oneTruecolorCell() {
        var c = Canvas(size: Size(width: 2, height: 1))
        c[1, 0] = Cell("▀", fg: .rgb(red), bg: .rgb(blue))
        var out: [UInt8] = []
        let prev = Canvas(size: Size(width: 2, height: 1))
        #expect(FrameEncoder.encode(c, previous: prev, into: &out) == 1)
        #expect(out == esc("⎋[0m⎋[1;2H⎋[38;2;255;0;0;48;2;0;0;255m▀⎋[0m"))
    }

    @Test func unchangedFrameWritesNothing() {
        var c = Canvas(size: Size(width: 3, height: 2))
        c[0, 0] = Cell("a", fg: .indexed(196))
        var out: [UInt8] = []
        #expect(FrameEncoder.encode(c, previous: c, into: &out) == 0)
        #expect(out.isEmpty)
    }

    @Test func paletteAndDefaultColoursAndAttributes() {
        var c = Canvas(size: Size(width: 4, height: 1))
        c[0, 0] = Cell("a", fg: .indexed(1), bg: .indexed(12))
        c[1, 0] = Cell("b", fg: .indexed(200), bg: .default, attrs: [.bold])
        c[2, 0] = Cell("c", fg: .indexed(200), bg: .default, attrs: [])
        c[3, 0] = Cell("d", fg: .default, bg: .default, attrs: [.reverse])
        var out: [UInt8] = []
        FrameEncoder.encode(c, previous: nil, into: &out)
        #expect(out == esc("⎋[0m⎋[1;1H⎋[31;104ma⎋[1;38;5;200;49mb⎋[0;38;5;200mc⎋[7;39md⎋[0m"))
    }

    @Test func skipsWithinARowByMovingForward() {
        let prev = Canvas(size: Size(width: 10, height: 2))
        var c = prev
        c[1, 1] = Cell("x"); c[7, 1] = Cell("y")
        var out: [UInt8] = []
        FrameEncoder.encode(c, previous: prev, into: &out)
        #expect(out == esc("⎋[0m⎋[2;2Hx⎋[5Cy⎋[0m"))
    }

    @Test func includeFilterAndDirtyRows() {
        var prev = Canvas(size: Size(width: 3, height: 2))
        prev[0, 0] = Cell("i", isImage: true); prev[0, 1] = Cell("j", isImage: true)
        var c = prev
        c[2, 0] = Cell("t")   // not an image cell: excluded
        var out: [UInt8] = []
        #expect(FrameEncoder.encode(c, previous: prev, include: \.isImage, into: &out) == 0)
        #expect(FrameEncoder.encode(c, previous: prev, dirtyRows: [false, true], include: \.isImage, into: &out) == 1)
        #expect(out == esc("⎋[0m⎋[2;1Hj⎋[0m"))
    }

    @Test func lastColumnForcesAnAbsoluteMove() {
        var c = Canvas(size: Size(width: 2, height: 2))
        for y in 0..<2 { for x in 0..<2 { c[x, y] = Cell("o") } }
        var out: [UInt8] = []
        FrameEncoder.encode(c, previous: nil, into: &out)
        #expect(out == esc("⎋[0m⎋[1;1Hoo⎋[2;1Hoo⎋[0m"))
    }

    @Test func sextantsAreFourByteUTF8() {
        var c = Canvas(size: Size(width: 1, height: 1))
        c[0, 0] = Cell("\u{1FB00}")
        var out: [UInt8] = []
        FrameEncoder.encode(c, previous: nil, into: &out)
        #expect(out == esc("⎋[0m⎋[1;1H\u{1FB00}⎋[0m"))
    }

    @Test func toleranceSkipsTinyChangesButNeverDrifts() {
        func canvas(_ v: UInt8) -> Canvas {
            var c = Canvas(size: Size(width: 1, height: 1))
            c[0, 0] = Cell("▀", fg: .rgb(RGB(v, 0, 0)), bg: .rgb(RGB(0, 0, v)), isImage: true)
            return c
        }
        var shown: Canvas? = nil
        var out: [UInt8] = []
        #expect(FrameEncoder.encode(canvas(100), shown: &shown, tolerance: 3, into: &out) == 1)
        #expect(FrameEncoder.encode(canvas(102), shown: &shown, tolerance: 3, into: &out) == 0)
        #expect(shown?[0, 0].fg == .rgb(RGB(100, 0, 0)))          // still what is displayed
        // 102 → 104 is a step of 2 from the last frame but 4 from the screen: resent.
        #expect(FrameEncoder.encode(canvas(104), shown: &shown, tolerance: 3, into: &out) == 1)
        #expect(shown?[0, 0].fg == .rgb(RGB(104, 0, 0)))
        #expect(FrameEncoder.encode(canvas(105), shown: &shown, tolerance: 0, into: &out) == 1)
        // A changed glyph is always sent.
        var g = canvas(105); g[0, 0].scalar = "▄"
        #expect(FrameEncoder.encode(g, shown: &shown, tolerance: 3, into: &out) == 1)
    }
}
