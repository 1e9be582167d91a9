import Foundation
import Testing
import TestSupport
@testable import ZWalkEngine
@testable import ZWalkFormats

@Suite struct ONNXLoaderTests {
    /// The fixture written by the onnx package (make_fixtures.py: tiny_model).
    @Test func tinyFixtureFromTheOnnxPackage() throws {
        let path = Fixtures.path("tiny.onnx")
        let m = try ONNXLoader.load(path: path)
        #expect(m.source == path)
        #expect(m.irVersion == 8)
        #expect(m.opsets == ["": 17])
        #expect(m.producer == "fixture 1.0")
        #expect(m.metadata == ["zwalk.latent": "normal", "note": "tiny"])
        let g = m.graph
        #expect(g.name == "tiny")
        #expect(g.nodes.map(\.opType) == ["Gemm", "Relu"])
        #expect(g.nodes.map(\.name) == ["fc", "act"])
        #expect(g.nodes[0].inputs == ["z", "W", "b"])
        #expect(g.nodes[0].outputs == ["h"])
        guard case .int(1)? = g.nodes[0].attributes["transB"], case .float(1.0)? = g.nodes[0].attributes["alpha"] else {
            Issue.record("Gemm attributes: \(g.nodes[0].attributes)"); return
        }
        #expect(g.inputs.map(\.name) == ["z"])
        #expect(g.inputs[0].dims == [.symbolic("N"), .fixed(4)])
        #expect(g.inputs[0].dtype == .float32 && g.inputs[0].elementType == 1)
        #expect(g.outputs[0].dims == [.symbolic("N"), .fixed(3)])
        #expect(g.initializers["W"]?.shape == [3, 4])
        #expect(g.initializers["W"]?.floatArray == (0..<12).map { Float($0 - 6) / 8 })
        #expect(g.initializers["b"]?.floatArray == [0.5, -0.25, 0])
    }

    /// The loaded model runs in the engine and gives Relu(z·Wᵀ + b), computed here by hand.
    @Test func tinyFixtureRunsEndToEnd() throws {
        let m = try ONNXLoader.load(path: Fixtures.path("tiny.onnx"))
        let session = try InferenceSession(model: m)
        let z = testValues(2 * 4, seed: 7)
        let y = try session.run([Tensor(shape: [2, 4], floats: z)])[0]
        let w = (0..<12).map { Float($0 - 6) / 8 }, b: [Float] = [0.5, -0.25, 0]
        var want: [Double] = []
        for n in 0..<2 {
            for o in 0..<3 {
                var s = Double(b[o])
                for k in 0..<4 { s += Double(z[n * 4 + k]) * Double(w[o * 4 + k]) }
                want.append(max(0, s))
            }
        }
        let c = compare(y.doubleArray, want, rtol: 1e-5, atol: 1e-6)
        #expect(c.ok, "\(c)")
    }

    @Test func externalDataFixture() throws {
        let ext = try ONNXLoader.load(path: Fixtures.path("external/model.onnx"))
        let inl = try ONNXLoader.load(path: Fixtures.path("tiny.onnx"))
        #expect(ext.graph.initializers["W"]?.floatArray == inl.graph.initializers["W"]?.floatArray)
        #expect(ext.graph.initializers["b"]?.floatArray == inl.graph.initializers["b"]?.floatArray)
    }

