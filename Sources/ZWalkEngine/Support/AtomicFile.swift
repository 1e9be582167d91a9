import Foundation

public enum FileWriteError: Error, CustomStringConvertible, Equatable {
    case exists(String)
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .exists(let p): return "\(p) already exists"
        case .failed(let p, let r): return "cannot write \(p): \(r)"
        }
    }
}

/// Writes files so that a reader never sees a half-written file and an existing file is never
/// replaced unless asked: the content goes to a temporary file in the same directory, which is
/// then renamed over the target (overwrite) or hard-linked to it (no overwrite: link(2) fails
/// atomically if the target appeared in the meantime).
public enum AtomicFile {
    /// `produce` writes the content to the temporary path it is given.
    public static func write(to path: String, overwrite: Bool, _ produce: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw FileWriteError.failed(path: path, reason: "directory \(dir) does not exist")
        }
        if !overwrite && FileManager.default.fileExists(atPath: path) { throw FileWriteError.exists(path) }
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(temp) }
        try produce(temp)
        if overwrite {
            guard rename(temp, path) == 0 else { throw FileWriteError.failed(path: path, reason: String(cString: strerror(errno))) }
        } else {
            guard link(temp, path) == 0 else {
                if errno == EEXIST { throw FileWriteError.exists(path) }
                throw FileWriteError.failed(path: path, reason: String(cString: strerror(errno)))
            }
        }
    }

    public static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        try write(to: path, overwrite: overwrite) { temp in
            do { try data.write(to: URL(fileURLWithPath: temp)) } catch {
                throw FileWriteError.failed(path: path, reason: error.localizedDescription)
            }
        }
    }
}
