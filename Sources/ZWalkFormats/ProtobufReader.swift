import Foundation

/// A hand-written reader of the protobuf wire format (no Swift package can be fetched here, and
/// ONNX needs only a sliver of protobuf: tinygrad's onnx.py does the same in a few dozen lines).
///
/// The reader walks a byte range of one buffer that holds the whole file, so every offset it
/// reports is an offset into the file. It never allocates on the file's say-so: lengths are checked
/// against the bytes that remain before anything is copied. Callers decode one message by looping
/// over `nextField()` and reading each known field with the method for its type; unknown fields
/// are skipped with `skip(_:)`.
struct ProtobufReader {
    enum WireType: Int, CustomStringConvertible {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5

        var description: String {
            switch self {
            case .varint: return "varint"
            case .fixed64: return "64-bit"
            case .lengthDelimited: return "length-delimited"
            case .startGroup: return "start-group"
            case .endGroup: return "end-group"
            case .fixed32: return "32-bit"
            }
        }
    }

    struct Field {
        let number: Int
        let wire: WireType
        /// Offset of the field's tag.
        let offset: Int
    }

    let buffer: UnsafeRawBufferPointer
    let file: String
    /// The message being read, for errors: "TensorProto 'conv1.weight'". Updated by the decoder as
    /// it learns names, so errors late in a message are more precise than early ones.
    var place: String
    private(set) var position: Int
    let end: Int

