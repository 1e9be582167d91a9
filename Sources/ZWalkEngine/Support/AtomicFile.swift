import Foundation
#if os(Linux)
import Glibc
#endif

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

    /// `data` to `path`. On Linux the bytes go to an unnamed file (O_TMPFILE) in the target's
    /// folder that gets its name only when complete (linkat), so a process killed mid-write leaves
    /// nothing behind; where the file system has no O_TMPFILE, through a named temporary file.
    public static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #if os(Linux)
        let fd = open(dir, oTmpFile | O_WRONLY | O_CLOEXEC, 0o644)
        if fd >= 0 {
            defer { close(fd) }
            try writeAll(data, to: fd, path: path)
            try name(fd: fd, as: path, overwrite: overwrite)
            return
        }
        // EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; anything else the named path reports too.
        #endif
        try write(to: path, overwrite: overwrite) { temp in
            do { try data.write(to: URL(fileURLWithPath: temp)) } catch {
                throw FileWriteError.failed(path: path, reason: error.localizedDescription)
            }
        }
    }

    #if os(Linux)
    /// O_TMPFILE as Linux defines it (__O_TMPFILE | O_DIRECTORY); Glibc's macro does not import.
    private static let oTmpFile: Int32 = 0o20_000_000 | O_DIRECTORY

    private static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var done = 0
            while done < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileWriteError.failed(path: path, reason: String(cString: strerror(errno))) }
                done += n
            }
        }
    }

    /// Gives the unnamed file its name: linkat fails if the name exists (no overwrite); to
    /// replace, it is linked to a temporary name first and renamed over the target.
    private static func name(fd: Int32, as path: String, overwrite: Bool) throws {
        let source = "/proc/self/fd/\(fd)"
        func fail() -> FileWriteError {
            errno == EEXIST ? .exists(path) : .failed(path: path, reason: String(cString: strerror(errno)))
        }
        guard overwrite else {
            guard linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 else { throw fail() }
            return
        }
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard linkat(AT_FDCWD, source, AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0 else { throw fail() }
        guard rename(temp, path) == 0 else {
            let error = fail()
            unlink(temp)
            throw error
        }
    }
    #endif
}