    @Test func externalDataNeedsADirectory() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("external/model.onnx")))
        #expect {
            _ = try ONNXLoader.load(data: data, source: "bytes.onnx", baseDirectory: nil)
        } throws: { e in
            let s = "\(e)"
            return s.contains("bytes.onnx") && s.contains("TensorProto 'W'") && s.contains("weights.bin") && s.contains("hint:")
        }
        // Given the directory, the same bytes load.
        let m = try ONNXLoader.load(data: data, source: "bytes.onnx", baseDirectory: Fixtures.path("external"))
        #expect(m.graph.initializers["W"]?.shape == [3, 4])
    }

    /// External data reached through a symlink inside the model's directory is read: the Hugging
    /// Face cache links model files to blobs elsewhere. Only the location string is policed.
    @Test func externalDataThroughASymlinkIntoAHuggingFaceCache() throws {
        // models--org--name/snapshots/<rev>/weights.bin -> ../../blobs/<hash>, as the hub lays it out.
        let root = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let snapshot = root + "/models--org--name/snapshots/abc123", blobs = root + "/models--org--name/blobs"
        for d in [snapshot, blobs] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let values = (0..<12).map { Float($0) / 2 }
        writeFile(ONNXBuilder.floatBytes(values), blobs + "/f00d")
        try FileManager.default.createSymbolicLink(atPath: snapshot + "/weights.bin", withDestinationPath: "../../blobs/f00d")
        writeFile(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: "./weights.bin", offset: 0, length: 48)), snapshot + "/m.onnx")
        let m = try ONNXLoader.load(path: snapshot + "/m.onnx")
        #expect(m.graph.initializers["W"]?.floatArray == values)
    }

    @Test func externalDataLinksOutOfTheFolderAndNonFilesAreRefused() throws {
        let dir = makeTempDir(), elsewhere = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir); try? FileManager.default.removeItem(atPath: elsewhere) }
        writeFile(ONNXBuilder.floatBytes((0..<12).map(Float.init)), elsewhere + "/secret")
        try FileManager.default.createSymbolicLink(atPath: dir + "/out.bin", withDestinationPath: elsewhere + "/secret")
        try FileManager.default.createSymbolicLink(atPath: dir + "/zero.bin", withDestinationPath: "/dev/zero")
        #expect(mkfifo(dir + "/fifo.bin", 0o644) == 0)
        for (file, says) in [("out.bin", "outside the model's folder"), ("zero.bin", "outside the model's folder"),
                             ("fifo.bin", "not a regular file")] {
            writeFile(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: file, offset: 0, length: 48)), dir + "/m.onnx")
            #expect { _ = try ONNXLoader.load(path: dir + "/m.onnx") } throws: { "\($0)".contains(says) && "\($0)".contains(file) }
        }
    }

    @Test func aDirectoryGivenAsTheModel() throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        writeFile(Tiny.bytes, dir + "/model.onnx")
        #expect {
            _ = try ONNXLoader.load(path: dir)
        } throws: { e in "\(e)" == "\(dir): is a directory, not a model file\nhint: did you mean \(dir)/model.onnx?" }
    }

    /// Every element type in both raw_data and its typed field (make_fixtures.py: typed_model).
    struct TypedRow: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let dtype: DType
        let values: [Double]
        var testDescription: String { name }
    }

    static let f16Values: [Double] = [0, -0.0, 1, -2.5, 0x1p-24, 0x1p-14, 65504, .infinity, -.infinity, .nan]
    static let bf16Values: [Double] = [0, -0.0, 1, -2.5, 0x1p-133, 0x1p-126, 3.3895313892515355e38, .infinity, -.infinity, .nan]

    static let typedRows: [TypedRow] = [
        TypedRow(name: "float", shape: [2, 3], dtype: .float32, values: [0.5, -1, 2, 3.25, 4, -5]),
        TypedRow(name: "float16", shape: [10], dtype: .float32, values: f16Values),
        TypedRow(name: "bfloat16", shape: [10], dtype: .float32, values: bf16Values),
        TypedRow(name: "double", shape: [3], dtype: .float32, values: [1.5, -2.25, Double(Float(1e10))]),
        TypedRow(name: "int64", shape: [4], dtype: .int64, values: [1, -2, 0x1p40, -0x1p62]),
        TypedRow(name: "int32", shape: [3], dtype: .int64, values: [7, -8, 2147483647]),
        TypedRow(name: "int8", shape: [3], dtype: .int64, values: [-128, 0, 127]),
        TypedRow(name: "uint8", shape: [3], dtype: .int64, values: [0, 200, 255]),
        TypedRow(name: "int16", shape: [2], dtype: .int64, values: [-30000, 30000]),
        TypedRow(name: "uint16", shape: [2], dtype: .int64, values: [0, 65535]),
        TypedRow(name: "uint32", shape: [2], dtype: .int64, values: [1, 4294967295]),
        TypedRow(name: "uint64", shape: [2], dtype: .int64, values: [3, Double(Int64.max)]),
        TypedRow(name: "bool", shape: [3], dtype: .bool, values: [1, 0, 1]),
        TypedRow(name: "scalar", shape: [], dtype: .float32, values: [42]),
        TypedRow(name: "empty", shape: [0, 3], dtype: .float32, values: []),
    ]

    @Test(arguments: typedRows)
    func typedAndRawStorage(_ row: TypedRow) throws {
        let m = try ONNXLoader.load(path: Fixtures.path("typed.onnx"), options: .init(allowNonFiniteWeights: true))
        for suffix in ["_raw", "_typed"] {
            let name = row.name + suffix
            guard let t = m.graph.initializers[name] else { Issue.record("no initializer \(name)"); continue }
            #expect(t.shape == row.shape, "\(name)")
            #expect(t.dtype == row.dtype, "\(name)")
            let got = t.doubleArray
            #expect(got.count == row.values.count, "\(name)")
            for (i, (g, w)) in zip(got, row.values).enumerated() {
                let same = (g.isNaN && w.isNaN) || (g == w && g.sign == w.sign)
                #expect(same, "\(name)[\(i)]: got \(g), want \(w)")
            }
            // int64 values beyond 2^53 do not survive the Double view; check them exactly.
            if row.name == "int64" { #expect(t.intArray == [1, -2, 1 << 40, -(1 << 62)]) }
            if row.name == "uint64" { #expect(t.intArray == [3, Int64.max]) }
        }
    }

    @Test func typedFixtureGraphDetails() throws {
        let m = try ONNXLoader.load(path: Fixtures.path("typed.onnx"), options: .init(allowNonFiniteWeights: true))
        #expect(m.opsets == ["": 13, "com.example": 2])
        #expect(m.graph.inputs[0].dims == [.fixed(1), .symbolic("channels"), .symbolic("")])
        #expect(m.graph.outputs[0].dims == nil)
    }

    @Test func nonFiniteWeightsAreRefusedByDefault() throws {
        #expect {
            _ = try ONNXLoader.load(path: Fixtures.path("typed.onnx"))
        } throws: { e in
            let s = "\(e)"
            // float16_typed is the first initializer in the file holding an infinity (element 7).
            return s.contains("typed.onnx") && s.contains("TensorProto 'float16_typed'") && s.contains("+inf at element 7")
        }
    }

    @Test func attributesAndSubgraphs() throws {
        let m = try ONNXLoader.load(path: Fixtures.path("attributes.onnx"))
        let custom = m.graph.nodes[0]
        #expect(custom.domain == "com.example")
        let a = custom.attributes
        guard case .float(let f)? = a["f"], case .int(let i)? = a["i"], case .string(let s)? = a["s"],
              case .floats(let fs)? = a["floats"], case .ints(let ints)? = a["ints"], case .strings(let ss)? = a["strings"],
              case .tensor(let t)? = a["t"] else {
            Issue.record("attributes: \(a)"); return
        }
        #expect(f == 0.25 && i == -7 && s == "hello")
        #expect(fs == [1, -2] && ints == [3, -4, 1 << 40] && ss == ["p", "q"])
        #expect(t.dtype == .int64 && t.intArray == [1, 2])
        let branch = m.graph.nodes[1]
        guard case .graph(let then)? = branch.attributes["then_branch"], case .graph(let els)? = branch.attributes["else_branch"] else {
            Issue.record("If branches: \(branch.attributes)"); return
        }
        #expect(then.name == "then" && then.nodes.first?.opType == "Constant" && then.outputs.map(\.name) == ["t"])
        guard case .float(2.0)? = els.nodes.first?.attributes["value_float"] else { Issue.record("else branch"); return }
        #expect(m.graph.inputs[1].dtype == .bool && m.graph.inputs[1].dims == [])
    }

    @Test func serializedTensorFile() throws {
        let path = Fixtures.path("tensor.pb")
        let t = try ONNXLoader.loadTensor(path: path)
        #expect(t.shape == [2, 3, 4])
        #expect(t.floatArray == (0..<24).map { Float($0) * 0.5 })
        let named = try ONNXLoader.loadNamedTensor(path: path)
        #expect(named.name == "input_0" && named.elementType == 1)
    }

    /// Unknown fields of every wire type are skipped, and repeated scalars are read packed or not.
    @Test func unknownFieldsAndUnpackedEncodings() throws {
        var w = PB()
        w.varint(99, 12345)                    // unknown varint
        w.fixed64(98, 0xDEAD_BEEF)             // unknown 64-bit
        w.string(97, "ignored")                // unknown length-delimited
        w.fixed32(96, 7)                       // unknown 32-bit
        for d: Int64 in [3, 4] { w.varint(1, d) } // dims unpacked
        w.varint(2, 1)
        w.string(8, "W")
        for v in (0..<12).map({ Float($0) }) { w.fixed32(4, v.bitPattern) } // float_data unpacked
        var b = PB()
        b.packedVarints(1, [3]); b.varint(2, 1); b.string(8, "b"); b.packedFloats(4, [1, 2, 3]) // float_data packed
        var node = ONNXBuilder.node("Gemm", name: "fc", inputs: ["x", "W", "b"], outputs: ["y"],
                                    attributes: [ONNXBuilder.intAttr("transB", 1)])
        node.string(99, "unknown node field")
        var g = ONNXBuilder.graph(nodes: [node], initializers: [w, b],
                                  inputs: [ONNXBuilder.valueInfo("x", dims: [1, 4])],
                                  outputs: [ONNXBuilder.valueInfo("y", dims: [1, 3])])
        g.varint(77, 1)
        var model = ONNXBuilder.model(g, metadata: [("a", "1")])
        model.fixed64(55, 1)
        let m = try ONNXLoader.load(data: Data(model.bytes), source: "built.onnx", baseDirectory: nil)
        #expect(m.graph.initializers["W"]?.shape == [3, 4])
        #expect(m.graph.initializers["W"]?.floatArray == (0..<12).map { Float($0) })
        #expect(m.graph.initializers["b"]?.floatArray == [1, 2, 3])
        #expect(m.metadata == ["a": "1"])
        #expect(m.producer == "zwalk-test")
        #expect(m.source == "built.onnx")
    }

    /// A pre-IR-3 attribute without `type` is typed by the field that is present.
    @Test func attributeWithoutTypeField() throws {
        var a = PB(); a.string(1, "alpha"); a.fixed32(2, Float(0.5).bitPattern)
        var ints = PB(); ints.string(1, "perm"); ints.packedVarints(8, [0, 2, 1])
        let node = ONNXBuilder.node("LeakyRelu", name: "n", inputs: ["x"], outputs: ["y"], attributes: [a, ints])
        let g = ONNXBuilder.graph(nodes: [node], initializers: [], inputs: [ONNXBuilder.valueInfo("x", dims: [2])],
                                  outputs: [ONNXBuilder.valueInfo("y", dims: [2])])
        let m = try ONNXLoader.load(data: Data(ONNXBuilder.model(g).bytes), source: "old.onnx", baseDirectory: nil)
        guard case .float(0.5)? = m.graph.nodes[0].attributes["alpha"], case .ints([0, 2, 1])? = m.graph.nodes[0].attributes["perm"] else {
            Issue.record("\(m.graph.nodes[0].attributes)"); return
        }
    }

    @Test func builtModelRoundTripsThroughTheEngine() throws {
        let m = try ONNXLoader.load(data: Data(ONNXBuilder.gemmReluModel().bytes), source: "tiny-built.onnx", baseDirectory: nil)
        let fixture = try ONNXLoader.load(path: Fixtures.path("tiny.onnx"))
        #expect(m.graph.initializers["W"]?.floatArray == fixture.graph.initializers["W"]?.floatArray)
        _ = try InferenceSession(model: m)
    }
}

