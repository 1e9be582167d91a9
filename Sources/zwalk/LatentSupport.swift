import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

// What the latent and figure commands share: a decoder opened with its fingerprint, priors and
// seeds from flags, latents read from .npy files or zwalk PNGs, decoding to images, and PNGs that
// carry the metadata that reproduces them. Only glue: the math lives in ZWalkLatent, the pixels in
// ZWalkImage.

// MARK: The model

/// A decoder opened for the latent commands: the graph, a decoder over its session and the
/// fingerprint that PNGs and direction sets record.
final class LatentModel {
    let path: String
    let generative: GenerativeModel
    private let weightsPath: String?

    init(path: String, weights: String?) throws {
        generative = try openGenerativeModel(path, weights: weights)
        self.path = path
        weightsPath = weights
    }

    private var cachedHashes: (model: String, weights: String?)?

    /// sha256 of the model file (the string `sha256sum` prints) and of the --weights file, hashed on
    /// first use: `zwalk decode` to .npy never needs them, and big models take a while.
    func hashes() throws -> (model: String, weights: String?) {
        if let h = cachedHashes { return h }
        let h = (model: try SHA256.hash(file: path), weights: try weightsPath.map { try SHA256.hash(file: $0) })
        cachedHashes = h
        return h
    }

    /// What direction sets are tied to: the model file's sha256 or, with --weights (which change
    /// what every direction means), the sha256 of the text "<model sha256>+<weights sha256>".
    func fingerprint() throws -> String {
        let h = try hashes()
        guard let w = h.weights else { return h.model }
        return SHA256.hash(Data("\(h.model)+\(w)".utf8))
    }

    /// The decoder `GenerativeModel` already runs over the model's session (one plan cache, one
    /// set of buffers).
    var decoder: LatentDecoder { generative.decoder }

    /// MODEL (positional 0, default the shipped model) and --weights.
    convenience init(_ inv: Invocation) throws {
        try self.init(path: inv.positional(0, "MODEL", fallback: defaultModelPath()), weights: inv.string("weights"))
    }

    var description: ModelDescription { generative.description }
    var latentShape: [Int] { description.latentShape }
    var latentCount: Int { description.latentCount }

    /// Latent axis names for per-axis directions and labels: the model's `zwalk.dim_names`, else z[i].
    var axisNames: [String] {
        (0..<latentCount).map { description.dimNames[$0] ?? "z[\($0)]" }
    }
}

// MARK: Usage helpers

/// `--range R`: how far a figure walks either side of the base latent, in σ.
func sigmaRange(_ inv: Invocation) throws -> Double {
    let range = try inv.double("range", default: 3)
    guard range.isFinite, range >= 0 else { throw usageError(inv, "--range must be a finite number ≥ 0 (in σ), got \(range)") }
    return range
}

func usageError(_ inv: Invocation, _ message: String) -> UsageError {
    UsageError(message: "zwalk \(inv.command.name): \(message)")
}

/// A seed as numpy's RandomState accepts it (0…2³²−1).
func seedValue(_ inv: Invocation, _ name: String = "seed", default d: Int = 0) throws -> UInt32 {
    let s = try inv.int(name, default: d)
    guard let v = UInt32(exactly: s) else {
        throw usageError(inv, "--\(name) \(s) is out of range: numpy's RandomState takes seeds 0…4294967295")
    }
    return v
}

/// A seed list as GAN repositories write it: "1,2,7" or ranges "0-15", mixed ("0-3,9").
func parseSeedList(_ text: String, option: String, _ inv: Invocation) throws -> [UInt32] {
    var seeds: [UInt32] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        let p = part.trimmingCharacters(in: .whitespaces)
        let bounds = p.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let lo = UInt32(bounds[0]), let hi = bounds.count == 2 ? UInt32(bounds[1]) : lo, lo <= hi else {
            throw usageError(inv, "--\(option) must be seeds 0…4294967295 separated by commas, with ranges like 0-15; got '\(p)' in '\(text)'")
        }
        guard seeds.count + Int(hi - lo) < Figures.maxSeedList else {
            throw usageError(inv, "--\(option) '\(text)' lists more than \(Figures.maxSeedList) seeds")
        }
        seeds += (lo...hi).map { $0 }
    }
    return seeds
}

