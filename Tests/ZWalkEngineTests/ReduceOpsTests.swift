import Foundation
import Testing
@testable import ZWalkEngine
import TestSupport

@Suite struct ReduceOpsTests {
    static let ops: [(String, ReduceOps.Reduction)] = [
        ("ReduceSum", .sum), ("ReduceMean", .mean), ("ReduceMax", .max), ("ReduceMin", .min), ("ReduceProd", .prod),
        ("ReduceL1", .l1), ("ReduceL2", .l2), ("ReduceSumSquare", .sumSquare), ("ReduceLogSum", .logSum),
        ("ReduceLogSumExp", .logSumExp),
    ]

    /// Shapes and axes that hit every path: one contiguous block (outer × reduced × inner, with
    /// inner 1 or not), several blocks (the gather fallback), size-1 axes, negative axes, all axes.
    static let layouts: [([Int], [Int])] = [
        ([2, 3, 4, 5], [1]), ([2, 3, 4, 5], [-1]), ([2, 3, 4, 5], [2, 3]), ([2, 3, 4, 5], [0, 2]),
        ([2, 3, 4, 5], [1, 3]), ([2, 3, 4, 5], [0, 1, 2, 3]), ([3, 1, 7], [1]), ([3, 1, 7], [0, 1]),
        ([1, 2050, 3], [1]), ([4, 1500], [0]), ([5], [0]), ([2, 3, 1, 4], [-4, 2, -1]),
    ]

    static var cases: [(String, [Int], [Int], Bool)] {
        ops.flatMap { op in layouts.flatMap { l in [true, false].map { (op.0, l.0, l.1, $0) } } }
    }

    @Test(arguments: cases)
    func matchesReference(op: String, shape: [Int], axes: [Int], keepdims: Bool) throws {
        let kind = Self.ops.first { $0.0 == op }!.1
        let n = shape.reduce(1, *)
        // Positive values keep ReduceLogSum and ReduceProd meaningful.
        let x = Tensor(shape: shape, floats: testValues(n, seed: 3, lo: kind == .logSum || kind == .prod ? 0.8 : -2, hi: kind == .prod ? 1.2 : 2))
        let opset = 18
        let y = try shapeOpsRun(op, [.runtime(x), .constant(shapeOpsInts(axes))], attrs: ["keepdims": .int(keepdims ? 1 : 0)], opset: opset)[0]
        let want = ReduceOps.reduceReference(x, axes: axes, keepdims: keepdims, kind)
        let c = compare(y, want, rtol: 1e-5, atol: 1e-5)
        #expect(c.ok, "\(c)")
    }

    // np.arange(24).reshape(2, 3, 4).mean(axis=1) etc.: closed forms on iota data.
    @Test func meanSumMaxOfIota() throws {
        let x = shapeOpsIota([2, 3, 4])
        let mean = try shapeOpsRun("ReduceMean", [.runtime(x)], attrs: ["axes": .ints([1]), "keepdims": .int(0)], opset: 13)[0]
        #expect(mean.shape == [2, 4] && mean.floatArray == [4, 5, 6, 7, 16, 17, 18, 19])
        let sum = try shapeOpsRun("ReduceSum", [.runtime(x), .constant(shapeOpsInts([0, 2]))], opset: 13)[0]
        #expect(sum.shape == [1, 3, 1] && sum.floatArray == [60, 92, 124])
        let max = try shapeOpsRun("ReduceMax", [.runtime(x)], attrs: ["axes": .ints([-1])], opset: 13)[0]
        #expect(max.shape == [2, 3, 1] && max.floatArray == [3, 7, 11, 15, 19, 23])
    }

