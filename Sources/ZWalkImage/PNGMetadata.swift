/// The text entries of a zwalk PNG, in the order they are written, with the keys zwalk uses and
/// exact encoders/parsers for the values that must round-trip (latents, seeds): `zwalk decode` of a
/// PNG's metadata must get the same latent back, bit for bit.
public struct PNGMetadata: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: String
        public init(key: String, value: String) { self.key = key; self.value = value }
    }

    /// Every key zwalk writes, and its format: the one list (the README's table copies it). All
    /// values are ASCII, so they go into plain tEXt chunks every PNG tool shows.
    public enum Key {
        /// The PNG spec's registered keyword for the producing program: "zwalk".
        public static let software = "Software"
        /// The PNG spec's keyword for a caption: what the figure shows, in words.
        public static let description = "Description"
        /// The command line that reproduces the file (shell-quoted).
        public static let command = "zwalk.command"
        /// sha256 (hex, as sha256sum prints it) of the model file the image was decoded with.
        public static let modelSHA256 = "zwalk.model_sha256"
        /// sha256 of the safetensors weights bound onto the model, when there were any.
        public static let weightsSHA256 = "zwalk.weights_sha256"
        /// The latent shape without the batch axis: "10" or "4,8,8".
        public static let latentShape = "zwalk.latent_shape"
        /// JSON object: kind, rows, cols, scale, padding, labels and the figure's own fields.
        public static let figure = "zwalk.figure"
        /// JSON array of integers: the seed of every cell, when latents were drawn from seeds.
        public static let seeds = "zwalk.seeds"
        /// Integer: the seed of the base latent a walk started from.
        public static let baseSeed = "zwalk.base_seed"
        /// JSON array of integers: the seeds of an interpolation's keyframes.
        public static let keyframeSeeds = "zwalk.keyframe_seeds"
        /// JSON object: the direction set walked (source, method, model_sha256, score_kind) and its
        /// rows (index, name, score, sigma, vector).
        public static let direction = "zwalk.direction"
        /// JSON: the steps taken, in σ of each direction row (an array) or {"x": […], "y": […]}
        /// for slices; interpolation parameters t (or u, v) for strips and J-diagrams.
        public static let step = "zwalk.step"
        /// sha256 of the encoder that produced a reconstruction's latent.
        public static let encoderSHA256 = "zwalk.encoder_sha256"
        /// JSON array of arrays of numbers: the latent of every cell, row-major, exact.
        public static let latents = "zwalk.latents"

        /// The keys in the order zwalk writes them, with their format, for documentation.
        public static let all: [(key: String, format: String)] = [
            (software, "\"zwalk\""), (description, "text"), (command, "shell command line"),
            (modelSHA256, "hex sha256"), (weightsSHA256, "hex sha256"), (latentShape, "comma-separated integers"),
            (figure, "JSON object"), (seeds, "JSON integer array"), (baseSeed, "integer"),
            (keyframeSeeds, "JSON integer array"), (direction, "JSON object"), (step, "JSON"),
            (encoderSHA256, "hex sha256"), (latents, "JSON array of float arrays"),
        ]
    }

    public var entries: [Entry]

    public init() { entries = [] }

    public init(_ pairs: [(String, String)]) {
        entries = []
        for (k, v) in pairs { self[k] = v }
    }

    /// A decoded PNG's text (a dictionary), entries sorted by key so the order is reproducible.
    public init(text: [String: String]) {
        entries = text.keys.sorted().map { Entry(key: $0, value: text[$0] ?? "") }
    }

    /// The value for `key`; setting replaces the entry in place (keeping its position) or appends
    /// it, and setting nil removes it.
    public subscript(key: String) -> String? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.key == key }) {
                if let v = newValue { entries[i].value = v } else { entries.remove(at: i) }
            } else if let v = newValue {
                entries.append(Entry(key: key, value: v))
            }
        }
    }

    /// The entries as `PNGCodec.write` takes them.
    public var pairs: [(String, String)] { entries.map { ($0.key, $0.value) } }

    // MARK: typed values

    /// The latents stored under `Key.latents`, nil when absent.
    public func latents() throws -> [[Float]]? {
        guard let s = self[Key.latents] else { return nil }
        return try PNGMetadata.parseLatents(s)
    }

    public mutating func setLatents(_ latents: [[Float]]) throws {
        self[Key.latents] = try PNGMetadata.latentsJSON(latents)
    }

    /// The seeds stored under `Key.seeds`, nil when absent.
    public func seeds() throws -> [Int64]? {
        guard let s = self[Key.seeds] else { return nil }
        return try PNGMetadata.parseSeeds(s)
    }

    public mutating func setSeeds(_ seeds: [Int64]) {
        self[Key.seeds] = PNGMetadata.seedsJSON(seeds)
    }

    /// `[[a, b, …], …]` with each value in the shortest form that parses back to the same Float
    /// (Swift's `description`), so a latent survives the round trip exactly; Python's `json.loads`
    /// reads it too. Non-finite values have no JSON form and are refused.
    public static func latentsJSON(_ latents: [[Float]]) throws -> String {
        var out = "["
        for (i, z) in latents.enumerated() {
            if i > 0 { out += "," }
            out += "["
            for (j, v) in z.enumerated() {
                guard v.isFinite else { throw PNGMetadataError.nonFinite(row: i, index: j, value: v) }
                if j > 0 { out += "," }
                out += v.description
            }
            out += "]"
        }
        return out + "]"
    }

    /// Parses `latentsJSON`'s format, and also a flat `[a, b, …]` as one latent. Each number is
    /// parsed straight to Float (correctly rounded), never through Double, so no double rounding.
    public static func parseLatents(_ json: String) throws -> [[Float]] {
        var p = JSONNumberLists(json, key: Key.latents)
        let lists = try p.parse()
        return try lists.enumerated().map { i, row in
            try row.enumerated().map { j, token in
                guard let v = Float(token), v.isFinite else {
                    throw PNGMetadataError.malformed(key: Key.latents, offset: p.offsets[i][j], reason: "'\(token)' is not a finite number")
                }
                return v
            }
        }
    }

    public static func seedsJSON(_ seeds: [Int64]) -> String {
        "[" + seeds.map(String.init).joined(separator: ",") + "]"
    }

    public static func parseSeeds(_ json: String) throws -> [Int64] {
        var p = JSONNumberLists(json, key: Key.seeds)
        let lists = try p.parse()
        guard lists.count == 1 || lists.allSatisfy({ $0.count == 1 }) else {
            throw PNGMetadataError.malformed(key: Key.seeds, offset: 0, reason: "expected a flat list of integers")
        }
        let flat = lists.count == 1 ? lists[0] : lists.map { $0[0] }
        let offsets = lists.count == 1 ? p.offsets[0] : p.offsets.map { $0[0] }
        return try zip(flat, offsets).map { token, offset in
            guard let v = Int64(token) else {
                throw PNGMetadataError.malformed(key: Key.seeds, offset: offset, reason: "'\(token)' is not an integer")
            }
            return v
        }
    }
}

