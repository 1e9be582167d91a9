import Testing
import Foundation
import ZWalkImage
@testable import ZWalkTUI

/// What a terminal answers, how zwalk chooses, and what it sends, decoded independently: kitty's
/// and iTerm2's payloads by base64 and libpng, sixel by libsixel's own decoder (sixel2png).
@Suite struct GraphicsTests {
    static let xtermReplies = esc("⎋[?1;0;256S") + esc("⎋[?2;0;1000;1000S") + Array("x".utf8) + esc("⎋[6;20;10t") + esc("⎋[?63;1;2;4;6;9;15;22c")

    @Test func repliesAreReadOutOfWhatCameBack() {
        let r = TerminalReplies.parse(GraphicsTests.xtermReplies)
        #expect(!r.kittyGraphics)
        #expect(r.deviceAttributes == [63, 1, 2, 4, 6, 9, 15, 22])
        #expect(r.sixelRegisters == 256 && r.sixelGeometry == Size(width: 1000, height: 1000))
        #expect(r.cellPixels == Size(width: 10, height: 20))
        let kitty = TerminalReplies.parse(esc("⎋_Gi=31;OK⎋\\") + esc("⎋[?62;c"))
        #expect(kitty.kittyGraphics && kitty.deviceAttributes == [62, 0])
        // A failed kitty query, and replies cut short: nothing is claimed.
        #expect(!TerminalReplies.parse(esc("⎋_Gi=31;ENOENT:no⎋\\⎋[?62c")).kittyGraphics)
        #expect(!TerminalReplies.complete(esc("⎋[?1;0;256S⎋[6;20;10t")))
        #expect(TerminalReplies.complete(GraphicsTests.xtermReplies))
        #expect(TerminalReplies.parse(esc("⎋[?62;4")) == TerminalReplies())
    }

