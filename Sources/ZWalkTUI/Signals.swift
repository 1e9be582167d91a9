// Signals, turned into bytes on a pipe that the UI loop polls beside the keyboard: a handler may
// only do async-signal-safe things, and write(2) is one. The loop then restores the terminal,
// suspends or relayouts in ordinary code.
import Foundation

/// The write end the handlers use; set once before the handlers are installed.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

private func forwardSignal(_ sig: Int32) {
    let saved = errno
    var b = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWriteFD, &b, 1)
    errno = saved
}

/// Byte the worker writes to wake the loop (signal numbers are all below it).
let wakeByte: UInt8 = 0x77

/// The signals the explorer handles itself.
let handledSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT, SIGWINCH]

final class SignalPipe {
    let readFD: Int32
    let writeFD: Int32
    private var previous: [Int32: sigaction] = [:]

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ExplorerError.terminal("cannot create a pipe: \(String(cString: strerror(errno)))") }
        readFD = fds[0]; writeFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    /// Installs the handlers (before ncurses starts, so it leaves these signals to us).
    func install() {
        signalPipeWriteFD = writeFD
        for sig in handledSignals { setHandler(sig) }
        // A parent may have started us with SIGWINCH blocked (the mask is inherited across exec:
        // test runners, some supervisors); then no resize would ever arrive.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGWINCH)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    func setHandler(_ sig: Int32) {
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = forwardSignal
        sigemptyset(&sa.sa_mask)
        sa.sa_flags = SA_RESTART // a resize must not fail a read or a write half-way
        var old = sigaction()
        sigaction(sig, &sa, &old)
        if previous[sig] == nil { previous[sig] = old }
    }

    func setDefault(_ sig: Int32) {
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&sa.sa_mask)
        sigaction(sig, &sa, nil)
    }

    func restore() {
        for (sig, old) in previous {
            var o = old
            sigaction(sig, &o, nil)
        }
        previous.removeAll()
    }

    /// The worker may still finish a job after the terminal closed: the lock keeps it from
    /// writing to a descriptor number that something else may have reused by then.
    private let lock = NSLock()
    private var isClosed = false

    func wake() {
        lock.lock(); defer { lock.unlock() }
        guard !isClosed else { return }
        var b = wakeByte
        _ = write(writeFD, &b, 1)
    }

    /// Everything waiting on the pipe.
    func drain() -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(readFD, &buf, buf.count)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    func close() {
        restore()
        signalPipeWriteFD = -1
        lock.lock(); defer { lock.unlock() }
        guard !isClosed else { return }
        isClosed = true
        _ = Foundation.close(readFD)
        _ = Foundation.close(writeFD)
    }
}

/// Threads other than the UI's leave the terminal signals to it.
func blockTerminalSignals() {
    var set = sigset_t()
    sigemptyset(&set)
    for s in handledSignals { sigaddset(&set, s) }
    pthread_sigmask(SIG_BLOCK, &set, nil)
}
