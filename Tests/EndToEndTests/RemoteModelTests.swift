import Foundation
import Testing
import ZWalkFormats
import ZWalkImage

/// An Open Inference Protocol server from PyPI (KServe's Python model server, tools/oip_server.py)
/// serving the shipped decoder through onnxruntime on 127.0.0.1, or a plain HTTP server answering
/// garbage; killed with SIGKILL (a crash, not a polite stop) and started again on the same port.
final class OIPServer {
    let port: Int
    let name: String
    let garbage: Bool
    private var process: Process?
    private let log: String

    init(name: String = "sprites", garbage: Bool = false, dir: String) throws {
        port = try OIPServer.freePort()
        self.name = name
        self.garbage = garbage
        log = dir + "/oip-server-\(port).log"
        try start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TmuxSession.python)
        p.arguments = [repoRoot.appendingPathComponent("tools/oip_server.py").path, "--port", "\(port)", "--name", name]
            + (garbage ? ["--garbage"] : ["--onnx", repoRoot.appendingPathComponent("assets/vae_decoder.onnx").path])
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        out.seekToEndOfFile()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        // Ready when /v2/health/ready (or, for garbage, anything) answers 200.
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            guard p.isRunning else { break }
            if OIPServer.status(url + "/v2/health/ready") == 200 { return }
            usleep(200_000)
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        stop()
        throw TestFailure("the Open Inference Protocol server did not start on port \(port) (is kserve in the test venv? make test installs tools/requirements-test.txt); its log:\n\(text.suffix(2000))")
    }

    /// SIGKILL: the server vanishes mid-session, connections dropped.
    func stop() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    deinit { stop() }

    /// The HTTP status of a GET, or 0 when nothing answers (Python's urllib: nothing more to install).
    static func status(_ url: String) -> Int {
        let script = """
            import sys, urllib.request, urllib.error
            try: print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
            except urllib.error.HTTPError as e: print(e.code)
            except Exception: print(0)
            """
        let r = try? runProcess(TmuxSession.python, ["-c", script, url], cwd: "/", environment: ["PATH": "/usr/bin:/bin"])
        return Int(r?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    }

    /// A port nothing listens on now: the kernel's choice for a socket bound to port 0.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// `--server URL --model NAME`: the same commands and the same explorer on a decoder an inference
/// server runs, checked against the local decode of the same model.
@Suite(.serialized) struct RemoteModelTests {
    static let assets = repoRoot.appendingPathComponent("assets").path

    func pixels(_ path: String) throws -> [UInt8] { try PNGCodec.read(path: path).image.toRGB().pixels }

    @Test func headlessCommandsWriteWhatTheLocalDecodeWrites() throws {
        let dir = try temporaryDirectory()
        let server = try OIPServer(dir: dir)
        let remote = ["--server", server.url, "--model", "sprites"]
        let env = ["ZWALK_ASSETS": Self.assets]
        for (name, args) in [
            ("grid", ["grid", "--rows", "3", "--cols", "4"]),
            ("traverse", ["traverse", "--dims", "0,2", "--steps", "5"]),
            ("interpolate", ["interpolate", "--seeds", "1,2,3", "--steps", "6"]),
        ] {
            let r = try zwalk(args + remote + ["--out", "\(dir)/\(name)-remote.png"], cwd: dir, environment: env)
            #expect(r.status == 0, "\(args) over the server: \(r.stderr)")
            let l = try zwalk(args + ["--model", "sprites", "--out", "\(dir)/\(name)-local.png"], cwd: dir, environment: env)
            #expect(l.status == 0, "\(args) locally: \(l.stderr)")
            let a = try pixels("\(dir)/\(name)-remote.png"), b = try pixels("\(dir)/\(name)-local.png")
            #expect(a.count == b.count && a.count > 0)
            // onnxruntime on the server and zwalk's engine here round the same floats to bytes;
            // a value on a rounding edge may land one level apart, nothing more.
            let worst = zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 255
            let differing = zip(a, b).filter { $0 != $1 }.count
            #expect(worst <= 1 && differing * 1000 <= a.count, "\(name): \(differing) of \(a.count) bytes differ, by up to \(worst)")
        }
        // The raw outputs, batched as the server takes them, against the local ones.
        let latents = dir + "/z.npy"
        #expect(try zwalk(["sample", "--model", "sprites", "--seeds", "0-99", "--out", dir + "/s.npy", "--latents-out", latents], cwd: dir, environment: env).status == 0)
        let r = try zwalk(["decode", "--latents", latents, "--out", dir + "/remote.npy"] + remote, cwd: dir, environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try zwalk(["decode", "--model", "sprites", "--latents", latents, "--out", dir + "/local.npy"], cwd: dir, environment: env).status == 0)
        let a = try NPY.read(path: dir + "/remote.npy"), b = try NPY.read(path: dir + "/local.npy")
        #expect(a.shape == [100, 3, 64, 64] && a.shape == b.shape)
        let worst = zip(a.floatArray, b.floatArray).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "the served decode differs from the local one by up to \(worst)")

        // info reads the server's metadata; SeFa needs weights and says so; axis directions work.
        let info = try zwalk(["info"] + remote, cwd: dir)
        #expect(info.status == 0 && info.stdout.contains("input        z [-1, 10] FP32") && info.stdout.contains("latent       [10]"), "\(info.stdout)\(info.stderr)")
        let sefa = try zwalk(["directions", "--method", "sefa", "--out", dir + "/d.npy"] + remote, cwd: dir)
        #expect(sefa.status != 0 && sefa.stderr.contains("SeFa reads the first layer's weights") && sefa.stderr.contains("served by"), "\(sefa.stderr)")
        let axis = try zwalk(["directions", "--method", "axis", "--samples", "8", "--out", dir + "/axis.npy"] + remote, cwd: dir)
        #expect(axis.status == 0, "\(axis.stderr)")
    }

    @Test func eachWrongServerGetsOneClearLine() throws {
        let dir = try temporaryDirectory()
        let server = try OIPServer(dir: dir)
        let garbage = try OIPServer(garbage: true, dir: dir)
        let closed = try OIPServer.freePort()
        for (args, want) in [
            (["--server", "http://127.0.0.1:\(closed)", "--model", "sprites"], "cannot reach the inference server at http://127.0.0.1:\(closed)/v2/health/ready: connection refused"),
            (["--server", server.url, "--model", "faces"], "the inference server at \(server.url) has no model 'faces'"),
            (["--server", garbage.url, "--model", "sprites"], "is not an Open Inference Protocol reply: the model metadata is not a JSON object"),
            (["--server", server.url], "--server needs --model NAME"),
        ] {
            let r = try zwalk(["grid", "--out", dir + "/g.png"] + args, cwd: dir)
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status != 0 && lines.count == 1 && r.stderr.contains(want), "\(args): status \(r.status), stderr:\n\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/g.png"))
        }
    }

    @Test func theExplorerWalksAServedModelAndRecoversWhenItsServerComesBack() throws {
        let dir = try temporaryDirectory()
        let server = try OIPServer(dir: dir)
        let tmux = try TmuxSession(width: 100, height: 30, command: "ZWALK_UI_TRACE=\(dir)/ui.trace \(zwalkBinary) --server \(server.url) --model sprites --color 256 --export-dir \(dir)", cwd: dir)
        defer { tmux.close() }
        let first = try tmux.waitFor("the first frame of the served model", timeout: 60) {
            $0.contains("sprites@127.0.0.1:\(server.port)") && $0.contains(" ms") && $0.contains("0.00σ") && $0.contains("directions: per-axis")
        }
        #expect(first.contains("▀"), "\(first)")
        // Walking asks the server for each frame.
        let before = try tmux.screen(escapes: true)
        try tmux.keys("l", "l")
        _ = try tmux.waitFor("the walked frame") { $0.contains("+0.50σ") }
        _ = try tmux.waitFor("a new picture", timeout: 10, recordTimeout: true) { _ in (try? tmux.screen(escapes: true)) != before }
        let trace = try String(contentsOfFile: dir + "/ui.trace", encoding: .utf8)
        #expect(trace.contains("key_to_frame_ms="), "no frame timed in the trace")

        // The server dies: the next step says so on the status line, and the explorer lives on.
        server.stop()
        try tmux.keys("l")
        let failed = try tmux.waitFor("the failure on the status line") { $0.contains("decode failed") && $0.contains("cannot reach") }
        #expect(failed.contains("trying again"), "\(failed)")
        try tmux.keys("j")
        #expect(try tmux.programPID() != nil, "the explorer exited when its server went away")
        // Back again: the explorer asks by itself and shows the frame it could not get.
        try server.start()
        _ = try tmux.waitFor("decoding again, no key pressed", timeout: 20) { $0.contains("decoding again") }
        try tmux.keys("e")
        _ = try tmux.waitFor("an export of the served model") { $0.contains("wrote ") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
        #expect(try tmux.terminalRestored())
        let png = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("zwalk-") && $0.hasSuffix(".png") }
        let text = try PNGCodec.read(path: dir + "/" + #require(png)).text
        #expect(text[PNGMetadata.Key.command]?.contains("--server \(server.url) --model sprites") == true, "\(text)")
        // The command it records (zwalk decode over the same server) makes the same picture.
        let command = try #require(text[PNGMetadata.Key.command])
        _ = try #require(command.range(of: "--out image.png"), "\(command)")
        let rerun = command.replacingOccurrences(of: "--out image.png", with: "--out again.png")
        let binDir = URL(fileURLWithPath: zwalkBinary).deletingLastPathComponent().path
        let r = try runProcess("/bin/bash", ["-c", rerun], cwd: dir, environment: ["PATH": binDir + ":/usr/bin:/bin", "HOME": dir])
        #expect(r.status == 0, "\(rerun): \(r.stderr)")
        #expect(try pixels(dir + "/again.png") == pixels(dir + "/" + #require(png)), "\(rerun) made other pixels")
    }
}
