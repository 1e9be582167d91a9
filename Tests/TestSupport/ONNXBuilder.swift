import Foundation

/// A tiny protobuf writer for building ONNX files inside tests — valid ones, and bad ones by
/// editing valid ones. Field numbers follow onnx.proto (the same numbers the reader uses, checked
/// independently by the fixture files written with the onnx package). It needs nothing of zwalk,
/// so every test target can write model files with it.
public struct PB: Sendable {
    public var bytes: [UInt8] = []

    public init() {}

    public static func varintBytes(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            out.append(b)
        } while v != 0
        return out
    }

    public mutating func tag(_ field: Int, _ wire: Int) { bytes += PB.varintBytes(UInt64(field << 3 | wire)) }

    @discardableResult public mutating func varint(_ field: Int, _ v: Int64) -> PB {
        tag(field, 0); bytes += PB.varintBytes(UInt64(bitPattern: v)); return self
    }

    public mutating func fixed32(_ field: Int, _ v: UInt32) {
        tag(field, 5); withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    public mutating func fixed64(_ field: Int, _ v: UInt64) {
        tag(field, 1); withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }

    public mutating func bytesField(_ field: Int, _ b: [UInt8]) {
        tag(field, 2); bytes += PB.varintBytes(UInt64(b.count)); bytes += b
    }

    public mutating func string(_ field: Int, _ s: String) { bytesField(field, Array(s.utf8)) }
    public mutating func message(_ field: Int, _ m: PB) { bytesField(field, m.bytes) }

    public mutating func packedVarints(_ field: Int, _ vs: [Int64]) {
        bytesField(field, vs.flatMap { PB.varintBytes(UInt64(bitPattern: $0)) })
    }

    public mutating func packedFloats(_ field: Int, _ vs: [Float]) {
        var b: [UInt8] = []
        for v in vs { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } }
        bytesField(field, b)
    }
}

/// Builders for the ONNX messages the tests need.
public enum ONNXBuilder {
    public static func floatBytes(_ vs: [Float]) -> [UInt8] {
        vs.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    /// TensorProto: dims (1), data_type (2), name (8), raw_data (9).
    public static func tensor(_ name: String, dims: [Int64], dataType: Int64 = 1, raw: [UInt8]) -> PB {
        var t = PB()
        t.packedVarints(1, dims)
        t.varint(2, dataType)
        t.string(8, name)
        t.bytesField(9, raw)
        return t
    }

    public static func floatTensor(_ name: String, dims: [Int64], _ values: [Float]) -> PB {
        tensor(name, dims: dims, raw: floatBytes(values))
    }

    /// A tensor whose values live in an external file: data_location (14) = EXTERNAL, external_data (13).
    public static func externalTensor(_ name: String, dims: [Int64], location: String, offset: Int? = nil, length: Int? = nil) -> PB {
        var t = PB()
        t.packedVarints(1, dims)
        t.varint(2, 1)
        t.string(8, name)
        func entry(_ k: String, _ v: String) { var e = PB(); e.string(1, k); e.string(2, v); t.message(13, e) }
        entry("location", location)
        if let o = offset { entry("offset", String(o)) }
        if let l = length { entry("length", String(l)) }
        t.varint(14, 1)
        return t
    }

    /// ValueInfoProto with a float tensor type; a String dim is a dim_param.
    public static func valueInfo(_ name: String, elemType: Int64 = 1, dims: [Any]) -> PB {
        var shape = PB()
        for d in dims {
            var dim = PB()
            if let n = d as? Int { dim.varint(1, Int64(n)) } else if let s = d as? String { dim.string(2, s) }
            shape.message(1, dim)
        }
        var tt = PB(); tt.varint(1, elemType); tt.message(2, shape)
        var type = PB(); type.message(1, tt)
        var vi = PB(); vi.string(1, name); vi.message(2, type)
        return vi
    }

    /// AttributeProto helpers: name (1), type (20), f (2), i (3), s (4), t (5), ints (8).
    public static func intAttr(_ name: String, _ v: Int64) -> PB { var a = PB(); a.string(1, name); a.varint(3, v); a.varint(20, 2); return a }
    public static func floatAttr(_ name: String, _ v: Float) -> PB { var a = PB(); a.string(1, name); a.fixed32(2, v.bitPattern); a.varint(20, 1); return a }
    public static func intsAttr(_ name: String, _ v: [Int64]) -> PB { var a = PB(); a.string(1, name); a.packedVarints(8, v); a.varint(20, 7); return a }

    public static func node(_ op: String, name: String, inputs: [String], outputs: [String], attributes: [PB] = [], domain: String? = nil) -> PB {
        var n = PB()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, name)
        n.string(4, op)
        for a in attributes { n.message(5, a) }
        if let d = domain { n.string(7, d) }
        return n
    }

    public static func graph(name: String = "g", nodes: [PB], initializers: [PB], inputs: [PB], outputs: [PB]) -> PB {
        var g = PB()
        for n in nodes { g.message(1, n) }
        g.string(2, name)
        for t in initializers { g.message(5, t) }
        for i in inputs { g.message(11, i) }
        for o in outputs { g.message(12, o) }
        return g
    }

    public static func model(_ graph: PB, opset: Int64 = 17, metadata: [(String, String)] = [], producer: String = "zwalk-test") -> PB {
        var m = PB()
        m.varint(1, 8)
        m.string(2, producer)
        m.message(7, graph)
        var o = PB(); o.string(1, ""); o.varint(2, opset)
        m.message(8, o)
        for (k, v) in metadata { var e = PB(); e.string(1, k); e.string(2, v); m.message(14, e) }
        return m
    }

    /// y = Relu(x · Wᵀ + b) with x (N, 4), W (3, 4), b (3): small enough to edit byte by byte.
    public static func gemmReluModel(weights: [Float]? = nil, bias: [Float] = [0.5, -0.25, 0]) -> PB {
        let w = weights ?? (0..<12).map { Float($0 - 6) / 8 }
        let g = graph(name: "tiny",
                      nodes: [node("Gemm", name: "fc", inputs: ["x", "W", "b"], outputs: ["h"], attributes: [intAttr("transB", 1)]),
                              node("Relu", name: "act", inputs: ["h"], outputs: ["y"])],
                      initializers: [floatTensor("W", dims: [3, 4], w), floatTensor("b", dims: [3], bias)],
                      inputs: [valueInfo("x", dims: ["N", 4])],
                      outputs: [valueInfo("y", dims: ["N", 3])])
        return model(g, metadata: [("zwalk.latent", "normal")])
    }
}

extension Array where Element == UInt8 {
    /// The offset of the first occurrence of `needle`, for editing serialized messages in place.
    public func offset(of needle: [UInt8]) -> Int? {
        guard needle.count <= count else { return nil }
        for i in 0...(count - needle.count) where self[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