extension Figures {
    /// A seed list longer than any figure (4096 cells) is a typo, not a request.
    static let maxSeedList = 4096
}

/// A positive integer option with an upper bound, named in the message.
func boundedInt(_ inv: Invocation, _ name: String, default d: Int, in range: ClosedRange<Int>) throws -> Int {
    let v = try inv.int(name, default: d)
    guard range.contains(v) else { throw usageError(inv, "--\(name) must be in \(range.lowerBound)…\(range.upperBound), got \(v)") }
    return v
}

/// Which kind of file OUT is, from its extension.
enum OutputKind { case png, npy }

func outputKind(_ path: String, _ inv: Invocation, allowed: [OutputKind] = [.png, .npy]) throws -> OutputKind {
    let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
    let kind: OutputKind? = ext == "png" ? .png : ext == "npy" ? .npy : nil
    guard let k = kind, allowed.contains(k) else {
        let names = allowed.map { $0 == .png ? ".png" : ".npy" }.joined(separator: " or ")
        throw usageError(inv, "--out \(path) must end in \(names)")
    }
    return k
}

// MARK: Priors

let priorOptions: [Option] = [
    .value("prior", "normal|uniform", "the distribution latents are drawn from", default: "the model's zwalk.prior, else normal"),
    .value("psi", "ψ", "truncation: every latent is scaled by ψ toward the mean 0 (StyleGAN's ψ)", default: "1"),
]

func prior(_ inv: Invocation, _ model: LatentModel) throws -> Prior {
    var kind: PriorKind? = nil
    if let s = inv.string("prior") {
        guard let k = PriorKind(rawValue: s.lowercased()) else {
            throw usageError(inv, "--prior must be one of \(PriorKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'")
        }
        kind = k
    }
    let psi = try inv.double("psi", default: 1)
    guard psi.isFinite, psi >= 0 else { throw usageError(inv, "--psi must be a finite number ≥ 0, got \(psi)") }
    return try Prior(model: model.generative.model, kind: kind, latentShape: model.latentShape, psi: psi)
}

// MARK: Reading latents

/// Latents from a file: a .npy holding one latent (its shape, or flat) or rows of them (N, latent…)
/// or (N, latent count), or a PNG written by zwalk (its `zwalk.latents` metadata).
struct LatentFile {
    let path: String
    let rows: [[Float]]
    /// The PNG's text metadata (nil for .npy).
    let pngText: [String: String]?

    init(path: String, model: LatentModel) throws {
        self.path = path
        let n = model.latentCount
        let want = "(\(model.latentShape.map(String.init).joined(separator: ", "))) or rows of it (N, \(n))"
        if URL(fileURLWithPath: path).pathExtension.lowercased() == "png" {
            let text = try PNGCodec.read(path: path).text
            let meta = PNGMetadata(text: text)
            guard let rows = try meta.latents() else {
                throw ModelError("\(path): has no \(PNGMetadata.Key.latents) metadata, so it was not written by zwalk's sample/grid/traverse/interpolate/slice/decode; encode a picture with 'zwalk encode' instead")
            }
            if let bad = rows.firstIndex(where: { $0.count != n }) {
                throw ModelError("\(path): latent \(bad) in its metadata has \(rows[bad].count) values, but \(model.path) takes \(n) — the PNG was made with another model (sha256 \(text[PNGMetadata.Key.modelSHA256] ?? "unknown"))")
            }
            guard !rows.isEmpty else { throw ModelError("\(path): its \(PNGMetadata.Key.latents) metadata is an empty list") }
            if let sha = text[PNGMetadata.Key.modelSHA256], case let mine = try model.hashes().model, sha != mine {
                note("warning: \(path) was made with model sha256 \(sha), not \(model.path) (sha256 \(mine)); its latents may mean something else here")
            }
            self.rows = rows
            pngText = text
        } else {
            let t = try NPY.read(path: path)
            guard t.dtype == .float32 else {
                throw ModelError("\(path): holds \(t.dtype) values; latents are floats \(want)")
            }
            // One latent in its own shape or flat, or rows of latents: (N, latent…) or (N, count).
            let one = t.shape == model.latentShape || t.shape == [n]
            let rowsOf = t.rank >= 2 && t.shape[0] >= 1 && t.count == t.shape[0] * n
            guard t.count > 0, one || rowsOf else {
                throw ModelError("\(path): an array of shape \(t.shape) (\(t.count) values) is not a latent of \(model.path), which takes \(want) — \(n) values per latent")
            }
            let f = t.floats
            rows = (0..<(t.count / n)).map { r in Array(f[(r * n)..<((r + 1) * n)]) }
            pngText = nil
        }
        for (i, r) in rows.enumerated() where !r.allSatisfy({ $0.isFinite }) {
            throw ModelError("\(path): latent \(i) holds a non-finite value")
        }
    }

