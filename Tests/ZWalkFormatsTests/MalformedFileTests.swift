import Foundation
import Testing
import TestSupport
import ZWalkEngine
@testable import ZWalkFormats

/// One row per bad input. Each row writes its file(s) into a fresh directory, runs the reader
/// that a user would hit, and asserts that the error names the file and the place (message /
/// field / tensor / node and, where there is one, the byte offset).
struct BadInput: Sendable, CustomTestStringConvertible {
    let name: String
    /// Writes the bad file(s) into the directory and reads them; must throw.
    let run: @Sendable (_ dir: String) throws -> Void
    /// Substrings the error text must contain ("$DIR" stands for the directory).
    let expect: [String]
    var testDescription: String { name }
}

/// The tiny Gemm+Relu model's bytes and offsets of the things the rows edit.
enum Tiny {
    static let bytes = ONNXBuilder.gemmReluModel().bytes

    static func withWeights(_ w: [Float]) -> [UInt8] { ONNXBuilder.gemmReluModel(weights: w).bytes }

    /// A model whose only initializer is `tensor` (named W), read by node fc.
    static func modelWith(tensor: PB, extraInitializers: [PB] = [], nodes: [PB]? = nil) -> [UInt8] {
        let g = ONNXBuilder.graph(
            nodes: nodes ?? [ONNXBuilder.node("Gemm", name: "fc", inputs: ["x", "W"], outputs: ["y"])],
            initializers: [tensor] + extraInitializers,
            inputs: [ONNXBuilder.valueInfo("x", dims: ["N", 4])],
            outputs: [ONNXBuilder.valueInfo("y", dims: ["N", 3])])
        return ONNXBuilder.model(g).bytes
    }

    static func load(_ bytes: [UInt8], _ dir: String, _ file: String = "model.onnx") throws {
        writeFile(bytes, dir + "/" + file)
        _ = try ONNXLoader.load(path: dir + "/" + file)
    }

    /// Offset of the graph field's tag in the model (ModelProto field 7, after ir_version and producer).
    static var graphTag: Int { bytes.offset(of: [0x3A]) ?? 0 }
}

/// Tensor W (3, 4) float with an arbitrary field sequence, for lying lengths and the like.
func rawTensor(_ fields: (inout PB) -> Void) -> PB {
    var t = PB()
    fields(&t)
    return t
}

