import Foundation
import ZWalkEngine

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each tensor name to {dtype, shape, data_offsets} (plus an optional `__metadata__`
/// string map), then the tensors' bytes. Floats widen to float32 like everywhere in zwalk.
public enum Safetensors {
    /// Headers beyond this are refused before parsing (the reference implementation's limit).
    static let maxHeaderBytes = 100_000_000

    /// The file's dtype names.
    static let dtypes: [String: StoredType] = [
        "F32": .f32, "F16": .f16, "BF16": .bf16, "F64": .f64,
        "I64": .i64, "I32": .i32, "I16": .i16, "I8": .i8, "U8": .u8, "BOOL": .bool,
    ]

    public static func read(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try decode(ONNXLoader.readFile(path, what: "safetensors"), source: path)
    }

    public static func decode(_ data: Data, source: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        try data.withUnsafeBytes { buf in try decode(buf, source: source) }
    }

    static func decode(_ buf: UnsafeRawBufferPointer, source: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ place: String, _ at: Int?, _ msg: String, hint: String? = nil) -> FormatError {
            FormatError(file: source, place: place, offset: at, message: msg, hint: hint)
        }
        let kind = FileSniffer.kind(of: buf)
        let sniffHint: String? = {
            switch kind {
            case .zip, .pickle:
                return "this looks like a PyTorch checkpoint, not safetensors; convert it with safetensors.torch.save_file(model.state_dict(), \"weights.safetensors\")"
            case .gitLFSPointer: return FileSniffer.onnxHint(for: kind)
            case .npy: return "this is a NumPy .npy array, not a safetensors file"
            default: return buf.count >= 2 && buf[0] == 0x08 ? "this may be an ONNX model; give it as the model, not as weights" : nil
            }
        }()
        guard buf.count >= 8 else {
            throw fail("header length", 0, "the file has \(buf.count) bytes, fewer than the 8-byte header length", hint: sniffHint)
        }
        let n = buf.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard n <= UInt64(buf.count - 8) else {
            throw fail("header length", 0, "header length \(n) runs past the end of the file (size \(buf.count))", hint: sniffHint)
        }
        guard n <= UInt64(maxHeaderBytes) else {
            throw fail("header length", 0, "header length \(n) is over the \(maxHeaderBytes)-byte limit")
        }
        let headerEnd = 8 + Int(n)
        let header = Data(buf[8..<headerEnd])
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: header) } catch {
            // Foundation says only "not in the correct format"; say where, and what was expected.
            if let (at, expected) = JSON.syntaxError(in: Array(header)) {
                let found = at < header.count ? "'\(String(decoding: [header[header.startIndex + at]], as: UTF8.self))'" : "the end of the header"
                throw fail("header", 8 + at, "the JSON header does not parse: expected \(expected), found \(found)", hint: sniffHint)
            }
            throw fail("header", 8, "the JSON header does not parse: \(error.localizedDescription)", hint: sniffHint)
        }
        guard let entries = json as? [String: Any] else {
            throw fail("header", 8, "the JSON header is not an object")
        }
        let dataSize = buf.count - headerEnd
        var metadata: [String: String] = [:]
        struct Entry { let name: String; let begin: Int; let end: Int; let shape: [Int]; let dtype: String }
        var list: [Entry] = []
        for name in entries.keys.sorted() {
            let value = entries[name]!
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__", 8, "is not an object of strings") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__", 8, "value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            let place = "tensor '\(name)'"
            guard let e = value as? [String: Any] else { throw fail(place, 8, "header entry is not an object") }
            guard let dt = e["dtype"] as? String else { throw fail(place, 8, "has no string 'dtype'") }
            guard let size = dtypes[dt]?.size else {
                throw fail(place + " dtype", 8, "dtype '\(dt)' is not supported (zwalk reads F32, F16, BF16, F64 and I64/I32/I16/I8/U8/BOOL)")
            }
            guard let shapeAny = e["shape"] as? [Any], let shape = intList(shapeAny) else {
                throw fail(place + " shape", 8, "'shape' is not a list of integers")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail(place + " shape", 8, "negative dimension in shape \(shape)") }
            let count: Int
            do { count = try Shape.count(shape) } catch {
                throw fail(place + " shape", 8, "shape \(shape) has more elements than fit in memory (the product overflows)")
            }
            guard let offAny = e["data_offsets"] as? [Any], let offs = intList(offAny), offs.count == 2 else {
                throw fail(place + " data_offsets", 8, "'data_offsets' is not a list of two integers")
            }
            let (b, end) = (offs[0], offs[1])
            guard b >= 0, b <= end, end <= dataSize else {
                throw fail(place + " data_offsets", headerEnd + max(0, min(b, dataSize)),
                           "data_offsets [\(b), \(end)] lie outside the data section (\(dataSize) bytes after the \(headerEnd)-byte header)")
            }
            guard end - b == count * size else {
                throw fail(place + " data_offsets", headerEnd + b,
                           "data_offsets [\(b), \(end)] hold \(end - b) bytes but shape \(shape) of \(dt) needs \(count) × \(size) = \(count * size)")
            }
            list.append(Entry(name: name, begin: b, end: end, shape: shape, dtype: dt))
        }
        // Two tensors must never share bytes: a file where they do was written wrong or crafted.
        let sorted = list.filter { $0.end > $0.begin }.sorted { $0.begin < $1.begin }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.begin {
            throw fail("tensor '\(b.name)' data_offsets", headerEnd + b.begin,
                       "data_offsets [\(b.begin), \(b.end)] overlap tensor '\(a.name)' at [\(a.begin), \(a.end)]")
        }
        var tensors: [String: Tensor] = [:]
        for e in list {
            tensors[e.name] = dtypes[e.dtype]!.tensor(from: buf.baseAddress?.advanced(by: headerEnd + e.begin), shape: e.shape)
        }
        return (tensors, metadata)
    }

    /// Integers from a JSON array; nil if any element is not an exact integer. JSONSerialization
    /// boxes booleans as NSNumber too (and `is Bool` holds for 0 and 1), so the boxed type decides.
    private static func intList(_ a: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in a {
            guard let n = v as? NSNumber else { return nil }
            let type = String(cString: n.objCType)
            if type == "c" || type == "B" { return nil } // true / false
            if type == "d" || type == "f" {
                let d = n.doubleValue
                guard d == d.rounded(), abs(d) < 0x1p53 else { return nil }
                out.append(Int(d))
            } else {
                guard let i = v as? Int else { return nil }
                out.append(i)
            }
        }
        return out
    }

    // MARK: writing

    /// A safetensors file of the tensors (float32 as F32, int64 as I64, bool as BOOL), names
    /// sorted, data contiguous in that order, header padded with spaces to a multiple of 8 as the
    /// reference writer does.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(JSON.quote($0)):\(JSON.quote(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let (dt, size) = t.dtype == .float32 ? ("F32", 4) : t.dtype == .int64 ? ("I64", 8) : ("BOOL", 1)
            let bytes = t.count * size
            entries.append("\(JSON.quote(name)):{\"dtype\":\"\(dt)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            let t = tensors[name]!
            if t.dtype == .bool {
                out.append(contentsOf: t.ints.map { UInt8($0 != 0 ? 1 : 0) })
            } else {
                out.append(Data(bytes: t.raw, count: t.count * (t.dtype == .float32 ? 4 : 8)))
            }
        }
        return out
    }
}
