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
        try name(temp, as: path, overwrite: overwrite)
    }

    /// `data` to `path`, through a `Writer`.
    public static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        let w = try Writer(path: path, overwrite: overwrite)
        try data.withUnsafeBytes { try w.write($0) }
        try w.commit()
    }

    /// A file written piece by piece that gets its name only when complete (`commit`). On Linux
    /// the bytes go to an unnamed file (O_TMPFILE) in the target's folder, linked into place at
    /// the end (linkat), so a process killed mid-write leaves nothing behind; where the file
    /// system has no O_TMPFILE, to a named temporary file that is removed unless committed.
    public final class Writer {
        public let path: String
        let overwrite: Bool
        private let fd: Int32
        /// The named temporary file, when O_TMPFILE was not available.
        private let temp: String?
        private var committed = false

        public init(path: String, overwrite: Bool) throws {
            self.path = path
            self.overwrite = overwrite
            let url = URL(fileURLWithPath: path)
            let dir = url.deletingLastPathComponent().path
            #if os(Linux)
            let unnamed = open(dir, oTmpFile | O_WRONLY | O_CLOEXEC, 0o644)
            if unnamed >= 0 { fd = unnamed; temp = nil; return }
            // EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; anything else the named path reports too.
            #endif
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw FileWriteError.failed(path: path, reason: "directory \(dir) does not exist")
            }
            if !overwrite && FileManager.default.fileExists(atPath: path) { throw FileWriteError.exists(path) }
            let name = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let named = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard named >= 0 else { throw FileWriteError.failed(path: path, reason: AtomicFile.reason(errno)) }
            fd = named; temp = name
        }

        deinit {
            close(fd)
            if let t = temp, !committed { unlink(t) }
        }

        /// Appends bytes.
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                #if os(Linux)
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                #else
                let n = Darwin.write(fd, bytes.baseAddress! + done, bytes.count - done)
                #endif
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileWriteError.failed(path: path, reason: AtomicFile.reason(errno)) }
                done += n
            }
        }

        /// Gives the file its name: fails if the name exists, unless overwriting. Once only.
        public func commit() throws {
            precondition(!committed, "an atomic file is committed once")
            if let t = temp {
                try AtomicFile.name(t, as: path, overwrite: overwrite)
            } else {
                #if os(Linux)
                try AtomicFile.name(fd: fd, as: path, overwrite: overwrite)
                #endif
            }
            committed = true
        }
    }

    static func reason(_ code: Int32) -> String { errnoReason(code) }

    /// Links or renames a complete named temporary file to `path`.
    private static func name(_ temp: String, as path: String, overwrite: Bool) throws {
        if overwrite {
            guard rename(temp, path) == 0 else { throw FileWriteError.failed(path: path, reason: reason(errno)) }
        } else {
            guard link(temp, path) == 0 else {
                if errno == EEXIST { throw FileWriteError.exists(path) }
                throw FileWriteError.failed(path: path, reason: reason(errno))
            }
            unlink(temp)
        }
    }

    #if os(Linux)
    /// O_TMPFILE as Linux defines it (__O_TMPFILE | O_DIRECTORY); Glibc's macro does not import.
    private static let oTmpFile: Int32 = 0o20_000_000 | O_DIRECTORY

    /// Gives the unnamed file its name: linkat fails if the name exists (no overwrite); to
    /// replace, it is linked to a temporary name first and renamed over the target.
    fileprivate static func name(fd: Int32, as path: String, overwrite: Bool) throws {
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
