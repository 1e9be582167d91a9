import Foundation
@testable import ZWalkImage

/// Tests/Fixtures/image/ (made by make_fixtures.py there, with Pillow).
let fixtureDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/image").path

func fixture(_ name: String) -> String { fixtureDir + "/" + name }

/// The project's Python venv (Pillow), used as the independent reader of zwalk's PNGs.
let venvPython = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".venv/bin/python").path
let hasVenvPython = FileManager.default.isExecutableFile(atPath: venvPython)

/// A fresh empty directory for one test, removed by the caller's `defer`.
func makeTempDir() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zwalk-image-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    return dir
}

/// A deterministic test image whose every pixel differs from its neighbours.
func patternImage(width: Int, height: Int, channels: Int, seed: Int = 0) -> Image {
    var px = [UInt8](repeating: 0, count: width * height * channels)
    for i in 0..<px.count { px[i] = UInt8(truncatingIfNeeded: (i &* 37) &+ seed &* 11 &+ (i / 7) &* 13) }
    return Image(width: width, height: height, channels: channels, pixels: px)
}

/// The chunks of a PNG byte stream: (type, data).
func pngChunks(_ data: Data) -> [(type: String, data: Data)] {
    let b = [UInt8](data)
    var out: [(String, Data)] = []
    var i = 8
    while i + 12 <= b.count {
        let n = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
        let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
        guard i + 12 + n <= b.count else { break }
        out.append((type, Data(b[(i + 8)..<(i + 8 + n)])))
        i += 12 + n
    }
    return out
}

/// Byte offset of the first chunk of `type` (its length field).
func chunkOffset(_ data: Data, _ type: String) -> Int? {
    let b = [UInt8](data)
    var i = 8
    while i + 12 <= b.count {
        let n = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
        if String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self) == type { return i }
        i += 12 + n
    }
    return nil
}

/// Runs `script` with the venv's Python, `args` after it; returns stdout or throws with stderr.
func runPython(_ script: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: venvPython)
    p.arguments = ["-c", script] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw PythonFailure(message: String(decoding: e, as: UTF8.self))
    }
    return String(decoding: o, as: UTF8.self)
}

struct PythonFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { "python failed: \(message)" }
}