    init(buffer: UnsafeRawBufferPointer, range: Range<Int>, file: String, place: String) {
        self.buffer = buffer; self.file = file; self.place = place
        self.position = range.lowerBound; self.end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// A reader for a nested message occupying `range` (from `lengthDelimited`).
    func nested(_ range: Range<Int>, place: String) -> ProtobufReader {
        ProtobufReader(buffer: buffer, range: range, file: file, place: place)
    }

    func error(_ field: String?, at offset: Int, _ message: String, hint: String? = nil) -> FormatError {
        var where_ = place
        if let f = field { where_ += (where_.isEmpty ? "" : " ") + "field " + f }
        return FormatError(file: file, place: where_, offset: offset, message: message, hint: hint)
    }

    // MARK: tags

    /// The next field's tag, or nil at the end of the message.
    mutating func nextField() throws -> Field? {
        guard position < end else { return nil }
        let start = position
        let key = try varint(nil)
        let number = key >> 3
        guard let wire = WireType(rawValue: Int(key & 7)) else {
            throw error(nil, at: start, "invalid wire type \(key & 7) in tag \(key); the file is corrupt or not this format")
        }
        guard number >= 1, number <= 536_870_911 else {
            throw error(nil, at: start, "invalid field number \(number); the file is corrupt or not this format")
        }
        if wire == .startGroup || wire == .endGroup {
            // Groups were deprecated before ONNX existed; one here means the bytes are not ONNX.
            throw error(nil, at: start, "field \(number) uses the \(wire) wire type, which ONNX never writes; the file is corrupt or not this format")
        }
        return Field(number: Int(number), wire: wire, offset: start)
    }

    /// Skips a field whose tag `nextField` just returned.
    mutating func skip(_ field: Field) throws {
        switch field.wire {
        case .varint: _ = try varint("#\(field.number)")
        case .fixed64: _ = try fixed64("#\(field.number)")
        case .fixed32: _ = try fixed32("#\(field.number)")
        case .lengthDelimited: _ = try lengthDelimited("#\(field.number)")
        case .startGroup, .endGroup: throw error("#\(field.number)", at: field.offset, "group wire type is not supported")
        }
    }

    /// Fails unless `field` has the wire type the schema gives it.
    func expect(_ field: Field, _ wire: WireType, _ name: String) throws {
        guard field.wire == wire else {
            throw error(name, at: field.offset, "has wire type \(field.wire), expected \(wire) (field number \(field.number)); the file is corrupt or not this format")
        }
    }

    // MARK: scalars

    /// A base-128 varint of at most 10 bytes.
    mutating func varint(_ field: String?) throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw error(field, at: start, position >= buffer.count
                            ? "varint runs past the end of the file (size \(buffer.count))"
                            : "varint runs past the end of its enclosing message (which ends at byte \(end))")
            }
            let b = buffer[position]
            position += 1
            if shift == 63 && b > 1 {
                throw error(field, at: start, "varint is longer than 64 bits")
            }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw error(field, at: start, "varint is longer than 10 bytes") }
        }
    }

    /// An int64 field: varint, two's complement.
    mutating func int64(_ field: String) throws -> Int64 { Int64(bitPattern: try varint(field)) }

    /// An int32 field: a varint whose value must fit 32 bits (negative ones are sign-extended to 64).
    mutating func int32(_ field: String) throws -> Int32 {
        let start = position
        let v = Int64(bitPattern: try varint(field))
        guard let r = Int32(exactly: v) else { throw error(field, at: start, "value \(v) does not fit an int32") }
        return r
    }

    mutating func fixed32(_ field: String?) throws -> UInt32 {
        guard end - position >= 4 else { throw truncated(field, need: 4) }
        let v = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self))
        position += 4
        return v
    }

    mutating func fixed64(_ field: String?) throws -> UInt64 {
        guard end - position >= 8 else { throw truncated(field, need: 8) }
        let v = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        position += 8
        return v
    }

    mutating func float(_ field: String) throws -> Float { Float(bitPattern: try fixed32(field)) }

    private func truncated(_ field: String?, need: Int) -> FormatError {
        error(field, at: position, end >= buffer.count
              ? "needs \(need) bytes but runs past the end of the file (size \(buffer.count))"
              : "needs \(need) bytes but runs past the end of its enclosing message (which ends at byte \(end))")
    }

    // MARK: length-delimited

    /// The byte range of a length-delimited field (bytes, string, nested message, packed array),
    /// checked to lie inside the enclosing message before anything is read from it.
    mutating func lengthDelimited(_ field: String?) throws -> Range<Int> {
        let start = position
        let n = try varint(field)
        let remaining = end - position
        guard n <= UInt64(remaining) else {
            let what = end >= buffer.count
                ? "runs past the end of the file (size \(buffer.count))"
                : "runs past the end of its enclosing message (which ends at byte \(end))"
            throw error(field, at: start, "length \(n) \(what)")
        }
        let r = position..<(position + Int(n))
        position = r.upperBound
        return r
    }

    mutating func string(_ field: String) throws -> String {
        let r = try lengthDelimited(field)
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[r]), as: UTF8.self)
    }

    mutating func bytes(_ field: String) throws -> [UInt8] {
        Array(buffer[try lengthDelimited(field)])
    }

    // MARK: repeated scalars (packed or not)

    /// Appends the values of a repeated varint field, packed (one length-delimited run) or not
    /// (one varint per tag); proto2 readers must accept both.
    mutating func repeatedVarint(_ f: Field, _ name: String, into out: inout [Int64]) throws {
        switch f.wire {
        case .varint:
            out.append(Int64(bitPattern: try varint(name)))
        case .lengthDelimited:
            let r = try lengthDelimited(name)
            var sub = nested(r, place: place)
            // No reserve: a varint takes 1–10 bytes, so the byte count would over-reserve up to 8×.
            while !sub.isAtEnd { out.append(Int64(bitPattern: try sub.varint(name))) }
        default:
            try expect(f, .varint, name)
        }
    }

    mutating func repeatedFloat(_ f: Field, _ name: String, into out: inout [Float]) throws {
        switch f.wire {
        case .fixed32:
            out.append(try float(name))
        case .lengthDelimited:
            let r = try lengthDelimited(name)
            guard r.count % 4 == 0 else {
                throw error(name, at: f.offset, "packed float array of \(r.count) bytes is not a multiple of 4")
            }
            var sub = nested(r, place: place)
            out.reserveCapacity(out.count + r.count / 4)
            while !sub.isAtEnd { out.append(try sub.float(name)) }
        default:
            try expect(f, .fixed32, name)
        }
    }
}