    /// Row `index` (--index), with a message naming the file when it is out of range.
    func row(_ index: Int) throws -> [Float] {
        guard index >= 0, index < rows.count else {
            throw ModelError("\(path): holds \(rows.count) latent(s); --index \(index) is outside 0…\(rows.count - 1)")
        }
        return rows[index]
    }
}

/// The latent a figure is built around: --latent FILE (row --index) or --seed S.
struct BaseLatent {
    let values: [Float]
    /// The seed it was drawn from, when it was.
    let seed: UInt32?
    /// "seed 3" or "z.npy[0]", for notes and the PNG description.
    let label: String
}

let baseLatentOptions: [Option] = [
    .value("seed", "S", "draw the base latent as numpy.random.RandomState(S).standard_normal(latent shape)", default: "0"),
    .value("latent", "FILE", "use a latent from a .npy (one latent or rows) or a PNG written by zwalk instead of --seed"),
    .value("index", "I", "which row of --latent to use", default: "0"),
]

func baseLatent(_ inv: Invocation, _ model: LatentModel, _ prior: Prior) throws -> BaseLatent {
    if let path = inv.string("latent") {
        if inv.string("seed") != nil { throw usageError(inv, "give --seed or --latent, not both") }
        let index = try inv.int("index", default: 0)
        let file = try LatentFile(path: path, model: model)
        return BaseLatent(values: try file.row(index), seed: nil, label: "\(URL(fileURLWithPath: path).lastPathComponent)[\(index)]")
    }
    let seed = try seedValue(inv)
    return BaseLatent(values: try prior.sample(seed: seed).floatArray, seed: seed, label: "seed \(seed)")
}

// MARK: Decoding to images

/// How decoded samples become pixels: --scale, --padding, --labels, --output-range.
struct FigureStyle {
    var scale = 1
    var padding = 2
    var labels = false
    var range: (Float, Float)
}

let figureStyleOptions: [Option] = [
    .value("scale", "N", "enlarge every sample N× (nearest neighbour, so pixels stay crisp)", default: "1"),
    .value("padding", "P", "pixels around and between cells", default: "2"),
    .flag("labels", "label rows and columns (seeds, direction names, steps in σ)"),
    .value("output-range", "LO,HI", "the model output values shown as black…white", default: "the model's range (zwalk info)"),
]

func figureStyle(_ inv: Invocation, _ model: LatentModel) throws -> FigureStyle {
    var style = FigureStyle(range: model.description.outputRange)
    style.scale = try boundedInt(inv, "scale", default: 1, in: 1...64)
    style.padding = try boundedInt(inv, "padding", default: 2, in: 0...256)
    style.labels = inv.flag("labels")
    if let r = inv.string("output-range") {
        let parts = r.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts[0] < parts[1], parts.allSatisfy({ $0.isFinite }) else {
            throw usageError(inv, "--output-range must be 'LO,HI' with LO < HI, got '\(r)'")
        }
        style.range = (parts[0], parts[1])
    }
    return style
}

