import Foundation

/// The committed fixture files (Tests/Fixtures/formats, made by make_fixtures.py there).
enum Fixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/formats").path

    static func path(_ name: String) -> String { dir + "/" + name }
}

/// A fresh scratch directory per test, removed by the caller's defer.
func makeTempDir(_ tag: String = "zwalk-formats") -> String {
    let p = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}

func writeFile(_ bytes: [UInt8], _ path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
