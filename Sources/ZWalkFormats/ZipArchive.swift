import Foundation
import CZlib

/// The entries of a zip archive (what `torch.save` writes since torch 1.6): the central directory
/// at the end of the file lists each entry's name, method, sizes and where its local header is.
/// Entries are stored or deflated; ZIP64 sizes and offsets are read. Every offset and size is
/// checked against the file before it is used, and every entry's CRC-32 is checked when read.
/// zlib is touched in this file only.
public struct ZipArchive {
    public struct Entry: Sendable {
        public let name: String
        /// 0 stored, 8 deflated.
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        public let size: Int
        let localHeaderOffset: Int
    }

    public let source: String
    public let data: Data
    /// In central-directory order.
    public let entries: [Entry]
    private let byName: [String: Int]

    /// At most this many entries (a state dict of 100,000 tensors is already unusual).
    static let maxEntries = 1_000_000

    public init(data: Data, source: String) throws {
        let data = data.startIndex == 0 ? data : Data(data)  // offsets below count from 0
        self.data = data
        self.source = source
        func fail(_ place: String, _ at: Int?, _ msg: String) -> FormatError {
            FormatError(file: source, place: place, offset: at, message: msg)
        }
        let n = data.count
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65535 bytes.
        guard n >= 22 else { throw fail("zip end record", 0, "the file has \(n) bytes, too few for a zip archive") }
        var eocd = -1
        var i = n - 22
        let lowest = max(0, n - 22 - 65535)
        while i >= lowest {
            if Self.u32(data, i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            throw fail("zip end record", n, "no end-of-central-directory record: the archive is truncated or not a zip file")
        }
        var count = Int(Self.u16(data, eocd + 10))
        var cdSize = Int(Self.u32(data, eocd + 12))
        var cdOffset = Int(Self.u32(data, eocd + 16))
        // ZIP64: a locator right before the end record points at the ZIP64 end record.
        if eocd >= 20, n >= 56, Self.u32(data, eocd - 20) == 0x0706_4b50 {
            let at = Self.u64(data, eocd - 12)
            guard at <= UInt64(n - 56), Self.u32(data, Int(at)) == 0x0606_4b50 else {
                throw fail("zip64 end record", eocd - 20, "the ZIP64 locator points at byte \(at), where there is no ZIP64 end record")
            }
            let z = Int(at)
            let c = Self.u64(data, z + 32), s = Self.u64(data, z + 40), o = Self.u64(data, z + 48)
            guard c <= UInt64(Self.maxEntries), s <= UInt64(n), o <= UInt64(n) else {
                throw fail("zip64 end record", z, "entry count \(c), directory size \(s) or offset \(o) is impossible for a \(n)-byte file")
            }
            count = Int(c); cdSize = Int(s); cdOffset = Int(o)
        }
        guard cdOffset <= n, cdSize <= n - cdOffset else {
            throw fail("zip central directory", eocd, "the central directory [\(cdOffset), +\(cdSize)) lies outside the \(n)-byte file")
        }
        var list: [Entry] = []
        var names: [String: Int] = [:]
        var p = cdOffset
        let end = cdOffset + cdSize
        for k in 0..<count {
            guard p + 46 <= end, Self.u32(data, p) == 0x0201_4b50 else {
                throw fail("zip central directory entry \(k)", p, "expected a central directory header (PK\\1\\2)")
            }
            let method = Self.u16(data, p + 10)
            let crc = Self.u32(data, p + 16)
            var csize = UInt64(Self.u32(data, p + 20)), usize = UInt64(Self.u32(data, p + 24))
            let nameLen = Int(Self.u16(data, p + 28)), extraLen = Int(Self.u16(data, p + 30)), commentLen = Int(Self.u16(data, p + 32))
            var local = UInt64(Self.u32(data, p + 42))
            guard p + 46 + nameLen + extraLen + commentLen <= end else {
                throw fail("zip central directory entry \(k)", p, "its name, extra field and comment run past the central directory")
            }
            let name = String(decoding: data[(p + 46)..<(p + 46 + nameLen)], as: UTF8.self)
            // ZIP64 extra field (id 1): the 8-byte values of whichever fields are 0xFFFFFFFF, in order.
            var e = p + 46 + nameLen
            let extraEnd = e + extraLen
            while e + 4 <= extraEnd {
                let id = Self.u16(data, e), len = Int(Self.u16(data, e + 2))
                guard e + 4 + len <= extraEnd else { break }
                if id == 1 {
                    var q = e + 4
                    func next() -> UInt64? { guard q + 8 <= e + 4 + len else { return nil }; defer { q += 8 }; return Self.u64(data, q) }
                    if usize == 0xFFFF_FFFF { usize = next() ?? usize }
                    if csize == 0xFFFF_FFFF { csize = next() ?? csize }
                    if local == 0xFFFF_FFFF { local = next() ?? local }
                }
                e += 4 + len
            }
            let place = "zip entry '\(name)'"
            guard method == 0 || method == 8 else {
                throw fail(place, p, "uses compression method \(method); zwalk reads stored (0) and deflated (8) entries")
            }
            guard local < UInt64(n), csize <= UInt64(n), usize <= UInt64(Int.max / 2) else {
                throw fail(place, p, "local header offset \(local) or size \(csize) lies outside the \(n)-byte file")
            }
            if method == 0 && csize != usize {
                throw fail(place, p, "is stored but its compressed size \(csize) differs from its size \(usize)")
            }
            names[name] = list.count
            list.append(Entry(name: name, method: method, crc32: crc, compressedSize: Int(csize), size: Int(usize),
                              localHeaderOffset: Int(local)))
            p += 46 + nameLen + extraLen + commentLen
        }
        entries = list
        byName = names
    }

    public func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }

