import Foundation
import Testing

/// A file zwalk may not read or write is named with the operation and the reason, not with
/// Foundation's "The operation could not be completed. You don't have permission." As root the
/// binary runs as nobody (setpriv), since root may read and write anything.
@Suite struct FileMessageTests {
    static let assets = repoRoot.appendingPathComponent("assets").path

    func runUnprivileged(_ args: [String]) throws -> RunResult {
        let env = ["HOME": "/tmp", "PATH": "/usr/bin:/bin", "ZWALK_ASSETS": FileMessageTests.assets]
        if geteuid() == 0 {
            return try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", zwalkBinary] + args,
                                  cwd: "/tmp", environment: env)
        }
        return try runProcess(zwalkBinary, args, cwd: "/tmp", environment: env)
    }

    @Test func permissionDeniedSaysThePathAndTheOperation() throws {
        guard geteuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/m.onnx"
        try FileManager.default.copyItem(atPath: FileMessageTests.assets + "/vae_decoder.onnx", toPath: model)
        chmod(model, 0o000)
        chmod(dir, 0o755)
        if geteuid() != 0 { chmod(dir, 0o555) }
        defer { chmod(dir, 0o755) }
        let rows: [([String], String)] = [
            (["info", model], "zwalk info: \(model): cannot read: permission denied"),
            (["grid", "--rows", "1", "--cols", "1", "--out", dir + "/g.png"], "zwalk grid: cannot write \(dir)/g.png: permission denied"),
            (["sample", "--out", dir + "/s.npy"], "zwalk sample: cannot write \(dir)/s.npy: permission denied"),
            (["grid", "--rows", "1", "--cols", "1", "--out", dir + "/sub/g.png"],
             "zwalk grid: cannot write \(dir)/sub: cannot create the folder: permission denied"),
        ]
        for (args, want) in rows {
            let r = try runUnprivileged(args)
            #expect(r.status != 0 && r.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == want, "\(args): \(r.stderr)")
        }
    }
}
