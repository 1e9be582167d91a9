import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkImage

struct RoundTripCase: CustomTestStringConvertible, Sendable {
    let width: Int, height: Int, channels: Int
    var testDescription: String { "\(width)x\(height)x\(channels)" }
}

struct TextCase: CustomTestStringConvertible, Sendable {
    let name: String
    let value: String
    /// The chunk type the policy must choose.
    let chunk: String
    var testDescription: String { name }
}

struct CorruptCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: @Sendable (Data) -> Data
    /// A piece of the expected message.
    let says: String
    var testDescription: String { name }
}

/// A long ASCII value (a latent list) and a long non-ASCII one.
let longASCII = "[" + (0..<400).map { "\(Float($0) * 0.37 - 50)" }.joined(separator: ",") + "]"
let longUnicode = String(repeating: "π≈3.14159 ", count: 200)
let hugeLatentText = "[" + String(repeating: "0.123456789,", count: 800_000) + "1]"

let zwalkPNG: Data = {
    // One encoded image shared by the corruption table: RGB 7×5 with a text chunk.
    (try? PNGCodec.encode(patternImage(width: 7, height: 5, channels: 3), text: [("zwalk.seeds", "[1,2]")])) ?? Data()
}()

@Suite struct PNGCodecTests {
    @Test(arguments: [
        RoundTripCase(width: 1, height: 1, channels: 1), RoundTripCase(width: 1, height: 1, channels: 3),
        RoundTripCase(width: 1, height: 1, channels: 4), RoundTripCase(width: 3, height: 5, channels: 1),
        RoundTripCase(width: 3, height: 5, channels: 3), RoundTripCase(width: 3, height: 5, channels: 4),
        RoundTripCase(width: 17, height: 2, channels: 3), RoundTripCase(width: 64, height: 64, channels: 1),
    ])
    func encodeDecodeRoundTrip(_ c: RoundTripCase) throws {
        let image = patternImage(width: c.width, height: c.height, channels: c.channels, seed: c.width)
        let data = try PNGCodec.encode(image, text: [("Software", "zwalk")])
        let (back, text) = try PNGCodec.decode(data, source: "memory")
        #expect(back == image)
        #expect(text == ["Software": "zwalk"])
        // The colour type in IHDR is the one asked for: 0 gray, 2 RGB, 6 RGBA.
        let ihdr = [UInt8](pngChunks(data)[0].data)
        #expect(ihdr[8] == 8)
        #expect(ihdr[9] == [1: 0, 3: 2, 4: 6][c.channels])
    }

    @Test(arguments: [
        TextCase(name: "ascii", value: "zwalk traverse model.onnx --seed 3 --out a.png", chunk: "tEXt"),
        TextCase(name: "empty", value: "", chunk: "tEXt"),
        TextCase(name: "latin-1 é goes to iTXt", value: "José", chunk: "iTXt"),
        TextCase(name: "utf-8", value: "Grüße ✓ 潜在空間 🚶", chunk: "iTXt"),
        TextCase(name: "newlines and tabs", value: "line 1\nline\t2", chunk: "tEXt"),
        TextCase(name: "long ascii → zTXt", value: longASCII, chunk: "zTXt"),
        TextCase(name: "long utf-8 → compressed iTXt", value: longUnicode, chunk: "iTXt"),
    ])
    func textRoundTripAndChunkPolicy(_ c: TextCase) throws {
        let data = try PNGCodec.encode(patternImage(width: 2, height: 2, channels: 3), text: [("zwalk.command", c.value)])
        let (_, text) = try PNGCodec.decode(data, source: "memory")
        #expect(text["zwalk.command"] == c.value)
        let types = pngChunks(data).map(\.type)
        #expect(types.contains(c.chunk), "chunks: \(types)")
        // Text comes before the image data, where PIL's Image.open finds it without decoding pixels.
        let textIndex = types.firstIndex(of: c.chunk) ?? .max
        #expect(textIndex < (types.firstIndex(of: "IDAT") ?? -1))
        if c.value.utf8.count > PNGCodec.compressionThreshold {
            #expect(data.count < c.value.utf8.count, "long text should be compressed")
        }
    }

