import Foundation
import ZWalkEngine

/// Animated GIF (GIF89a): one global palette, every frame full-size with a delay in centiseconds,
/// the NETSCAPE2.0 extension to loop forever (none to play once), and a comment extension with
/// the text GIF has no chunk for (zwalk writes its metadata there as `key=value` lines).
///
/// Colours: one palette of at most 256 colours for all frames, by median cut over the colours of
/// every frame (weighted by how many pixels have them), each pixel mapped to its nearest palette
/// colour, without dithering. One palette, because per-frame palettes make a colour that stays put
/// in the picture shift from frame to frame; median cut rather than a fixed cube, because decoder
/// outputs have few hues and a fixed 6×7×6 cube spends most of its entries on colours they never
/// show; no dithering, because dither noise differs where the pictures differ slightly and so
/// crawls as the animation plays. Animations of at most 256 colours in all (every gray model) keep
/// their exact colours. Alpha is dropped: GIF transparency is one bit.
public enum GIF {
    /// The GIF bytes of `frames` (all the same size; gray, RGB or RGBA) with `comment`.
    public static func encode(_ frames: [Image], timing: AnimationTiming, comment: String) throws -> Data {
        try encode(frames, timing: timing, comment: comment, source: "(in-memory animation)")
    }

    /// Encodes and writes atomically; an existing file is replaced only with `overwrite`.
    public static func write(_ frames: [Image], timing: AnimationTiming, comment: String, to path: String, overwrite: Bool) throws {
        try AtomicFile.write(try encode(frames, timing: timing, comment: comment, source: path), to: path, overwrite: overwrite)
    }

    /// Frame i's delay in centiseconds: the differences of round(100·i/fps), so frame times that
    /// are not whole centiseconds (24 fps) still add up to the right length (4, 4, 5, 4, 4, 4 …).
    public static func delays(frames: Int, fps: Int) -> [Int] {
        (0..<frames).map { i in ((100 * (i + 1) * 2 + fps) / (2 * fps)) - ((100 * i * 2 + fps) / (2 * fps)) }
    }

    static func encode(_ frames: [Image], timing: AnimationTiming, comment: String, source: String) throws -> Data {
        try timing.check(frames, format: "GIF", source: source, maxSide: 0xFFFF)  // 16-bit sizes
        let width = frames[0].width, height = frames[0].height
        let rgbFrames = frames.map(rgbPixels)
        let palette = Palette.medianCut(rgbFrames, maxColours: 256)
        // The table holds 2^bits entries (bits ≥ 1); LZW codes start at bits + 1 (at least 3).
        var bits = 1
        while 1 << bits < palette.colours.count { bits += 1 }

        var out = Data("GIF89a".utf8)
        out += le16(width) + le16(height)
        out.append(0x80 | UInt8(7 << 4) | UInt8(bits - 1))  // global table, 8-bit colour resolution
        out.append(contentsOf: [0, 0])                        // background index, no aspect ratio
        for i in 0..<(1 << bits) {
            let c = i < palette.colours.count ? palette.colours[i] : 0
            out.append(contentsOf: [UInt8(c >> 16), UInt8(c >> 8 & 0xFF), UInt8(c & 0xFF)])
        }
        if timing.loop {
            out.append(contentsOf: [0x21, 0xFF, 11])
            out += Data("NETSCAPE2.0".utf8)
            out.append(contentsOf: [3, 1, 0, 0, 0])  // sub-block: loop count 0 = forever
        }
        if !comment.isEmpty {
            out.append(contentsOf: [0x21, 0xFE])
            appendSubBlocks(Data(comment.utf8), to: &out)
        }
        let minCodeSize = max(2, bits)
        for (i, d) in delays(frames: frames.count, fps: timing.fps).enumerated() {
            // Graphic control: disposal 1 (leave in place; the next frame covers it), the delay.
            out.append(contentsOf: [0x21, 0xF9, 4, 1 << 2])
            out += le16(d)
            out.append(contentsOf: [0, 0])
            out.append(0x2C)
            out += le16(0) + le16(0) + le16(width) + le16(height)
            out.append(0)  // no local table, not interlaced
            out.append(UInt8(minCodeSize))
            appendSubBlocks(lzw(palette.indices(of: rgbFrames[i]), minCodeSize: minCodeSize), to: &out)
        }
        out.append(0x3B)
        return out
    }

    // MARK: reading the text back