/// Decodes rows of latents (row-major in `latents`) in chunks of the decoder's batch, with a
/// progress bar for more than one chunk. Returns the raw outputs, (count, outputShape…).
func decodeLatents(_ model: LatentModel, _ latents: [Float], count: Int, label: String) throws -> Tensor {
    let d = model.decoder
    let chunk = d.maxBatch
    let progress = count > chunk ? Progress(label, total: count) : nil
    var out: [Float] = []
    out.reserveCapacity(count * d.outputCount)
    var start = 0
    while start < count {
        let n = min(chunk, count - start)
        out += try d.decode(Array(latents[(start * d.latentCount)..<((start + n) * d.latentCount)]), count: n)
        progress?.advance(by: n)
        start += n
    }
    return Tensor(shape: [count] + d.outputShape, floats: out)
}

/// One image per sample of a decoded batch, mapped from the style's range and enlarged.
func images(_ batch: Tensor, style: FigureStyle) throws -> [Image] {
    try (0..<(batch.shape.first ?? 0)).map { try Image.fromBatch(batch, index: $0, range: style.range).scaled(by: style.scale) }
}

/// A step in σ as a label: up to two decimals, explicit sign ("-3", "+1.5", "0").
func stepLabel(_ s: Double) -> String {
    var t = String(format: "%.2f", s)
    while t.hasSuffix("0") { t.removeLast() }
    if t.hasSuffix(".") { t.removeLast() }
    if t == "-0" { t = "0" }
    return s > 0 && t != "0" ? "+" + t : t
}

// MARK: Metadata and writing

