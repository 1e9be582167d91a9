import Foundation
import ZWalkEngine

#if !_endian(little)
#error("ZWalkFormats copies little-endian file data straight into tensors; big-endian hosts need byte swaps")
#endif

/// ONNX's TensorProto.DataType codes (onnx.proto), with the engine type each one widens to.
/// The file stores the bare number; these names are that enum's, lower-cased.
enum ONNXElementType {
    static let undefined = 0
    static let float = 1
    static let uint8 = 2
    static let int8 = 3
    static let uint16 = 4
    static let int16 = 5
    static let int32 = 6
    static let int64 = 7
    static let string = 8
    static let bool = 9
    static let float16 = 10
    static let double = 11
    static let uint32 = 12
    static let uint64 = 13
    static let complex64 = 14
    static let complex128 = 15
    static let bfloat16 = 16

    static let names: [Int: String] = [
        undefined: "undefined", float: "float", uint8: "uint8", int8: "int8", uint16: "uint16", int16: "int16",
        int32: "int32", int64: "int64", string: "string", bool: "bool", float16: "float16", double: "double",
        uint32: "uint32", uint64: "uint64", complex64: "complex64", complex128: "complex128", bfloat16: "bfloat16",
        // Types no engine path reads: named only so that the error says which one the file holds.
        17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4",
        23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2", 27: "float6e2m3", 28: "float6e3m2",
    ]

    static func name(_ code: Int) -> String { "\(names[code] ?? "unknown") (\(code))" }

    /// The engine type values of this element type are computed in: floats widen to float32,
    /// integers to int64; nil when the engine cannot represent them (string, complex, float8, int4 …).
    static func engineType(_ code: Int) -> DType? {
        switch code {
        case float, float16, double, bfloat16: return .float32
        case uint8, int8, uint16, int16, int32, int64, uint32, uint64: return .int64
        case bool: return .bool
        default: return nil
        }
    }

    /// Bytes per element in raw_data, for the types the engine reads.
    static func rawSize(_ code: Int) -> Int? {
        switch code {
        case uint8, int8, bool: return 1
        case uint16, int16, float16, bfloat16: return 2
        case float, int32, uint32: return 4
        case int64, double, uint64: return 8
        default: return nil
        }
    }

    /// The typed field that holds values of this type when raw_data is not used (onnx.proto's
    /// comments on each field: 16-bit floats and every narrow integer travel in int32_data).
    static func typedField(_ code: Int) -> TypedField? {
        switch code {
        case float: return .float
        case uint8, int8, uint16, int16, int32, bool, float16, bfloat16: return .int32
        case int64: return .int64
        case double: return .double
        case uint32, uint64: return .uint64
        default: return nil
        }
    }

    enum TypedField: String { case float = "float_data", int32 = "int32_data", int64 = "int64_data", double = "double_data", uint64 = "uint64_data" }
}

/// TensorProto.DataLocation codes (onnx.proto): where a tensor's values are stored.
enum ONNXDataLocation {
    /// In the TensorProto itself (raw_data or a typed field).
    static let `default` = 0
    /// In a file beside the model, named by external_data's 'location'.
    static let external = 1
}

/// A TensorProto as it sits in the file, before any values are decoded: only byte ranges and the
/// small fields, so that framing errors are found before anything is allocated on the file's word.
struct TensorProtoFields {
    var offset = 0
    var name = ""
    var dims: [Int64] = []
    var dimsOffset: Int?
    var dataType: Int = 0
    var dataTypeSeen = false
    var raw: Range<Int>?
    var rawTagOffset = 0
    var floatData: [Float] = []
    var int32Data: [Int64] = []
    var int64Data: [Int64] = []
    var doubleData: [Double] = []
    var uint64Data: [Int64] = []
    var typedOffset: [ONNXElementType.TypedField: Int] = [:]
    var stringDataCount = 0
    var externalData: [(key: String, value: String)] = []
    var dataLocation = 0
    var hasSegment = false

