import Foundation
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

// The metadata every zwalk PNG carries, built in one place for every front end: the commands'
// figures, `zwalk decode`, and the explorer's exports. The keys and their formats are listed in
// `PNGMetadata.Key`.

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
        (["zwalk", "decode"] + modelArguments + ["--latents", latentsFile, "--out", "image.png"]).map(shellQuote).joined(separator: " ")
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
