import Foundation
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

/// A training run's checkpoints: what `--weights` names when it is a folder or a glob. The files
/// are the weights files among them (`.pt .pth .ckpt .bin .safetensors`) in natural order, so
/// `epoch_2.pth` comes before `epoch_10.pth`.
public enum CheckpointRun {
    /// The weights files `spec` names: a folder's, a glob's (`ckpts/*.pth`), or the one file.
    public static func files(_ spec: String) throws -> [String] {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDir) {
            guard isDir.boolValue else { return [spec] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: spec)) ?? []
            let files = names.filter(isWeightsFile).map { (spec.hasSuffix("/") ? spec : spec + "/") + $0 }
            guard !files.isEmpty else {
                throw SessionError.invalidOption("the folder \(spec) holds no weights files (\(WeightFile.extensions.map { "." + $0 }.joined(separator: " ")))")
            }
            return sorted(files)
        }
        guard spec.contains(where: { "*?[".contains($0) }) else { return [spec] }  // a missing file: its loader says so
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(spec, 0, nil, &g) == 0 else {
            throw SessionError.invalidOption("no file matches the pattern \(spec)")
        }
        let matched = (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
        let files = matched.filter(isWeightsFile)
        guard !files.isEmpty else {
            throw SessionError.invalidOption("none of the \(matched.count) file(s) matching \(spec) is a weights file (\(WeightFile.extensions.map { "." + $0 }.joined(separator: " ")))")
        }
        return sorted(files)
    }

    static func isWeightsFile(_ path: String) -> Bool {
        WeightFile.extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    /// Natural order: runs of digits compare as numbers ("epoch_2" < "epoch_10"), the rest as text.
    public static func sorted(_ paths: [String]) -> [String] {
        paths.sorted { naturalLess($0, $1) }
    }

    public static func naturalLess(_ a: String, _ b: String) -> Bool {
        let x = chunks(a), y = chunks(b)
        for (p, q) in zip(x, y) where p != q {
            switch (p, q) {
            case (.number(let m, let ms), .number(let n, let ns)): return m != n ? m < n : ms < ns
            case (.number, .text): return true
            case (.text, .number): return false
            case (.text(let s), .text(let t)): return s < t
            }
        }
        return x.count != y.count ? x.count < y.count : a < b
    }

    private enum Chunk: Equatable {
        /// The value (saturating) and the digits as written, so "007" and "7" still differ.
        case number(UInt64, String)
        case text(String)
    }

    private static func chunks(_ s: String) -> [Chunk] {
        var out: [Chunk] = []
        var current = "", digits = false
        func flush() {
            guard !current.isEmpty else { return }
            out.append(digits ? .number(UInt64(current) ?? .max, current) : .text(current))
            current = ""
        }
        for ch in s {
            let d = ch.isASCII && ch.isNumber
            if d != digits { flush(); digits = d }
            current.append(ch)
        }
        flush()
        return out
    }
}

extension ModelSession {
    /// The same model with other weights (another checkpoint of a run): its own graph, plans and
    /// fingerprint; the options otherwise the same.
    public func withWeights(_ weights: String) throws -> ModelSession {
        var o = options
        o.weights = weights
        let s = try ModelSession(path: path, options: o)
        s.progress = progress
        s.log = log
        return s
    }

    /// Rows = checkpoints of a run, columns = `seeds`: every row decodes the same latents with its
    /// own weights (`runs[r]`), so the figure shows the same samples through training. Written by
    /// `write(_:…, rowSessions:)`. The PNG's figure object lists the checkpoints and their sha256.
    public func checkpointFigure(seeds: [UInt32], runs: [ModelSession]) throws -> FigureSpec {
        let p = try prior()
        let layout = try Figures.sampleGrid(prior: p, seeds: seeds, rows: 1, columns: seeds.count)
        let row = layout.latentRows
        let names = runs.map { URL(fileURLWithPath: $0.options.weights ?? $0.path).lastPathComponent }
        let hashes = try runs.map { try $0.hashes().weights ?? $0.hashes().model }
        let first = seeds.first ?? 0
        return FigureSpec(
            kind: "checkpoints", rows: runs.count, cols: seeds.count, latents: Array(repeating: row, count: runs.count).flatMap { $0 },
            rowLabels: names, columnLabels: seeds.map(String.init),
            description: "\(runs.count) checkpoints (rows: \(names.first ?? "")…\(names.last ?? "")) × samples of \(p), seeds \(first)…\(seeds.last ?? first)",
            fields: [("prior", .string(p.kind.rawValue)), ("psi", .double(p.psi)),
                     ("checkpoints", .array(names.map { .string($0) })), ("checkpoints_sha256", .array(hashes.map { .string($0) }))],
            extra: [(PNGMetadata.Key.seeds, PNGMetadata.seedsJSON((0..<runs.count).flatMap { _ in seeds.map(Int64.init) }))])
    }
}