    @Test func allZwalkKeysSurviveInOrderAndEncodingIsDeterministic() throws {
        var meta = PNGMetadata()
        meta[PNGMetadata.Key.software] = "zwalk 0.1"
        meta[PNGMetadata.Key.modelSHA256] = String(repeating: "ab", count: 32)
        try meta.setLatents([[0.1, -2.5, 3e-5], [Float.leastNormalMagnitude, -0.0, 123456.78]])
        meta.setSeeds([0, 4_294_967_295])
        meta[PNGMetadata.Key.direction] = "sefa:3"
        meta[PNGMetadata.Key.step] = "-1.5"
        meta[PNGMetadata.Key.command] = "zwalk traverse --seed 7"
        let image = patternImage(width: 5, height: 4, channels: 3)
        let a = try PNGCodec.encode(image, text: meta.pairs)
        let b = try PNGCodec.encode(image, text: meta.pairs)
        #expect(a == b)
        let keys = pngChunks(a).filter { $0.type == "tEXt" }.map { String(decoding: $0.data.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(keys == meta.entries.map(\.key))
        let (_, text) = try PNGCodec.decode(a, source: "memory")
        #expect(PNGMetadata(text: text) == PNGMetadata(meta.entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        #expect(try PNGMetadata(text: text).latents() == meta.latents())
        #expect(try PNGMetadata(text: text).seeds() == [0, 4_294_967_295])
    }

    @Test func textAfterTheImageDataIsReadToo() throws {
        // Move the tEXt chunk (length, type, data, CRC: self-contained) from before IDAT to before IEND.
        let data = try PNGCodec.encode(patternImage(width: 3, height: 2, channels: 3), text: [("after", "IDAT")])
        let b = [UInt8](data)
        let t = try #require(chunkOffset(data, "tEXt")), idat = try #require(chunkOffset(data, "IDAT"))
        let e = try #require(chunkOffset(data, "IEND"))
        let moved = Data(b[0..<t] + b[idat..<e] + b[t..<idat] + b[e...])
        #expect(pngChunks(moved).map(\.type) == ["IHDR", "IDAT", "tEXt", "IEND"])
        let (image, text) = try PNGCodec.decode(moved, source: "moved")
        #expect(image == patternImage(width: 3, height: 2, channels: 3))
        #expect(text == ["after": "IDAT"])
    }

    @Test(arguments: [
        ("", "1 to 79"), (String(repeating: "k", count: 80), "1 to 79"), (" lead", "spaces"), ("trail ", "spaces"),
        ("two  spaces", "spaces"), ("tab\tkey", "U+9"), ("ключ", "U+43A"),
    ])
    func badKeysAreRefusedWithTheKeyNamed(_ key: String, _ says: String) throws {
        do {
            _ = try PNGCodec.encode(patternImage(width: 1, height: 1, channels: 1), text: [(key, "v")])
            Issue.record("key '\(key)' was accepted")
        } catch let e as PNGError {
            #expect(e.description.contains(says), "\(e)")
            #expect(e.message.contains("'\(key)'"), "\(e)")
        }
    }

    @Test func latin1KeyIsAcceptedAndDuplicateKeysAndNULValuesAreRefused() throws {
        let data = try PNGCodec.encode(patternImage(width: 1, height: 1, channels: 1), text: [("Café", "x")])
        #expect(try PNGCodec.decode(data, source: "m").text == ["Café": "x"])
        #expect(throws: PNGError.self) {
            _ = try PNGCodec.encode(patternImage(width: 1, height: 1, channels: 1), text: [("a", "1"), ("a", "2")])
        }
        #expect(throws: PNGError.self) {
            _ = try PNGCodec.encode(patternImage(width: 1, height: 1, channels: 1), text: [("a", "x\u{0}y")])
        }
    }

