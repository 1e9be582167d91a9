// What the explorer keeps of a model between runs: named bookmarks, attribute labels, pinned
// keyframes and the latent on screen. One JSON file per model fingerprint, written atomically
// after every change, so a killed explorer loses nothing it had saved.
import Foundation
import ZWalkEngine
import ZWalkFormats

public struct Workbench: Equatable, Sendable {
    /// A latent as the explorer knows it: the values, and the seed and ψ it was drawn with when
    /// it is that seed's sample.
    public struct Point: Equatable, Sendable {
        public var latent: [Float]
        public var seed: UInt32?
        public var psi: Float
        public init(latent: [Float], seed: UInt32?, psi: Float) { self.latent = latent; self.seed = seed; self.psi = psi }
    }

    public struct Bookmark: Equatable, Sendable {
        public var name: String
        public var point: Point
        public init(name: String, point: Point) { self.name = name; self.point = point }
    }

    /// Latents marked as having (positive) or lacking (negative) the attribute `name`.
    public struct LabelSet: Equatable, Sendable {
        public var name: String
        public var positive: [[Float]] = []
        public var negative: [[Float]] = []
        public init(name: String, positive: [[Float]] = [], negative: [[Float]] = []) {
            self.name = name; self.positive = positive; self.negative = negative
        }
    }

    public static let format = "zwalk-workbench-1"

    /// The model's fingerprint (sha256, with weights folded in): a workbench opens only on it.
    public var fingerprint: String
    /// The model's path when saved, for a person reading the file.
    public var model: String
    public var latentCount: Int
    public var bookmarks: [Bookmark] = []
    /// Labelled latents per attribute, in the order the names were first used.
    public var labels: [LabelSet] = []
    public var keyframes: [Point] = []
    public var current: Point? = nil
    /// The direction set walked, as `--directions` spells it ("sefa", a file), when it was a
    /// method's or a file's (attribute directions are rebuilt from their labels).
    public var directions: String? = nil

    public init(fingerprint: String, model: String, latentCount: Int) {
        self.fingerprint = fingerprint; self.model = model; self.latentCount = latentCount
    }


    // MARK: Where

    /// `$XDG_STATE_HOME/zwalk/workbench/<fingerprint>.json` (`~/.local/state` when unset).
    public static func defaultPath(fingerprint: String, environment: [String: String]) -> String? {
        let base: String
        if let x = environment["XDG_STATE_HOME"], x.hasPrefix("/") { base = x }
        else if let h = environment["HOME"], !h.isEmpty { base = h + "/.local/state" }
        else { return nil }
        return base + "/zwalk/workbench/" + fingerprint + ".json"
    }

    // MARK: JSON

    public var json: JSON {
        func point(_ p: Point) -> JSON {
            var f: [(String, JSON)] = [("latent", .array(p.latent.map { .float($0) })), ("psi", .float(p.psi))]
            if let s = p.seed { f.append(("seed", .int(Int(s)))) }
            return .object(f)
        }
        func rows(_ r: [[Float]]) -> JSON { .array(r.map { .array($0.map { .float($0) }) }) }
        var f: [(String, JSON)] = [
            ("format", .string(Self.format)), ("fingerprint", .string(fingerprint)), ("model", .string(model)),
            ("latent_count", .int(latentCount)),
            ("bookmarks", .array(bookmarks.map { .object([("name", .string($0.name)), ("point", point($0.point))]) })),
            ("labels", .array(labels.map { .object([("name", .string($0.name)), ("positive", rows($0.positive)),
                                                     ("negative", rows($0.negative))]) })),
            ("keyframes", .array(keyframes.map(point))),
        ]
        if let c = current { f.append(("current", point(c))) }
        if let d = directions { f.append(("directions", .string(d))) }
        return .object(f)
    }

    /// Writes the file atomically, replacing the last save; makes its folder.
    public func write(to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AtomicFile.write(Data((json.text + "\n").utf8), to: path, overwrite: true)
    }

    /// The workbench saved at `path`, nil when there is none. A file that is not one, or one of
    /// another model, is an error naming the file (the explorer says so and starts afresh).
    public static func read(path: String, fingerprint: String, latentCount: Int) throws -> Workbench? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        func bad(_ why: String) -> LatentError { .invalidArgument("\(path): \(why)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw bad("cannot be read") }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw bad("is not a JSON object") }
        guard root["format"] as? String == format else { throw bad("is not a zwalk workbench (format \(format))") }
        guard root["fingerprint"] as? String == fingerprint else { throw bad("belongs to another model (fingerprint)") }
        guard root["latent_count"] as? Int == latentCount else { throw bad("has latents of another size") }
        func floats(_ v: Any?, _ what: String) throws -> [Float] {
            guard let a = v as? [NSNumber], a.count == latentCount else { throw bad("\(what) is not a latent of \(latentCount) numbers") }
            let r = a.map { $0.floatValue }
            guard r.allSatisfy(\.isFinite) else { throw bad("\(what) holds a non-finite number") }
            return r
        }
        func point(_ v: Any?, _ what: String) throws -> Point {
            guard let o = v as? [String: Any] else { throw bad("\(what) is not an object") }
            let seed = try (o["seed"] as? NSNumber).map { n -> UInt32 in
                guard let s = UInt32(exactly: n.doubleValue) else { throw bad("\(what).seed is not a seed") }
                return s
            }
            return Point(latent: try floats(o["latent"], what + ".latent"), seed: seed, psi: (o["psi"] as? NSNumber)?.floatValue ?? 1)
        }
        var w = Workbench(fingerprint: fingerprint, model: root["model"] as? String ?? "", latentCount: latentCount)
        for (i, b) in ((root["bookmarks"] as? [Any]) ?? []).enumerated() {
            guard let o = b as? [String: Any], let name = o["name"] as? String else { throw bad("bookmark \(i) has no name") }
            w.bookmarks.append(Bookmark(name: name, point: try point(o["point"], "bookmark '\(name)'")))
        }
        for (i, l) in ((root["labels"] as? [Any]) ?? []).enumerated() {
            guard let o = l as? [String: Any], let name = o["name"] as? String else { throw bad("label set \(i) has no name") }
            let pos = try ((o["positive"] as? [Any]) ?? []).enumerated().map { try floats($0.element, "\(name) + \($0.offset)") }
            let neg = try ((o["negative"] as? [Any]) ?? []).enumerated().map { try floats($0.element, "\(name) − \($0.offset)") }
            w.labels.append(LabelSet(name: name, positive: pos, negative: neg))
        }
        w.keyframes = try ((root["keyframes"] as? [Any]) ?? []).enumerated().map { try point($0.element, "keyframe \($0.offset)") }
        if let c = root["current"] { w.current = try point(c, "current") }
        w.directions = root["directions"] as? String
        return w
    }
}