let malformedRows: [BadInput] = [
    // — truncated ONNX, cut at several points —
    BadInput(name: "ONNX cut inside producer_name", run: { dir in
        try Tiny.load(Array(Tiny.bytes.prefix(5)), dir, "cut5.onnx")
    }, expect: ["$DIR/cut5.onnx: not an ONNX model (no graph found)",
                "detail: ModelProto field producer_name at byte 3: length", "runs past the end of the file (size 5)"]),
    BadInput(name: "ONNX cut at 50%", run: { dir in
        try Tiny.load(Array(Tiny.bytes.prefix(Tiny.bytes.count / 2)), dir, "half.onnx")
    }, expect: ["$DIR/half.onnx: ModelProto field graph at byte \(Tiny.graphTag + 1): length", "runs past the end of the file (size \(Tiny.bytes.count / 2))"]),
    BadInput(name: "ONNX cut at 75%", run: { dir in
        try Tiny.load(Array(Tiny.bytes.prefix(Tiny.bytes.count * 3 / 4)), dir, "cut75.onnx")
    }, expect: ["cut75.onnx: ModelProto field graph at byte", "runs past the end of the file"]),
    BadInput(name: "ONNX missing its last byte", run: { dir in
        try Tiny.load(Array(Tiny.bytes.dropLast()), dir, "cut1.onnx")
    }, expect: ["cut1.onnx: ModelProto field metadata_props at byte", "runs past the end of the file (size \(Tiny.bytes.count - 1))"]),
    BadInput(name: "ONNX cut to 1 byte", run: { dir in
        try Tiny.load([0x08], dir, "one.onnx")
    }, expect: ["one.onnx: not an ONNX model (no graph found)\ndetail: ModelProto field ir_version at byte 1: varint runs past the end of the file (size 1)"]),
    BadInput(name: "empty file", run: { dir in try Tiny.load([], dir, "empty.onnx") },
             expect: ["$DIR/empty.onnx: the file is empty"]),
    BadInput(name: "missing file", run: { dir in _ = try ONNXLoader.load(path: dir + "/nope.onnx") },
             expect: ["$DIR/nope.onnx: no such file"]),

    // — lengths and dims that lie —
    BadInput(name: "raw_data length prefix lies", run: { dir in
        let t = rawTensor { t in
            t.packedVarints(1, [3, 4]); t.varint(2, 1); t.string(8, "W")
            t.tag(9, 2); t.bytes += PB.varintBytes(99_999); t.bytes += ONNXBuilder.floatBytes([Float](repeating: 1, count: 12))
        }
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "lying.onnx")
    }, expect: ["lying.onnx: TensorProto 'W' field raw_data at byte", "length 99999 runs past the end of its enclosing message"]),
    BadInput(name: "dims product overflows Int64", run: { dir in
        let t = ONNXBuilder.tensor("W", dims: [1 << 40, 1 << 40], raw: ONNXBuilder.floatBytes([1]))
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "huge.onnx")
    }, expect: ["huge.onnx: TensorProto 'W' field dims at byte", "dims [1099511627776, 1099511627776] have more elements than fit in memory"]),
    BadInput(name: "negative dims", run: { dir in
        let t = ONNXBuilder.tensor("W", dims: [-3, 4], raw: ONNXBuilder.floatBytes([Float](repeating: 0, count: 12)))
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "neg.onnx")
    }, expect: ["neg.onnx: TensorProto 'W' field dims at byte", "negative dimension -3 in dims [-3, 4]"]),
    BadInput(name: "raw_data size disagrees with dims", run: { dir in
        let t = ONNXBuilder.tensor("W", dims: [3, 4], raw: ONNXBuilder.floatBytes([Float](repeating: 0, count: 11)))
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "short.onnx")
    }, expect: ["short.onnx: TensorProto 'W' field raw_data at byte", "raw_data has 44 bytes but dims [3, 4] of float (1) need 12 × 4 = 48"]),
    BadInput(name: "float_data count disagrees with dims", run: { dir in
        let t = rawTensor { t in t.packedVarints(1, [2, 3]); t.varint(2, 1); t.string(8, "W"); t.packedFloats(4, [1, 2, 3, 4, 5]) }
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "typed.onnx")
    }, expect: ["typed.onnx: TensorProto 'W' field float_data at byte", "float_data holds 5 values but dims [2, 3] need 6"]),
    BadInput(name: "tensor without any data", run: { dir in
        let t = rawTensor { t in t.packedVarints(1, [2, 3]); t.varint(2, 1); t.string(8, "W") }
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "nodata.onnx")
    }, expect: ["nodata.onnx: TensorProto 'W' at byte", "holds no values"]),
    BadInput(name: "string tensor", run: { dir in
        let t = rawTensor { t in t.packedVarints(1, [1]); t.varint(2, 8); t.string(8, "W"); t.string(6, "text") }
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "str.onnx")
    }, expect: ["str.onnx: TensorProto 'W' field data_type at byte", "string tensors are not supported"]),
    BadInput(name: "float8 tensor", run: { dir in
        let t = ONNXBuilder.tensor("W", dims: [2], dataType: 17, raw: [1, 2])
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "f8.onnx")
    }, expect: ["f8.onnx: TensorProto 'W' field data_type", "data type float8e4m3fn (17) is not supported"]),
    BadInput(name: "uint64 beyond Int64", run: { dir in
        let t = ONNXBuilder.tensor("W", dims: [2], dataType: 13, raw: [1, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        try Tiny.load(Tiny.modelWith(tensor: t), dir, "u64.onnx")
    }, expect: ["u64.onnx: TensorProto 'W' field raw_data at byte", "element 1 holds uint64 value 18446744073709551615", "not supported"]),
    BadInput(name: "duplicate initializer", run: { dir in
        let t = ONNXBuilder.floatTensor("W", dims: [1], [1])
        try Tiny.load(Tiny.modelWith(tensor: t, extraInitializers: [t]), dir, "dup.onnx")
    }, expect: ["dup.onnx: TensorProto 'W' field name at byte", "a second initializer is named 'W'"]),
    BadInput(name: "group wire type (corrupt)", run: { dir in
        try Tiny.load(Array(Tiny.bytes.prefix(2)) + [0x1B, 0x1C] + Array(Tiny.bytes.dropFirst(2)), dir, "group.onnx")
    }, expect: ["group.onnx: not an ONNX model (no graph found)\ndetail: ModelProto at byte 2: field 3 uses the start-group wire type", "corrupt"]),
    BadInput(name: "wrong wire type for a known field", run: { dir in
        var m = PB(); m.fixed32(1, 8) // ir_version as 32-bit
        try Tiny.load(m.bytes, dir, "wire.onnx")
    }, expect: ["wire.onnx: not an ONNX model (no graph found)\ndetail: ModelProto field ir_version at byte 0: has wire type 32-bit, expected varint"]),
    BadInput(name: "node without op_type", run: { dir in
        var n = PB(); n.string(1, "x"); n.string(2, "y"); n.string(3, "anon")
        let g = ONNXBuilder.graph(nodes: [n], initializers: [], inputs: [], outputs: [])
        try Tiny.load(ONNXBuilder.model(g).bytes, dir, "noop.onnx")
    }, expect: ["noop.onnx: NodeProto 'anon' field op_type at byte", "node has no op_type"]),
    BadInput(name: "sparse initializer", run: { dir in
        var g = ONNXBuilder.graph(nodes: [], initializers: [], inputs: [], outputs: [])
        g.message(15, PB())
        try Tiny.load(ONNXBuilder.model(g).bytes, dir, "sparse.onnx")
    }, expect: ["sparse.onnx: GraphProto field sparse_initializer at byte", "sparse initializers are not supported"]),
    BadInput(name: "attribute reference outside a function", run: { dir in
        var a = PB(); a.string(1, "alpha"); a.string(21, "outer_alpha"); a.varint(20, 1)
        let n = ONNXBuilder.node("LeakyRelu", name: "lr", inputs: ["x"], outputs: ["y"], attributes: [a])
        let g = ONNXBuilder.graph(nodes: [n], initializers: [], inputs: [], outputs: [])
        try Tiny.load(ONNXBuilder.model(g).bytes, dir, "ref.onnx")
    }, expect: ["ref.onnx: NodeProto 'lr' (LeakyRelu) attribute 'alpha' field ref_attr_name at byte", "not supported"]),
    BadInput(name: "attribute list of tensors", run: { dir in
        var a = PB(); a.string(1, "values"); a.message(10, ONNXBuilder.floatTensor("t", dims: [1], [1])); a.varint(20, 9)
        let n = ONNXBuilder.node("Custom", name: "c", inputs: [], outputs: ["y"], attributes: [a])
        let g = ONNXBuilder.graph(nodes: [n], initializers: [], inputs: [], outputs: [])
        try Tiny.load(ONNXBuilder.model(g).bytes, dir, "tensors.onnx")
    }, expect: ["tensors.onnx: NodeProto 'c' (Custom) attribute 'values' field type at byte", "attribute of type TENSORS is not supported"]),

    // — engine-level faults: the file loads, the session refuses it naming the node —
    BadInput(name: "missing initializer", run: { dir in
        let g = ONNXBuilder.graph(nodes: [ONNXBuilder.node("Gemm", name: "fc", inputs: ["x", "W", "b"], outputs: ["y"])],
                                  initializers: [ONNXBuilder.floatTensor("W", dims: [3, 4], [Float](repeating: 0, count: 12))],
                                  inputs: [ONNXBuilder.valueInfo("x", dims: ["N", 4])], outputs: [ONNXBuilder.valueInfo("y", dims: ["N", 3])])
        writeFile(ONNXBuilder.model(g).bytes, dir + "/noinit.onnx")
        let m = try ONNXLoader.load(path: dir + "/noinit.onnx")
        _ = try InferenceSession(model: m)
    }, expect: ["node 'fc' (Gemm) reads 'b'", "neither a graph input, an initializer nor any node's output"]),
    BadInput(name: "cycle", run: { dir in
        let g = ONNXBuilder.graph(nodes: [ONNXBuilder.node("Relu", name: "a", inputs: ["v"], outputs: ["u"]),
                                          ONNXBuilder.node("Relu", name: "b", inputs: ["u"], outputs: ["v"])],
                                  initializers: [], inputs: [ONNXBuilder.valueInfo("x", dims: [1])], outputs: [ONNXBuilder.valueInfo("v", dims: [1])])
        writeFile(ONNXBuilder.model(g).bytes, dir + "/cycle.onnx")
        _ = try InferenceSession(model: try ONNXLoader.load(path: dir + "/cycle.onnx"))
    }, expect: ["cycle through node(s) 'a', 'b'"]),

    // — NaN / inf weights —
    BadInput(name: "NaN weight", run: { dir in
        var w = [Float](repeating: 0.5, count: 12); w[5] = .nan
        try Tiny.load(Tiny.withWeights(w), dir, "nan.onnx")
    }, expect: ["nan.onnx: TensorProto 'W' at byte", "weight holds NaN at element 5 (index [1, 1]); 1 of 12 values are not finite"]),
    BadInput(name: "infinite weight", run: { dir in
        try Tiny.load(ONNXBuilder.gemmReluModel(bias: [0, -.infinity, .infinity]).bytes, dir, "inf.onnx")
    }, expect: ["inf.onnx: TensorProto 'b' at byte", "weight holds -inf at element 1 (index [1]); 2 of 3 values are not finite"]),

    // — external data —
    BadInput(name: "external data file missing", run: { dir in
        try Tiny.load(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: "weights.bin")), dir, "ext.onnx")
    }, expect: ["ext.onnx: TensorProto 'W' field external_data at byte", "external data file $DIR/weights.bin does not exist"]),
    BadInput(name: "external data too short", run: { dir in
        writeFile([UInt8](repeating: 0, count: 40), dir + "/weights.bin")
        try Tiny.load(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: "weights.bin", offset: 0, length: 48)), dir, "ext.onnx")
    }, expect: ["ext.onnx: TensorProto 'W' field external_data at byte", "offset 0 + length 48 runs past the end of $DIR/weights.bin (size 40)"]),
    BadInput(name: "external data offset beyond the file", run: { dir in
        writeFile([UInt8](repeating: 0, count: 48), dir + "/weights.bin")
        try Tiny.load(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: "weights.bin", offset: 16)), dir, "ext.onnx")
    }, expect: ["ext.onnx: TensorProto 'W' field external_data", "external data has 32 bytes (offset 16 in $DIR/weights.bin) but dims [3, 4] of float (1) need 48"]),
    BadInput(name: "external data escaping the directory", run: { dir in
        try Tiny.load(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: "sub/../../secret.bin")), dir, "ext.onnx")
    }, expect: ["ext.onnx: TensorProto 'W' field external_data", "'sub/../../secret.bin' leaves the model's directory"]),
    BadInput(name: "external data at an absolute path", run: { dir in
        try Tiny.load(Tiny.modelWith(tensor: ONNXBuilder.externalTensor("W", dims: [3, 4], location: "/etc/passwd")), dir, "ext.onnx")
    }, expect: ["ext.onnx: TensorProto 'W' field external_data", "'/etc/passwd' is an absolute path"]),

    // — not ONNX at all —
    BadInput(name: "PyTorch zip given as ONNX", run: { dir in
        try Tiny.load(Array("PK\u{3}\u{4}archive/data.pkl".utf8), dir, "model.pt")
    }, expect: ["$DIR/model.pt at byte 0: not an ONNX model", "hint: this looks like a PyTorch checkpoint (zip)", "torch.onnx.export"]),
    BadInput(name: "pickled checkpoint given as ONNX", run: { dir in
        try Tiny.load([0x80, 0x02, 0x63, 0x6F], dir, "old.pth")
    }, expect: ["old.pth at byte 0: not an ONNX model", "pickled PyTorch checkpoint"]),
    BadInput(name: "Git LFS pointer given as ONNX", run: { dir in
        try Tiny.load(Array("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n".utf8), dir, "lfs.onnx")
    }, expect: ["lfs.onnx at byte 0: not an ONNX model", "git lfs pull"]),
    BadInput(name: "safetensors given as ONNX", run: { dir in
        try Tiny.load(Array(Safetensors.encode(["w": Tensor(shape: [1], floats: [1])])), dir, "w.safetensors")
    }, expect: ["w.safetensors at byte 0: not an ONNX model", "safetensors file (weights only, no graph)"]),
    BadInput(name: "TensorProto given as a model", run: { dir in
        try Tiny.load(ONNXBuilder.floatTensor("t", dims: [1], [1]).bytes, dir, "input_0.pb")
    }, expect: ["input_0.pb: not an ONNX model (no graph found)\ndetail: ModelProto field ir_version at byte 0: has wire type",
                "hint: a .pb file is usually a serialized TensorProto"]),
    // Issue 10: `zwalk info README.md` answered "field 4 uses the start-group wire type".
    BadInput(name: "text file given as ONNX", run: { dir in
        try Tiny.load(Array("# zwalk\n\nA terminal app for exploring latent spaces.\n".utf8), dir, "README.md")
    }, expect: ["$DIR/README.md: not an ONNX model (no graph found)\ndetail: ModelProto at byte 0: field 4 uses the start-group wire type"]),
    BadInput(name: "protobuf without a graph", run: { dir in
        var m = PB(); m.varint(1, 8); m.string(2, "exporter")
        try Tiny.load(m.bytes, dir, "nograph.onnx")
    }, expect: ["$DIR/nograph.onnx: not an ONNX model (no graph found)\ndetail: ModelProto at byte 12: the message ends without field 7 (graph)",
                "hint: a serialized TensorProto"]),

    // — safetensors —
    BadInput(name: "safetensors header length past EOF", run: { dir in
        var b = Array(Safetensors.encode(["w": Tensor(shape: [2], floats: [1, 2])]))
        b[0] = 0xFF; b[1] = 0xFF
        writeFile(b, dir + "/len.safetensors")
        _ = try Safetensors.read(path: dir + "/len.safetensors")
    }, expect: ["len.safetensors: header length at byte 0: header length 65535 runs past the end of the file"]),
    BadInput(name: "safetensors shorter than 8 bytes", run: { dir in
        writeFile([1, 2, 3], dir + "/tiny.safetensors")
        _ = try Safetensors.read(path: dir + "/tiny.safetensors")
    }, expect: ["tiny.safetensors: header length at byte 0: the file has 3 bytes"]),
    BadInput(name: "safetensors bad JSON", run: { dir in
        let h = Array("{\"w\": {\"dtype\": \"F32\",, }    ".utf8)
        writeFile(Array(withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init)) + h, dir + "/json.safetensors")
        _ = try Safetensors.read(path: dir + "/json.safetensors")
    }, expect: ["json.safetensors: header at byte 30: the JSON header does not parse: expected a string in double quotes"]),
    BadInput(name: "safetensors overlapping offsets", run: { dir in
        try writeSafetensors(dir + "/overlap.safetensors", [("a", "F32", [2], [0, 8]), ("b", "F32", [2], [4, 12])], dataBytes: 12)
        _ = try Safetensors.read(path: dir + "/overlap.safetensors")
    }, expect: ["overlap.safetensors: tensor 'b' data_offsets at byte", "data_offsets [4, 12] overlap tensor 'a' at [0, 8]"]),
    BadInput(name: "safetensors offsets out of range", run: { dir in
        try writeSafetensors(dir + "/range.safetensors", [("a", "F32", [4], [0, 16])], dataBytes: 8)
        _ = try Safetensors.read(path: dir + "/range.safetensors")
    }, expect: ["range.safetensors: tensor 'a' data_offsets at byte", "data_offsets [0, 16] lie outside the data section (8 bytes"]),
    BadInput(name: "safetensors size disagrees with shape", run: { dir in
        try writeSafetensors(dir + "/size.safetensors", [("a", "F16", [3], [0, 8])], dataBytes: 8)
        _ = try Safetensors.read(path: dir + "/size.safetensors")
    }, expect: ["size.safetensors: tensor 'a' data_offsets at byte", "hold 8 bytes but shape [3] of F16 needs 3 × 2 = 6"]),
    BadInput(name: "safetensors unknown dtype", run: { dir in
        try writeSafetensors(dir + "/dtype.safetensors", [("a", "F8_E4M3", [2], [0, 2])], dataBytes: 2)
        _ = try Safetensors.read(path: dir + "/dtype.safetensors")
    }, expect: ["dtype.safetensors: tensor 'a' dtype at byte 8: dtype 'F8_E4M3' is not supported"]),
    BadInput(name: "safetensors shape overflow", run: { dir in
        try writeSafetensors(dir + "/big.safetensors", [("a", "F32", [1 << 40, 1 << 40], [0, 4])], dataBytes: 4)
        _ = try Safetensors.read(path: dir + "/big.safetensors")
    }, expect: ["big.safetensors: tensor 'a' shape at byte 8", "more elements than fit in memory"]),
    BadInput(name: "PyTorch zip given as safetensors", run: { dir in
        writeFile(Array("PK\u{3}\u{4}archive/data.pkl........".utf8), dir + "/model.pt")
        _ = try Safetensors.read(path: dir + "/model.pt")
    }, expect: ["model.pt: header length at byte 0", "hint: this looks like a PyTorch checkpoint, not safetensors"]),

    // — npy —
    BadInput(name: "npy bad magic", run: { dir in
        writeFile(Array("not an npy file at all".utf8), dir + "/z.npy")
        _ = try NPY.read(path: dir + "/z.npy")
    }, expect: ["$DIR/z.npy: magic at byte 0: bad magic: not a .npy file"]),
    BadInput(name: "npy wrong shape for its size", run: { dir in
        let b = Array(NPY.encode(Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])).dropLast(4))
        writeFile(b, dir + "/z.npy")
        _ = try NPY.read(path: dir + "/z.npy")
    }, expect: ["z.npy: data at byte 128: shape (2, 3) of <f4 needs 6 × 4 = 24 bytes of data, but the file holds 20 after its header"]),
    BadInput(name: "npy fortran order", run: { _ in _ = try NPY.read(path: Fixtures.path("npy/fortran_2x3.npy")) },
             expect: ["fortran_2x3.npy: header 'fortran_order' at byte 10: Fortran-order (column-major) arrays are not supported", "ascontiguousarray"]),
    BadInput(name: "npy big-endian", run: { _ in _ = try NPY.read(path: Fixtures.path("npy/big_endian.npy")) },
             expect: ["big_endian.npy: header 'descr' at byte 10: dtype '>f4' is not supported", "big-endian"]),
    BadInput(name: "npy unsupported dtype", run: { _ in _ = try NPY.read(path: Fixtures.path("npy/u4_2.npy")) },
             expect: ["u4_2.npy: header 'descr' at byte 10: dtype '<u4' is not supported"]),
    BadInput(name: "npy header length past EOF", run: { dir in
        var b = Array(NPY.encode(Tensor(shape: [1], floats: [1])).prefix(40))
        b[8] = 0xFF
        writeFile(b, dir + "/h.npy")
        _ = try NPY.read(path: dir + "/h.npy")
    }, expect: ["h.npy: header length at byte 8: header length 255 runs past the end of the file (size 40)"]),
    BadInput(name: "npy garbled header", run: { dir in
        var b = Array(NPY.encode(Tensor(shape: [1], floats: [1])))
        b[10] = UInt8(ascii: "[")
        writeFile(b, dir + "/g.npy")
        _ = try NPY.read(path: dir + "/g.npy")
    }, expect: ["g.npy: header at byte 10: cannot parse the header"]),
]