    @Test(arguments: [true, false])
    func emptyAxesReduceEverythingUnlessNoop(noop: Bool) throws {
        let x = shapeOpsIota([2, 3])
        for (op, opset) in [("ReduceSum", 13), ("ReduceSumSquare", 18)] {
            let attrs: [String: AttributeValue] = ["keepdims": .int(1), "noop_with_empty_axes": .int(noop ? 1 : 0)]
            // Axes omitted and axes given as an empty list behave alike.
            for axes in [ShapeOpsInput.omitted, .constant(shapeOpsInts([]))] {
                let y = try shapeOpsRun(op, [.runtime(x), axes], attrs: attrs, opset: opset)[0]
                if noop {
                    // ONNX's reference: no axis is reduced; SumSquare still squares.
                    #expect(y.shape == [2, 3])
                    #expect(y.floatArray == (op == "ReduceSum" ? [0, 1, 2, 3, 4, 5] : [0, 1, 4, 9, 16, 25]))
                } else {
                    #expect(y.shape == [1, 1])
                    #expect(y.floatArray == [op == "ReduceSum" ? 15 : 55])
                }
            }
        }
        let all = try shapeOpsRun("ReduceMean", [.runtime(x)], attrs: ["keepdims": .int(0)], opset: 13)[0]
        #expect(all.shape == [] && all.floatArray == [2.5])
    }

    /// Reductions over an empty axis give the operation's identity (numpy / ONNX reference).
    @Test(arguments: [
        ("ReduceSum", Float(0)), ("ReduceMax", -.infinity), ("ReduceMin", .infinity), ("ReduceProd", 1),
        ("ReduceL2", 0), ("ReduceLogSumExp", -.infinity), ("ReduceSumSquare", 0),
    ] as [(String, Float)])
    func emptySet(op: String, value: Float) throws {
        let x = Tensor(shape: [2, 0, 3], floats: [])
        let y = try shapeOpsRun(op, [.constant(x), .constant(shapeOpsInts([1]))], opset: 18)[0]
        #expect(y.shape == [2, 1, 3] && y.floatArray == [Float](repeating: value, count: 6))
    }

    /// Bool max/min (opset 20) over an empty set: false/true, as ONNX's reference gives.
    @Test func boolEmptySet() throws {
        let x = Tensor(shape: [2, 0], ints: [], dtype: .bool)
        let mx = try shapeOpsRun("ReduceMax", [.constant(x), .constant(shapeOpsInts([1]))], opset: 20)[0]
        #expect(mx.dtype == .bool && mx.intArray == [0, 0])
        let mn = try shapeOpsRun("ReduceMin", [.constant(x), .constant(shapeOpsInts([1]))], opset: 20)[0]
        #expect(mn.intArray == [1, 1])
    }

    @Test func axesAttributeOrInputByOpset() throws {
        let x: ShapeOpsInput = .runtime(shapeOpsIota([2, 3]))
        // ReduceSum: input from 13; the others: input from 18.
        #expect(try shapeOpsRun("ReduceSum", [x], attrs: ["axes": .ints([1])], opset: 11)[0].floatArray == [3, 12])
        #expect(try shapeOpsRun("ReduceSum", [x, .constant(shapeOpsInts([1]))], opset: 13)[0].floatArray == [3, 12])
        #expect(try shapeOpsRun("ReduceMax", [x], attrs: ["axes": .ints([0])], opset: 17)[0].floatArray == [3, 4, 5])
        #expect(try shapeOpsRun("ReduceMax", [x, .constant(shapeOpsInts([0]))], opset: 18)[0].floatArray == [3, 4, 5])
        let e = shapeOpsError("ReduceMean", [x], attrs: ["axes": .ints([0])], opset: 18)
        #expect(e.contains("from opset 18"), "\(e)")
        #expect(shapeOpsError("ReduceMean", [x, .constant(shapeOpsInts([0]))], opset: 13).contains("attribute before opset 18"))
        #expect(shapeOpsError("ReduceSum", [x, .runtime(shapeOpsInts([0]))], opset: 13).contains("load time"))
        #expect(shapeOpsError("ReduceSum", [x, .constant(shapeOpsInts([1, -1]))], opset: 13).contains("twice"))
        #expect(shapeOpsError("ReduceSum", [x, .constant(shapeOpsInts([2]))], opset: 13).contains("out of range"))
    }

    @Test func integerReductionsForShapeArithmetic() throws {
        let s = shapeOpsInts([2, 3, 4])
        #expect(try shapeOpsRun("ReduceProd", [.constant(s)], attrs: ["keepdims": .int(0)], opset: 13)[0].intArray == [24])
        #expect(try shapeOpsRun("ReduceMax", [.constant(s)], attrs: ["keepdims": .int(0)], opset: 13)[0].intArray == [4])
        #expect(try shapeOpsRun("ReduceSum", [.constant(shapeOpsInts([2, 2], [1, -2, 3, 4])), .constant(shapeOpsInts([0]))], opset: 13)[0].intArray == [4, 2])
        #expect(shapeOpsError("ReduceL2", [.constant(s)], opset: 13).contains("not supported"))
    }

