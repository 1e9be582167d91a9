import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkFormats

@Suite struct NPYTests {
    /// Fixtures written by numpy (make_fixtures.py: npy_files) with their values as formulas.
    struct Row: Sendable, CustomTestStringConvertible {
        let file: String
        let shape: [Int]
        let dtype: DType
        let values: [Double]
        var testDescription: String { file }
    }

    static let f2x3: [Double] = (0..<6).map { Double($0) / 4 - 0.5 }

    static let rows: [Row] = [
        Row(file: "f4_2x3.npy", shape: [2, 3], dtype: .float32, values: f2x3),
        Row(file: "f4_2x3_v2.npy", shape: [2, 3], dtype: .float32, values: f2x3),
        Row(file: "f4_2x3_v3.npy", shape: [2, 3], dtype: .float32, values: f2x3),
        Row(file: "f4_scalar.npy", shape: [], dtype: .float32, values: [3.5]),
        Row(file: "f4_1x0x3.npy", shape: [1, 0, 3], dtype: .float32, values: []),
        Row(file: "f4_12345x0.npy", shape: [12345, 0], dtype: .float32, values: []),
        Row(file: "f4_7.npy", shape: [7], dtype: .float32, values: (0..<7).map { Double($0) * 1.5 }),
        // float64 narrows like numpy's astype(float32): 1e-40 becomes a float32 subnormal, -1e300 → -inf.
        Row(file: "f8_5.npy", shape: [5], dtype: .float32, values: [0.1, -1e300, 2.5, 1e-40, -0.0].map { Double(Float($0)) }),
        Row(file: "f2_4.npy", shape: [4], dtype: .float32, values: [1, -0.5, 0x1p-24, 65504]),
        Row(file: "i8_2x2.npy", shape: [2, 2], dtype: .int64, values: [1, -2, 0x1p40, -0x1p62]),
        Row(file: "i4_3.npy", shape: [3], dtype: .int64, values: [5, -6, 2147483647]),
        Row(file: "b1_3.npy", shape: [3], dtype: .bool, values: [1, 0, 1]),
    ]

    @Test(arguments: rows)
    func readsNumpyFiles(_ row: Row) throws {
        let t = try NPY.read(path: Fixtures.path("npy/" + row.file))
        #expect(t.shape == row.shape)
        #expect(t.dtype == row.dtype)
        let got = t.doubleArray
        #expect(got.count == row.values.count)
        for (i, (g, w)) in zip(got, row.values).enumerated() {
            #expect(g == w && g.sign == w.sign, "[\(i)] got \(g), want \(w)")
        }
    }

    /// encode() writes exactly the bytes numpy.save wrote for the same array.
    @Test(arguments: ["f4_2x3.npy", "f4_scalar.npy", "f4_1x0x3.npy", "f4_12345x0.npy", "f4_7.npy", "i8_2x2.npy", "b1_3.npy"])
    func encodeMatchesNumpySaveByteForByte(_ file: String) throws {
        let path = Fixtures.path("npy/" + file)
        let numpyBytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let t = try NPY.read(path: path)
        let ours = NPY.encode(t)
        #expect(ours == numpyBytes, "\(file): \(ours.count) vs numpy's \(numpyBytes.count) bytes; header \(String(decoding: ours.prefix(128), as: UTF8.self).debugDescription)")
    }

    @Test(arguments: [[], [1], [3], [2, 5], [1, 4, 4, 2], [100000], [7, 1, 1, 1, 1, 3]])
    func roundTrip(_ shape: [Int]) throws {
        let n = shape.reduce(1, *)
        let t = Tensor(shape: shape, floats: (0..<n).map { Float($0) * 0.25 - 3 })
        let back = try NPY.decode(NPY.encode(t), source: "mem.npy")
        #expect(back.shape == shape)
        #expect(back.floatArray == t.floatArray)
        // numpy's layout: header padded to a 64-byte boundary, ending in a newline.
        let data = NPY.encode(t)
        let hlen = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + hlen) % 64 == 0 && data[10 + hlen - 1] == 0x0A)
    }

    @Test func writeIsAtomicAndNoClobber() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/z.npy"
        let a = Tensor(shape: [2], floats: [1, 2]), b = Tensor(shape: [3], floats: [3, 4, 5])
        try NPY.write(a, to: path, overwrite: false)
        #expect(throws: FileWriteError.exists(path)) { try NPY.write(b, to: path, overwrite: false) }
        #expect(try NPY.read(path: path).floatArray == [1, 2])
        try NPY.write(b, to: path, overwrite: true)
        #expect(try NPY.read(path: path).floatArray == [3, 4, 5])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(leftovers == ["z.npy"])
    }

    /// With $ZWALK_PYTHON (the Makefile sets it to the venv's python), numpy itself reads what
    /// zwalk wrote.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ZWALK_PYTHON"] != nil))
    func numpyReadsWhatZwalkWrites() throws {
        let python = ProcessInfo.processInfo.environment["ZWALK_PYTHON"]!
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = Tensor(shape: [3, 2, 2], floats: (0..<12).map { Float($0) / 3 })
        try NPY.write(t, to: dir + "/z.npy", overwrite: false)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import numpy as np, sys; a = np.load(sys.argv[1]); "
                       + "assert a.dtype == np.float32 and a.shape == (3, 2, 2), (a.dtype, a.shape); "
                       + "assert (a == np.arange(12, dtype=np.float32).reshape(3, 2, 2) / np.float32(3)).all(), a",
                       dir + "/z.npy"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func headerParser() throws {
        var p = PyLiteralParser(Array("{'descr': '<f4', 'fortran_order': False, 'shape': (12L, 3), 'x': [None, True], }".unicodeScalars))
        let v = try p.value()
        guard case .dict(let d) = v else { Issue.record("\(v)"); return }
        #expect(d["descr"] == .string("<f4"))
        #expect(d["fortran_order"] == .bool(false))
        #expect(d["shape"] == .tuple([.int(12), .int(3)]))
        #expect(d["x"] == .tuple([.none, .bool(true)]))
    }
}
