// Sixel pictures: the palette is libsixel's (median cut over the picture, the one file that calls
// it); the sequence is written here, band by band on the picture's own pixels, because the
// explorer enlarges small pictures many times and libsixel's encoder would do that work per
// screen pixel.
import CSixel
import Foundation
import ZWalkImage

enum SixelEncoder {
    /// The DCS … ST sequence that draws `image` at the cursor, every pixel enlarged to a square of
    /// `scale`×`scale`, with a palette of up to `colors` registers: the picture's own colours when
    /// it has no more, else chosen by libsixel (median cut) for this picture. Each pixel takes its
    /// nearest palette colour before the enlargement, so the work is the picture's, not the
    /// screen's (a 64×64 face shown 1,000 pixels wide maps 4,096 pixels).
    static func encode(_ image: Image, scale: Int = 1, colors: Int = 256) throws -> [UInt8] {
        let rgb = image.channels == 3 ? image : image.toRGB()
        guard rgb.width > 0, rgb.height > 0, scale >= 1 else { return [] }
        let palette = try exactPalette(rgb, limit: max(2, min(256, colors))) ?? medianCutPalette(rgb, colors: colors)
        let n = palette.count / 3
        // Nearest palette colour per pixel (no diffusion: a palette made for this one picture
        // leaves little error, and spread error would speckle the enlarged squares).
        var index = [UInt8](repeating: 0, count: rgb.width * rgb.height)
        var memo: [UInt32: UInt8] = [:]
        for i in 0..<index.count {
            let r = Int(rgb.pixels[3 * i]), g = Int(rgb.pixels[3 * i + 1]), b = Int(rgb.pixels[3 * i + 2])
            let key = UInt32(r << 16 | g << 8 | b)
            if let hit = memo[key] { index[i] = hit; continue }
            var best = 0, bestD = Int.max
            for c in 0..<n {
                let dr = r - Int(palette[3 * c]), dg = g - Int(palette[3 * c + 1]), db = b - Int(palette[3 * c + 2])
                let d = dr * dr + dg * dg + db * db
                if d < bestD { bestD = d; best = c }
            }
            index[i] = UInt8(best)
            memo[key] = UInt8(best)
        }
        return body(index: index, width: rgb.width, height: rgb.height, scale: scale, palette: palette, colors: n)
    }

    /// The picture's own colours when there are no more than `limit`: shown exactly.
    static func exactPalette(_ rgb: Image, limit: Int) -> [UInt8]? {
        var seen = Set<UInt32>()
        var palette: [UInt8] = []
        for i in 0..<(rgb.width * rgb.height) {
            let r = rgb.pixels[3 * i], g = rgb.pixels[3 * i + 1], b = rgb.pixels[3 * i + 2]
            if seen.insert(UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)).inserted {
                if seen.count > limit { return nil }
                palette += [r, g, b]
            }
        }
        return palette
    }

    /// libsixel's palette for the picture: median cut, up to `colors` entries (RGB triples).
    static func medianCutPalette(_ rgb: Image, colors: Int) throws -> [UInt8] {
        var ditherPointer: OpaquePointer?
        var status = sixel_dither_new(&ditherPointer, Int32(max(2, min(256, colors))), nil)
        guard status & 0x1000 == 0, let dither = ditherPointer else { throw SixelError(status, "creating the palette") }
        defer { sixel_dither_unref(dither) }
        var sample = rgb.pixels
        status = sample.withUnsafeMutableBufferPointer { p in
            sixel_dither_initialize(dither, p.baseAddress, Int32(rgb.width), Int32(rgb.height), SIXEL_PIXELFORMAT_RGB888,
                                    SIXEL_LARGE_AUTO, SIXEL_REP_AUTO, SIXEL_QUALITY_FULL)
        }
        guard status & 0x1000 == 0 else { throw SixelError(status, "choosing the palette") }
        let n = Int(sixel_dither_get_num_of_palette_colors(dither))
        guard n > 0, let pal = sixel_dither_get_palette(dither) else { throw SixelError(0x1000, "choosing the palette (no colours)") }
        return Array(UnsafeBufferPointer(start: pal, count: n * 3))
    }

    /// The sixel sequence of a picture of palette indices, each pixel a square of `scale`.
    /// libsixel's own encoder works pixel by pixel on the enlarged picture (60 ms for a 64×64 face
    /// shown 1,160 pixels wide); here every band is built on the picture's own columns, each run
    /// `scale` times longer, so the work does not grow with the enlargement.
    static func body(index: [UInt8], width sw: Int, height sh: Int, scale k: Int, palette: [UInt8], colors n: Int) -> [UInt8] {
        let w = sw * k, h = sh * k
        var out: [UInt8] = Array("\u{1b}P0;1;0q\"1;1;\(w);\(h)".utf8)
        func number(_ v: Int) { out += Array(String(v).utf8) }
        for c in 0..<n {
            out.append(UInt8(ascii: "#")); number(c); out += Array(";2;".utf8)
            number((Int(palette[3 * c]) * 100 + 127) / 255); out.append(UInt8(ascii: ";"))
            number((Int(palette[3 * c + 1]) * 100 + 127) / 255); out.append(UInt8(ascii: ";"))
            number((Int(palette[3 * c + 2]) * 100 + 127) / 255)
        }
        // bits[c * sw + x]: the six-pixel column of colour c at source column x in this band.
        var bits = [UInt8](repeating: 0, count: 256 * sw)
        var used = [Bool](repeating: false, count: 256)
        var order: [Int] = []
        for band in stride(from: 0, to: h, by: 6) {
            order.removeAll(keepingCapacity: true)
            for j in 0..<min(6, h - band) {
                let sy = (band + j) / k
                for x in 0..<sw {
                    let c = Int(index[sy * sw + x])
                    if !used[c] { used[c] = true; order.append(c) }
                    bits[c * sw + x] |= UInt8(1 << j)
                }
            }
            for (i, c) in order.enumerated() {
                if i > 0 { out.append(UInt8(ascii: "$")) }
                out.append(UInt8(ascii: "#")); number(c)
                // The colour's columns, without the empty ones at the end; runs of equal columns.
                var last = sw - 1
                while last > 0 && bits[c * sw + last] == 0 { last -= 1 }
                var x = 0
                while x <= last {
                    let v = bits[c * sw + x]
                    var run = 1
                    while x + run <= last && bits[c * sw + x + run] == v { run += 1 }
                    let count = run * k, ch = 63 + v
                    if count > 3 { out.append(UInt8(ascii: "!")); number(count); out.append(ch) }
                    else { for _ in 0..<count { out.append(ch) } }
                    x += run
                }
                for x in 0..<sw { bits[c * sw + x] = 0 }
                used[c] = false
            }
            out.append(UInt8(ascii: "-"))
        }
        return out + [0x1b, 0x5c]
    }
}

struct SixelError: Error, CustomStringConvertible {
    var description: String
    init(_ status: SIXELSTATUS, _ what: String) {
        let why = sixel_helper_format_error(status).map { String(cString: $0) } ?? "status \(status)"
        description = "libsixel failed \(what): \(why)"
    }
}