/// A safetensors file with a hand-made header (entries may be inconsistent on purpose).
func writeSafetensors(_ path: String, _ entries: [(String, String, [Int], [Int])], dataBytes: Int) throws {
    var header: [String: Any] = [:]
    for (name, dtype, shape, offsets) in entries { header[name] = ["dtype": dtype, "shape": shape, "data_offsets": offsets] }
    let h = try JSONSerialization.data(withJSONObject: header)
    var out = Array(withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init))
    out += Array(h)
    out += [UInt8](repeating: 0, count: dataBytes)
    writeFile(out, path)
}

/// One byte of `Tiny.bytes` changed: found by `offset`, replaced by `value` of the old byte.
struct CorruptedByte: Sendable, CustomTestStringConvertible {
    let name: String
    let offset: @Sendable ([UInt8]) -> Int?
    let value: @Sendable (UInt8) -> UInt8
    /// A fragment of the error, or nil when the model must still load and plan.
    let expect: String?
    var testDescription: String { name }
}

/// W's TensorProto starts with its dims (3, 4) and data_type FLOAT: 0A 02 03 04 10 01.
private let wHeader: [UInt8] = [0x0A, 0x02, 0x03, 0x04, 0x10, 0x01]

let corruptionRows: [CorruptedByte] = [
    .init(name: "ir_version tag → start-group", offset: { _ in 0 }, value: { _ in 0x0B },
          expect: "c.onnx: not an ONNX model (no graph found)\ndetail: ModelProto at byte 0: field 1 uses the start-group wire type"),
    .init(name: "ir_version tag → wire type 7", offset: { _ in 0 }, value: { _ in 0x0F },
          expect: "detail: ModelProto at byte 0: invalid wire type 7 in tag 15"),
    .init(name: "graph length → unterminated varint", offset: { _ in Tiny.graphTag + 1 }, value: { _ in 0xFF },
          expect: "c.onnx: ModelProto field graph at byte \(Tiny.graphTag + 1): length"),
    .init(name: "W's data_type → float8", offset: { $0.offset(of: wHeader).map { $0 + 5 } }, value: { _ in 17 },
          expect: "TensorProto 'W' field data_type at byte"),
    .init(name: "W's first dim 3 → 5", offset: { $0.offset(of: wHeader).map { $0 + 2 } }, value: { _ in 5 },
          expect: "raw_data has 48 bytes but dims [5, 4] of float (1) need 20 × 4 = 80"),
    .init(name: "op type Gemm → Gemx", offset: { $0.offset(of: Array("Gemm".utf8)).map { $0 + 3 } }, value: { _ in UInt8(ascii: "x") },
          expect: "Gemx"),
    .init(name: "node input W → V", offset: { $0.offset(of: [0x0A, 0x01, UInt8(ascii: "x"), 0x0A, 0x01, UInt8(ascii: "W")]).map { $0 + 5 } },
          value: { _ in UInt8(ascii: "V") }, expect: "node 'fc' (Gemm) reads 'V'"),
    .init(name: "a weight's low byte (only a value)", offset: { b in b.offset(of: ONNXBuilder.floatBytes([-0.75, -0.625])) },
          value: { $0 ^ 1 }, expect: nil),
]