    @Test func inconsistentImagesAreRefusedNotCrashed() throws {
        var bad = patternImage(width: 3, height: 3, channels: 3)
        bad.pixels.removeLast()
        #expect(throws: PNGError.self) { _ = try PNGCodec.encode(bad, text: []) }
        var empty = patternImage(width: 1, height: 1, channels: 1)
        empty.width = 0; empty.pixels = []
        #expect(throws: PNGError.self) { _ = try PNGCodec.encode(empty, text: []) }
        var twoChannels = patternImage(width: 2, height: 1, channels: 1)
        twoChannels.channels = 2
        #expect(throws: PNGError.self) { _ = try PNGCodec.encode(twoChannels, text: []) }
    }

    // MARK: PNGs made by Pillow

    @Test func pilRGBWithAllThreeTextChunkKinds() throws {
        let (image, text) = try PNGCodec.read(path: fixture("pil_rgb_text.png"))
        #expect(image.width == 4 && image.height == 3 && image.channels == 3)
        for y in 0..<3 {
            for x in 0..<4 {
                #expect(Array(image.pixel(x: x, y: y)) == [UInt8(10 * x + y), UInt8(100 + y), UInt8(255 - 20 * x)])
            }
        }
        #expect(text == ["Comment": "made by PIL", "zwalk.latents": "[[0.5,-1.25],[3e-05,2]]",
                         "Title": "Grüße ✓", "Author": "José"])
        #expect(try PNGMetadata(text: text).latents() == [[0.5, -1.25], [3e-5, 2]])
    }

    @Test func pilPaletteWithTransparencyBecomesRGBA() throws {
        let (image, _) = try PNGCodec.read(path: fixture("pil_palette_trns.png"))
        #expect(image.channels == 4)
        #expect(image.pixels == [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 0,
                                 0, 255, 0, 255, 0, 0, 255, 0, 255, 0, 0, 255])
    }

    @Test func pil16BitGrayIsScaledTo8Bits() throws {
        let (image, _) = try PNGCodec.read(path: fixture("pil_gray16.png"))
        #expect(image.channels == 1)
        #expect(image.pixels == [0, 100, 255, 7])
    }

    @Test func pilBilevelExpandsTo8BitGray() throws {
        let (image, _) = try PNGCodec.read(path: fixture("pil_bilevel.png"))
        #expect(image.channels == 1 && image.width == 3)
        #expect(image.pixels == [0, 255, 0])
    }

    @Test func textBeyondLibpngsDefault8MBLimitIsStoredUncompressedAndSurvives() throws {
        // ~9.6 MB of latent text (a very large grid): libpng's default limit would drop the chunk,
        // and PIL refuses compressed text over 1 MiB, so it must be a plain tEXt.
        let data = try PNGCodec.encode(patternImage(width: 1, height: 1, channels: 1), text: [(PNGMetadata.Key.latents, hugeLatentText)])
        #expect(pngChunks(data).map(\.type) == ["IHDR", "tEXt", "IDAT", "IEND"])
        #expect(try PNGCodec.decode(data, source: "memory").text[PNGMetadata.Key.latents] == hugeLatentText)
    }

    @Test(.enabled(if: hasVenvPython, "needs /work/main/.venv/bin/python with Pillow"))
    func pilReadsHugeAndMidSizeText() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mid = String(repeating: "0.25,", count: 200_000)   // 1 MB: compressed, just under PIL's limit
        let path = dir + "/big.png"
        try PNGCodec.write(patternImage(width: 1, height: 1, channels: 1), to: path,
                           text: [(PNGMetadata.Key.latents, hugeLatentText), ("mid", mid)], overwrite: false)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(pngChunks(data).map(\.type).contains("zTXt"))
        let out = try runPython("""
        import sys
        from PIL import Image
        t = Image.open(sys.argv[1]).text
        print(len(t["zwalk.latents"]), len(t["mid"]), t["zwalk.latents"][-3:])
        """, [path])
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "\(hugeLatentText.utf8.count) \(mid.utf8.count) ,1]")
    }

    @Test func moreTextThanPILAcceptsIsRefused() {
        let tooMuch = String(repeating: "x", count: PNGCodec.maxTotalText / 2 + 1)
        do {
            _ = try PNGCodec.encode(patternImage(width: 1, height: 1, channels: 1), text: [("a", tooMuch), ("b", tooMuch)])
            Issue.record("accepted")
        } catch let e as PNGError { #expect(e.message.contains("PIL"), "\(e)") } catch { Issue.record("\(error)") }
    }

    @Test func pilGrayAlphaBecomesRGBA() throws {
        let (image, _) = try PNGCodec.read(path: fixture("pil_gray_alpha.png"))
        #expect(image.channels == 4)
        #expect(image.pixels == [30, 30, 30, 255, 200, 200, 200, 40])
    }

    // MARK: zwalk's PNGs read by Pillow

    @Test(.enabled(if: hasVenvPython, "needs /work/main/.venv/bin/python with Pillow (the independent PNG reader)"),
          arguments: [1, 3, 4])
    func pilReadsZwalkPNGsWithMetadataIntact(channels: Int) throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.png"
        let image = patternImage(width: 9, height: 4, channels: channels)
        var meta = PNGMetadata()
        meta[PNGMetadata.Key.software] = "zwalk"
        meta[PNGMetadata.Key.modelSHA256] = "0123abcd"
        try meta.setLatents((0..<20).map { r in (0..<64).map { Float(r * 64 + $0) * 0.0173 - 3 } })   // long: zTXt
        meta[PNGMetadata.Key.command] = "zwalk grid m.onnx --label 'Grüße ✓'"                           // iTXt
        meta[PNGMetadata.Key.seeds] = "[5]"
        try PNGCodec.write(image, to: path, text: meta.pairs, overwrite: false)

        let script = """
        import json, sys
        from PIL import Image
        im = Image.open(sys.argv[1])
        im.load()
        print(json.dumps({"mode": im.mode, "size": list(im.size), "text": im.text, "pixels": list(im.tobytes())}))
        """
        let out = try runPython(script, [path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(json["mode"] as? String == [1: "L", 3: "RGB", 4: "RGBA"][channels])
        #expect(json["size"] as? [Int] == [9, 4])
        #expect((json["pixels"] as? [Int])?.map { UInt8($0) } == image.pixels)
        let text = try #require(json["text"] as? [String: String])
        #expect(text == Dictionary(uniqueKeysWithValues: meta.pairs))
        // And Python's json reads the latents back to the same float32 values.
        let check = """
        import json, sys
        import numpy as np
        from PIL import Image
        z = np.array(json.loads(Image.open(sys.argv[1]).text["zwalk.latents"]), dtype=np.float32)
        print(z.shape, float(z[3, 5]))
        """
        let expected = Float(3 * 64 + 5) * 0.0173 - 3
        #expect(try runPython(check, [path]).trimmingCharacters(in: .whitespacesAndNewlines) == "(20, 64) \(Double(expected))")
    }

    // MARK: files

    @Test func writeDoesNotClobberAndLeavesTheOldFileIntact() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.png"
        let first = patternImage(width: 3, height: 3, channels: 3, seed: 1)
        try PNGCodec.write(first, to: path, text: [("k", "first")], overwrite: false)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: FileWriteError.exists(path)) {
            try PNGCodec.write(patternImage(width: 4, height: 4, channels: 1), to: path, text: [("k", "second")], overwrite: false)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.png"])
        // With overwrite it is replaced.
        let second = patternImage(width: 4, height: 4, channels: 1)
        try PNGCodec.write(second, to: path, text: [("k", "second")], overwrite: true)
        let (back, text) = try PNGCodec.read(path: path)
        #expect(back == second && text == ["k": "second"])
    }

    @Test func aFailedEncodeWritesNothing() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: PNGError.self) {
            try PNGCodec.write(patternImage(width: 1, height: 1, channels: 1), to: dir + "/x.png", text: [("", "bad key")], overwrite: false)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func missingFileAndDirectoryAreNamed() throws {
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { _ = try PNGCodec.read(path: dir + "/nope.png"); Issue.record("read a missing file") } catch let e as PNGError {
            #expect(e.description.contains(dir + "/nope.png") && e.description.contains("No such file"), "\(e)")
        }
        do { _ = try PNGCodec.read(path: dir); Issue.record("read a directory") } catch let e as PNGError {
            #expect(e.description.contains(dir), "\(e)")
        }
    }

    @Test(arguments: [
        CorruptCase(name: "empty file", bytes: { _ in Data() }, says: "shorter than the 8-byte PNG signature"),
        CorruptCase(name: "not a PNG", bytes: { _ in Data("GIF89a this is not a png".utf8) }, says: "not the PNG signature"),
        CorruptCase(name: "signature only", bytes: { $0.prefix(8) }, says: "truncated"),
        CorruptCase(name: "cut inside IHDR", bytes: { $0.prefix(20) }, says: "truncated"),
        CorruptCase(name: "cut inside IDAT", bytes: { d in d.prefix((chunkOffset(d, "IDAT") ?? 0) + 12) }, says: "truncated"),
        CorruptCase(name: "IEND missing", bytes: { d in d.prefix(chunkOffset(d, "IEND") ?? 0) }, says: "truncated"),
        CorruptCase(name: "IDAT CRC broken", bytes: { d in flip(d, at: (chunkOffset(d, "IDAT") ?? 0) + 9) }, says: "IDAT"),
        CorruptCase(name: "IHDR CRC broken", bytes: { d in flip(d, at: 8 + 8 + 2) }, says: "IHDR"),
        CorruptCase(name: "huge dimensions", bytes: { d in hugeHeader(d) }, says: "larger than zwalk accepts"),
    ])
    func corruptFilesGiveAnErrorNamingTheFile(_ c: CorruptCase) throws {
        #expect(!zwalkPNG.isEmpty)
        let dir = try makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/broken.png"
        try c.bytes(zwalkPNG).write(to: URL(fileURLWithPath: path))
        do {
            _ = try PNGCodec.read(path: path)
            Issue.record("\(c.name): decoded without error")
        } catch let e as PNGError {
            #expect(e.description.contains(path), "\(e)")
            #expect(e.message.contains(c.says), "\(e)")
        }
    }

    @Test func everyTruncationIsAnErrorNeverACrash() throws {
        // Cut the file at every byte: each prefix must be refused cleanly (the C side catches
        // every libpng longjmp).
        for n in 0..<zwalkPNG.count {
            #expect(throws: PNGError.self, "prefix of \(n) bytes") {
                _ = try PNGCodec.decode(zwalkPNG.prefix(n), source: "prefix \(n)")
            }
        }
    }

    @Test func garbageAfterTheSignatureIsRefused() throws {
        var state: UInt64 = 42
        for trial in 0..<200 {
            var bytes = [UInt8](zwalkPNG.prefix(8))
            for _ in 0..<(16 + trial) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            #expect(throws: PNGError.self) { _ = try PNGCodec.decode(Data(bytes), source: "garbage \(trial)") }
        }
    }
}