    /// Where an entry's bytes begin in the file (after its local header), checked against the file.
    public func dataOffset(_ e: Entry) throws -> Int {
        let p = e.localHeaderOffset
        guard p + 30 <= data.count, Self.u32(data, p) == 0x0403_4b50 else {
            throw FormatError(file: source, place: "zip entry '\(e.name)'", offset: p, message: "expected a local file header (PK\\3\\4)")
        }
        let start = p + 30 + Int(Self.u16(data, p + 26)) + Int(Self.u16(data, p + 28))
        guard start <= data.count, e.compressedSize <= data.count - start else {
            throw FormatError(file: source, place: "zip entry '\(e.name)'", offset: p,
                              message: "its \(e.compressedSize) bytes from byte \(start) run past the end of the \(data.count)-byte file (truncated?)")
        }
        return start
    }

    /// An entry's bytes: a slice of the file when stored, inflated when deflated; the CRC-32 is checked.
    public func read(_ e: Entry) throws -> Data {
        let start = try dataOffset(e)
        let place = "zip entry '\(e.name)'"
        let out: Data
        if e.method == 0 {
            out = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + e.size))
        } else {
            out = try inflate(from: start, entry: e)
        }
        let crc = out.withUnsafeBytes { b -> UInt32 in
            var c: uLong = crc32(0, nil, 0)
            var p = b.baseAddress!.assumingMemoryBound(to: Bytef.self)
            var left = b.count
            while left > 0 {  // crc32 takes a 32-bit length
                let chunk = min(left, 1 << 30)
                c = crc32(c, p, uInt(chunk))
                p += chunk; left -= chunk
            }
            return UInt32(truncatingIfNeeded: c)
        }
        guard e.size == 0 || crc == e.crc32 else {
            throw FormatError(file: source, place: place, offset: start,
                              message: String(format: "CRC-32 %08x differs from the recorded %08x: the entry is corrupt", crc, e.crc32))
        }
        return out
    }

    private func inflate(from start: Int, entry e: Entry) throws -> Data {
        let place = "zip entry '\(e.name)'"
        var out = Data(count: max(e.size, 1))
        var stream = z_stream()
        guard zwalk_inflate_init_raw(&stream) == Z_OK else {
            throw FormatError(file: source, place: place, offset: start, message: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        let status: Int32 = data.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress!.advanced(by: start).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(min(e.compressedSize, Int(UInt32.max)))
                stream.next_out = dst.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(min(e.size, Int(UInt32.max)))
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == e.size else {
            let why = status == Z_STREAM_END ? "inflated to \(stream.total_out) bytes, not the recorded \(e.size)"
                : "the deflate stream is corrupt or truncated (zlib status \(status)\(stream.msg.map { ": " + String(cString: $0) } ?? ""))"
            throw FormatError(file: source, place: place, offset: start + Int(stream.total_in), message: why)
        }
        if e.size == 0 { out.removeAll() }
        return out
    }

    static func u16(_ d: Data, _ at: Int) -> UInt16 {
        d.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian }
    }
    static func u32(_ d: Data, _ at: Int) -> UInt32 {
        d.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian }
    }
    static func u64(_ d: Data, _ at: Int) -> UInt64 {
        d.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian }
    }
}
