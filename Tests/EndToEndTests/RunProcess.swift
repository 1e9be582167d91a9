import Foundation

/// Runs `executable` with exactly `environment` (nothing inherited), in `cwd`: what a user's
/// shell would do, for tests that must control which variables are set and which are not.
func runProcess(_ executable: String, _ args: [String], cwd: String, environment: [String: String]) throws -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    p.environment = environment
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Read stderr on another thread while stdout drains here: either pipe filling up would
    // otherwise block the child forever.
    let errData = ErrorCollector()
    let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile(); errData.done.signal() }
    reader.start()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    errData.done.wait()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: errData.data, as: UTF8.self))
}

private final class ErrorCollector: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

/// This process's environment with HOME replaced and the zwalk variables removed, so a run finds
/// its model the way a fresh user's shell would.
func userEnvironment(home: String, removing: [String] = ["ZWALK_ASSETS", "XDG_DATA_HOME"]) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    for k in removing { env.removeValue(forKey: k) }
    env["HOME"] = home
    return env
}
