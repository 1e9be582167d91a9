import Foundation
import ZWalkImage
import ZWalkLatent

// The metadata every zwalk PNG carries, built in one place for every front end: the commands'
// figures, `zwalk decode`, and the explorer's exports. The keys and their formats are listed in
// `PNGMetadata.Key`.

/// JSON text in a fixed key order, so metadata is byte-for-byte reproducible. Non-ASCII is
/// escaped, so the values stay in plain tEXt chunks that every PNG reader shows.
public indirect enum JSON: Sendable {
    case string(String), int(Int), double(Double), float(Float), bool(Bool)
    case array([JSON]), object([(String, JSON)])

    public var text: String {
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
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : x.description
    }

    public static func quote(_ s: String) -> String {
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
public func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
    if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// `text` with the few non-ASCII signs zwalk's captions use spelled in ASCII, so the caption stays
/// in a tEXt chunk (Latin-1) that every PNG tool shows, rather than in iTXt.
public func asciiText(_ text: String) -> String {
    let spelled: [Character: String] = ["σ": " sigma", "±": "+/-", "×": "x", "…": "..", "−": "-", "ψ": "psi", "→": "->", "·": "*"]
    return text.map { spelled[$0] ?? String($0) }.joined()
}

extension ModelSession {
    /// The metadata of a zwalk PNG, in a fixed order: program, caption, command, model and weights
    /// fingerprints, latent shape, what the figure is, the entries particular to it, and the latents
    /// last (longest).
    public func metadata(description: String, command: String, figure: [(String, JSON)], latents: [[Float]],
                         extra: [(String, String)] = []) throws -> PNGMetadata {
        typealias Key = PNGMetadata.Key
        var m = PNGMetadata()
        m[Key.software] = "zwalk"
        m[Key.description] = asciiText(description)
        m[Key.command] = command
        let h = try hashes()
        m[Key.modelSHA256] = h.model
        if let w = h.weights { m[Key.weightsSHA256] = w }
        m[Key.latentShape] = latentShape.map(String.init).joined(separator: ",")
        m[Key.figure] = JSON.object(figure).text
        for (k, v) in extra { m[k] = v }
        try m.setLatents(latents)
        return m
    }

    /// The command that decodes `latentsFile` (a PNG zwalk wrote) with this very model and weights.
    public func decodeCommand(latents latentsFile: String) -> String {
        (["zwalk", "decode", path] + (options.weights.map { ["--weights", $0] } ?? [])
            + ["--latents", latentsFile, "--out", "image.png"]).map(shellQuote).joined(separator: " ")
    }
}

extension DirectionSet {
    /// `zwalk.direction`: the set (how it was asked for, its method and fingerprint) and the rows
    /// walked, each with its name, score, 1σ length and unit vector, so the PNG alone says what was
    /// walked.
    public func metadataJSON(source: String, rows: [Int]) -> String {
        JSON.object([
            ("source", .string(source)), ("method", .string(method)), ("model_sha256", .string(modelSHA256)),
            ("score_kind", .string(scoreKind.rawValue)),
            ("rows", .array(rows.map { i in
                .object([("index", .int(i)), ("name", .string(names[i])), ("score", .float(scores[i])),
                         ("sigma", .float(sigmas[i])), ("vector", .array(vectors[i].map { .float($0) }))])
            })),
        ]).text
    }
}