    /// Reads a TensorProto message (field numbers from onnx.proto).
    static func read(_ r: inout ProtobufReader) throws -> TensorProtoFields {
        var t = TensorProtoFields()
        t.offset = r.position
        while let f = try r.nextField() {
            switch f.number {
            case 1:
                if t.dimsOffset == nil { t.dimsOffset = f.offset }
                try r.repeatedVarint(f, "dims", into: &t.dims)
            case 2:
                try r.expect(f, .varint, "data_type")
                t.dataType = Int(try r.int32("data_type")); t.dataTypeSeen = true
            case 3:
                _ = try r.lengthDelimited("segment"); t.hasSegment = true
            case 4:
                t.typedOffset[.float] = t.typedOffset[.float] ?? f.offset
                try r.repeatedFloat(f, "float_data", into: &t.floatData)
            case 5:
                t.typedOffset[.int32] = t.typedOffset[.int32] ?? f.offset
                try r.repeatedVarint(f, "int32_data", into: &t.int32Data)
            case 6:
                try r.expect(f, .lengthDelimited, "string_data")
                _ = try r.lengthDelimited("string_data"); t.stringDataCount += 1
            case 7:
                t.typedOffset[.int64] = t.typedOffset[.int64] ?? f.offset
                try r.repeatedVarint(f, "int64_data", into: &t.int64Data)
            case 8:
                try r.expect(f, .lengthDelimited, "name")
                t.name = try r.string("name")
                r.place = "TensorProto '\(t.name)'"
            case 9:
                try r.expect(f, .lengthDelimited, "raw_data")
                t.rawTagOffset = f.offset
                t.raw = try r.lengthDelimited("raw_data")
            case 10:
                t.typedOffset[.double] = t.typedOffset[.double] ?? f.offset
                try readDoubles(&r, f, into: &t.doubleData)
            case 11:
                t.typedOffset[.uint64] = t.typedOffset[.uint64] ?? f.offset
                try r.repeatedVarint(f, "uint64_data", into: &t.uint64Data)
            case 13:
                try r.expect(f, .lengthDelimited, "external_data")
                var e = r.nested(try r.lengthDelimited("external_data"), place: r.place)
                let (k, v) = try readStringPair(&e, "external_data")
                t.externalData.append((k, v))
            case 14:
                try r.expect(f, .varint, "data_location")
                t.dataLocation = Int(try r.int32("data_location"))
            default:
                try r.skip(f)
            }
        }
        return t
    }

    private static func readDoubles(_ r: inout ProtobufReader, _ f: ProtobufReader.Field, into out: inout [Double]) throws {
        switch f.wire {
        case .fixed64:
            out.append(Double(bitPattern: try r.fixed64("double_data")))
        case .lengthDelimited:
            let range = try r.lengthDelimited("double_data")
            guard range.count % 8 == 0 else {
                throw r.error("double_data", at: f.offset, "packed double array of \(range.count) bytes is not a multiple of 8")
            }
            var sub = r.nested(range, place: r.place)
            out.reserveCapacity(out.count + range.count / 8)
            while !sub.isAtEnd { out.append(Double(bitPattern: try sub.fixed64("double_data"))) }
        default:
            try r.expect(f, .fixed64, "double_data")
        }
    }
}

/// Reads a StringStringEntryProto (key = 1, value = 2).
func readStringPair(_ r: inout ProtobufReader, _ what: String) throws -> (String, String) {
    var key = "", value = ""
    while let f = try r.nextField() {
        switch f.number {
        case 1: try r.expect(f, .lengthDelimited, what + ".key"); key = try r.string(what + ".key")
        case 2: try r.expect(f, .lengthDelimited, what + ".value"); value = try r.string(what + ".value")
        default: try r.skip(f)
        }
    }
    return (key, value)
}

/// A decoded tensor and where its values came from, so that a later check (NaN weights) can name
/// the byte of the offending element.
struct DecodedTensor {
    let tensor: Tensor
    /// The file holding the values (the model, or its external data file).
    let dataFile: String
    /// Offset of element 0 in `dataFile` when the values are stored raw, else the message offset.
    let dataOffset: Int
    /// Bytes per stored element when raw, 0 for typed fields.
    let stride: Int
    /// The element type as declared in the file.
    let elementType: Int
}

/// Shared state of one load: the model's file name and directory, and the external data files
/// mapped so far (many tensors share one).
final class ONNXLoadContext {
    let file: String
    let baseDirectory: String?
    let options: ONNXLoader.Options
    private var externalFiles: [String: Data] = [:]

    init(file: String, baseDirectory: String?, options: ONNXLoader.Options) {
        self.file = file; self.baseDirectory = baseDirectory; self.options = options
    }