    @Test func theProtocolComesFromTheRepliesNotTheName() {
        let cell = Size(width: 10, height: 20)
        let xterm = TerminalReplies.parse(GraphicsTests.xtermReplies)
        let sixel = chooseGraphics(.auto, replies: xterm, environment: [:], tmux: nil, cellPixels: cell)
        #expect(sixel.proto == .sixel && sixel.note == nil && sixel.sixelColors == 256 && sixel.cell == cell)
        let kitty = TerminalReplies.parse(esc("⎋_Gi=31;OK⎋\\⎋[?62;4c"))
        #expect(chooseGraphics(.auto, replies: kitty, environment: [:], tmux: nil, cellPixels: cell).proto == .kitty)
        // A VT220 without sixel, and a terminal that answered nothing: blocks, and nothing said.
        let plain = chooseGraphics(.auto, replies: TerminalReplies.parse(esc("⎋[?62;1;6c")), environment: ["TERM": "xterm-kitty"], tmux: nil, cellPixels: cell)
        #expect(plain == GraphicsDecision(proto: .blocks))
        #expect(chooseGraphics(.auto, replies: nil, environment: [:], tmux: nil, cellPixels: cell) == GraphicsDecision(proto: .blocks))
        #expect(chooseGraphics(.auto, replies: TerminalReplies.parse(esc("⎋[?62c")), environment: ["TERM_PROGRAM": "iTerm.app"],
                               tmux: nil, cellPixels: cell).proto == .iterm)
        // Asked for: used without asking, unless the cell size is unknown, which is said.
        #expect(chooseGraphics(.fixed(.kitty), replies: nil, environment: [:], tmux: nil, cellPixels: cell).proto == .kitty)
        let noCell = chooseGraphics(.fixed(.sixel), replies: nil, environment: [:], tmux: nil, cellPixels: nil)
        #expect(noCell.proto == .blocks && noCell.note?.contains("cell size") == true)
        #expect(chooseGraphics(.auto, replies: xterm, environment: [:], tmux: nil, cellPixels: nil) == GraphicsDecision(proto: .blocks))
        #expect(chooseGraphics(.fixed(.blocks), replies: kitty, environment: [:], tmux: nil, cellPixels: cell) == GraphicsDecision(proto: .blocks))
    }

    @Test func insideTmuxPixelsNeedPassthroughAndItIsSaidOnce() {
        let cell = Size(width: 10, height: 20)
        let off = chooseGraphics(.auto, replies: nil, environment: [:], tmux: TmuxClient(passthrough: false, terminal: "xterm-kitty"), cellPixels: cell)
        #expect(off.proto == .blocks && off.note?.contains("allow-passthrough on") == true)
        let on = chooseGraphics(.auto, replies: nil, environment: [:], tmux: TmuxClient(passthrough: true, terminal: "xterm XTerm(379)"), cellPixels: cell)
        #expect(on.proto == .sixel && on.tmuxPassthrough)
        // tmux inside a terminal it cannot name: blocks, quietly (the test sessions are this case).
        #expect(chooseGraphics(.auto, replies: nil, environment: [:], tmux: TmuxClient(passthrough: true, terminal: ""), cellPixels: cell)
                == GraphicsDecision(proto: .blocks))
        #expect(GraphicsEncoder.tmuxPassthrough(esc("⎋_Ga=d⎋\\")) == esc("⎋Ptmux;⎋⎋_Ga=d⎋⎋\\⎋\\"))
    }

    /// A 16×16 picture of 64 colours.
    static let picture = frame(16, 16) { x, y in RGB(UInt8(x / 2 * 32), UInt8(y / 2 * 32), UInt8((x + y) % 2 * 200)) }
    static let canvas: Canvas = {
        var c = Canvas(size: Size(width: 40, height: 12))
        c.graphics = [GraphicPlacement(rect: Rect(x: 3, y: 1, width: 12, height: 8), image: picture, key: 1)]
        return c
    }()

    /// The APC commands of a kitty frame: (control keys, payload) each.
    func kittyCommands(_ bytes: [UInt8]) -> [(control: String, payload: String)] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "\u{1b}_G").dropFirst().map { part in
            let body = part.components(separatedBy: "\u{1b}\\")[0]
            let halves = body.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(halves[0]), halves.count > 1 ? String(halves[1]) : "")
        }
    }

    @Test func kittyFramesDecodeToThePictureAndReplaceEachOther() throws {
        let painter = PixelPainter(proto: .kitty, cell: Size(width: 10, height: 20))
        let bytes = painter.frame(GraphicsTests.canvas) { _ in true }
        // 12×8 cells of 10×20 px hold a square of 120 px, 6 rows, centred: from row 2 (0-based).
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("\u{1b}[3;4H\u{1b}_G"))
        let commands = kittyCommands(bytes)
        let first = try #require(commands.first)
        #expect(first.control.hasPrefix("a=T,f=100,i=\(PixelPainter.kittyIDs[0]),p=1,") && first.control.contains("C=1"))
        #expect(first.control.contains("c=12,r=6"))
        let png = try #require(Data(base64Encoded: commands.map(\.payload).joined()))
        #expect(try PNGCodec.decode(png, source: "kitty payload").image == GraphicsTests.picture)
        // Unchanged: nothing, even where text was written (kitty keeps images above the text).
        #expect(painter.frame(GraphicsTests.canvas) { _ in true }.isEmpty)
        // A new picture goes under the other id, then the old one is deleted.
        var next = GraphicsTests.canvas
        next.graphics[0].key = 2
        let replaced = kittyCommands(painter.frame(next) { _ in false })
        #expect(replaced.first?.control.contains("i=\(PixelPainter.kittyIDs[1]),") == true)
        #expect(replaced.last?.control == "a=d,d=I,i=\(PixelPainter.kittyIDs[0]),q=2")
        // No picture (help is open): deleted; on exit nothing is left.
        #expect(kittyCommands(painter.frame(Canvas(size: Size(width: 40, height: 12))) { _ in false }).map(\.control)
                == ["a=d,d=I,i=\(PixelPainter.kittyIDs[1]),q=2"])
        #expect(painter.forget().isEmpty)
    }

    @Test func largeBase64PayloadsGoInChunksOf4096() {
        let png = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7919) })
        let commands = kittyCommands(GraphicsEncoder.kitty(png: png, id: 5, cells: Size(width: 3, height: 2)))
        #expect(commands.count == 4)
        #expect(commands.dropLast().allSatisfy { $0.payload.utf8.count == 4096 && $0.control.hasSuffix("m=1") })
        #expect(commands.last?.control == "m=0")
        #expect(Data(base64Encoded: commands.map(\.payload).joined()) == png)
    }

    @Test func itermFramesDecodeToThePicture() throws {
        let painter = PixelPainter(proto: .iterm, cell: Size(width: 10, height: 20))
        let text = String(decoding: painter.frame(GraphicsTests.canvas) { _ in true }, as: UTF8.self)
        let body = try #require(text.components(separatedBy: "\u{1b}]1337;File=").last?.dropLast())
        let parts = body.split(separator: ":", maxSplits: 1)
        #expect(parts[0].contains("width=12;height=6;preserveAspectRatio=0"))
        let png = try #require(Data(base64Encoded: String(parts[1])))
        #expect(parts[0].contains("size=\(png.count)"))
        #expect(try PNGCodec.decode(png, source: "iTerm2 payload").image == GraphicsTests.picture)
        #expect(text.hasSuffix("\u{07}"))
    }

    /// libsixel's decoder, from Debian's libsixel-bin.
    func decodeSixel(_ bytes: [UInt8]) throws -> Image {
        let dir = NSTemporaryDirectory() + "zwalk-sixel-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in.six"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sixel2png")
        p.arguments = ["-i", dir + "/in.six", "-o", dir + "/out.png"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return try PNGCodec.read(path: dir + "/out.png").image.toRGB()
    }

    @Test func sixelDecodedByLibsixelIsThePictureEnlargedByAWholeFactor() throws {
        let painter = PixelPainter(proto: .sixel, cell: Size(width: 10, height: 20))
        let bytes = painter.frame(GraphicsTests.canvas) { _ in true }
        // 12×8 cells are 120×160 px: each pixel a 7×7 square (112 px), centred by whole cells.
        #expect(painter.shownPixels(GraphicsTests.canvas.graphics[0]) == Size(width: 112, height: 112))
        #expect(painter.origin(GraphicsTests.canvas.graphics[0]) == Point(x: 3, y: 2))
        let prefix = Array("\u{1b}[3;4H".utf8)
        #expect(Array(bytes.prefix(prefix.count)) == prefix)
        let shown = try decodeSixel(Array(bytes.dropFirst(prefix.count)))
        #expect(shown.width == 112 && shown.height == 112)
        let expected = GraphicsTests.picture.scaled(by: 7)
        // 64 colours fit the palette exactly; sixel states colours in percent (±1.3 levels).
        let worst = zip(shown.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 255
        #expect(worst <= 3, "largest difference \(worst)")
        // Unchanged and untouched: nothing; text written over it: drawn again, the same bytes.
        #expect(painter.frame(GraphicsTests.canvas) { _ in false }.isEmpty)
        #expect(painter.frame(GraphicsTests.canvas) { _ in true } == bytes)
        #expect(painter.forget().isEmpty)
    }

    @Test func aSixelPictureWithManyColoursKeepsItsLikeness() throws {
        // A smooth gradient of 4,096 colours through a 256-colour palette, undithered: 34.8 dB.
        let smooth = frame(64, 64) { x, y in RGB(UInt8(x * 4), UInt8(y * 4), UInt8((x + y) * 2)) }
        let bytes = try SixelEncoder.encode(smooth, scale: 2)
        let shown = try decodeSixel(bytes)
        #expect(shown.width == 128 && shown.height == 128)
        let expected = smooth.scaled(by: 2)
        let mse = zip(shown.pixels, expected.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } / Double(expected.pixels.count)
        let psnr = 10 * log10(255 * 255 / mse)
        #expect(psnr > 33, "PSNR \(psnr) dB")
    }

    @Test func theWalksPictureGoesOutAsPixelsUnlessHelpCoversIt() {
        var s = startedState()
        s.graphics = .sixel
        let size = Size(width: 80, height: 24)
        let c = render(s, size: size)
        let layout = computeLayout(size: size, imageAspect: imageAspect(s))
        #expect(c.graphics.count == 1 && c.graphics[0].rect == layout.image && c.graphics[0].image == s.shown?.frame)
        #expect(!c.cells.contains { $0.isImage }, "the picture's cells are left blank for the pixels")
        #expect(c.lines[22].contains("sixel"))
        // Help is drawn over the picture: no pixels then. A prompt is on the bottom row: they stay.
        s.mode = .help(scroll: 0)
        #expect(render(s, size: size).graphics.isEmpty)
        s.mode = .prompt(.command, text: "se")
        #expect(render(s, size: size).graphics.count == 1)
        // Two rows: the picture would end on the last row, where a sixel would scroll the screen.
        s.mode = .normal
        #expect(render(s, size: Size(width: 20, height: 2)).graphics.isEmpty)
    }
}
