import Testing
@testable import ZWalkEngine
import TestSupport

/// One pooling case (the input is random; attributes as ONNX writes them).
struct PoolCase: CustomStringConvertible, Sendable {
    var name: String
    var x: [Int]
    var attrs: [String: AttributeValue]
    var opset = 19
    var description: String { name }
}

@Suite struct PoolingOpsTests {
    static let cases: [PoolCase] = [
        PoolCase(name: "2x2 stride 2", x: [2, 3, 8, 8], attrs: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
        PoolCase(name: "3x3 stride 2 pad 1", x: [1, 2, 9, 7],
                 attrs: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        PoolCase(name: "asymmetric pads, non-square", x: [2, 2, 6, 7],
                 attrs: ["kernel_shape": .ints([3, 2]), "strides": .ints([1, 2]), "pads": .ints([0, 1, 2, 0])]),
        PoolCase(name: "ceil_mode", x: [1, 2, 7, 8],
                 attrs: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 3]), "ceil_mode": .int(1)]),
        PoolCase(name: "ceil_mode, last window starts in the padding", x: [1, 3, 2, 2],
                 attrs: ["kernel_shape": .ints([3, 3]), "strides": .ints([3, 3]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1)]),
        PoolCase(name: "ceil_mode with pads", x: [1, 1, 5, 6],
                 attrs: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1)]),
        PoolCase(name: "dilations", x: [1, 2, 9, 10],
                 attrs: ["kernel_shape": .ints([2, 3]), "dilations": .ints([2, 2]), "pads": .ints([1, 1, 0, 2])]),
        PoolCase(name: "SAME_UPPER", x: [1, 2, 7, 6], attrs: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")]),
        PoolCase(name: "SAME_LOWER", x: [1, 2, 7, 6], attrs: ["kernel_shape": .ints([2, 3]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_LOWER")]),
        PoolCase(name: "VALID", x: [1, 1, 7, 6], attrs: ["kernel_shape": .ints([3, 2]), "strides": .ints([2, 2]), "auto_pad": .string("VALID")]),
        PoolCase(name: "1-D", x: [2, 3, 11], attrs: ["kernel_shape": .ints([3]), "strides": .ints([2]), "pads": .ints([1, 2])]),
        PoolCase(name: "3-D", x: [1, 2, 4, 5, 6], attrs: ["kernel_shape": .ints([2, 3, 2]), "strides": .ints([2, 1, 2]), "pads": .ints([0, 1, 1, 1, 1, 0])]),
        PoolCase(name: "kernel covers the image", x: [2, 2, 3, 3], attrs: ["kernel_shape": .ints([3, 3])]),
    ]

    func window(_ c: PoolCase, op: String) throws -> PoolingOps.Setup {
        try PoolingOps.setup(convOpContext(op, c.attrs, shapes: [c.x], opset: c.opset), allowDilations: true)
    }

    @Test(arguments: cases)
    func maxPoolMatchesNaive(c: PoolCase) throws {
        let x = convRandom(c.x, seed: 21)
        let s = try window(c, op: "MaxPool")
        let out = try runConvOp("MaxPool", c.attrs, inputs: [ConvOpInput(name: "x", value: x, constant: false)],
                                outputs: ["y", "i"], opset: c.opset)
        let want = PoolingNaive.maxPool(x.floatArray, planes: c.x[0] * c.x[1], window: s.window)
        #expect(out[0].shape == s.outputShape)
        let cmp = compare(out[0].doubleArray, want.values.map(Double.init), rtol: 0, atol: 0)
        #expect(cmp.ok, "\(c.name): \(cmp)")
        #expect(out[1].intArray == want.indices, "\(c.name): indices")
    }

    @Test(arguments: cases)
    func averagePoolMatchesNaive(c: PoolCase) throws {
        let x = convRandom(c.x, seed: 22)
        let s = try window(c, op: "AveragePool")
        for cip in [0, 1] {
            var attrs = c.attrs
            attrs["count_include_pad"] = .int(cip)
            let y = try runConvOp("AveragePool", attrs, inputs: [ConvOpInput(name: "x", value: x, constant: false)], opset: c.opset)[0]
            let want = PoolingNaive.averagePool(x.floatArray, planes: c.x[0] * c.x[1], window: s.window, countIncludePad: cip == 1)
            #expect(y.shape == s.outputShape)
            let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-5, atol: 1e-6)
            #expect(cmp.ok, "\(c.name), count_include_pad \(cip): \(cmp)")
        }
    }

    @Test func globalPoolsReduceEverySpatialAxis() throws {
        let x = convRandom([2, 3, 4, 5], seed: 23)
        let avg = try runConvOp("GlobalAveragePool", inputs: [ConvOpInput(name: "x", value: x, constant: false)])[0]
        let mx = try runConvOp("GlobalMaxPool", inputs: [ConvOpInput(name: "x", value: x, constant: false)])[0]
        #expect(avg.shape == [2, 3, 1, 1] && mx.shape == [2, 3, 1, 1])
        let v = x.floatArray
        let planes = (0..<6).map { Array(v[($0 * 20)..<($0 * 20 + 20)]) }
        #expect(compare(avg.doubleArray, planes.map { Double($0.reduce(0, +)) / 20 }, rtol: 1e-6).ok)
        #expect(mx.floatArray == planes.map { $0.max()! })
        let x1 = convRandom([1, 2, 7], seed: 24)
        #expect(try runConvOp("GlobalAveragePool", inputs: [ConvOpInput(name: "x", value: x1, constant: false)])[0].shape == [1, 2, 1])
    }

    @Test func maxPoolOnIntegers() throws {
        let x = Tensor(shape: [1, 1, 3, 4], ints: [3, 9, 1, 4, 7, 2, 8, 8, 0, 5, 6, 1])
        let y = try runConvOp("MaxPool", ["kernel_shape": .ints([2, 2]), "strides": .ints([1, 2])],
                              inputs: [ConvOpInput(name: "x", value: x, constant: false)])[0]
        #expect(y.dtype == .int64 && y.intArray == [9, 8, 7, 8])
    }

    /// storage_order 1: indices count down columns (ONNX backend case maxpool_with_argmax_2d_precomputed_strides).
    @Test func columnMajorIndices() throws {
        let x = Tensor(shape: [1, 1, 5, 5], floats: (1...25).map(Float.init))
        let out = try runConvOp("MaxPool", ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "storage_order": .int(1)],
                                inputs: [ConvOpInput(name: "x", value: x, constant: false)], outputs: ["y", "i"], opset: 12)
        #expect(out[0].floatArray == [7, 9, 17, 19])
        #expect(out[1].intArray == [6, 16, 8, 18])
    }

    // onnxruntime 1.32.0 (CPU) from /work/main/.venv/bin/python; x = (i mod 11)·0.25 − 1.
    @Test func maxPoolMatchesOnnxruntime() throws {
        let out = try runConvOp("MaxPool", ["kernel_shape": .ints([3, 2]), "strides": .ints([2, 2]), "pads": .ints([1, 0, 1, 1]),
                                            "ceil_mode": .int(1)],
                                inputs: [ConvOpInput(name: "x", value: convGoldenX([1, 2, 5, 6]), constant: false)], outputs: ["y", "i"], opset: 12)
        #expect(out[0].shape == [1, 2, 3, 3])
        #expect(out[0].floatArray == [0.75, 1.25, 1.5, 1, 1.5, 1.5, 1, 1.5, 0.75, 1.25, 1.5, 1, 1.5, 0.75, 1.25, 1.5, 0.75, 1.25])
        #expect(out[1].intArray == [7, 9, 10, 19, 21, 10, 19, 21, 29, 31, 32, 41, 43, 51, 53, 54, 51, 53])
    }

    @Test func averagePoolMatchesOnnxruntime() throws {
        let x = convGoldenX([1, 1, 5, 6])
        let a = try runConvOp("AveragePool", ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
                                              "ceil_mode": .int(1), "count_include_pad": .int(1)],
                              inputs: [ConvOpInput(name: "x", value: x, constant: false)], opset: 19)[0]
        let ca = compare(a, Tensor(shape: [1, 1, 3, 4], floats: [-0.0555556, 0.166667, 0.194444, -0.125, 0.194444, 0.666667, 0.25,
                                                                 -0.208333, 0.111111, 0.416667, 0.138889, 0]), rtol: 1e-5, atol: 1e-6)
        #expect(ca.ok, "\(ca)")
        let b = try runConvOp("AveragePool", ["kernel_shape": .ints([3, 2]), "strides": .ints([2, 2]), "auto_pad": .string("SAME_LOWER")],
                              inputs: [ConvOpInput(name: "x", value: x, constant: false)], opset: 19)[0]
        let cb = compare(b, Tensor(shape: [1, 1, 3, 3], floats: [-0.125, 0.375, 0.1875, 0.291667, 0.791667, -0.0833333, 0.25, 0.75, -0.125]),
                         rtol: 1e-5, atol: 1e-6)
        #expect(cb.ok, "\(cb)")
    }

    @Test(arguments: [
        ("MaxPool", ["strides": AttributeValue.ints([2, 2])], "kernel_shape"),
        ("MaxPool", ["kernel_shape": .ints([2, 2]), "storage_order": .int(2)], "storage_order"),
        ("AveragePool", ["kernel_shape": .ints([2, 2]), "dilations": .ints([2, 2])], "not supported at opset 17"),
        ("AveragePool", ["kernel_shape": .ints([9, 9])], "larger than the padded input"),
        ("MaxPool", ["kernel_shape": .ints([2, 2]), "auto_pad": .string("same")], "not supported"),
    ] as [(String, [String: AttributeValue], String)])
    func invalidPoolsFailAtLoad(op: String, attrs: [String: AttributeValue], message: String) throws {
        do {
            _ = try Planner(model: convOpModel(op, attrs, inputs: [ConvOpInput(name: "x", value: Tensor(shape: [1, 1, 4, 4]), constant: false)]))
                .plan(batch: 1)
            Issue.record("expected an error containing '\(message)'")
        } catch let e as EngineError {
            #expect(e.description.contains(message) && e.description.contains("_under_test"), "\(e)")
        }
    }
}