private func flip(_ d: Data, at i: Int) -> Data {
    var b = [UInt8](d)
    if i < b.count { b[i] ^= 0x5A }
    return Data(b)
}

/// The file with IHDR saying 60000 × 60000 and a correct CRC, so only the size check stops it.
private func hugeHeader(_ d: Data) -> Data {
    var b = [UInt8](d)
    let big: [UInt8] = [0, 0, 0xEA, 0x60]
    b.replaceSubrange(16..<20, with: big)
    b.replaceSubrange(20..<24, with: big)
    let crc = crc32(b[12..<29])
    b.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
    return Data(b)
}

private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

/// Inputs the png fuzz target found (tools/fuzz.sh), each with the exact error it must give.
@Suite struct PNGFuzzRegressionTests {
    /// 161 bytes whose tEXt chunk declares 1,231,975,438 bytes: libpng allocated and zero-filled
    /// 1.2 GB (8 s) before finding the file short. Now refused before libpng, at once.
    @Test func aChunkLongerThanTheFileIsRefusedBeforeAllocating() throws {
        let path = fixture("fuzz_text_length_1g.png")
        let started = Date()
        do {
            _ = try PNGCodec.read(path: path)
            Issue.record("decoded")
        } catch let e as PNGError {
            #expect(e.description == "cannot read PNG \(path): file is truncated: chunk 'tEXt' at byte offset 33 declares 1231975438 bytes of data and a CRC, the file has 120 bytes after its header")
        }
        #expect(Date().timeIntervalSince(started) < 1)
    }
}