    /// The `key=value` entries of the comment extensions of the GIF at `path` (what `encode`
    /// writes from zwalk's metadata): a line without `=` continues the value before it, so a value
    /// that holds a newline survives. Later keys win, as in `PNGCodec.read`.
    public static func readText(path: String) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw AnimationError("GIF", path, "cannot read the file: \(fileErrorReason(error))")
        }
        var text: [String: String] = [:], last: String? = nil
        for comment in try comments(data, source: path) {
            for line in comment.split(separator: "\n", omittingEmptySubsequences: false) {
                if let eq = line.firstIndex(of: "="), !line[..<eq].isEmpty {
                    let key = String(line[..<eq])
                    text[key] = String(line[line.index(after: eq)...])
                    last = key
                } else if let key = last {
                    text[key, default: ""] += "\n" + line
                }
            }
        }
        return text
    }

    /// The text of every comment extension, walking the block structure (image data skipped).
    static func comments(_ data: Data, source: String) throws -> [String] {
        let b = [UInt8](data)
        func fail(_ why: String) -> AnimationError { AnimationError("GIF", source, why) }
        guard b.count >= 13, b.starts(with: Array("GIF8".utf8)) else { throw fail("not a GIF file: it does not start with GIF87a or GIF89a") }
        var i = 13
        if b[10] & 0x80 != 0 { i += 3 << (Int(b[10] & 7) + 1) }
        func subBlocks() throws -> [UInt8] {
            var out: [UInt8] = []
            while true {
                guard i < b.count else { throw fail("truncated at byte \(i)") }
                let n = Int(b[i])
                i += 1
                if n == 0 { return out }
                guard i + n <= b.count else { throw fail("truncated at byte \(i)") }
                out += b[i..<(i + n)]
                i += n
            }
        }
        var found: [String] = []
        while i < b.count {
            switch b[i] {
            case 0x3B: return found
            case 0x21:
                guard i + 1 < b.count else { throw fail("truncated at byte \(i)") }
                let label = b[i + 1]
                i += 2
                let body = try subBlocks()
                if label == 0xFE { found.append(String(decoding: body, as: UTF8.self)) }
            case 0x2C:
                guard i + 10 <= b.count else { throw fail("truncated at byte \(i)") }
                let packed = b[i + 9]
                i += 10
                if packed & 0x80 != 0 { i += 3 << (Int(packed & 7) + 1) }
                i += 1  // LZW minimum code size
                _ = try subBlocks()
            default:
                throw fail("unexpected byte 0x\(String(b[i], radix: 16)) at byte \(i), where a block should start")
            }
        }
        throw fail("no trailer: the file is truncated")
    }

    /// Every pixel as 0xRRGGBB (gray repeated, alpha dropped).
    static func rgbPixels(_ image: Image) -> [UInt32] {
        let c = image.channels, p = image.pixels
        return (0..<(image.width * image.height)).map { i in
            if c == 1 { let g = UInt32(p[i]); return g << 16 | g << 8 | g }
            return UInt32(p[i * c]) << 16 | UInt32(p[i * c + 1]) << 8 | UInt32(p[i * c + 2])
        }
    }

    /// GIF's LZW: variable-width codes from minCodeSize + 1 to 12 bits, packed least significant
    /// bit first; a clear code first and whenever the table is full (4095 codes, as giflib does).
    static func lzw(_ indices: [UInt8], minCodeSize: Int) -> Data {
        let clear = 1 << minCodeSize, end = clear + 1
        var codeSize = minCodeSize + 1, next = end + 1
        var table: [Int32: Int32] = [:]  // (prefix code << 8 | index) → code
        var out = Data(), buffer = 0, count = 0
        func emit(_ code: Int) {
            buffer |= code << count
            count += codeSize
            while count >= 8 { out.append(UInt8(buffer & 0xFF)); buffer >>= 8; count -= 8 }
        }
        emit(clear)
        guard var prefix = indices.first.map(Int.init) else { emit(end); return flush(out, buffer, count) }
        for k in indices.dropFirst() {
            let key = Int32(prefix << 8 | Int(k))
            if let code = table[key] { prefix = Int(code); continue }
            emit(prefix)
            if next < 4095 {
                table[key] = Int32(next)
                next += 1
                // The decoder adds its entries one code later, so it widens when it has made
                // 2^codeSize entries: after the encoder's next passes that.
                if next > 1 << codeSize && codeSize < 12 { codeSize += 1 }
            } else {
                emit(clear)
                table.removeAll(keepingCapacity: true)
                codeSize = minCodeSize + 1
                next = end + 1
            }
            prefix = Int(k)
        }
        emit(prefix)
        emit(end)
        return flush(out, buffer, count)
    }

    private static func flush(_ data: Data, _ buffer: Int, _ count: Int) -> Data {
        var out = data
        if count > 0 { out.append(UInt8(buffer & 0xFF)) }
        return out
    }

    /// Data sub-blocks: a length byte (1…255) before each piece, a 0 after the last.
    static func appendSubBlocks(_ data: Data, to out: inout Data) {
        var i = data.startIndex
        while i < data.endIndex {
            let n = min(255, data.endIndex - i)
            out.append(UInt8(n))
            out += data[i..<(i + n)]
            i += n
        }
        out.append(0)
    }

    static func le16(_ v: Int) -> Data { Data([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
}

/// A palette of at most 256 colours (0xRRGGBB) and the map from every colour it was made from
/// to its nearest entry.
struct Palette {
    var colours: [UInt32]
    var map: [UInt32: UInt8]

    func indices(of pixels: [UInt32]) -> [UInt8] { pixels.map { map[$0] ?? 0 } }

    /// Heckbert's median cut over the colours of all `frames`: the box with the largest longest
    /// side × pixel count is split at the pixel-weighted median of that side until there are
    /// `maxColours` boxes; each entry is its box's pixel-weighted mean. Colours are sorted first, so the same
    /// frames give the same palette.
    static func medianCut(_ frames: [[UInt32]], maxColours: Int) -> Palette {
        var counts: [UInt32: Int] = [:]
        for f in frames { for p in f { counts[p, default: 0] += 1 } }
        let distinct = counts.keys.sorted()
        if distinct.count <= maxColours {
            return Palette(colours: distinct, map: Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, UInt8($0)) }))
        }
        func channel(_ c: UInt32, _ axis: Int) -> Int { Int(c >> UInt32(16 - 8 * axis) & 0xFF) }
        func longestSide(_ box: [UInt32]) -> (axis: Int, length: Int, pixels: Int) {
            let side = (0..<3).map { a -> (Int, Int) in
                let values = box.map { channel($0, a) }
                return (a, (values.max() ?? 0) - (values.min() ?? 0))
            }.max { $0.1 < $1.1 } ?? (0, 0)
            return (side.0, side.1, box.reduce(0) { $0 + counts[$1]! })
        }
        var boxes: [[UInt32]] = [distinct]
        var sides = [longestSide(distinct)]
        while boxes.count < maxColours {
            // Longest side × pixels: a wide box of few pixels and a narrow one of many (a
            // background's shades) both get split, so the colours most of the picture shows stay close.
            let priority = sides.map { Double($0.length) * Double($0.pixels) }
            guard let pick = priority.indices.max(by: { priority[$0] < priority[$1] }), priority[pick] > 0 else { break }
            let axis = sides[pick].axis
            let sorted = boxes[pick].sorted { (channel($0, axis), $0) < (channel($1, axis), $1) }
            let total = sorted.reduce(0) { $0 + counts[$1]! }
            var running = 0, cut = 1
            for (i, c) in sorted.enumerated() {
                running += counts[c]!
                if running * 2 >= total { cut = i + 1; break }
            }
            cut = min(max(cut, 1), sorted.count - 1)  // both halves keep a colour
            boxes[pick] = Array(sorted[..<cut])
            boxes.append(Array(sorted[cut...]))
            sides[pick] = longestSide(boxes[pick])
            sides.append(longestSide(boxes[boxes.count - 1]))
        }
        let colours: [UInt32] = boxes.map { box in
            var sum = [0, 0, 0], n = 0
            for c in box { let w = counts[c]!; n += w; for a in 0..<3 { sum[a] += channel(c, a) * w } }
            let mean = sum.map { UInt32(($0 + n / 2) / n) }
            return mean[0] << 16 | mean[1] << 8 | mean[2]
        }
        // Each colour to its nearest entry (squared RGB distance), not merely its box's mean.
        var map: [UInt32: UInt8] = [:]
        for c in distinct {
            var best = 0, bestDistance = Int.max
            for (i, p) in colours.enumerated() {
                var d = 0
                for a in 0..<3 { let e = channel(c, a) - channel(p, a); d += e * e }
                if d < bestDistance { best = i; bestDistance = d }
            }
            map[c] = UInt8(best)
        }
        return Palette(colours: colours, map: map)
    }
}
