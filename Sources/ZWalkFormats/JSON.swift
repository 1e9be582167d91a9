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

extension JSON {
    /// Where JSON text first goes wrong, and what was expected there: Foundation's parser only says
    /// "the data is not in the correct format". nil when the text is well-formed.
    public static func syntaxError(in bytes: [UInt8]) -> (offset: Int, expected: String)? {
        var checker = SyntaxChecker(bytes: bytes)
        return checker.check()
    }
}

/// A recursive-descent recogniser of RFC 8259 JSON that stops at the first error.
private struct SyntaxChecker {
    let bytes: [UInt8]
    var i = 0
    var depth = 0

    struct Failure: Error { let offset: Int; let expected: String }

    mutating func check() -> (offset: Int, expected: String)? {
        do {
            space()
            try value()
            space()
            guard i == bytes.count else { throw Failure(offset: i, expected: "the end of the text") }
            return nil
        } catch let f as Failure {
            return (f.offset, f.expected)
        } catch {
            return (i, "valid JSON")
        }
    }

    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func space() { while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } }

    mutating func expect(_ c: UInt8, _ what: String) throws {
        guard peek == c else { throw Failure(offset: i, expected: what) }
        i += 1
    }

    mutating func value() throws {
        guard depth < 512 else { throw Failure(offset: i, expected: "at most 512 levels of nesting") }
        switch peek {
        case UInt8(ascii: "{"):
            i += 1; depth += 1; space()
            if peek == UInt8(ascii: "}") { i += 1; depth -= 1; return }
            while true {
                space(); try string(); space()
                try expect(UInt8(ascii: ":"), "':' after an object key")
                space(); try value(); space()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object"); depth -= 1; return
            }
        case UInt8(ascii: "["):
            i += 1; depth += 1; space()
            if peek == UInt8(ascii: "]") { i += 1; depth -= 1; return }
            while true {
                space(); try value(); space()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array"); depth -= 1; return
            }
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try word("true")
        case UInt8(ascii: "f"): try word("false")
        case UInt8(ascii: "n"): try word("null")
        case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39): try number()
        default: throw Failure(offset: i, expected: "a value (object, array, string, number, true, false or null)")
        }
    }

    mutating func word(_ w: String) throws {
        for b in w.utf8 { try expect(b, "'\(w)'") }
    }

    mutating func string() throws {
        try expect(UInt8(ascii: "\""), "a string in double quotes")
        while let c = peek {
            i += 1
            switch c {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let e = peek, "\"\\/bfnrtu".utf8.contains(e) else { throw Failure(offset: i, expected: "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)") }
                i += 1
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let h = peek, (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else {
                            throw Failure(offset: i, expected: "four hex digits after \\u")
                        }
                        i += 1
                    }
                }
            case 0..<0x20: throw Failure(offset: i - 1, expected: "no control character inside a string")
            default: break
            }
        }
        throw Failure(offset: i, expected: "the closing '\"' of a string")
    }

    mutating func number() throws {
        if peek == UInt8(ascii: "-") { i += 1 }
        func digits(_ what: String) throws {
            guard let c = peek, c >= 0x30 && c <= 0x39 else { throw Failure(offset: i, expected: what) }
            while let c = peek, c >= 0x30 && c <= 0x39 { i += 1 }
        }
        if peek == UInt8(ascii: "0") { i += 1 } else { try digits("a digit") }
        if peek == UInt8(ascii: ".") { i += 1; try digits("a digit after '.'") }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            try digits("a digit in the exponent")
        }
    }
}
