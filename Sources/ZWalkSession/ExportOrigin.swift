import Foundation
import ZWalkEngine
import ZWalkImage
import ZWalkLatent
import ZWalkRemote

/// Where a zwalk PNG or GIF came from, read back from its metadata: the model (and weights) that
/// made it and the direction set it walked, so `zwalk exported.png` opens the explorer on that
/// model at that latent. The model is the one its `zwalk.command` names, found as written, beside
/// the picture, or as a shipped model — whichever has the sha256 the picture records.
public struct ExportOrigin: Sendable {
    public let model: String
    public let weights: String?
    /// The served model that made it (`--server … --model …` in its command), which `open`
    /// reaches and checks against the recorded fingerprint; `model` is then its address.
    public let remote: RemoteAddress?
    /// The fingerprint the picture records.
    public let fingerprint: String
    /// How the directions were asked for (`zwalk.direction`'s source: "sefa", "auto", a file…).
    public let directions: String?

    public static func isPicture(_ path: String) -> Bool {
        let p = path.lowercased()
        return p.hasSuffix(".png") || p.hasSuffix(".gif")
    }

    public init(picture path: String, shippedModels: () -> [String] = { ShippedModel.installed() }) throws {
        let text = path.lowercased().hasSuffix(".gif") ? try GIF.readText(path: path) : try PNGCodec.read(path: path).text
        guard let sha = text[PNGMetadata.Key.modelSHA256] else {
            throw SessionError.invalidOption("\(path) was not written by zwalk (no \(PNGMetadata.Key.modelSHA256)): open a model and give it with --latent")
        }
        let words = ExportOrigin.shellWords(text[PNGMetadata.Key.command] ?? "")
        fingerprint = sha
        func value(_ option: String) -> String? {
            words.firstIndex(of: "--" + option).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        }
        if let server = value("server"), let name = value("model") {
            remote = RemoteAddress(server: server, model: name, version: value("model-version"),
                                   timeout: value("timeout").flatMap(Double.init) ?? 60)
            model = server + InferenceServer.modelPath(name, version: value("model-version"))
            weights = nil
            directions = ExportOrigin.directionSource(text)
            return
        }
        remote = nil
        // zwalk COMMAND MODEL …: the model is the third word when it is not an option.
        let named = words.count >= 3 && words[0] == "zwalk" && !words[2].hasPrefix("-") ? words[2] : nil
        let weights = words.firstIndex(of: "--weights").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        let folder = (path as NSString).deletingLastPathComponent
        var candidates: [String] = []
        if let m = named {
            candidates.append(m)
            if !m.hasPrefix("/") { candidates.append((folder.isEmpty ? "." : folder) + "/" + m) }
            candidates.append((folder.isEmpty ? "." : folder) + "/" + (m as NSString).lastPathComponent)
        }
        candidates += shippedModels()
        let resolvedWeights = weights.map { w -> String in
            if w.hasPrefix("/") || FileManager.default.fileExists(atPath: w) { return w }
            return (folder.isEmpty ? "." : folder) + "/" + (w as NSString).lastPathComponent
        }
        var found: String? = nil
        for c in candidates where FileManager.default.fileExists(atPath: c) {
            let modelHash = try SHA256.hash(file: c)
            // As ModelSession.fingerprint: the model's sha256, or with weights that of "<model>+<weights>".
            let fingerprint = try resolvedWeights.map { SHA256.hash(Data((modelHash + "+" + (try SHA256.hash(file: $0))).utf8)) } ?? modelHash
            if fingerprint == sha { found = c; break }
        }
        guard let model = found else {
            let which = named.map { "the model it names (\($0))" } ?? "its model"
            throw SessionError.invalidOption("\(path) was made by a model with sha256 \(sha.prefix(12))…, and \(which) is not here with that hash: "
                                             + "open the model and give the picture with --latent")
        }
        self.model = model
        self.weights = resolvedWeights
        directions = ExportOrigin.directionSource(text)
    }

    static func directionSource(_ text: [String: String]) -> String? {
        let direction = text[PNGMetadata.Key.direction].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return direction?["source"] as? String
    }

    /// The session the picture came from: its file, or its served model checked against the
    /// fingerprint it records (a server now serving another model is refused).
    public func open(options: SessionOptions) throws -> ModelSession {
        guard let remote else { return try ModelSession(path: model, options: options) }
        let session = try ModelSession(server: remote, options: options)
        let now = try session.fingerprint()
        guard now == fingerprint else {
            throw SessionError.invalidOption("the picture was made by model '\(remote.model)' on \(remote.server) with fingerprint \(fingerprint.prefix(12))…; "
                + "it now serves one with fingerprint \(now.prefix(12))… (other metadata or version): open it with --server and give the picture with --latent")
        }
        return session
    }

    /// The words of a command line that `shellQuote` wrote (plain words, '…' with '\'' inside).
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = [], word = "", inWord = false, quoted = false
        var chars = Array(line)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if quoted {
                if c == "'" { quoted = false } else { word.append(c) }
            } else if c == "'" {
                quoted = true; inWord = true
            } else if c == "\\", let n = chars.first {
                word.append(n); chars = chars.dropFirst(); inWord = true
            } else if c == " " {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(c); inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}