@Suite struct MalformedFileTests {
    @Test(arguments: malformedRows)
    func malformedInputIsRefusedWithItsPlace(_ row: BadInput) throws {
        let dir = makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try row.run(dir)
            Issue.record("\(row.name): no error was thrown")
        } catch {
            let text = "\(error)"
            for want in row.expect.map({ $0.replacingOccurrences(of: "$DIR", with: dir) }) {
                #expect(text.contains(want), "\(row.name): error text\n  \(text)\nlacks\n  \(want)")
            }
        }
    }

    /// A NaN weight's error names the byte of the NaN itself; the option lets it through.
    @Test func nanWeightByteOffsetAndOption() throws {
        var w = [Float](repeating: 0.5, count: 12); w[5] = .nan
        let bytes = Tiny.withWeights(w)
        let rawStart = bytes.offset(of: ONNXBuilder.floatBytes(Array(w.prefix(5))))!
        do {
            _ = try ONNXLoader.load(data: Data(bytes), source: "nan.onnx", baseDirectory: nil)
            Issue.record("NaN accepted")
        } catch let e as FormatError {
            #expect(e.offset == rawStart + 5 * 4)
            #expect(e.place == "TensorProto 'W'")
        }
        let m = try ONNXLoader.load(data: Data(bytes), source: "nan.onnx", baseDirectory: nil,
                                    options: .init(allowNonFiniteWeights: true))
        #expect(m.graph.initializers["W"]!.floats[5].isNaN)
    }

    /// Truncating the model at every byte never crashes and always names the file and a byte.
    @Test func everyTruncationIsAnError() {
        let bytes = Tiny.bytes
        var accepted: [Int] = []
        for n in 0..<bytes.count {
            do {
                _ = try ONNXLoader.load(data: Data(bytes.prefix(n)), source: "t.onnx", baseDirectory: nil)
                accepted.append(n)
            } catch let e as FormatError {
                // Cuts before the graph are "not an ONNX model"; the byte is in the detail then.
                let namesAByte = e.offset != nil || e.detail?.contains("at byte") == true
                if !(e.file == "t.onnx" && (namesAByte || n == 0)) { Issue.record("cut at \(n): \(e)") }
            } catch {
                Issue.record("cut at \(n): unexpected \(error)")
            }
        }
        // Cuts that land between two top-level fields after the graph leave a valid (smaller) model:
        // only the ends of opset_import and metadata_props can do that.
        #expect(accepted.count <= 2, "loaded after cuts at \(accepted)")
    }

    /// Each row changes one byte of the tiny model; the error names what that byte broke, or the
    /// model still loads (and plans) when the byte was only a value.
    @Test(arguments: corruptionRows)
    func oneCorruptedByteGivesItsError(_ row: CorruptedByte) throws {
        var b = Tiny.bytes
        let i = try #require(row.offset(b), "\(row.name): the byte to corrupt is not in the model")
        b[i] = row.value(b[i])
        do {
            let model = try ONNXLoader.load(data: Data(b), source: "c.onnx", baseDirectory: nil)
            _ = try InferenceSession(model: model).plan(batch: 1)
            #expect(row.expect == nil, "\(row.name): loaded, but expected an error containing \(row.expect ?? "")")
        } catch {
            let text = "\(error)"
            #expect(row.expect.map { text.contains($0) } == true, "\(row.name): error text\n  \(text)\nwant\n  \(row.expect ?? "no error")")
        }
    }

    /// Seeded random single-byte changes: every one either loads or fails with a FormatError
    /// naming the file and a byte (in the error or its detail); none crashes or escapes as
    /// another kind of error.
    @Test func randomCorruptionsAreFormatErrorsNamingTheFile() {
        let bytes = Tiny.bytes
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 // xorshift: the same corruptions on every run
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        var failures = 0
        for _ in 0..<3000 {
            var b = bytes
            let i = Int(next() % UInt64(b.count))
            b[i] = UInt8(truncatingIfNeeded: next())
            do {
                _ = try ONNXLoader.load(data: Data(b), source: "c.onnx", baseDirectory: nil)
            } catch let e as FormatError {
                failures += 1
                let namesAByte = e.offset != nil || e.detail?.contains("at byte") == true
                if e.file != "c.onnx" || !namesAByte { Issue.record("byte \(i) = \(b[i]): \(e)") }
            } catch {
                Issue.record("byte \(i) = \(b[i]): not a FormatError: \(error)")
            }
        }
        // Most bytes are framing, names or types: a corrupted one must be caught, not read past.
        #expect(failures > 1000, "only \(failures) of 3000 corruptions were refused")
    }
}