    // Softmax / LogSoftmax of np.arange(12, dtype=float32).reshape(2, 2, 3) * 0.5 - 1 with axis=1,
    // from onnxruntime 1.32: opset 11 coerces to 2-D at axis 1 (rows of 6), opset 13 runs along axis 1.
    @Test(arguments: [
        ("Softmax", 11, [0.0339902, 0.05604037, 0.09239495, 0.1523335, 0.2511555, 0.4140854] as [Float]),
        ("Softmax", 13, [0.1824255, 0.1824255, 0.1824255, 0.8175744, 0.8175744, 0.8175744]),
        ("LogSoftmax", 11, [-3.381683, -2.881683, -2.381683, -1.881683, -1.381683, -0.881683]),
        ("LogSoftmax", 13, [-1.701413, -1.701413, -1.701413, -0.2014133, -0.2014133, -0.2014133]),
    ] as [(String, Int, [Float])])
    func softmaxAxisSemanticsByOpset(op: String, opset: Int, half: [Float]) throws {
        let x = Tensor(shape: [2, 2, 3], floats: (0..<12).map { Float($0) * 0.5 - 1 })
        let y = try shapeOpsRun(op, [.runtime(x)], attrs: ["axis": .int(1)], opset: opset)[0]
        let c = compare(y.doubleArray, (half + half).map(Double.init), rtol: 1e-5, atol: 1e-6)
        #expect(c.ok, "\(c)")
    }

    @Test(arguments: [
        ([4, 10], -1), ([2, 3, 4, 5], 1), ([2, 3, 1100], 1), ([1, 2000], 1), ([3, 4], 0), ([7], 0),
    ] as [([Int], Int)])
    func softmaxMatchesReference(shape: [Int], axis: Int) throws {
        let x = Tensor(shape: shape, floats: testValues(shape.reduce(1, *), seed: 11, lo: -30, hi: 30))
        let a = axis < 0 ? axis + shape.count : axis
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        for log in [false, true] {
            let y = try shapeOpsRun(log ? "LogSoftmax" : "Softmax", [.runtime(x)], attrs: ["axis": .int(axis)], opset: 13)[0]
            let want = ReduceOps.softmaxReference(x.floatArray, outer: outer, n: n, inner: inner, log: log)
            let c = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-6)
            #expect(c.ok, "\(log ? "LogSoftmax" : "Softmax") \(c)")
        }
    }

    /// The polynomial exp of the softmax kernels against Foundation's, over its whole domain.
    @Test func expNonPositiveMatchesFoundation() {
        var worst = 0.0
        for i in 0...200_000 {
            let x = -Float(i) * 0.0004366 // 0 … −87.32
            let want = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(ReduceOps.expNonPositive(x)) - want) / want)
        }
        #expect(worst < 2e-7, "max relative error \(worst)")
        #expect(ReduceOps.expNonPositive(0) == 1)
        #expect(ReduceOps.expNonPositive(-.infinity) == 0 && ReduceOps.expNonPositive(-100) == 0)
        #expect(ReduceOps.expNonPositive(.nan).isNaN)
    }

    @Test func softmaxIsStableForLargeInputs() throws {
        let x = Tensor(shape: [1, 3], floats: [1000, 1001, 1002])
        let y = try shapeOpsRun("Softmax", [.runtime(x)], opset: 13)[0]
        // softmax([0, 1, 2]) = [0.09003057, 0.24472847, 0.66524096]
        #expect(compare(y.doubleArray, [0.09003057, 0.24472847, 0.66524096], rtol: 1e-5).ok)
        let l = try shapeOpsRun("LogSoftmax", [.runtime(x)], opset: 13)[0]
        #expect(compare(l.doubleArray, [-2.40760596, -1.40760596, -0.40760596], rtol: 1e-5).ok)
        let lse = try shapeOpsRun("ReduceLogSumExp", [.runtime(x)], attrs: ["keepdims": .int(0)], opset: 13)[0]
        #expect(compare(lse.doubleArray, [1002.40760596], rtol: 1e-6).ok)
    }
}
