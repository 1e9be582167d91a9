import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage

/// Latents read from a file, checked once against the model: a .npy holding one latent (its shape,
/// or flat) or rows of them ((N, latent…) or (N, latent count)), or a PNG or GIF written by zwalk
/// (its `zwalk.latents` metadata). Every row has the model's latent count and only finite values.
public struct LatentFile: Sendable {
    public let path: String
    public let rows: [[Float]]
    /// The PNG's text metadata (nil for .npy).
    public let pngText: [String: String]?
    /// Set when the PNG records another model's fingerprint: its latents may mean something else.
    public let warning: String?

    public init(path: String, session: ModelSession) throws {
        self.path = path
        let n = session.latentCount
        let shape = session.latentShape
        let want = "(\(shape.map(String.init).joined(separator: ", "))) or rows of it (N, \(n))"
        var warning: String? = nil
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if ext == "png" || ext == "gif" {
            // A GIF from `zwalk animate` carries the same entries, in a comment.
            let text = ext == "gif" ? try GIF.readText(path: path) : try PNGCodec.read(path: path).text
            guard let rows = try PNGMetadata(text: text).latents() else {
                throw SessionError.unusableLatents("\(path): has no \(PNGMetadata.Key.latents) metadata, so it was not written by zwalk; encode a picture with 'zwalk encode' instead")
            }
            guard !rows.isEmpty else { throw SessionError.unusableLatents("\(path): its \(PNGMetadata.Key.latents) metadata is an empty list") }
            if let bad = rows.firstIndex(where: { $0.count != n }) {
                throw SessionError.unusableLatents("\(path): latent \(bad) in its metadata has \(rows[bad].count) values, but \(session.name) takes \(n) — the PNG was made with another model (sha256 \(text[PNGMetadata.Key.modelSHA256] ?? "unknown"))")
            }
            // The picture's model and weights against this session's: a mismatch is worth a word,
            // not a refusal (a retrained model often keeps its latent space close).
            if let recorded = text[PNGMetadata.Key.modelSHA256] {
                let mine = try session.hashes()
                if recorded != mine.model || text[PNGMetadata.Key.weightsSHA256] != mine.weights {
                    let theirs = recorded + (text[PNGMetadata.Key.weightsSHA256].map { " with weights \($0)" } ?? "")
                    let ours = mine.model + (mine.weights.map { " with weights \($0)" } ?? "")
                    warning = "\(path) was made with model sha256 \(theirs), not \(session.name) (sha256 \(ours)); its latents may mean something else here"
                }
            }
            self.rows = rows
            pngText = text
        } else {
            let t = try NPY.read(path: path)
            guard t.dtype == .float32 else {
                throw SessionError.unusableLatents("\(path): holds \(t.dtype) values; latents are float32 \(want)")
            }
            let one = t.shape == shape || t.shape == [n]
            let rowsOf = t.rank >= 2 && t.shape[0] >= 1 && t.count == t.shape[0] * n
            guard t.count > 0, one || rowsOf else {
                throw SessionError.unusableLatents("\(path): an array of shape \(t.shape) (\(t.count) values) is not a latent of \(session.name), which takes \(want) — \(n) values per latent")
            }
            let f = t.floats
            rows = (0..<(t.count / n)).map { r in Array(f[(r * n)..<((r + 1) * n)]) }
            pngText = nil
        }
        if let (i, _) = rows.enumerated().first(where: { !$0.element.allSatisfy { $0.isFinite } }) {
            throw SessionError.unusableLatents("\(path): latent \(i) holds a non-finite value")
        }
        self.warning = warning
    }

    /// Row `index`, with a message naming the file when it is out of range.
    public func row(_ index: Int) throws -> [Float] {
        guard index >= 0, index < rows.count else {
            throw SessionError.invalidOption("\(path): holds \(rows.count) latent(s); index \(index) is outside 0…\(rows.count - 1)")
        }
        return rows[index]
    }

    /// "z.npy[3]": the row's name in notes, status lines and figure descriptions.
    public func label(_ index: Int) -> String { "\(URL(fileURLWithPath: path).lastPathComponent)[\(index)]" }

    /// The figure's columns recorded in a zwalk PNG (so `decode` lays cells out as they were).
    public var figureColumns: Int? {
        guard let fig = pngText?[PNGMetadata.Key.figure],
              let obj = try? JSONSerialization.jsonObject(with: Data(fig.utf8)) as? [String: Any],
              let c = obj["cols"] as? Int, c >= 1, c <= rows.count else { return nil }
        return c
    }
}
