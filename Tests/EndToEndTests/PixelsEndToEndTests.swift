import Foundation
import Testing

/// The picture in real pixels, in a real sixel terminal: xterm -ti vt340 on a virtual X server,
/// screenshot and compared with the decoded image by tools/xterm_pixels.py. And inside tmux,
/// which passes no pictures by default: blocks, and the user is told why.
@Suite(.serialized) struct PixelsEndToEndTests {
    func measure(_ extra: [String]) throws -> [String: Any] {
        let dir = try temporaryDirectory()
        let tool = repoRoot.appendingPathComponent("tools/xterm_pixels.py").path
        let r = try runProcess(TmuxSession.python, [tool, "--zwalk", zwalkBinary] + extra, cwd: dir,
                               environment: ProcessInfo.processInfo.environment)
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(r.stdout)")
    }

    @Test func xtermDrawsTheFaceInSixelPixels() throws {
        // auto: zwalk asks the terminal (DA1 says 4: sixel) and sizes the picture from its cells.
        let m = try measure(["--graphics", "auto", "--cols", "100", "--rows", "30"])
        #expect(m["graphics"] as? String == "sixel")
        // Each decoded pixel a square: only the 256-colour palette's rounding is lost.
        #expect((m["psnr_db"] as? Double ?? 0) >= 35, "\(m)")
        let px = m["picture_px"] as? [Int] ?? []
        #expect(px.count == 4 && px[2] >= 256 && px[2] % 64 == 0, "a whole multiple of the 64-pixel face: \(px)")
        #expect(m["text_visible"] as? Bool == true, "the panel beside the picture")
        #expect(m["cleared_after_exit"] as? Bool == true, "the picture outlived the explorer")
        #expect(m["exit"] as? String == "exited 143", "SIGTERM ends the explorer as 128 + 15")
    }
}

extension ExplorerEndToEndTests {
    @Test func insideTmuxWithoutPassthroughPixelsFallBackToBlocksAndSaySo() throws {
        let dir = try temporaryDirectory()
        let tmux = try TmuxSession(width: 100, height: 30,
                                   command: "ZWALK_UI_TRACE=\(dir)/ui.trace \(zwalkBinary) \(model) --graphics sixel --no-workbench", cwd: dir)
        defer { tmux.close() }
        let screen = try tmux.waitFor("the picture and the note", timeout: 60) { $0.contains("▀") && $0.contains("allow-passthrough") }
        #expect(screen.contains("tmux passes no pictures: blocks"))
        let trace = try String(contentsOfFile: dir + "/ui.trace", encoding: .utf8)
        #expect(trace.contains("graphics=blocks") && !trace.contains("picture_px"))
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }
}