public enum PNGMetadataError: Error, CustomStringConvertible, Equatable {
    case malformed(key: String, offset: Int, reason: String)
    case nonFinite(row: Int, index: Int, value: Float)

    public var description: String {
        switch self {
        case .malformed(let key, let offset, let reason):
            return "PNG text '\(key)' is malformed at character \(offset): \(reason)"
        case .nonFinite(let row, let index, let value):
            return "latent \(row) has the non-finite value \(value) at index \(index); it cannot be stored"
        }
    }
}

/// A parser for exactly two JSON shapes: `[n, …]` and `[[n, …], …]`. Numbers stay as their source
/// text so the caller parses each straight to its own type.
private struct JSONNumberLists {
    let bytes: [UInt8]
    let key: String
    var i = 0
    var offsets: [[Int]] = []

    init(_ s: String, key: String) { bytes = Array(s.utf8); self.key = key }

    private func fail(_ reason: String) -> PNGMetadataError { .malformed(key: key, offset: i, reason: reason) }

    mutating func parse() throws -> [[String]] {
        skipSpace()
        guard peek == UInt8(ascii: "[") else { throw fail("expected '['") }
        i += 1
        skipSpace()
        var lists: [[String]] = []
        if peek == UInt8(ascii: "[") {
            // [[…], […]]
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "[") else { throw fail("expected '['") }
                i += 1
                let (row, rowOffsets) = try numbers(until: UInt8(ascii: "]"))
                lists.append(row)
                offsets.append(rowOffsets)
                skipSpace()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                if peek == UInt8(ascii: "]") { i += 1; break }
                throw fail("expected ',' or ']'")
            }
        } else {
            let (row, rowOffsets) = try numbers(until: UInt8(ascii: "]"))
            lists.append(row)
            offsets.append(rowOffsets)
        }
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected text after the list") }
        return lists
    }

    /// Comma-separated number tokens up to and including `end` (the opening bracket consumed).
    private mutating func numbers(until end: UInt8) throws -> ([String], [Int]) {
        var tokens: [String] = [], starts: [Int] = []
        skipSpace()
        if peek == end { i += 1; return ([], []) }
        while true {
            skipSpace()
            let start = i
            while let c = peek, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                i += 1
            }
            guard i > start else { throw fail("expected a number") }
            tokens.append(String(decoding: bytes[start..<i], as: UTF8.self))
            starts.append(start)
            skipSpace()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            if peek == end { i += 1; return (tokens, starts) }
            throw fail("expected ',' or ']'")
        }
    }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipSpace() {
        while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 }
    }
}