    /// Builds the engine tensor for a TensorProto: checks dims, data type and that the stored data
    /// holds exactly the values the dims promise, then converts (float16/bfloat16/double → float32,
    /// narrower integers → int64).
    func decode(_ t: TensorProtoFields, _ r: ProtobufReader) throws -> DecodedTensor {
        let place = r.place
        func fail(_ field: String?, _ at: Int, _ msg: String, hint: String? = nil) -> FormatError {
            FormatError(file: file, place: place + (field.map { " field " + $0 } ?? ""), offset: at, message: msg, hint: hint)
        }
        if t.hasSegment {
            throw fail("segment", t.offset, "segmented tensors (TensorProto.segment) are not supported")
        }
        var dims: [Int] = []
        for d in t.dims {
            guard d >= 0 else {
                throw fail("dims", t.dimsOffset ?? t.offset, "negative dimension \(d) in dims \(t.dims)")
            }
            // Int64 → Int is lossless on the 64-bit hosts zwalk runs on.
            dims.append(Int(d))
        }
        let count: Int
        do { count = try Shape.count(dims) } catch {
            throw fail("dims", t.dimsOffset ?? t.offset, "dims \(t.dims) have more elements than fit in memory (the product overflows)")
        }
        let code = t.dataType
        guard t.dataTypeSeen, code != ONNXElementType.undefined else {
            throw fail("data_type", t.offset, "data_type is missing or UNDEFINED")
        }
        guard let dtype = ONNXElementType.engineType(code), let size = ONNXElementType.rawSize(code),
              let typed = ONNXElementType.typedField(code) else {
            let what = code == ONNXElementType.string ? "string tensors are" : "data type \(ONNXElementType.name(code)) is"
            throw fail("data_type", t.offset, "\(what) not supported (zwalk computes with float32, int64 and bool)")
        }

        // Where the values are: an external file, raw_data, or one typed field.
        if t.dataLocation == ONNXDataLocation.external {
            let (data, range, path) = try externalBytes(t, place: place, need: count * size)
            let out = Tensor(dtype: dtype, shape: dims)
            try data.withUnsafeBytes { buf in
                try convertRaw(UnsafeRawBufferPointer(rebasing: buf[range]), code: code, count: count, into: out) { idx, v in
                    fail(nil, t.offset, "element \(idx) of the external data in \(path) holds uint64 value \(v), which does not fit int64; uint64 values above 2^63-1 are not supported")
                }
            }
            return DecodedTensor(tensor: out, dataFile: path, dataOffset: range.lowerBound, stride: size, elementType: code)
        }
        let typedCounts: [(ONNXElementType.TypedField, Int)] = [
            (.float, t.floatData.count), (.int32, t.int32Data.count), (.int64, t.int64Data.count),
            (.double, t.doubleData.count), (.uint64, t.uint64Data.count),
        ]
        let hasTyped = typedCounts.contains { $0.1 > 0 }
        // An empty raw_data next to typed values is a writer's artefact; the typed values count.
        if let raw = t.raw, !(raw.isEmpty && count > 0 && hasTyped) {
            if let other = typedCounts.first(where: { $0.1 > 0 }) {
                throw fail("raw_data", t.rawTagOffset, "both raw_data and \(other.0.rawValue) hold values; a tensor stores them in one place")
            }
            guard raw.count == count * size else {
                throw fail("raw_data", t.rawTagOffset,
                           "raw_data has \(raw.count) bytes but dims \(t.dims) of \(ONNXElementType.name(code)) need \(count) × \(size) = \(count * size)")
            }
            let out = Tensor(dtype: dtype, shape: dims)
            try convertRaw(UnsafeRawBufferPointer(rebasing: r.buffer[raw]), code: code, count: count, into: out) { idx, v in
                fail("raw_data", raw.lowerBound + idx * size, "element \(idx) holds uint64 value \(v), which does not fit int64; uint64 values above 2^63-1 are not supported")
            }
            return DecodedTensor(tensor: out, dataFile: file, dataOffset: raw.lowerBound, stride: size, elementType: code)
        }
        if t.stringDataCount > 0 {
            throw fail("string_data", t.offset, "a \(ONNXElementType.name(code)) tensor stores string_data")
        }
        for (field, n) in typedCounts where n > 0 && field != typed {
            throw fail(field.rawValue, t.typedOffset[field] ?? t.offset,
                       "a \(ONNXElementType.name(code)) tensor stores its values in \(field.rawValue); expected raw_data or \(typed.rawValue)")
        }
        let n: Int
        switch typed {
        case .float: n = t.floatData.count
        case .int32: n = t.int32Data.count
        case .int64: n = t.int64Data.count
        case .double: n = t.doubleData.count
        case .uint64: n = t.uint64Data.count
        }
        guard n == count else {
            let at = t.typedOffset[typed] ?? t.offset
            if n == 0 {
                throw fail(nil, at, "holds no values (no raw_data, \(typed.rawValue) or external data) but dims \(t.dims) need \(count)")
            }
            throw fail(typed.rawValue, at, "\(typed.rawValue) holds \(n) values but dims \(t.dims) need \(count)")
        }
        let out = Tensor(dtype: dtype, shape: dims)
        switch typed {
        case .float:
            let dst = out.floats
            for i in 0..<count { dst[i] = t.floatData[i] }
        case .double:
            let dst = out.floats
            for i in 0..<count { dst[i] = Float(t.doubleData[i]) }
        case .int64:
            let dst = out.ints
            for i in 0..<count { dst[i] = t.int64Data[i] }
        case .uint64:
            let dst = out.ints
            for i in 0..<count {
                guard t.uint64Data[i] >= 0 else {
                    throw fail("uint64_data", t.typedOffset[.uint64] ?? t.offset,
                               "element \(i) holds uint64 value \(UInt64(bitPattern: t.uint64Data[i])), which does not fit int64; uint64 values above 2^63-1 are not supported")
                }
                dst[i] = t.uint64Data[i]
            }
        case .int32:
            switch code {
            case ONNXElementType.float16, ONNXElementType.bfloat16: // bit patterns in the low 16 bits of each int32
                let dst = out.floats
                for i in 0..<count {
                    let bits = UInt16(truncatingIfNeeded: t.int32Data[i])
                    dst[i] = code == ONNXElementType.float16 ? HalfFloat.float16ToFloat(bits) : HalfFloat.bfloat16ToFloat(bits)
                }
            case ONNXElementType.bool:
                let dst = out.ints
                for i in 0..<count { dst[i] = t.int32Data[i] != 0 ? 1 : 0 }
            default:
                let dst = out.ints
                for i in 0..<count { dst[i] = t.int32Data[i] }
            }
        }
        return DecodedTensor(tensor: out, dataFile: file, dataOffset: t.typedOffset[typed] ?? t.offset, stride: 0, elementType: code)
    }

