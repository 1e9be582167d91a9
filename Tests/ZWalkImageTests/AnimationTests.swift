import Foundation
import Testing
@testable import ZWalkImage

/// The APNG and GIF writers, checked by reading their bytes back with readers written here from
/// the specs (APNG 1.0, GIF89a): chunk order and CRCs, frame counts and delays, and every frame's
/// pixels through a decoder that shares no code with the writer.
@Suite struct AnimationTests {
    // MARK: APNG

    /// Frames that differ from each other and within themselves.
    static func frames(_ n: Int, width: Int = 7, height: Int = 5, channels: Int = 3) -> [Image] {
        (0..<n).map { patternImage(width: width, height: height, channels: channels, seed: $0 * 5 + 1) }
    }

    /// Every chunk with its stored and recomputed CRC.
    static func chunks(_ data: Data) -> [(type: String, data: [UInt8], crcOK: Bool)] {
        let b = [UInt8](data)
        var out: [(String, [UInt8], Bool)] = []
        var i = 8
        while i + 12 <= b.count {
            let n = Int(be32(b, i))
            guard i + 12 + n <= b.count else { break }
            let stored = be32(b, i + 8 + n)
            out.append((String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self), Array(b[(i + 8)..<(i + 8 + n)]),
                        stored == bitwiseCRC(b[(i + 4)..<(i + 8 + n)])))
            i += 12 + n
        }
        return out
    }

    @Test func apngChunksAreInOrderWithValidCRCs() throws {
        let data = try APNG.encode(Self.frames(3), timing: AnimationTiming(fps: 12, loop: true),
                                   text: [("Software", "zwalk"), ("zwalk.latents", "[[1,2],[3,4],[5,6]]")])
        #expect([UInt8](data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let c = Self.chunks(data)
        #expect(c.allSatisfy { $0.crcOK }, "bad CRC in \(c.filter { !$0.crcOK }.map(\.type))")
        #expect(c.map(\.type) == ["IHDR", "acTL", "tEXt", "tEXt", "fcTL", "IDAT", "fcTL", "fdAT", "fcTL", "fdAT", "IEND"])
        // The chunks account for every byte of the file.
        #expect(8 + c.reduce(0) { $0 + 12 + $1.data.count } == data.count)
    }

    @Test(arguments: [(fps: 12, loop: true), (fps: 1, loop: false), (fps: 50, loop: true)])
    func apngControlChunksSayFramesPlaysAndDelays(fps: Int, loop: Bool) throws {
        let frames = Self.frames(4)
        let c = Self.chunks(try APNG.encode(frames, timing: AnimationTiming(fps: fps, loop: loop), text: []))
        let actl = try #require(c.first { $0.type == "acTL" }).data
        #expect(Self.be32(actl, 0) == 4, "acTL num_frames")
        #expect(Self.be32(actl, 4) == (loop ? 0 : 1), "acTL num_plays")
        let fctls = c.filter { $0.type == "fcTL" }.map(\.data)
        #expect(fctls.count == 4)
        for f in fctls {
            #expect(Self.be32(f, 4) == 7 && Self.be32(f, 8) == 5 && Self.be32(f, 12) == 0 && Self.be32(f, 16) == 0, "size, offset")
            #expect(Self.be16(f, 20) == 1 && Self.be16(f, 22) == UInt16(fps), "delay 1/\(fps) s")
            #expect(f[24] == 0 && f[25] == 0, "dispose none, blend source")
        }
        // fcTL and fdAT share one sequence 0, 1, 2, … in file order.
        let sequence = c.filter { $0.type == "fcTL" || $0.type == "fdAT" }.map { Self.be32($0.data, 0) }
        #expect(sequence == (0..<UInt32(sequence.count)).map { $0 })
    }

    /// Frame 0 is the default image every PNG reader shows, with the text; frame i (fdAT with its
    /// sequence number removed, under frame 0's IHDR) decodes to exactly frame i.
    @Test(arguments: [1, 3, 4])
    func apngFramesDecodeToTheirPixels(channels: Int) throws {
        let frames = Self.frames(3, width: 9, height: 6, channels: channels)
        let data = try APNG.encode(frames, timing: AnimationTiming(fps: 10, loop: true), text: [("Comment", "frames")])
        let still = try PNGCodec.decode(data, source: "apng")
        #expect(still.image == frames[0])
        #expect(still.text["Comment"] == "frames")
        let c = Self.chunks(data)
        let ihdr = try #require(c.first).data
        var groups: [[UInt8]] = [], current: [UInt8]? = nil
        for chunk in c {
            if chunk.type == "fcTL" { if let g = current { groups.append(g) }; current = [] }
            if chunk.type == "IDAT" { current? += chunk.data }
            if chunk.type == "fdAT" { current? += chunk.data.dropFirst(4) }
        }
        if let g = current { groups.append(g) }
        #expect(groups.count == 3)
        for (i, zlib) in groups.enumerated() {
            var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            APNG.appendChunk("IHDR", Data(ihdr), to: &png)
            APNG.appendChunk("IDAT", Data(zlib), to: &png)
            APNG.appendChunk("IEND", Data(), to: &png)
            #expect(try PNGCodec.decode(png, source: "frame \(i)").image == frames[i], "frame \(i)")
        }
    }

    @Test func crcMatchesThePNGSpecsCheckValue() {
        // The CRC-32 check value of "123456789" (ISO 3309 / ITU-T V.42).
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    // MARK: refusals

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let frames: [Image]
        let fps: Int
        let says: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "no frames", frames: [], fps: 10, says: "at least one frame"),
        Refusal(name: "0 fps", frames: frames(2), fps: 0, says: "1…50"),
        Refusal(name: "51 fps", frames: frames(2), fps: 51, says: "1…50"),
        Refusal(name: "frames of two sizes", frames: frames(1) + frames(1, width: 8), fps: 10, says: "frame 1 is 8 x 5"),
        Refusal(name: "frames of two channel counts", frames: frames(1) + frames(1, channels: 4), fps: 10, says: "all frames must match"),
    ]

    @Test(arguments: refusals)
    func bothWritersRefuse(_ r: Refusal) {
        let timing = AnimationTiming(fps: r.fps, loop: true)
        for (format, encode) in [("APNG", { try APNG.encode(r.frames, timing: timing, text: []) }),
                                 ("GIF", { try GIF.encode(r.frames, timing: timing, comment: "") })] as [(String, () throws -> Data)] {
            do {
                _ = try encode()
                Issue.record("\(format) accepted \(r.name)")
            } catch {
                #expect("\(error)".contains(r.says) && "\(error)".contains(format), "\(format): \(error)")
            }
        }
    }

    // MARK: GIF

    /// A GIF89a reader: logical screen, global table, extensions, frames (LZW-decoded indices).
    struct DecodedGIF {
        var width = 0, height = 0
        var palette: [[UInt8]] = []
        var loopCount: Int?
        var comment = ""
        var delays: [Int] = []
        var frames: [[UInt8]] = []  // indices into palette

        init(_ data: Data) throws {
            let b = [UInt8](data)
            guard String(decoding: b[0..<6], as: UTF8.self) == "GIF89a" else { throw ReadError("no GIF89a header") }
            width = Int(b[6]) | Int(b[7]) << 8
            height = Int(b[8]) | Int(b[9]) << 8
            var i = 13
            if b[10] & 0x80 != 0 {
                let n = 1 << (Int(b[10] & 7) + 1)
                palette = (0..<n).map { Array(b[(i + 3 * $0)..<(i + 3 * $0 + 3)]) }
                i += 3 * n
            }
            func subBlocks() -> [UInt8] {
                var out: [UInt8] = []
                while b[i] != 0 { let n = Int(b[i]); out += b[(i + 1)...(i + n)]; i += n + 1 }
                i += 1
                return out
            }
            while i < b.count {
                switch b[i] {
                case 0x3B: return
                case 0x21:
                    let label = b[i + 1]
                    i += 2
                    if label == 0xF9 {
                        // One 4-byte block: packed fields, delay (little-endian), transparent index.
                        delays.append(Int(b[i + 2]) | Int(b[i + 3]) << 8)
                        _ = subBlocks()
                    } else if label == 0xFF {
                        let app = subBlocks()
                        if String(decoding: app.prefix(11), as: UTF8.self) == "NETSCAPE2.0" {
                            loopCount = Int(app[12]) | Int(app[13]) << 8
                        }
                    } else if label == 0xFE {
                        comment = String(decoding: subBlocks(), as: UTF8.self)
                    } else {
                        _ = subBlocks()
                    }
                case 0x2C:
                    guard b[i + 9] & 0x80 == 0 else { throw ReadError("unexpected local colour table") }
                    i += 10
                    let minCodeSize = Int(b[i])
                    i += 1
                    frames.append(try Self.lzwDecode(subBlocks(), minCodeSize: minCodeSize, count: width * height))
                default:
                    throw ReadError("unexpected block 0x\(String(b[i], radix: 16)) at byte \(i)")
                }
            }
            throw ReadError("no trailer")
        }

        /// GIF's LZW decoder as the spec describes it (the table grows one code behind the encoder).
        static func lzwDecode(_ bytes: [UInt8], minCodeSize: Int, count: Int) throws -> [UInt8] {
            let clear = 1 << minCodeSize, end = clear + 1
            var codeSize = minCodeSize + 1
            var table: [[UInt8]] = (0..<clear).map { [UInt8($0)] } + [[], []]
            var out: [UInt8] = [], previous: [UInt8]? = nil
            var bit = 0
            func read() -> Int? {
                guard bit + codeSize <= bytes.count * 8 else { return nil }
                var v = 0
                for k in 0..<codeSize where bytes[(bit + k) / 8] >> UInt8((bit + k) % 8) & 1 != 0 { v |= 1 << k }
                bit += codeSize
                return v
            }
            while let code = read() {
                if code == clear {
                    table = Array(table.prefix(end + 1)); codeSize = minCodeSize + 1; previous = nil; continue
                }
                if code == end { break }
                let entry: [UInt8]
                if code < table.count { entry = table[code] } else if code == table.count, let p = previous { entry = p + [p[0]] } else {
                    throw ReadError("LZW code \(code) beyond the table (\(table.count))")
                }
                out += entry
                if let p = previous, table.count < 4096 {
                    table.append(p + [entry[0]])
                    if table.count == 1 << codeSize && codeSize < 12 { codeSize += 1 }
                }
                previous = entry
            }
            guard out.count == count else { throw ReadError("LZW gave \(out.count) indices, expected \(count)") }
            return out
        }
    }

    struct ReadError: Error, CustomStringConvertible { let description: String; init(_ s: String) { description = s } }

    /// Frames of few colours (a gray pattern: at most 256) come back exactly.
    @Test(arguments: [1, 3])
    func gifFramesOfFewColoursRoundTripExactly(channels: Int) throws {
        var frames = Self.frames(3, width: 11, height: 7, channels: 1)
        if channels == 3 {
            frames = frames.map { f in Image(width: f.width, height: f.height, channels: 3, pixels: f.pixels.flatMap { [$0, $0 &+ 1, $0 &+ 2] }) }
        }
        let gif = try DecodedGIF(try GIF.encode(frames, timing: AnimationTiming(fps: 10, loop: true), comment: "k=v\nz=[1,2]"))
        #expect(gif.width == 11 && gif.height == 7 && gif.frames.count == 3)
        #expect(gif.loopCount == 0 && gif.comment == "k=v\nz=[1,2]" && gif.delays == [10, 10, 10])
        for (i, f) in frames.enumerated() {
            let rgb = gif.frames[i].flatMap { gif.palette[Int($0)] }
            let want = channels == 1 ? f.pixels.flatMap { [$0, $0, $0] } : f.pixels
            #expect(rgb == want, "frame \(i)")
        }
    }

    @Test func gifPlayedOnceHasNoLoopExtension() throws {
        let gif = try DecodedGIF(try GIF.encode(Self.frames(2), timing: AnimationTiming(fps: 25, loop: false), comment: ""))
        #expect(gif.loopCount == nil && gif.delays == [4, 4] && gif.comment.isEmpty)
    }

    /// The comment's key=value lines come back as the metadata, a value with '=' or a newline
    /// included; a file that is not a GIF is refused by name.
    @Test func gifTextReadsBackFromTheComment() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let comment = "Software=zwalk\nzwalk.command=zwalk animate --out 'a=b\nc.gif'\nzwalk.latents=[[1,2],[3,4]]"
        try GIF.write(Self.frames(2), timing: AnimationTiming(fps: 10, loop: true), comment: comment, to: dir + "/a.gif", overwrite: false)
        let text = try GIF.readText(path: dir + "/a.gif")
        #expect(text == ["Software": "zwalk", "zwalk.command": "zwalk animate --out 'a=b\nc.gif'", "zwalk.latents": "[[1,2],[3,4]]"])
        try Data("not a gif".utf8).write(to: URL(fileURLWithPath: dir + "/b.gif"))
        #expect { try GIF.readText(path: dir + "/b.gif") } throws: { "\($0)".contains("b.gif") && "\($0)".contains("not a GIF") }
    }

    /// LZW over inputs long enough to fill the 4096-code table several times (random indices) and
    /// to build long strings (runs), at every code size.
    @Test(arguments: [2, 3, 5, 8])
    func lzwRoundTrips(minCodeSize: Int) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let random: [UInt8] = (0..<40_000).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33) & UInt8((1 << minCodeSize) - 1)
        }
        let runs: [UInt8] = (0..<40_000).map { UInt8(($0 / 300) % (1 << minCodeSize)) }
        for (name, input) in [("random", random), ("runs", runs), ("one", [UInt8(1)])] {
            let decoded = try DecodedGIF.lzwDecode([UInt8](GIF.lzw(input, minCodeSize: minCodeSize)), minCodeSize: minCodeSize,
                                                   count: input.count)
            #expect(decoded == input, "\(name)")
        }
    }

    /// More than 256 colours: a 256-entry median-cut palette, every pixel mapped close to its colour.
    @Test func medianCutKeepsASmoothImageClose() throws {
        var px: [UInt8] = []
        for y in 0..<64 { for x in 0..<64 { px += [UInt8(x * 4), UInt8(y * 4), UInt8((x + y) * 2)] } }
        let image = Image(width: 64, height: 64, channels: 3, pixels: px)
        let gif = try DecodedGIF(try GIF.encode([image], timing: AnimationTiming(fps: 10, loop: true), comment: ""))
        #expect(gif.palette.count == 256)
        let rgb = gif.frames[0].flatMap { gif.palette[Int($0)] }
        let worst = zip(rgb, px).map { abs(Int($0) - Int($1)) }.max() ?? 0
        // 4096 colours in 256 boxes: each box spans about 16 levels of its longest channel.
        #expect(worst <= 16, "worst channel error \(worst)")
    }

    /// A noisy gray background (thousands of close shades, most pixels) beside a few hundred
    /// scattered colours (few pixels): the palette must not spend itself on the scattered ones,
    /// or the background blotches. Measured: splitting by side length alone leaves it 0.88 levels
    /// off on average, weighting by pixels 0.56 (on the shipped model's frames: 2.5 and 0.5).
    @Test func medianCutKeepsTheBackgroundsShades() throws {
        var state: UInt32 = 12345
        func next() -> UInt8 { state = state &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: state >> 16) }
        var px: [UInt8] = []
        for i in 0..<(96 * 96) {
            if i % 31 == 0 { px += [next(), next(), next()] } else {
                px += [114 + next() % 13, 114 + next() % 13, 114 + next() % 13]
            }
        }
        let image = Image(width: 96, height: 96, channels: 3, pixels: px)
        let gif = try DecodedGIF(try GIF.encode([image], timing: AnimationTiming(fps: 10, loop: true), comment: ""))
        let rgb = gif.frames[0].flatMap { gif.palette[Int($0)] }
        var error = 0, n = 0
        for i in 0..<(96 * 96) where i % 31 != 0 {
            for c in 0..<3 { error += abs(Int(rgb[i * 3 + c]) - Int(px[i * 3 + c])); n += 1 }
        }
        #expect(Double(error) / Double(n) < 0.7, "mean background error \(Double(error) / Double(n))")
    }

    @Test(arguments: [(fps: 10, delays: [10]), (fps: 24, delays: [4, 5]), (fps: 30, delays: [3, 4]), (fps: 50, delays: [2])])
    func gifDelaysAddUpToTheRightLength(fps: Int, delays: [Int]) {
        let d = GIF.delays(frames: fps * 3, fps: fps)
        #expect(d.reduce(0, +) == 300, "3 s of frames")
        #expect(Set(d) == Set(delays))
    }

    // MARK: helpers

    static func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func be16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) << 8 | UInt16(b[i + 1]) }
}

/// CRC-32 bit by bit, as the PNG spec's Annex D describes it: independent of the writer's table.
private func bitwiseCRC(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}
