import Foundation
import ZWalkEngine

/// Animated PNG (APNG 1.0): every frame full-size, shown for 1/fps s, replacing the one before.
///
/// Debian's libpng16 has no APNG API, so the chunk stream is assembled here; libpng still does
/// the hard part through `PNGCodec.encode` (row filters, zlib), which also keeps this file free of
/// C: each frame is encoded as an ordinary PNG and its IDAT payload (one zlib stream) is moved into
/// the animation, as IDAT for frame 0 (the default image, what viewers without APNG support show)
/// and as fdAT for the others. The text chunks come from frame 0's encoding, so they follow
/// `PNGCodec`'s rules (tEXt, zTXt for long values) and sit before the image data, where PIL reads
/// them. Chunk order: signature, IHDR, acTL, text, fcTL 0, IDAT…, then fcTL n, fdAT… per frame, IEND.
public enum APNG {
    /// The APNG bytes of `frames` (all the same size and channel count) with `text` chunks.
    public static func encode(_ frames: [Image], timing: AnimationTiming, text: [(String, String)]) throws -> Data {
        try encode(frames, timing: timing, text: text, source: "(in-memory animation)")
    }

    /// Encodes and writes atomically (never a half-written file); an existing file is replaced only
    /// with `overwrite`.
    public static func write(_ frames: [Image], timing: AnimationTiming, text: [(String, String)], to path: String,
                             overwrite: Bool) throws {
        try AtomicFile.write(try encode(frames, timing: timing, text: text, source: path), to: path, overwrite: overwrite)
    }

    static func encode(_ frames: [Image], timing: AnimationTiming, text: [(String, String)], source: String) throws -> Data {
        try timing.check(frames, format: "APNG", source: source, maxSide: Int(Int32.max))
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var sequence: UInt32 = 0  // fcTL and fdAT share one sequence, starting at 0
        for (index, frame) in frames.enumerated() {
            let still = try chunks(PNGCodec.encode(frame, text: index == 0 ? text : [], source: source), source: source)
            let data = still.filter { $0.type == "IDAT" }.reduce(into: Data()) { $0.append($1.data) }
            if index == 0 {
                guard let ihdr = still.first, ihdr.type == "IHDR" else { throw AnimationError("APNG", source, "libpng wrote no IHDR first") }
                appendChunk("IHDR", ihdr.data, to: &out)
                // acTL: number of frames, number of plays (0 = forever).
                appendChunk("acTL", be32(UInt32(frames.count)) + be32(timing.loop ? 0 : 1), to: &out)
                for c in still where ["tEXt", "zTXt", "iTXt"].contains(c.type) { appendChunk(c.type, c.data, to: &out) }
            }
            // fcTL: sequence, width, height, x and y offset, delay 1/fps s, dispose none, blend
            // source (the frame replaces what was there, alpha included).
            var fctl = be32(sequence) + be32(UInt32(frame.width)) + be32(UInt32(frame.height)) + be32(0) + be32(0)
            fctl += be16(1) + be16(UInt16(timing.fps))
            fctl.append(contentsOf: [0, 0])
            appendChunk("fcTL", fctl, to: &out)
            sequence += 1
            if index == 0 {
                appendChunk("IDAT", data, to: &out)
            } else {
                // One fdAT per ~1 MB, as libpng splits IDAT, so no chunk nears the 2³¹ limit.
                var offset = 0
                repeat {
                    let end = min(offset + (1 << 20), data.count)
                    appendChunk("fdAT", be32(sequence) + data.subdata(in: offset..<end), to: &out)
                    sequence += 1
                    offset = end
                } while offset < data.count
            }
        }
        appendChunk("IEND", Data(), to: &out)
        return out
    }

    /// The chunks of a PNG libpng just wrote (so well-formed): type and data.
    static func chunks(_ png: Data, source: String) throws -> [(type: String, data: Data)] {
        let b = [UInt8](png)
        var out: [(type: String, data: Data)] = []
        var i = 8
        while i + 12 <= b.count {
            let n = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard i + 12 + n <= b.count else { throw AnimationError("APNG", source, "libpng wrote a truncated chunk at byte \(i)") }
            out.append((String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self), Data(b[(i + 8)..<(i + 8 + n)])))
            i += 12 + n
        }
        return out
    }

    static func appendChunk(_ type: String, _ data: Data, to out: inout Data) {
        let typeBytes = Data(type.utf8)
        out += be32(UInt32(data.count))
        out += typeBytes
        out += data
        out += be32(CRC32.checksum(typeBytes + data))
    }

    static func be32(_ v: UInt32) -> Data { Data([UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }
    static func be16(_ v: UInt16) -> Data { Data([UInt8(v >> 8), UInt8(v & 0xFF)]) }
}

/// The CRC-32 of PNG chunks (ISO 3309, polynomial 0xEDB88320 reflected), as the PNG spec's
/// Annex D computes it.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
