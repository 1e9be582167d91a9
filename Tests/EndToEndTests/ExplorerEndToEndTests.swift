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

    /// `wrap`: run `command` in a shell that prints its exit status and stays (see below);
    /// without it, `command` is the pane's program itself (an interactive shell, say).
    init(width: Int, height: Int, command: String, cwd: String, wrap: Bool = true) throws {
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
        // Each session keeps its explorer's workbench (bookmarks, the last latent) in its own
        // folder: a run must not start where another test's run left off.
        var env = TmuxSession.environment
        env["XDG_STATE_HOME"] = cwd + "/state"
        server.environment = env
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // The socket appears when the server is ready.
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(20_000) }
        // The shell stays after the program exits and prints its status on the screen it left,
        // which is how a person sees both.
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "-c", cwd,
                  wrap ? "\(command); echo exit=$?; sleep 600" : command])
    }

    /// The program's pid (the pane runs a shell around it).
    func programPID() throws -> pid_t? {
        let shell = try pane("#{pane_pid}")
        let children = try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        return children?.split(separator: " ").first.flatMap { pid_t($0) }
    }

    /// A tmux format evaluated for the pane, e.g. `#{pane_mode}`, `#{alternate_on}`.
    func pane(_ format: String) throws -> String {
        try tmux(["display", "-p", "-t", name, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pane's mode ("" when keys go to the program; "view-mode" or "copy-mode" swallow them).
    func paneMode() throws -> String { try pane("#{pane_mode}") }

    /// The program's exit status once it has exited, as the shell printed it; nil on timeout.
    func exitStatus(timeout: Double = 10) throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for line in try screen().split(separator: "\n") where line.hasPrefix("exit=") {
                return Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces))
            }
            usleep(50_000)
        }
        return nil
    }

    /// What a person is left with after the program exits: the normal screen, the cursor shown.
    func terminalRestored() throws -> Bool {
        try pane("#{alternate_on}") == "0" && pane("#{cursor_flag}") == "1"
    }

    /// A mouse event at a 0-based cell, in the X10 encoding a TERM of tmux-256color asks for
    /// (button 0 press, 3 release, 64 wheel up, 65 wheel down).
    func mouse(button: Int, x: Int, y: Int) throws {
        let bytes = [27, 91, 77, 32 + button, 33 + x, 33 + y].map { Character(UnicodeScalar(UInt8($0))) }
        try tmux(["send-keys", "-t", name, "-l", String(bytes)])
    }

    func resize(_ width: Int, _ height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
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

    /// Polls the screen until `condition` holds (the decode runs off the UI thread). The timeout
    /// only bounds a failure: a loaded CI machine (tests in parallel, a fresh build) has made a
    /// screen that normally takes a second take more than 20.
    func waitFor(_ what: String, timeout: Double = 45, _ condition: (String) -> Bool) throws -> String {
        try waitFor(what, timeout: timeout, recordTimeout: true, condition) ?? ""
    }

    /// As above; nil on timeout, recorded as a test issue only when `recordTimeout`.
    func waitFor(_ what: String, timeout: Double, recordTimeout: Bool, _ condition: (String) -> Bool) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(100_000)
        }
        guard recordTimeout else { return nil }
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

    /// The picture's height in rows as the explorer last drew it (its UI trace, which `start`
    /// turns on): at 256 colours a flat area is drawn as coloured spaces, so counting ▀ rows on
    /// the captured text says nothing about the layout.
    func pictureHeight(_ dir: String) -> Int {
        guard let trace = try? String(contentsOfFile: dir + "/ui.trace", encoding: .utf8),
              let last = trace.split(separator: "\n").last(where: { $0.contains(" image=") }),
              let field = last.split(separator: " ").first(where: { $0.hasPrefix("image=") }) else { return 0 }
        let parts = field.dropFirst(6).split(separator: ",")
        return parts.count == 4 ? Int(parts[3]) ?? 0 : 0
    }

    /// zwalk on the shipped model in a fresh tmux session, once its first frame is up.
    func start(_ dir: String, width: Int = 100, height: Int = 30, _ extra: String = "",
               directions: String = "per-axis") throws -> TmuxSession {
        let tmux = try TmuxSession(width: width, height: height,
                                   command: "ZWALK_UI_TRACE=\(dir)/ui.trace \(zwalkBinary) \(model) \(extra.contains("--color") ? "" : "--color 256") --export-dir \(dir) \(extra)", cwd: dir)
        // The first frame, and the ranked direction set in place: steps taken before it lands
        // are kept in the base latent, but their coefficients would start again from 0.00σ.
        _ = try tmux.waitFor("the first frame and the ranked directions", timeout: 60) {
            $0.contains("vae_decoder.onnx") && $0.contains("ms") && $0.contains("▀") && $0.contains("0.00σ")
                && $0.contains("directions: \(directions)")
        }
        #expect(try tmux.paneMode() == "", "the pane is in a tmux mode: keys would not reach zwalk")
        return tmux
    }

    @Test func startsStepsExportsResizesAndQuits() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir)
        defer { tmux.close() }

        // It starts on the shipped model and shows an image made of block characters, in colour.
        let first = try tmux.screen()
        #expect(pictureHeight(dir) >= 20 && !imageRows(first).isEmpty, "picture rows: \(pictureHeight(dir))")
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
            #expect(written.contains(png), "the status line does not name the file written")
            let (image, text) = try PNGCodec.read(path: dir + "/" + png)
            let latent = try #require(try PNGMetadata(text: text).latents()?.first)
            #expect(text[PNGMetadata.Key.modelSHA256] == (try SHA256.hash(file: model)))
            let gm = try GenerativeModel(model: try ONNXLoader.load(path: model))
            let again = try Image.fromBatch(try gm.decode(latent), index: 0, range: gm.description.outputRange)
            #expect(again.width == image.width && again.height == image.height)
            #expect(again.toRGB().pixels == image.toRGB().pixels, "the metadata latent decodes to another picture")
        }

        // Resizing to 40×12 and back keeps it alive and laid out.
        try tmux.resize(40, 12)
        // The compact layout: the picture, a status line with the walk's position, the hint bar.
        let small = try tmux.waitFor("the 40×12 layout") { s in
            let lines = s.split(separator: "\n")
            return lines.count <= 12 && s.contains("▀") && s.contains("+1.00σ") && s.contains("q quit")
        }
        #expect(pictureHeight(dir) >= 5, "40×12 screen:\n\(small)")
        #expect(small.split(separator: "\n").allSatisfy { $0.count <= 40 }, "a line wider than the terminal")
        try tmux.resize(100, 30)
        let big = try tmux.waitFor("the 100×30 layout with the directions panel and the picture") {
            $0.contains("Directions") && $0.contains("j/k") && $0.contains("▀")
        }
        #expect(pictureHeight(dir) >= 20, "100×30 screen:\n\(big)")

        // `q` exits with status 0 and gives the terminal back.
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
        #expect(try tmux.terminalRestored(), "left on the alternate screen or with the cursor hidden")
    }

    @Test func survivesTerminalsDownToOneCell() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir)
        defer { tmux.close() }
        for (w, h) in [(1, 1), (2, 1), (1, 5), (12, 3), (79, 23), (20, 60), (200, 60)] {
            try tmux.resize(w, h)
            try tmux.keys("l")       // a key (and a decode) at every size
            usleep(300_000)
            #expect(try tmux.programPID() != nil, "zwalk died at \(w)×\(h)")
            let lines = try tmux.screen().split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.allSatisfy { $0.count <= w }, "a line wider than \(w) at \(w)×\(h)")
        }
        try tmux.resize(100, 30)
        // The whole picture, not only the panel: the redraw after a resize can land in two frames.
        let back = try tmux.waitFor("the full layout again") {
            $0.contains("Directions") && $0.contains("seed") && !self.imageRows($0).isEmpty && self.pictureHeight(dir) >= 20
        }
        #expect(pictureHeight(dir) >= 20 && !imageRows(back).isEmpty)
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }

    @Test func helpCommandLineAndSeedKeysWork() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir)
        defer { tmux.close() }

        // `?` shows the help generated from the key table; any key closes it.
        try tmux.keys("?")
        let help = try tmux.waitFor("the help overlay") { $0.contains("keys · ") && $0.contains("Walking") }
        #expect(help.contains("export") && help.contains("undo"), "help:\n\(help)")
        // Esc acts at once: ncurses waits ESCDELAY (1 s by default) for the rest of an escape
        // sequence; zwalk lowers it to 25 ms.
        let escaped = Date()
        try tmux.keys("Escape")
        _ = try tmux.waitFor("the help to close") { !$0.contains("keys · ") }
        #expect(Date().timeIntervalSince(escaped) < 0.8, "Esc took \(Date().timeIntervalSince(escaped)) s")

        // `:seed 42` and `:export` from the command line; the status line says what happened.
        try tmux.keys(":", "seed 42", "Enter")
        _ = try tmux.waitFor("seed 42 in the status line") { $0.contains("seed 42") }
        try tmux.keys(":", "export mine.png", "Enter")
        _ = try tmux.waitFor("the export message") { $0.contains("mine.png") }
        #expect(FileManager.default.fileExists(atPath: dir + "/mine.png"))
        // Exporting to the same name again does not overwrite it silently.
        let firstBytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/mine.png"))
        try tmux.keys("r")
        _ = try tmux.waitFor("seed 43") { $0.contains("seed 43") }
        try tmux.keys(":", "export mine.png", "Enter")
        _ = try tmux.waitFor("a refusal to overwrite") { $0.contains("not overwritten") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/mine.png")) == firstBytes)

        // `u` takes the new seed back.
        try tmux.keys("u")
        _ = try tmux.waitFor("seed 42 again after undo") { $0.contains("seed 42") }

        try tmux.keys(":", "q", "Enter")
        #expect(try tmux.exitStatus() == 0)
    }

    @Test func truecolorBlockStylesAndThemesSwitchLive() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir, width: 120, height: 36, "--color truecolor")
        defer { tmux.close() }
        #expect(try tmux.screen(escapes: true).contains("38;2;"), "no 24-bit colour on screen")

        // `b` cycles half → quadrant → sextant: the status line names the style and the picture
        // uses its characters (quadrants U+2596…U+259F, sextants U+1FB00…U+1FB3B).
        let quadrantChars = (0x2596...0x259F).compactMap(UnicodeScalar.init).map(Character.init)
        let sextantChars = (0x1FB00...0x1FB3B).compactMap(UnicodeScalar.init).map(Character.init)
        try tmux.keys("b")
        let quad = try tmux.waitFor("quadrant blocks") { $0.contains("quadrant") }
        #expect(quad.contains { quadrantChars.contains($0) }, "no quadrant characters in the picture")
        try tmux.keys("b")
        let sext = try tmux.waitFor("sextant blocks") { $0.contains("sextant") }
        #expect(sext.contains { sextantChars.contains($0) }, "no sextant characters in the picture")

        // `:theme light` repaints the panels in the light theme's colours: the top row (picture
        // and the panel's border, no message there) changes its escapes.
        func topRow() throws -> String { String(try tmux.screen(escapes: true).split(separator: "\n").first ?? "") }
        let darkTop = try topRow()
        try tmux.keys(":", "theme light", "Enter")
        _ = try tmux.waitFor("the theme message") { $0.contains("light") }
        usleep(300_000)
        #expect(try topRow() != darkTop, "the panel border kept its colours")
        try tmux.keys(":", "theme no-such-theme", "Enter")
        _ = try tmux.waitFor("a warning about the unknown theme") { $0.contains("no-such-theme") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }

    @Test func clickingADirectionSelectsItAndTheWheelStepsIt() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir)
        defer { tmux.close() }
        // The third row of the directions panel.
        let lines = try tmux.screen().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let rows = lines.indices.filter { lines[$0].contains("0.00σ") }
        #expect(rows.count >= 3)
        let y = rows[2]
        let x = lines[y].distance(from: lines[y].startIndex, to: lines[y].firstIndex(of: "│")!) + 3
        #expect(!lines[y].contains("▸"))
        try tmux.mouse(button: 0, x: x, y: y)
        try tmux.mouse(button: 3, x: x, y: y)
        let selected = try tmux.waitFor("the clicked row selected") { $0.split(separator: "\n", omittingEmptySubsequences: false)[y].contains("▸") }
        #expect(selected.split(separator: "\n", omittingEmptySubsequences: false)[rows[0]].contains("▸") == false)
        try tmux.mouse(button: 64, x: x, y: y)
        _ = try tmux.waitFor("a wheel step on that row") { $0.split(separator: "\n", omittingEmptySubsequences: false)[y].contains("+0.25σ") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }

    @Test func ctrlZSuspendsToTheShellAndFgResumes() throws {
        let dir = try temporaryDirectory()
        // An interactive shell with job control, as a person has.
        let tmux = try TmuxSession(width: 100, height: 30, command: "env -i TERM=xterm-256color HOME=\(dir) PS1='shell$ ' bash --norc -i",
                                   cwd: dir, wrap: false)
        defer { tmux.close() }
        _ = try tmux.waitFor("the shell prompt") { $0.contains("shell$") }
        try tmux.keys("\(zwalkBinary) \(model) --color 256", "Enter")
        _ = try tmux.waitFor("the first frame and the ranked directions") {
            $0.contains("0.00σ") && $0.contains("q quit") && $0.contains("directions: per-axis")
        }

        func atPrompt(_ screen: String) -> Bool { screen.split(separator: "\n").last?.hasPrefix("shell$") == true }
        try tmux.keys("C-z")
        _ = try tmux.waitFor("the shell's job report and prompt") { $0.contains("Stopped") && atPrompt($0) }
        #expect(try tmux.terminalRestored(), "suspended with the alternate screen on or the cursor hidden")

        // bash may discard input typed while it takes the terminal back from a stopped job, so
        // `fg` is typed again if the first one was lost.
        var resumed = false
        for _ in 0..<3 where !resumed {
            try tmux.keys("fg", "Enter")
            resumed = try tmux.waitFor("the explorer again", timeout: 5, recordTimeout: false) {
                $0.contains("0.00σ") && $0.contains("q quit")
            } != nil
        }
        #expect(resumed, "fg did not bring the explorer back:\n\((try? tmux.screen()) ?? "")")
        try tmux.keys("l")
        _ = try tmux.waitFor("a step after resuming") { $0.contains("+0.25σ") }
        try tmux.keys("q")
        _ = try tmux.waitFor("the prompt after quitting", atPrompt)
        var reported = false
        for _ in 0..<3 where !reported {
            try tmux.keys("echo status=$?", "Enter")
            reported = try tmux.waitFor("exit status 0", timeout: 5, recordTimeout: false) { $0.contains("status=0") } != nil
        }
        #expect(reported, "no exit status 0:\n\((try? tmux.screen()) ?? "")")
    }

    @Test(arguments: [("C-c", Int32(130)), ("SIGTERM", Int32(143)), ("SIGHUP", Int32(129))])
    func signalsRestoreTheTerminal(how: String, status: Int32) throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir)
        defer { tmux.close() }
        try tmux.keys("l")
        if how == "C-c" {
            try tmux.keys("C-c")
        } else {
            let pid = try #require(try tmux.programPID())
            kill(pid, how == "SIGTERM" ? SIGTERM : SIGHUP)
        }
        #expect(try tmux.exitStatus() == status)
        #expect(try tmux.terminalRestored(), "left on the alternate screen or with the cursor hidden after \(how)")
    }

    @Test func anUnknownTerminalTypeGetsOneClearLine() throws {
        let dir = try temporaryDirectory()
        let tmux = try TmuxSession(width: 100, height: 30, command: "TERM=no-such-terminal \(zwalkBinary) \(model)", cwd: dir)
        defer { tmux.close() }
        #expect(try tmux.exitStatus() == 1)
        let screen = try tmux.screen()
        #expect(screen.contains("'no-such-terminal' (TERM) is unknown") && screen.contains("zwalk grid"), "\(screen)")
        #expect(!screen.contains("Error opening terminal"), "ncurses' own exit leaked through")
    }

    @Test func withoutATerminalItSaysSoAndPointsToTheHeadlessCommands() throws {
        let r = try zwalk([model])
        #expect(r.status == 1)
        #expect(r.stderr.contains("needs a terminal") && r.stderr.contains("zwalk grid"), "\(r.stderr)")
        #expect(!r.stderr.contains("Error opening terminal"), "ncurses' own exit leaked through")
    }
}