    /// Converts `count` little-endian elements of ONNX type `code` into `out`; `badUInt64` builds the
    /// error for a uint64 value beyond Int64's range.
    private func convertRaw(_ src: UnsafeRawBufferPointer, code: Int, count: Int, into out: Tensor,
                            badUInt64: (Int, UInt64) -> FormatError) throws {
        guard count > 0, let base = src.baseAddress else { return }
        switch code {
        case ONNXElementType.float:
            out.raw.copyMemory(from: base, byteCount: count * 4)
        case ONNXElementType.float16, ONNXElementType.bfloat16:
            HalfFloat.widen(base, count: count, bfloat: code == ONNXElementType.bfloat16, into: out.floats.baseAddress!)
        case ONNXElementType.double:
            let dst = out.floats
            for i in 0..<count { dst[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case ONNXElementType.int64:
            out.raw.copyMemory(from: base, byteCount: count * 8)
        case ONNXElementType.uint64:
            let dst = out.ints
            for i in 0..<count {
                let v = base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
                guard let s = Int64(exactly: v) else { throw badUInt64(i, v) }
                dst[i] = s
            }
        default:
            let dst = out.ints
            switch code {
            case ONNXElementType.uint8: for i in 0..<count { dst[i] = Int64(base.load(fromByteOffset: i, as: UInt8.self)) }
            case ONNXElementType.int8: for i in 0..<count { dst[i] = Int64(base.load(fromByteOffset: i, as: Int8.self)) }
            case ONNXElementType.bool: for i in 0..<count { dst[i] = base.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            case ONNXElementType.uint16: for i in 0..<count { dst[i] = Int64(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case ONNXElementType.int16: for i in 0..<count { dst[i] = Int64(base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case ONNXElementType.int32: for i in 0..<count { dst[i] = Int64(base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case ONNXElementType.uint32: for i in 0..<count { dst[i] = Int64(base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            default: break // unreachable: decode() admitted only the codes above
            }
        }
    }

    /// Whether external data at `resolved` (symbolic links followed) may be read for a model in
    /// `modelDirectory`: anything under that folder, and the `blobs/` of a Hugging Face cache
    /// (`…/models--org--name/snapshots/<rev>/` holding links to `…/models--org--name/blobs/<hash>`).
    static func mayRead(_ resolved: String, modelDirectory: String) -> Bool {
        if resolved.hasPrefix(modelDirectory.hasSuffix("/") ? modelDirectory : modelDirectory + "/") { return true }
        guard let snapshots = modelDirectory.range(of: "/snapshots/", options: .backwards) else { return false }
        return resolved.hasPrefix(String(modelDirectory[..<snapshots.lowerBound]) + "/blobs/")
    }

    /// The bytes of an external-data tensor: `location` is resolved against the model's directory
    /// and must stay inside it (no absolute paths, no `..`); offset and length are checked against
    /// the file's size and the tensor's dims. Symlinks inside the directory are followed on purpose
    /// (the Hugging Face cache links model files to blobs elsewhere).
    private func externalBytes(_ t: TensorProtoFields, place: String, need: Int) throws -> (Data, Range<Int>, String) {
        let fieldPlace = place + " field external_data"
        func fail(_ msg: String, hint: String? = nil) -> FormatError {
            FormatError(file: file, place: fieldPlace, offset: t.offset, message: msg, hint: hint)
        }
        var location: String?, offset: Int?, length: Int?
        for (k, v) in t.externalData {
            switch k {
            case "location": location = v
            case "offset", "length":
                guard let n = Int(v), n >= 0 else { throw fail("'\(k)' is '\(v)', not a non-negative integer") }
                if k == "offset" { offset = n } else { length = n }
            default: break // checksum and future keys
            }
        }
        guard let loc = location, !loc.isEmpty else { throw fail("data_location is EXTERNAL but no 'location' is given") }
        if loc.hasPrefix("/") || loc.hasPrefix("\\") || loc.dropFirst().first == ":" { // POSIX, UNC, "C:"
            throw fail("external data location '\(loc)' is an absolute path; it must be relative to the model's directory")
        }
        let parts = loc.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if parts.contains("..") {
            throw fail("external data location '\(loc)' leaves the model's directory ('..'); refusing to read outside it")
        }
        guard let base = baseDirectory else {
            throw fail("the tensor's values are in external file '\(loc)', but the model was given as bytes without a directory",
                       hint: "load the model from its path so that its external data files can be found")
        }
        let path = (base.isEmpty ? "." : base) + "/" + parts.joined(separator: "/")
        let data: Data
        if let d = externalFiles[path] {
            data = d
        } else {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
                throw fail("external data file \(path) does not exist",
                           hint: "keep the .onnx file next to its external data file(s); exporters write them side by side")
            }
            // A symbolic link may point anywhere: follow it only into the model's folder, or into
            // the blobs/ of a Hugging Face cache whose snapshot holds the model.
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            let home = URL(fileURLWithPath: base.isEmpty ? "." : base).resolvingSymlinksInPath().path
            guard ONNXLoadContext.mayRead(resolved, modelDirectory: home) else {
                throw fail("external data file \(path) is a link to \(resolved), outside the model's folder \(home); refusing to follow it",
                           hint: "copy the data next to the model, or link only within its folder (or a Hugging Face cache's blobs/)")
            }
            var info = stat()
            guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                throw fail("external data file \(path) is not a regular file (a device, a pipe or a socket cannot hold tensor data)")
            }
            do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
                throw fail("cannot read external data file \(path): \(fileErrorReason(error))")
            }
            externalFiles[path] = data
        }
        let start = offset ?? 0
        let len = length ?? (data.count - min(start, data.count))
        guard start <= data.count, len <= data.count - start else {
            throw fail("offset \(start) + length \(len) runs past the end of \(path) (size \(data.count))")
        }
        guard len == need else {
            throw fail("external data has \(len) bytes (offset \(start) in \(path)) but dims \(t.dims) of \(ONNXElementType.name(t.dataType)) need \(need)")
        }
        return (data, start..<(start + len), path)
    }
}