@Suite struct HalfFloatTests {
    #if !(os(macOS) && arch(x86_64))
    /// All 65 536 float16 bit patterns against Swift's own Float16 (NaN payloads compared as NaN).
    @Test func float16Exhaustive() {
        var bad: [UInt16] = []
        for bits in 0...UInt16.max {
            let want = Float(Float16(bitPattern: bits))
            let got = HalfFloat.float16ToFloat(bits)
            if !(got.bitPattern == want.bitPattern || (got.isNaN && want.isNaN)) { bad.append(bits) }
        }
        #expect(bad.isEmpty, "first mismatching patterns: \(bad.prefix(5).map { String($0, radix: 16) })")
    }
    #endif

    struct Row: Sendable, CustomTestStringConvertible {
        let bits: UInt16; let value: Float; let what: String
        var testDescription: String { what }
    }

    @Test(arguments: [
        Row(bits: 0x0000, value: 0, what: "+0"), Row(bits: 0x8000, value: -0.0, what: "-0"),
        Row(bits: 0x0001, value: 0x1p-24, what: "smallest subnormal"), Row(bits: 0x03FF, value: 0x1.ff8p-15, what: "largest subnormal"),
        Row(bits: 0x0400, value: 0x1p-14, what: "smallest normal"), Row(bits: 0x3C00, value: 1, what: "one"),
        Row(bits: 0xC100, value: -2.5, what: "-2.5"), Row(bits: 0x7BFF, value: 65504, what: "max"),
        Row(bits: 0x7C00, value: .infinity, what: "+inf"), Row(bits: 0xFC00, value: -.infinity, what: "-inf"),
    ])
    func float16Values(_ r: Row) {
        let got = HalfFloat.float16ToFloat(r.bits)
        #expect(got.bitPattern == r.value.bitPattern, "got \(got)")
    }

