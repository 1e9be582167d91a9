import Foundation
import Testing
import TestSupport
@testable import ZWalkFormats

@Suite struct ProtobufReaderTests {
    /// Reads one field's varint from `bytes` (a whole message).
    static func readVarint(_ bytes: [UInt8]) throws -> UInt64 {
        try bytes.withUnsafeBytes { buf in
            var r = ProtobufReader(buffer: buf, range: 0..<buf.count, file: "v.pb", place: "Test")
            return try r.varint("v")
        }
    }

    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(Int64.max), UInt64.max,
                      UInt64(bitPattern: -1), UInt64(bitPattern: Int64.min)])
    func varintRoundTrip(_ v: UInt64) throws {
        let bytes = PB.varintBytes(v)
        #expect(bytes.count <= 10)
        #expect(try Self.readVarint(bytes) == v)
    }

    struct BadVarint: Sendable, CustomTestStringConvertible {
        let what: String; let bytes: [UInt8]; let message: String
        var testDescription: String { what }
    }

    @Test(arguments: [
        BadVarint(what: "empty", bytes: [], message: "varint runs past the end of the file (size 0)"),
        BadVarint(what: "unterminated", bytes: [0x80, 0x80], message: "varint runs past the end of the file (size 2)"),
        BadVarint(what: "11 bytes", bytes: [UInt8](repeating: 0x80, count: 10) + [0x01], message: "varint is longer than 64 bits"),
        BadVarint(what: "65 bits", bytes: [UInt8](repeating: 0xFF, count: 9) + [0x02], message: "varint is longer than 64 bits"),
    ])
    func badVarints(_ row: BadVarint) {
        #expect {
            _ = try Self.readVarint(row.bytes)
        } throws: { e in
            let s = "\(e)"
            return s == "v.pb: Test field v at byte 0: \(row.message)"
        }
    }

    @Test func lengthPrefixBeyondTheEnclosingMessage() throws {
        // outer message (field 1) of 4 bytes holds a field 2 claiming 9 bytes.
        var inner = PB(); inner.tag(2, 2); inner.bytes += [9, 1, 2]
        var outer = PB(); outer.message(1, inner); outer.bytes += [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        try outer.bytes.withUnsafeBytes { buf in
            var r = ProtobufReader(buffer: buf, range: 0..<buf.count, file: "m.pb", place: "Outer")
            guard let f = try r.nextField() else { Issue.record("no field"); return }
            var sub = r.nested(try r.lengthDelimited("inner"), place: "Inner")
            _ = try sub.nextField()
            #expect {
                _ = try sub.lengthDelimited("payload")
            } throws: { e in
                "\(e)" == "m.pb: Inner field payload at byte 3: length 9 runs past the end of its enclosing message (which ends at byte 6)"
            }
            _ = f
        }
    }

    @Test func wireTypesAndSkipping() throws {
        var m = PB()
        m.varint(1, -5)
        m.fixed64(2, 0x0102_0304_0506_0708)
        m.string(3, "héllo")
        m.fixed32(4, Float(1.5).bitPattern)
        m.packedVarints(5, [1, -1, 300])
        m.packedFloats(6, [0.5, -2])
        try m.bytes.withUnsafeBytes { buf in
            var r = ProtobufReader(buffer: buf, range: 0..<buf.count, file: "w.pb", place: "M")
            var ints: [Int64] = [], floats: [Float] = []
            var seen: [Int] = []
            while let f = try r.nextField() {
                seen.append(f.number)
                switch f.number {
                case 1: #expect(try r.int64("a") == -5)
                case 3: #expect(try r.string("c") == "héllo")
                case 4: #expect(try r.float("d") == 1.5)
                case 5: try r.repeatedVarint(f, "e", into: &ints)
                case 6: try r.repeatedFloat(f, "f", into: &floats)
                default: try r.skip(f)
                }
            }
            #expect(seen == [1, 2, 3, 4, 5, 6])
            #expect(ints == [1, -1, 300])
            #expect(floats == [0.5, -2])
        }
    }

    @Test(arguments: [(UInt8(0x0B), "start-group"), (0x0E, "invalid wire type 6"), (0x00, "invalid field number 0")])
    func invalidTags(_ tag: UInt8, _ message: String) {
        let bytes: [UInt8] = [tag, 0]
        #expect {
            try bytes.withUnsafeBytes { buf in
                var r = ProtobufReader(buffer: buf, range: 0..<buf.count, file: "t.pb", place: "M")
                _ = try r.nextField()
            }
        } throws: { e in "\(e)".contains(message) && "\(e)".contains("t.pb: M at byte 0") }
    }
}
