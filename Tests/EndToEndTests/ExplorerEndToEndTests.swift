import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

/// The real binary inside tmux, driven by keys and read back with capture-pane, as a person would
/// see it. tmux runs with a private socket, an empty configuration file of its own and a
/// foreground server (`-D`): on machines where /dev/null is not a character device (a container
/// may make it a plain file that anything can write to) the usual daemonising start fails, and
/// `-f /dev/null` would read whatever was last written there as tmux commands: their errors open
/// view mode on the pane, which then swallows every key sent with send-keys.
final class TmuxSession {
    let socket: String
    let name = "zwalk"
    private let server: Process

    init(width: Int, height: Int, command: String, cwd: String) throws {
        socket = cwd + "/tmux.sock"
        let config = cwd + "/tmux.conf"
        try Data().write(to: URL(fileURLWithPath: config))
        server = Process()
        // Start the server with an empty signal mask, as a login shell would: the test runner's
        // threads block signals, and a mask is inherited by every process the server starts.
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [TmuxSession.python, "-c",
                            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); "
                            + "signal.signal(signal.SIGPIPE, signal.SIG_DFL); os.execvp('tmux', sys.argv[1:])",
                            "tmux", "-S", socket, "-D", "-f", config]
        server.environment = TmuxSession.environment
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // The socket appears when the server is ready.
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(20_000) }
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "-c", cwd, command])
    }

    /// The pane's mode ("" when keys go to the program; "view-mode" or "copy-mode" swallow them).
    func paneMode() throws -> String {
        try tmux(["display", "-p", "-t", name, "#{pane_mode}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var python: String { ProcessInfo.processInfo.environment["ZWALK_PYTHON"] ?? "python3" }

    static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "TMUX")
        return env
    }

    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tmux", "-S", socket] + args
        p.environment = TmuxSession.environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func keys(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    /// The screen as text; with `escapes`, with tmux's SGR colour sequences.
    func screen(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p", "-t", name] + (escapes ? ["-e"] : []))
    }

    /// Polls the screen until `condition` holds (the decode runs off the UI thread).
    func waitFor(_ what: String, timeout: Double = 20, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(100_000)
        }
        let mode = (try? paneMode()) ?? "?"
        Issue.record("timed out waiting for \(what) (pane mode: '\(mode)'); the screen was:\n\(last)")
        return last
    }

    /// Stops the server and everything in it; never waits forever (the test runner may have
    /// started it with signals blocked, so escalate to SIGKILL).
    func close() {
        _ = try? tmux(["kill-server"])
        for _ in 0..<50 where server.isRunning { usleep(20_000) }
        if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        server.waitUntilExit()
    }
}

@Suite(.serialized) struct ExplorerEndToEndTests {
    let model = repoRoot.appendingPathComponent("assets/vae_decoder.onnx").path

    func imageRows(_ screen: String) -> [String] {
        screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { $0.contains("▀") }
    }

    @Test func startsStepsExportsResizesAndQuits() throws {
        let dir = try temporaryDirectory()
        let status = dir + "/status"
        let tmux = try TmuxSession(width: 100, height: 30,
                                   command: "\(zwalkBinary) \(model) --color 256 --export-dir \(dir); echo $? > \(status)",
                                   cwd: dir)
        defer { tmux.close() }

        // It starts on the shipped model and shows an image made of block characters, in colour.
        // The first frame, and the direction set ranked (per-axis ranking decodes a few hundred
        // samples in the background; steps pressed before it is ready have nothing to walk).
        let first = try tmux.waitFor("the first frame and the directions panel", timeout: 60) {
            $0.contains("vae_decoder.onnx") && $0.contains("ms") && $0.contains("▀") && $0.contains("0.00σ")
        }
        #expect(imageRows(first).count >= 20, "image rows: \(imageRows(first).count)")
        #expect(try tmux.paneMode() == "", "the pane is in a tmux mode: keys would not reach zwalk")
        let coloured = try tmux.screen(escapes: true)
        #expect(coloured.contains("38;5;") && coloured.contains("48;5;"), "no 256-colour cells on screen")

        // `l` changes the image (the walk moves along the selected direction).
        let before = try tmux.screen(escapes: true)
        try tmux.keys("l", "l", "l", "l")
        let after = try tmux.waitFor("+1.00σ on the selected direction") { $0.contains("+1.00σ") }
        #expect(after.contains("+1.00σ"))
        usleep(500_000)
        #expect(try tmux.screen(escapes: true) != before, "the picture did not change after stepping")

        // `e` writes a PNG whose metadata latent decodes to the same picture.
        try tmux.keys("e")
        let written = try tmux.waitFor("the export message") { $0.contains(".png") }
        let pngs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".png") }
        #expect(pngs.count == 1, "exported files: \(pngs); screen: \(written)")
        if let png = pngs.first {
            let (image, text) = try PNGCodec.read(path: dir + "/" + png)
            let latent = try #require(try PNGMetadata(text: text).latents()?.first)
            #expect(text[PNGMetadata.Key.modelSHA256] == (try SHA256.hash(file: model)))
            let gm = try GenerativeModel(model: try ONNXLoader.load(path: model))
            let again = try Image.fromBatch(try gm.decode(latent), index: 0, range: gm.description.outputRange)
            #expect(again.width == image.width && again.height == image.height)
            #expect(again.toRGB().pixels == image.toRGB().pixels, "the metadata latent decodes to another picture")
        }

        // Resizing to 40×12 and back keeps it alive and laid out.
        try tmux.tmux(["resize-window", "-t", tmux.name, "-x", "40", "-y", "12"])
        // The compact layout: the picture, a status line with the walk's position, the hint bar.
        let small = try tmux.waitFor("the 40×12 layout") { s in
            let lines = s.split(separator: "\n")
            return lines.count <= 12 && s.contains("▀") && s.contains("+1.00σ") && s.contains("q quit")
        }
        #expect(imageRows(small).count >= 5, "40×12 screen:\n\(small)")
        #expect(small.split(separator: "\n").allSatisfy { $0.count <= 40 }, "a line wider than the terminal")
        try tmux.tmux(["resize-window", "-t", tmux.name, "-x", "100", "-y", "30"])
        let big = try tmux.waitFor("the 100×30 layout with the directions panel") { $0.contains("Directions") && $0.contains("j/k") }
        let pane = try tmux.tmux(["display", "-p", "-t", tmux.name, "#{window_width}x#{window_height} #{pane_width}x#{pane_height}"])
        #expect(imageRows(big).count >= 20, "pane: \(pane)")

        // `q` exits with status 0 and gives the terminal back.
        try tmux.keys("q")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: status) { usleep(100_000) }
        let code = try? String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code == "0")
    }

    @Test func withoutATerminalItSaysSoAndPointsToTheHeadlessCommands() throws {
        let r = try zwalk([model])
        #expect(r.status == 1)
        #expect(r.stderr.contains("needs a terminal") && r.stderr.contains("zwalk grid"), "\(r.stderr)")
        #expect(!r.stderr.contains("Error opening terminal"), "ncurses' own exit leaked through")
    }
}
