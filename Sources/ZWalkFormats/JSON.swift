import Foundation

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
