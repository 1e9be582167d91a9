import Foundation
#if os(Linux)
import Glibc
#endif

/// How much memory a piece of work may use, what the machine has, and what the process used.
public enum Memory {
    /// The machine's physical memory: MemTotal of /proc/meminfo, else sysconf's pages × page size.
    public static var physicalBytes: Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kb * 1024
        }
        return max(sysconf(Int32(_SC_PHYS_PAGES)), 0) * max(sysconf(Int32(_SC_PAGESIZE)), 0)
    }

    /// The budget when none is given: a quarter of physical memory, so a decode leaves room for
    /// everything else the machine runs (and a shared machine for its other users).
    public static var defaultBudget: Int { max(physicalBytes / 4, 256 << 20) }

    /// The process's peak resident set so far (getrusage's ru_maxrss, kilobytes on Linux).
    public static var peakResidentBytes: Int {
        var u = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &u) == 0 else { return 0 }
        return Int(u.ru_maxrss) * 1024
    }

    /// "2G", "512M", "800K", "1.5G" or a plain number of bytes (K, M, G, T are powers of 1024; an
    /// optional trailing B or iB is accepted: "512MiB"). nil when it does not parse or is not > 0.
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) && t.count > suffix.count { t.removeLast(suffix.count); break }
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var factor = 1.0
        if let u = t.last, let f = units[u] { factor = f; t.removeLast() }
        guard let v = Double(t), v.isFinite, v > 0, v * factor < 1e18 else { return nil }
        return Int(v * factor)
    }

    /// Bytes as people read them: "812 KB", "3.4 MB", "1.2 GB" (powers of 1024).
    public static func format(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var v = Double(bytes), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(bytes) bytes" : String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[i])
    }
}

/// Work refused before it starts because it cannot fit the memory budget: what it needs, part by
/// part, and the budget.
public struct MemoryBudgetError: Error, CustomStringConvertible, Equatable {
    public let what: String
    public let parts: [String]
    public let needed: Int
    public let budget: Int

    public init(what: String, parts: [(String, Int)], budget: Int) {
        self.what = what
        self.parts = parts.filter { $0.1 > 0 }.map { "\($0.0) \(Memory.format($0.1))" }
        needed = parts.reduce(0) { $0 + $1.1 }
        self.budget = budget
    }

    public var description: String {
        "\(what) needs at least \(Memory.format(needed)) (\(parts.joined(separator: " + "))), more than the memory budget of \(Memory.format(budget)); raise the budget or decode fewer latents at a time"
    }
}
