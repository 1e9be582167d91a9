import Foundation
import ZWalkEngine

/// NumPy's .npy format, the exchange format for latents and directions: a magic string, a
/// version, a header length, a Python dict literal ({'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 3), }) padded to 64 bytes, then the C-order data.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// descr → (bytes per element, engine type). Floats widen to float32, integers to int64.
    static let dtypes: [String: (size: Int, dtype: DType)] = [
        "<f4": (4, .float32), "<f8": (8, .float32), "<f2": (2, .float32),
        "<i8": (8, .int64), "<i4": (4, .int64), "<i2": (2, .int64), "|i1": (1, .int64), "|u1": (1, .int64),
        "|b1": (1, .bool),
    ]

    public static func read(path: String) throws -> Tensor {
        try decode(ONNXLoader.readFile(path, what: ".npy"), source: path)
    }

    public static func decode(_ data: Data, source: String) throws -> Tensor {
        try data.withUnsafeBytes { buf in try decode(buf, source: source) }
    }

    static func decode(_ buf: UnsafeRawBufferPointer, source: String) throws -> Tensor {
        func fail(_ place: String, _ at: Int?, _ msg: String, hint: String? = nil) -> FormatError {
            FormatError(file: source, place: place, offset: at, message: msg, hint: hint)
        }
        guard buf.count >= 10, Array(buf[0..<6]) == magic else {
            let kind = FileSniffer.kind(of: buf)
            let hint: String?
            switch kind {
            case .zip: hint = "this is a zip archive (a NumPy .npz or a PyTorch checkpoint); save a single array with numpy.save(\"z.npy\", array)"
            case .gitLFSPointer: hint = FileSniffer.onnxHint(for: kind)
            default: hint = "save arrays with numpy.save(\"z.npy\", array)"
            }
            throw fail("magic", 0, buf.count < 10 ? "the file has \(buf.count) bytes, too short for a .npy header" : "bad magic: not a .npy file (it must start with \\x93NUMPY)", hint: hint)
        }
        let major = buf[6], minor = buf[7]
        let lengthBytes: Int
        switch major {
        case 1: lengthBytes = 2
        case 2, 3: lengthBytes = 4
        default: throw fail("version", 6, "format version \(major).\(minor) is not supported (1.0, 2.0 and 3.0 are)")
        }
        guard buf.count >= 8 + lengthBytes else { throw fail("header length", 8, "the file ends inside the header length") }
        let hlen = lengthBytes == 2
            ? Int(buf.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian)
            : Int(buf.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        let headerStart = 8 + lengthBytes
        guard hlen <= buf.count - headerStart else {
            throw fail("header length", 8, "header length \(hlen) runs past the end of the file (size \(buf.count))")
        }
        let dataStart = headerStart + hlen
        let headerBytes = Array(buf[headerStart..<dataStart])
        // Versions 1 and 2 store the header in latin-1, version 3 in UTF-8.
        let header = major == 3 ? String(decoding: headerBytes, as: UTF8.self)
                                : String(headerBytes.map { Character(Unicode.Scalar($0)) })
        let dict: [String: PyLiteral]
        do {
            var p = PyLiteralParser(Array(header.unicodeScalars))
            guard case .dict(let d) = try p.value() else { throw PyLiteralParser.Failure(message: "the header is not a dict") }
            dict = d
        } catch let e as PyLiteralParser.Failure {
            throw fail("header", headerStart, "cannot parse the header \(header.trimmingCharacters(in: .whitespacesAndNewlines).debugDescription): \(e.message)")
        }
        guard case .string(let descr)? = dict["descr"] else {
            throw fail("header 'descr'", headerStart, "'descr' is missing or not a simple dtype string (structured arrays are not supported)")
        }
        guard let (size, dtype) = dtypes[descr] else {
            let hint = descr.hasPrefix(">") ? "the array is big-endian; save it with array.astype(array.dtype.newbyteorder('<'))" : "convert it with array.astype(numpy.float32)"
            throw fail("header 'descr'", headerStart, "dtype '\(descr)' is not supported (zwalk reads <f4, <f8, <f2, <i8, <i4, <i2, |i1, |u1, |b1)", hint: hint)
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw fail("header 'fortran_order'", headerStart, "'fortran_order' is missing or not True/False")
        }
        guard !fortran else {
            throw fail("header 'fortran_order'", headerStart, "Fortran-order (column-major) arrays are not supported",
                       hint: "save it with numpy.save(path, numpy.ascontiguousarray(array))")
        }
        guard case .tuple(let items)? = dict["shape"] else {
            throw fail("header 'shape'", headerStart, "'shape' is missing or not a tuple")
        }
        var shape: [Int] = []
        for item in items {
            guard case .int(let d) = item, d >= 0 else {
                throw fail("header 'shape'", headerStart, "shape \(items) must hold non-negative integers")
            }
            shape.append(d)
        }
        let count: Int
        do { count = try Shape.count(shape) } catch {
            throw fail("header 'shape'", headerStart, "shape \(shape) has more elements than fit in memory (the product overflows)")
        }
        let have = buf.count - dataStart
        guard have == count * size else {
            throw fail("data", dataStart, "shape \(tupleString(shape)) of \(descr) needs \(count) × \(size) = \(count * size) bytes of data, but the file holds \(have) after its header",
                       hint: have < count * size ? "the file is truncated or its header lies" : nil)
        }
        let t = Tensor(dtype: dtype, shape: shape)
        guard count > 0, let base = buf.baseAddress?.advanced(by: dataStart) else { return t }
        switch descr {
        case "<f4": t.raw.copyMemory(from: base, byteCount: count * 4)
        case "<f8":
            let d = t.floats
            for i in 0..<count { d[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case "<f2": HalfFloat.widen(base, count: count, bfloat: false, into: t.floats.baseAddress!)
        case "<i8": t.raw.copyMemory(from: base, byteCount: count * 8)
        default:
            let d = t.ints
            for i in 0..<count {
                switch descr {
                case "<i4": d[i] = Int64(base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                case "<i2": d[i] = Int64(base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
                case "|i1": d[i] = Int64(base.load(fromByteOffset: i, as: Int8.self))
                case "|u1": d[i] = Int64(base.load(fromByteOffset: i, as: UInt8.self))
                default: d[i] = base.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 // |b1
                }
            }
        }
        return t
    }

    /// Python's repr of a shape tuple: (), (5,), (2, 3).
    static func tupleString(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// The bytes numpy.save writes for this tensor (float32 as <f4, int64 as <i8, bool as |b1),
    /// byte for byte: the same dict order, the spare spaces numpy leaves so the first axis can grow
    /// in place, and padding to a 64-byte boundary.
    public static func encode(_ t: Tensor) -> Data {
        var out = header(dtype: t.dtype, shape: t.shape)
        if t.dtype == .bool {
            out.append(contentsOf: t.ints.map { UInt8($0 != 0 ? 1 : 0) })
        } else {
            out.append(Data(bytes: t.raw, count: t.count * t.dtype.byteSize))
        }
        return out
    }

    /// The magic, version, header length and header dict numpy.save writes before the data.
    public static func header(dtype: DType, shape: [Int]) -> Data {
        let descr = dtype == .float32 ? "<f4" : dtype == .int64 ? "<i8" : "|b1"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tupleString(shape)), }"
        if let first = shape.first { header += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        let hlen = header.utf8.count + 1 // + the final newline
        var version: UInt8 = 1
        var prefixLen = 10
        var pad = 64 - ((prefixLen + hlen) % 64)
        if hlen + pad > 65535 { version = 2; prefixLen = 12; pad = 64 - ((prefixLen + hlen) % 64) }
        var out = Data(magic)
        out.append(contentsOf: [version, 0])
        let total = hlen + pad
        if version == 1 {
            withUnsafeBytes(of: UInt16(total).littleEndian) { out.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(total).littleEndian) { out.append(contentsOf: $0) }
        }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: [UInt8](repeating: 0x20, count: pad))
        out.append(0x0A)
        return out
    }

    /// Writes `t` atomically; an existing file is replaced only when `overwrite` is set.
    public static func write(_ t: Tensor, to path: String, overwrite: Bool) throws {
        try AtomicFile.write(encode(t), to: path, overwrite: overwrite)
    }

    /// A float32 .npy of a known shape written a block of rows at a time, as they are computed:
    /// the header first, then the rows; the file appears (atomically) only when every row of the
    /// shape's first axis has been appended and `finish` is called. The same bytes as `encode`.
    public final class RowWriter {
        public let shape: [Int]
        private let file: AtomicFile.Writer
        private let rowCount: Int
        private var rowsWritten = 0

        public init(path: String, shape: [Int], overwrite: Bool) throws {
            precondition(!shape.isEmpty, "rows need a first axis")
            self.shape = shape
            rowCount = shape.dropFirst().reduce(1, *)
            file = try AtomicFile.Writer(path: path, overwrite: overwrite)
            try header(dtype: .float32, shape: shape).withUnsafeBytes { try file.write($0) }
        }

        /// Appends whole rows: a tensor whose count is a multiple of one row's.
        public func append(_ rows: Tensor) throws {
            precondition(rows.dtype == .float32 && rows.count % max(rowCount, 1) == 0, "whole float rows only")
            try file.write(UnsafeRawBufferPointer(start: rows.raw, count: rows.count * 4))
            rowsWritten += rowCount == 0 ? 0 : rows.count / rowCount
        }

        /// Names the file once every row is in.
        public func finish() throws {
            precondition(rowsWritten == shape[0] || rowCount == 0, "\(rowsWritten) of \(shape[0]) rows written")
            try file.commit()
        }
    }
}

/// The Python literals a .npy header uses.
enum PyLiteral: Equatable, CustomStringConvertible {
    case string(String), int(Int), bool(Bool), none
    case tuple([PyLiteral]), dict([String: PyLiteral])

    var description: String {
        switch self {
        case .string(let s): return "'\(s)'"
        case .int(let i): return String(i)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let t): return "(" + t.map(\.description).joined(separator: ", ") + ")"
        case .dict(let d): return "{" + d.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser for the tiny subset of Python literals numpy writes in headers
/// (numpy itself uses ast.literal_eval).
struct PyLiteralParser {
    struct Failure: Error { let message: String }
    let s: [Unicode.Scalar]
    var i = 0
    var depth = 0

    init(_ s: [Unicode.Scalar]) { self.s = s }

    mutating func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" { i += 1 } }

    mutating func value() throws -> PyLiteral {
        skipSpace()
        guard i < s.count else { throw Failure(message: "unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 16 else { throw Failure(message: "nested too deeply") }
        let c = s[i]
        switch c {
        case "{":
            i += 1
            var d: [String: PyLiteral] = [:]
            while true {
                skipSpace()
                if i < s.count, s[i] == "}" { i += 1; return .dict(d) }
                guard case .string(let k) = try value() else { throw Failure(message: "dict key is not a string") }
                skipSpace()
                guard i < s.count, s[i] == ":" else { throw Failure(message: "expected ':' after key '\(k)'") }
                i += 1
                d[k] = try value()
                skipSpace()
                if i < s.count, s[i] == "," { i += 1; continue }
                skipSpace()
                guard i < s.count, s[i] == "}" else { throw Failure(message: "expected ',' or '}' in dict") }
            }
        case "(", "[":
            let close: Unicode.Scalar = c == "(" ? ")" : "]"
            i += 1
            var items: [PyLiteral] = []
            while true {
                skipSpace()
                if i < s.count, s[i] == close { i += 1; return .tuple(items) }
                items.append(try value())
                skipSpace()
                if i < s.count, s[i] == "," { i += 1; continue }
                skipSpace()
                guard i < s.count, s[i] == close else { throw Failure(message: "expected ',' or '\(close)'") }
            }
        case "'", "\"":
            i += 1
            var out = ""
            while i < s.count, s[i] != c {
                if s[i] == "\\", i + 1 < s.count { i += 1 }
                out.unicodeScalars.append(s[i]); i += 1
            }
            guard i < s.count else { throw Failure(message: "unterminated string") }
            i += 1
            return .string(out)
        default:
            var word = ""
            while i < s.count, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) || s[i] == "-" || s[i] == "_" {
                word.unicodeScalars.append(s[i]); i += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                // Python 2 wrote long integers with an L suffix.
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let n = Int(digits) else { throw Failure(message: "unexpected '\(word.isEmpty ? String(c) : word)'") }
                return .int(n)
            }
        }
    }
}
