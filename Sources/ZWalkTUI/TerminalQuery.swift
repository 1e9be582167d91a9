// Asking the terminal what it can draw, before ncurses takes it: the queries of
// TerminalReplies.queries are written and the replies read with the terminal in raw mode for a
// short while, and tmux, when we run inside it, is asked about the terminal around it.
import Foundation

enum TerminalQuery {
    /// How long a terminal may take to answer. A local terminal answers in well under a
    /// millisecond and one over SSH in a round trip; one that answers nothing costs this once.
    static let timeoutMs = 200

    /// Writes the queries and reads until the DA1 reply or the timeout; nil when nothing usable
    /// came back (a terminal that answers nothing). stdin and stdout must be a terminal.
    static func ask(timeoutMs: Int = timeoutMs) -> TerminalReplies? {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(0, TCSANOW, &raw) == 0 else { return nil }
        defer { tcsetattr(0, TCSANOW, &saved) }
        let queries = TerminalReplies.queries
        _ = queries.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        var got: [UInt8] = []
        let deadline = monotonicMs() + timeoutMs
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !TerminalReplies.complete(got) {
            let left = deadline - monotonicMs()
            if left <= 0 { break }
            var fd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            guard poll(&fd, 1, Int32(left)) > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            got += buffer[0..<n]
        }
        return TerminalReplies.complete(got) ? TerminalReplies.parse(got) : nil
    }

    /// The size of one cell in pixels as the kernel knows it (terminals that report their pixel
    /// size set it), nil when it is not known.
    static func cellPixels() -> Size? {
        var ws = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0, ws.ws_xpixel > 0, ws.ws_ypixel > 0 else { return nil }
        return Size(width: Int(ws.ws_xpixel) / Int(ws.ws_col), height: Int(ws.ws_ypixel) / Int(ws.ws_row))
    }

    /// Inside tmux ($TMUX set): whether passthrough is on and what tmux knows of the terminal it
    /// runs in. nil outside tmux or when tmux cannot be asked.
    static func tmuxClient(environment: [String: String]) -> TmuxClient? {
        guard environment["TMUX"] != nil else { return nil }
        guard let names = run(["tmux", "display-message", "-p", "#{client_termname} #{client_termtype}"]) else { return nil }
        let passthrough = run(["tmux", "show-options", "-gv", "allow-passthrough"]) ?? "off"
        return TmuxClient(passthrough: ["on", "all"].contains(passthrough.trimmingCharacters(in: .whitespacesAndNewlines)),
                          terminal: names.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func run(_ argv: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    private static func monotonicMs() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
    }
}

/// Decides how the explorer draws its picture on this terminal, asking it when that is needed.
func detectGraphics(_ choice: GraphicsChoice, environment: [String: String]) -> GraphicsDecision {
    // Blocks asked for, or no terminal (the explorer then stops with its own message): no questions.
    if case .fixed(.blocks) = choice { return GraphicsDecision(proto: .blocks) }
    guard isatty(0) == 1, isatty(1) == 1 else { return GraphicsDecision(proto: .blocks) }
    // Inside a tmux that cannot be asked (no client attached): as if it could not pass pictures.
    let tmux = environment["TMUX"] == nil ? nil
        : TerminalQuery.tmuxClient(environment: environment) ?? TmuxClient(passthrough: false, terminal: "")
    // tmux answers the queries itself, saying nothing of the terminal around it; GNU screen too.
    let replies = tmux == nil && environment["STY"] == nil ? TerminalQuery.ask() : nil
    return chooseGraphics(choice, replies: replies, environment: environment, tmux: tmux,
                          cellPixels: TerminalQuery.cellPixels() ?? replies?.cellPixels)
}
