import Foundation

/// Seeds as GAN repositories write them: "1,2,7", ranges "0-15", mixed ("0-3,9"), each a seed
/// numpy's RandomState takes (0…2³²−1).
public enum SeedList {
    /// A longer list than any figure has cells is a typo, not a request.
    public static let maxCount = 4096

    public static func parse(_ parts: [String]) throws -> [UInt32] {
        var seeds: [UInt32] = []
        for p in parts.flatMap({ $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }) {
            let bounds = p.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let lo = UInt32(bounds[0]), let hi = bounds.count == 2 ? UInt32(bounds[1]) : lo, lo <= hi else {
                throw SessionError.invalidOption("seeds are 0…4294967295 separated by commas, with ranges like 0-15; got '\(p)'")
            }
            guard seeds.count + Int(hi - lo) < maxCount else { throw SessionError.invalidOption("more than \(maxCount) seeds") }
            seeds += (lo...hi).map { $0 }
        }
        return seeds
    }
}

/// File names with a placeholder (`s-{seed}.png`, `f-{step}.png`), one per value.
public enum OutputTemplate {
    /// `template` with `{key}` replaced by each value; numbers are zero-padded to one width when
    /// `pad` (so frames sort in order).
    public static func expand(_ template: String, key: String, values: [Int], pad: Bool = false) -> [String] {
        let width = pad ? String(values.max() ?? 0).count : 0
        return values.map { v in
            let text = String(v)
            return template.replacingOccurrences(of: "{\(key)}", with: String(repeating: "0", count: max(0, width - text.count)) + text)
        }
    }
}
