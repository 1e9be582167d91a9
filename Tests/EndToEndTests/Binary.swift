import Foundation
import Testing

/// Runs the real `zwalk` executable: $ZWALK_BIN (set by `make test`) or the one SwiftPM built
/// beside this test bundle.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let zwalkBinary: String = {
    if let p = ProcessInfo.processInfo.environment["ZWALK_BIN"], FileManager.default.isExecutableFile(atPath: p) { return p }
    var dir = Bundle.main.bundleURL
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("zwalk").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir.deleteLastPathComponent()
    }
    return repoRoot.appendingPathComponent(".build/release/zwalk").path
}()

struct RunResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

@discardableResult
func zwalk(_ args: [String], cwd: String? = nil, environment extra: [String: String] = [:],
           unsetting removed: Set<String> = []) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: zwalkBinary)
    p.arguments = args
    if !extra.isEmpty || !removed.isEmpty {
        p.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }.filter { !removed.contains($0.key) }
    }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Read before waiting so a large output cannot fill the pipe and deadlock.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zwalk-e2e-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