/// JSON text in a fixed key order, so metadata is byte-for-byte reproducible. Non-ASCII is
/// escaped, so the values stay in plain tEXt chunks that every PNG reader shows.
indirect enum JSON: Sendable {
    case string(String), int(Int), double(Double), float(Float), bool(Bool)
    case array([JSON]), object([(String, JSON)])

    var text: String {
        switch self {
        case .string(let s): return JSON.quote(s)
        case .int(let i): return String(i)
        case .double(let x): return JSON.number(x)
        case .float(let x): return x.isFinite ? (x == x.rounded() && abs(x) < 1e7 ? String(Int(x)) : x.description) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .array(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): return "{" + o.map { JSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// Shortest text that reads back as the same Double (integers without ".0").
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : x.description
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value > 0x7e {
                    // UTF-16 code units, as JSON escapes them.
                    for unit in String(u).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// A word as a POSIX shell reads it back: bare when it is made of safe characters, else in single
/// quotes (a quote inside becomes '\'').
func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The command line that reproduces this run: `zwalk` and the arguments as given, shell-quoted.
/// The program's own path is left out so the text is the same whichever build ran it.
func reproducingCommand() -> String {
    (["zwalk"] + CommandLine.arguments.dropFirst().map(shellQuote)).joined(separator: " ")
}

/// `text` with the few non-ASCII signs zwalk's captions use spelled in ASCII, so the caption stays
/// in a tEXt chunk (Latin-1) that every PNG tool shows, rather than in iTXt.
func asciiText(_ text: String) -> String {
    let spelled: [Character: String] = ["σ": " sigma", "±": "+/-", "×": "x", "…": "..", "−": "-", "ψ": "psi", "→": "->", "·": "*"]
    return text.map { spelled[$0] ?? String($0) }.joined()
}

/// The metadata every zwalk PNG carries, in a fixed order: program, command, model fingerprint,
/// latent shape, what the figure is, the command-specific entries, and the latents last (longest).
func pngMetadata(_ model: LatentModel, description: String, figure: [(String, JSON)], latents: [[Float]],
                 extra: [(String, String)] = []) throws -> PNGMetadata {
    var m = PNGMetadata()
    m[PNGMetadata.Key.software] = "zwalk"
    m["Description"] = asciiText(description)
    m[PNGMetadata.Key.command] = reproducingCommand()
    let hashes = try model.hashes()
    m[PNGMetadata.Key.modelSHA256] = hashes.model
    if let w = hashes.weights { m["zwalk.weights_sha256"] = w }
    m["zwalk.latent_shape"] = model.latentShape.map(String.init).joined(separator: ",")
    m["zwalk.figure"] = JSON.object(figure).text
    for (k, v) in extra { m[k] = v }
    try m.setLatents(latents)
    return m
}

/// Refuses (before anything is written) when any of `paths` exists and --force is not given, so a
/// command writing several files leaves either all or none of the new ones behind on that ground.
func checkWritable(_ paths: [String], force: Bool) throws {
    var seen = Set<String>()
    for p in paths where !seen.insert(URL(fileURLWithPath: p).standardizedFileURL.path).inserted {
        throw ModelError("two outputs would both be written to \(p)")
    }
    guard !force else { return }
    for p in paths where FileManager.default.fileExists(atPath: p) { throw FileWriteError.exists(p) }
}

/// Checks --out's extension and refuses existing outputs up front, before a command spends time on
/// directions or decodes only to find it may not write its result. (Templated names are checked
/// once they are expanded.)
func precheckOutputs(_ out: String, _ inv: Invocation) throws {
    let templated = out.contains("{seed}") || out.contains("{step}")
    _ = try outputKind(out, inv)
    try checkWritable((templated ? [] : [out]) + (inv.string("latents-out").map { [$0] } ?? []), force: inv.flag("force"))
}

/// Writes `latents` as a float32 .npy of shape (N, latentShape…) (--latents-out).
func writeLatents(_ latents: [[Float]], model: LatentModel, to path: String, force: Bool) throws {
    let t = Tensor(shape: [latents.count] + model.latentShape, floats: latents.flatMap { $0 })
    try NPY.write(t, to: path, overwrite: force)
    note("wrote \(path): latents \(t.shape)")
}

let outputOptions: [Option] = [
    .flag("force", "overwrite existing output files"),
    .value("latents-out", "Z.npy", "also save the latents of every cell, row-major, as (N, latent…) float32"),
]

// MARK: Figures

/// A figure ready to compose: its cells' latents row-major, the grid, captions and metadata.
struct FigureSpec {
    var kind: String
    var rows: Int
    var cols: Int
    var latents: [[Float]]
    var rowLabels: [String] = []
    var columnLabels: [String] = []
    /// Row-major cells framed as the unmodified sample.
    var highlighted: Set<Int> = []
    /// Human summary for the PNG's Description.
    var description: String
    /// Extra fields of `zwalk.figure` after kind/rows/cols.
    var figureFields: [(String, JSON)] = []
    /// Command-specific metadata entries (zwalk.seeds, zwalk.direction, zwalk.step, …).
    var extra: [(String, String)] = []
}

/// Decodes, composes and writes a figure to --out (.png; .npy writes the decoded batch), and
/// --latents-out. Every output is checked for --force before any decoding.
func writeFigure(_ spec: FigureSpec, model: LatentModel, style: FigureStyle, out: String, inv: Invocation) throws {
    let force = inv.flag("force")
    let kind = try outputKind(out, inv)
    let latentsOut = inv.string("latents-out")
    try checkWritable([out] + (latentsOut.map { [$0] } ?? []), force: force)
    let batch = try decodeLatents(model, spec.latents.flatMap { $0 }, count: spec.latents.count, label: "decoding \(spec.kind)")
    switch kind {
    case .npy:
        try NPY.write(batch, to: out, overwrite: force)
        note("wrote \(out): decoded \(spec.kind) \(batch.shape)")
    case .png:
        let cells = try images(batch, style: style)
        let layout = GridLayout(rows: spec.rows, cols: spec.cols, padding: style.padding,
                                rowLabels: style.labels ? spec.rowLabels : [],
                                columnLabels: style.labels ? spec.columnLabels : [],
                                highlighted: spec.highlighted, labelScale: style.scale)
        let image = try Grid.compose(cells, layout: layout)
        let figure: [(String, JSON)] = [("kind", .string(spec.kind)), ("rows", .int(spec.rows)), ("cols", .int(spec.cols)),
                                        ("scale", .int(style.scale)), ("padding", .int(style.padding)),
                                        ("labels", .bool(style.labels))] + spec.figureFields
        let meta = try pngMetadata(model, description: spec.description, figure: figure, latents: spec.latents, extra: spec.extra)
        try PNGCodec.write(image, to: out, text: meta.pairs, overwrite: force)
        note("wrote \(out): \(spec.kind), \(spec.rows)×\(spec.cols) cells, \(image.width)×\(image.height) pixels")
    }
    if let p = latentsOut { try writeLatents(spec.latents, model: model, to: p, force: force) }
}
