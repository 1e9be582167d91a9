import Foundation
import Testing
@testable import ZWalkImage

@Suite struct PNGMetadataTests {
    @Test func latentsRoundTripBitForBit() throws {
        // Awkward floats: subnormals, extremes, negative zero, values that print with exponents.
        var rows: [[Float]] = [[0, -0.0, 1, -1, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                                -.greatestFiniteMagnitude, 1e-30, 3e-5, 0.1, 1.0 / 3, 16_777_215, 123456.789]]
        var state: UInt32 = 7
        for _ in 0..<8 {
            var row: [Float] = []
            for _ in 0..<64 {
                state = state &* 1_664_525 &+ 1_013_904_223
                // Random bit patterns, finite only.
                let f = Float(bitPattern: state)
                row.append(f.isFinite ? f : 1.5)
            }
            rows.append(row)
        }
        rows.append([])
        let json = try PNGMetadata.latentsJSON(rows)
        let back = try PNGMetadata.parseLatents(json)
        #expect(back.count == rows.count)
        for (a, b) in zip(back, rows) {
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        }
    }

    @Test func parserAcceptsFlatListsWhitespaceAndPythonStyleNumbers() throws {
        #expect(try PNGMetadata.parseLatents("[1, 2.5, -3e-2]") == [[1, 2.5, -0.03]])
        #expect(try PNGMetadata.parseLatents(" [ [0.10000000149011612 , 1E+2] ,\n[ ] ] ") == [[0.1, 100], []])
        #expect(try PNGMetadata.parseSeeds("[0, 42, 4294967295]") == [0, 42, 4_294_967_295])
        #expect(PNGMetadata.seedsJSON([3, -1]) == "[3,-1]")
    }

    @Test(arguments: [
        ("", 0), ("[1,2", 4), ("[1,,2]", 3), ("[[1],[2]", 8), ("[1] x", 4), ("[nan]", 1), ("[1e999]", 1), ("{}", 0),
        ("[[1],2]", 5),
    ])
    func malformedLatentsNameTheOffset(_ text: String, _ offset: Int) {
        do {
            _ = try PNGMetadata.parseLatents(text)
            Issue.record("'\(text)' parsed")
        } catch let e as PNGMetadataError {
            guard case .malformed(let key, let at, _) = e else { Issue.record("\(e)"); return }
            #expect(key == PNGMetadata.Key.latents)
            #expect(at == offset, "\(e)")
        } catch { Issue.record("\(error)") }
    }

    @Test func nonFiniteLatentsAreRefused() {
        #expect(throws: PNGMetadataError.nonFinite(row: 1, index: 0, value: .infinity)) {
            _ = try PNGMetadata.latentsJSON([[1], [.infinity]])
        }
    }

    @Test func subscriptKeepsOrderReplacesAndRemoves() {
        var m = PNGMetadata([("b", "1"), ("a", "2")])
        m["b"] = "3"
        m["c"] = "4"
        #expect(m.pairs.map { $0.0 + "=" + $0.1 } == ["b=3", "a=2", "c=4"])
        m["a"] = nil
        #expect(m.entries.map(\.key) == ["b", "c"])
        #expect(m["zz"] == nil)
        #expect(PNGMetadata(text: ["z": "1", "a": "2"]).entries.map(\.key) == ["a", "z"])
    }
}

/// Latents in compressed text chunks (zTXt, compressed iTXt), as other tools re-save zwalk PNGs:
/// read as from tEXt. The files are the png fuzz target's seeds (Pillow wrote them).
@Suite struct CompressedTextTests {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/png/corpus").path

    @Test func zTXtLatentsAreRead() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: CompressedTextTests.seeds + "/latents_ztxt.png"))
        #expect(bytes.range(of: Data("zTXtzwalk.latents".utf8)) != nil, "the fixture keeps its latents in zTXt")
        let (_, text) = try PNGCodec.read(path: CompressedTextTests.seeds + "/latents_ztxt.png")
        #expect(try PNGMetadata.parseLatents(try #require(text[PNGMetadata.Key.latents])) == [[0.5, -1.25, 3.0e-8], [1, 2, 3]])
    }

    @Test func iTXtLatentsAreRead() throws {
        let (_, text) = try PNGCodec.read(path: CompressedTextTests.seeds + "/latents_itxt.png")
        #expect(try PNGMetadata.parseLatents(try #require(text[PNGMetadata.Key.latents])) == [[1e30, -0.0]])
        #expect(text["Description"] == "ψ 0.7 — ünïcode")
    }
}
