import Foundation
import ZWalkEngine

/// What kind of file an output is, from its name's extension; an unknown extension is refused with
/// the list of known ones (a `.jpg` must not quietly become a NumPy file).
/// `.png` is a still picture, or an animated PNG where the command makes animations; `.gif` is only
/// ever an animation, so commands that write stills do not accept it.
public enum OutputKind: String, CaseIterable, Sendable {
    case png, npy, gif

    /// What figures and decoded batches are written as.
    public static let stills: [OutputKind] = [.png, .npy]
    /// What animations are written as: APNG (.png) or GIF.
    public static let animations: [OutputKind] = [.png, .gif]

    public init(path: String, allowed: [OutputKind] = OutputKind.stills) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let k = OutputKind(rawValue: ext), allowed.contains(k) else {
            throw SessionError.unknownOutputKind(path: path, known: allowed.map { "." + $0.rawValue })
        }
        self = k
    }
}

public enum Outputs {
    /// Readies the files a piece of work will write, before the work: two outputs on one file and,
    /// unless `overwrite`, any that exists already are refused, so a command writing several files
    /// leaves all or none of the new ones; the folders they name are created (`frames/f-{step}.png`
    /// should not fail for want of `frames/`).
    public static func prepare(_ paths: [String], overwrite: Bool) throws {
        var seen = Set<String>()
        for p in paths where !seen.insert(URL(fileURLWithPath: p).standardizedFileURL.path).inserted {
            throw SessionError.duplicateOutput(p)
        }
        if !overwrite, let p = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw FileWriteError.exists(p)
        }
        for dir in Set(paths.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }) {
            try createDirectory(dir)
        }
    }

    /// `mkdir -p`, with an error naming the folder when it cannot be made (or is a file).
    public static func createDirectory(_ dir: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw FileWriteError.failed(path: dir, reason: "it is a file, not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError.failed(path: dir, reason: "cannot create the folder: \(fileErrorReason(error))")
        }
    }
}