    @Test func float16NaN() {
        #expect(HalfFloat.float16ToFloat(0x7E00).isNaN)
        #expect(HalfFloat.float16ToFloat(0x7C01).isNaN)
        #expect(HalfFloat.float16ToFloat(0xFE00).isNaN)
    }

    @Test(arguments: [
        Row(bits: 0x0000, value: 0, what: "+0"), Row(bits: 0x8000, value: -0.0, what: "-0"),
        Row(bits: 0x0001, value: 0x1p-133, what: "smallest subnormal"), Row(bits: 0x0080, value: 0x1p-126, what: "smallest normal"),
        Row(bits: 0x3F80, value: 1, what: "one"), Row(bits: 0xC020, value: -2.5, what: "-2.5"),
        Row(bits: 0x7F7F, value: 0x1.fep127, what: "max"), Row(bits: 0x7F80, value: .infinity, what: "+inf"),
        Row(bits: 0xFF80, value: -.infinity, what: "-inf"),
    ])
    func bfloat16Values(_ r: Row) {
        let got = HalfFloat.bfloat16ToFloat(r.bits)
        #expect(got.bitPattern == r.value.bitPattern, "got \(got)")
    }

    @Test func bfloat16NaN() {
        #expect(HalfFloat.bfloat16ToFloat(0x7FC0).isNaN)
        #expect(HalfFloat.bfloat16ToFloat(0xFFC1).isNaN)
    }
}
