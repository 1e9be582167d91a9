import Testing
@testable import ZWalkEngine
import TestSupport

// MARK: - one-node models (shared by ShapeOpsTests, ReduceOpsTests, NormalizationOpsTests)

/// An input of a one-node test model: a run-time graph input, or an initializer (a load-time
/// constant, as exporters store weights and shape arguments).
enum ShapeOpsInput {
    case runtime(Tensor)
    case constant(Tensor)
    case omitted
}

/// Plans a model made of the single node `op` (inputs in0…, outputs out0…) for one opset.
func shapeOpsPlan(_ op: String, _ inputs: [ShapeOpsInput], attrs: [String: AttributeValue] = [:],
                  outputs: Int = 1, opset: Int = 17) throws -> (Plan, [Tensor]) {
    var feeds: [Tensor] = []
    let nodeInputs = inputs.enumerated().map { i, input -> OneNodeInput in
        switch input {
        case .omitted: return .omitted
        case .constant(let t): return .constant(name: "in\(i)", value: t)
        case .runtime(let t): feeds.append(t); return .runtime("in\(i)", t)
        }
    }
    let model = oneNodeModel(op, inputs: nodeInputs, outputs: (0..<outputs).map { "out\($0)" }, attributes: attrs, opset: opset)
    return (try Planner(model: model).plan(batch: 1), feeds)
}

/// Runs the single node `op` and returns its outputs.
func shapeOpsRun(_ op: String, _ inputs: [ShapeOpsInput], attrs: [String: AttributeValue] = [:],
                 outputs: Int = 1, opset: Int = 17) throws -> [Tensor] {
    let (plan, feeds) = try shapeOpsPlan(op, inputs, attrs: attrs, outputs: outputs, opset: opset)
    return try plan.run(feeds)
}

/// The error text of planning/running a node that must fail (or a note that it did not).
func shapeOpsError(_ op: String, _ inputs: [ShapeOpsInput], attrs: [String: AttributeValue] = [:],
                   outputs: Int = 1, opset: Int = 17) -> String {
    do {
        _ = try shapeOpsRun(op, inputs, attrs: attrs, outputs: outputs, opset: opset)
        return "<no error>"
    } catch {
        return "\(error)"
    }
}

/// 0, 1, 2, … as float32 of `shape`.
func shapeOpsIota(_ shape: [Int]) -> Tensor {
    Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map(Float.init))
}

func shapeOpsInts(_ shape: [Int], _ v: [Int]) -> Tensor { Tensor(shape: shape, ints: v.map(Int64.init)) }
func shapeOpsInts(_ v: [Int]) -> Tensor { shapeOpsInts([v.count], v) }

// MARK: - tests

@Suite struct ShapeOpsTests {
    // Reshape: (input shape, requested, allowzero, expected shape).
    @Test(arguments: [
        ([2, 3, 4], [0, -1], 0, [2, 12]),
        ([2, 3, 4], [-1], 0, [24]),
        ([2, 3, 4], [4, 0, 2], 0, [4, 3, 2]),
        ([2, 3, 4], [2, -1, 2], 0, [2, 6, 2]),
        ([2, 3, 4], [0, 0, 0, 1], 0, [2, 3, 4, 1]),
        ([2, 3, 4], [3, 8], 1, [3, 8]),
    ] as [([Int], [Int], Int, [Int])])
    func reshapeResolvesZeroAndMinusOneAsAView(input: [Int], requested: [Int], allowZero: Int, expected: [Int]) throws {
        let x = shapeOpsIota(input)
        let (plan, feeds) = try shapeOpsPlan("Reshape", [.runtime(x), .constant(shapeOpsInts(requested))],
                                             attrs: ["allowzero": .int(allowZero)], opset: 14)
        let y = try plan.run(feeds)[0]
        #expect(y.shape == expected)
        #expect(y.floatArray == x.floatArray)
        #expect(plan.steps.isEmpty, "Reshape must be a view, not a copy")
    }

    @Test func reshapeAllowZeroKeepsAZeroDimension() throws {
        let x = Tensor(shape: [0, 3], floats: [])
        let y = try shapeOpsRun("Reshape", [.constant(x), .constant(shapeOpsInts([3, 0]))], attrs: ["allowzero": .int(1)], opset: 14)[0]
        #expect(y.shape == [3, 0])
    }

    @Test(arguments: [
        ([5, -1], "cannot reshape"),
        ([-1, -1], "more than one -1"),
        ([2, -3, 4], "invalid dimension -3"),
        ([0, 0, 0, 0, 0], "has rank 3"),
    ] as [([Int], String)])
    func reshapeRejectsImpossibleShapes(requested: [Int], message: String) {
        let e = shapeOpsError("Reshape", [.runtime(shapeOpsIota([2, 3, 4])), .constant(shapeOpsInts(requested))])
        #expect(e.contains(message) && e.contains("node"), "\(e)")
    }

    @Test func reshapeShapeMustBeKnownAtLoadTime() {
        let e = shapeOpsError("Reshape", [.runtime(shapeOpsIota([2, 3])), .runtime(shapeOpsInts([6]))])
        #expect(e.contains("must be known at load time"), "\(e)")
    }

    @Test func reshapeOpset1ReadsTheAttribute() throws {
        let y = try shapeOpsRun("Reshape", [.runtime(shapeOpsIota([2, 3]))], attrs: ["shape": .ints([3, -1])], opset: 1)[0]
        #expect(y.shape == [3, 2])
    }

    @Test(arguments: [(0, [1, 24]), (1, [2, 12]), (-1, [6, 4]), (3, [24, 1]), (-3, [1, 24])] as [(Int, [Int])])
    func flatten(axis: Int, expected: [Int]) throws {
        let y = try shapeOpsRun("Flatten", [.runtime(shapeOpsIota([2, 3, 4]))], attrs: ["axis": .int(axis)], opset: 13)[0]
        #expect(y.shape == expected)
        #expect(y.floatArray == shapeOpsIota([24]).floatArray)
    }

    // Squeeze/Unsqueeze: axes as attribute (opset 11) and as input (opset 13).
    @Test(arguments: [11, 13])
    func squeezeAndUnsqueezeAcrossOpsets(opset: Int) throws {
        let x = shapeOpsIota([1, 3, 1, 2])
        func run(_ op: String, _ axes: [Int]?) throws -> [Int] {
            var inputs: [ShapeOpsInput] = [.runtime(op == "Squeeze" ? x : shapeOpsIota([3, 2]))]
            var attrs: [String: AttributeValue] = [:]
            if let axes { if opset >= 13 { inputs.append(.constant(shapeOpsInts(axes))) } else { attrs["axes"] = .ints(axes) } }
            return try shapeOpsRun(op, inputs, attrs: attrs, opset: opset)[0].shape
        }
        #expect(try run("Squeeze", nil) == [3, 2])
        #expect(try run("Squeeze", [-2]) == [1, 3, 2])
        #expect(try run("Squeeze", [0, 2]) == [3, 2])
        #expect(try run("Unsqueeze", [0]) == [1, 3, 2])
        #expect(try run("Unsqueeze", [-1]) == [3, 2, 1])
        #expect(try run("Unsqueeze", [0, 3]) == [1, 3, 2, 1])
        #expect(try run("Unsqueeze", [1, -1]) == [3, 1, 2, 1])
    }

    @Test func squeezeErrors() {
        let x = shapeOpsIota([1, 3])
        #expect(shapeOpsError("Squeeze", [.runtime(x), .constant(shapeOpsInts([1]))], opset: 13).contains("size is 3"))
        #expect(shapeOpsError("Squeeze", [.runtime(x)], attrs: ["axes": .ints([0])], opset: 13).contains("from opset 13"))
        #expect(shapeOpsError("Unsqueeze", [.runtime(x), .constant(shapeOpsInts([0, 0]))], opset: 13).contains("twice"))
    }

    // Transpose: the planned copy against the naive reference, on awkward shapes, every dtype.
    static let transposeCases: [([Int], [Int])] = {
        var cases: [([Int], [Int])] = []
        func perms(_ n: Int) -> [[Int]] {
            n == 1 ? [[0]] : perms(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
        }
        for p in perms(4) { cases.append(([2, 3, 4, 5], p)) }
        cases += [([37, 33], [1, 0]), ([1, 37, 65], [0, 2, 1]), ([3, 1, 70, 40], [0, 2, 3, 1]), ([2, 64, 45], [0, 2, 1]),
                  ([5, 1, 1, 7], [3, 1, 2, 0]), ([1, 1], [1, 0]), ([6], [0]), ([2, 3, 1, 33, 34], [4, 2, 0, 3, 1])]
        return cases
    }()

    @Test(arguments: transposeCases)
    func transposeMatchesReference(shape: [Int], perm: [Int]) throws {
        let n = shape.reduce(1, *)
        let x = Tensor(shape: shape, floats: testValues(n, seed: 7))
        let y = try shapeOpsRun("Transpose", [.runtime(x)], attrs: ["perm": .ints(perm)])[0]
        let want = ShapeOps.transposeReference(x, perm: perm)
        #expect(y.shape == want.shape)
        #expect(y.floatArray == want.floatArray)
        let xi = Tensor(shape: shape, ints: (0..<n).map { Int64($0 * 3 - 5) })
        let yi = try shapeOpsRun("Transpose", [.constant(xi)], attrs: ["perm": .ints(perm)])[0]
        #expect(yi.intArray == ShapeOps.transposeReference(xi, perm: perm).intArray)
    }

    @Test func transposeDefaultReversesAndUnitAxisMovesAreViews() throws {
        let y = try shapeOpsRun("Transpose", [.runtime(shapeOpsIota([2, 3]))])[0]
        #expect(y.shape == [3, 2] && y.floatArray == [0, 3, 1, 4, 2, 5])
        let (plan, feeds) = try shapeOpsPlan("Transpose", [.runtime(shapeOpsIota([1, 3, 1, 4]))], attrs: ["perm": .ints([2, 1, 0, 3])])
        let v = try plan.run(feeds)[0]
        #expect(v.shape == [1, 3, 1, 4] && v.floatArray == shapeOpsIota([12]).floatArray)
        #expect(plan.steps.isEmpty)
    }

    @Test(arguments: [1, -2])
    func concatAlongAxis(axis: Int) throws {
        let a = shapeOpsIota([2, 1, 2]), b = Tensor(shape: [2, 2, 2], floats: (10..<18).map(Float.init))
        let y = try shapeOpsRun("Concat", [.runtime(a), .constant(b)], attrs: ["axis": .int(axis)])[0]
        // np.concatenate([np.arange(4).reshape(2,1,2), np.arange(10,18).reshape(2,2,2)], axis=1)
        #expect(y.shape == [2, 3, 2])
        #expect(y.floatArray == [0, 1, 10, 11, 12, 13, 2, 3, 14, 15, 16, 17])
    }

    @Test func concatOfIntegersAndErrors() throws {
        let y = try shapeOpsRun("Concat", [.constant(shapeOpsInts([1, 2])), .constant(shapeOpsInts([])), .constant(shapeOpsInts([3]))], attrs: ["axis": .int(0)])[0]
        #expect(y.intArray == [1, 2, 3] && y.dtype == .int64)
        let e = shapeOpsError("Concat", [.runtime(shapeOpsIota([2, 2])), .runtime(shapeOpsIota([3, 3]))], attrs: ["axis": .int(0)])
        #expect(e.contains("does not match"), "\(e)")
        #expect(shapeOpsError("Concat", [.runtime(shapeOpsIota([2]))]).contains("'axis' is required"))
    }

    // Split: (opset, sizes given as attribute/input or nil, num_outputs, outputs, expected shapes along axis 1 of (2, 7)).
    @Test(arguments: [
        (11, [2, 5], 0, 2, [2, 5]),
        (13, [3, 0, 4], 0, 3, [3, 0, 4]),
        (18, nil, 3, 3, [3, 3, 1]),
        (18, nil, 0, 1, [7]),
        (13, [1, 1, 5], 0, 3, [1, 1, 5]),
    ] as [(Int, [Int]?, Int, Int, [Int])])
    func split(opset: Int, sizes: [Int]?, numOutputs: Int, outputs: Int, expected: [Int]) throws {
        let x = shapeOpsIota([2, 7])
        var inputs: [ShapeOpsInput] = [.runtime(x)]
        var attrs: [String: AttributeValue] = ["axis": .int(-1)]
        if let sizes { if opset >= 13 { inputs.append(.constant(shapeOpsInts(sizes))) } else { attrs["split"] = .ints(sizes) } }
        if numOutputs > 0 { attrs["num_outputs"] = .int(numOutputs) }
        let ys = try shapeOpsRun("Split", inputs, attrs: attrs, outputs: outputs, opset: opset)
        #expect(ys.map { $0.shape } == expected.map { [2, $0] })
        // Each part is the matching column range of each row.
        var start = 0
        for (k, y) in ys.enumerated() {
            let want = (0..<2).flatMap { r in (start..<start + expected[k]).map { Float(r * 7 + $0) } }
            #expect(y.floatArray == want, "part \(k)")
            start += expected[k]
        }
    }

    @Test func splitErrors() {
        let x = shapeOpsIota([2, 7])
        #expect(shapeOpsError("Split", [.runtime(x)], attrs: ["axis": .int(1)], outputs: 2, opset: 13).contains("equal parts"))
        #expect(shapeOpsError("Split", [.runtime(x), .constant(shapeOpsInts([3, 3]))], attrs: ["axis": .int(1)], outputs: 2, opset: 13).contains("do not add up"))
        #expect(shapeOpsError("Split", [.runtime(x)], attrs: ["split": .ints([3, 4]), "axis": .int(1)], outputs: 2, opset: 13).contains("input 1"))
    }

    // Slice of x = np.arange(24).reshape(2, 3, 4); expected values are the numpy expression in the row.
    @Test(arguments: [
        // x[:, 1:, ::-2]
        ([0, 1, -1], [Int.max, Int.max, Int.min], nil, [1, 1, -2], [2, 2, 2], [7, 5, 11, 9, 19, 17, 23, 21]),
        // x[::-1, :, 1:3]  (axes given out of order, negative)
        ([1, 0, -1], [3, Int.max, -Int.max], [2, -2, 0] as [Int]?, [1, 1, -1], [2, 3, 2], [13, 14, 17, 18, 21, 22, 1, 2, 5, 6, 9, 10]),
        // x[:, -2:, -1:-5:-1]
        ([-2, -1], [100, -5], [1, 2], [1, -1], [2, 2, 4], [7, 6, 5, 4, 11, 10, 9, 8, 19, 18, 17, 16, 23, 22, 21, 20]),
        // x[:, ::2]
        ([0], [Int.max], [1], [2], [2, 2, 4], [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23]),
        // x[:, :, 3:1] (empty)
        ([3], [1], [2], nil, [2, 3, 0], []),
        // x[1:, 2:0:-1, 1::2]
        ([1, 2, 1], [Int.max, 0, 1000], [0, 1, 2], [1, -1, 2], [1, 2, 2], [21, 23, 17, 19]),
        // x[-100:100, 1:2] (clamping)
        ([-100, 1], [100, 2], [0, 1], nil, [2, 1, 4], [4, 5, 6, 7, 16, 17, 18, 19]),
        // Steps at the Int64 extremes (legal ONNX; they trapped the planner with an overflow):
        // x[:, :, ::2**63-1] takes the first of each row, x[:, :, ::-2**63] the last.
        ([0], [Int.max], [2], [Int.max], [2, 3, 1], [0, 4, 8, 12, 16, 20]),
        ([-1], [Int.min], [2], [Int.min], [2, 3, 1], [3, 7, 11, 15, 19, 23]),
        // x[:, Int.min:Int.max:Int.max] and back: every extreme at once.
        ([Int.min, Int.max], [Int.max, Int.min], [1, 2], [Int.max, Int.min], [2, 1, 1], [3, 15]),
    ] as [([Int], [Int], [Int]?, [Int]?, [Int], [Int])])
    func slice(starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?, shape: [Int], values: [Int]) throws {
        let x = shapeOpsIota([2, 3, 4])
        var inputs: [ShapeOpsInput] = [.runtime(x), .constant(shapeOpsInts(starts)), .constant(shapeOpsInts(ends))]
        inputs.append(axes.map { .constant(shapeOpsInts($0)) } ?? .omitted)
        if let steps { inputs.append(.constant(shapeOpsInts(steps))) }
        let y = try shapeOpsRun("Slice", inputs, opset: 13)[0]
        #expect(y.shape == shape)
        #expect(y.floatArray == values.map(Float.init))
        // The same slice of int64 data (shape arithmetic folds Slice on constants).
        let xi = Tensor(shape: [2, 3, 4], ints: (0..<24).map(Int64.init))
        inputs[0] = .constant(xi)
        let yi = try shapeOpsRun("Slice", inputs, opset: 13)[0]
        #expect(yi.intArray == values.map(Int64.init))
    }

    @Test func sliceOpset1Attributes() throws {
        let y = try shapeOpsRun("Slice", [.runtime(shapeOpsIota([2, 3, 4]))],
                                attrs: ["starts": .ints([1, -3]), "ends": .ints([2, Int.max]), "axes": .ints([0, 2])], opset: 1)[0]
        #expect(y.shape == [1, 3, 3])
        #expect(y.floatArray == [13, 14, 15, 17, 18, 19, 21, 22, 23])
    }

    @Test func sliceErrors() {
        let x: ShapeOpsInput = .runtime(shapeOpsIota([2, 3]))
        #expect(shapeOpsError("Slice", [x, .constant(shapeOpsInts([0])), .constant(shapeOpsInts([1])), .omitted, .constant(shapeOpsInts([0]))], opset: 13).contains("step 0"))
        #expect(shapeOpsError("Slice", [x, .constant(shapeOpsInts([0, 0])), .constant(shapeOpsInts([1, 1])), .constant(shapeOpsInts([1, -1]))], opset: 13).contains("twice"))
    }

    // Gather of x = np.arange(24).reshape(2, 3, 4).
    @Test(arguments: [
        // np.take(x, [-1, 0], axis=0)
        (0, [2], [-1, 0], [2, 3, 4], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        // np.take(x, [[2, -3], [1, 1]], axis=1)
        (1, [2, 2], [2, -3, 1, 1], [2, 2, 2, 4], [8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7,
                                                  20, 21, 22, 23, 12, 13, 14, 15, 16, 17, 18, 19, 16, 17, 18, 19]),
        // np.take(x, -1, axis=2)  (scalar index: the axis disappears)
        (-1, [], [-1], [2, 3], [3, 7, 11, 15, 19, 23]),
    ] as [(Int, [Int], [Int], [Int], [Int])])
    func gather(axis: Int, indexShape: [Int], indices: [Int], shape: [Int], values: [Int]) throws {
        let idx = shapeOpsInts(indexShape, indices)
        let y = try shapeOpsRun("Gather", [.runtime(shapeOpsIota([2, 3, 4])), .runtime(idx)], attrs: ["axis": .int(axis)])[0]
        #expect(y.shape == shape)
        #expect(y.floatArray == values.map(Float.init))
        let yi = try shapeOpsRun("Gather", [.constant(Tensor(shape: [2, 3, 4], ints: (0..<24).map(Int64.init))), .constant(idx)], attrs: ["axis": .int(axis)])[0]
        #expect(yi.intArray == values.map(Int64.init))
    }

    @Test func gatherOutOfRangeIndexIsAnError() {
        let x: ShapeOpsInput = .runtime(shapeOpsIota([3, 2]))
        #expect(shapeOpsError("Gather", [x, .constant(shapeOpsInts([3]))]).contains("index 3 is out of range"))
        #expect(shapeOpsError("Gather", [x, .runtime(shapeOpsInts([-4]))]).contains("index -4 is out of range"))
    }

    // Shape with start/end (opset 15) on a (2, 3, 4) input.
    @Test(arguments: [
        (nil, nil, [2, 3, 4]), (-1, nil, [4]), (nil, -1, [2, 3]), (1, 2, [3]), (-10, 10, [2, 3, 4]), (2, 1, []),
    ] as [(Int?, Int?, [Int])])
    func shapeStartEnd(start: Int?, end: Int?, expected: [Int]) throws {
        var attrs: [String: AttributeValue] = [:]
        if let start { attrs["start"] = .int(start) }
        if let end { attrs["end"] = .int(end) }
        let (plan, feeds) = try shapeOpsPlan("Shape", [.runtime(shapeOpsIota([2, 3, 4]))], attrs: attrs, opset: 15)
        let y = try plan.run(feeds)[0]
        #expect(y.dtype == .int64 && y.shape == [expected.count] && y.intArray == expected.map(Int64.init))
        #expect(plan.steps.isEmpty, "Shape is a load-time constant")
        // Before opset 15 start/end do not exist.
        let old = try shapeOpsRun("Shape", [.runtime(shapeOpsIota([2, 3, 4]))], attrs: attrs, opset: 13)[0]
        #expect(old.intArray == [2, 3, 4])
    }

    @Test func sizeIsAScalarConstant() throws {
        let y = try shapeOpsRun("Size", [.runtime(shapeOpsIota([2, 3, 4]))])[0]
        #expect(y.shape == [] && y.intArray == [24])
    }

    @Test func constantAttributes() throws {
        func run(_ attrs: [String: AttributeValue]) throws -> Tensor { try shapeOpsRun("Constant", [], attrs: attrs)[0] }
        let t = try run(["value": .tensor(Tensor(shape: [2], floats: [1.5, -2]))])
        #expect(t.shape == [2] && t.floatArray == [1.5, -2])
        let f = try run(["value_float": .float(0.25)])
        #expect(f.shape == [] && f.floatArray == [0.25])
        let fs = try run(["value_floats": .floats([1, 2, 3])])
        #expect(fs.shape == [3] && fs.floatArray == [1, 2, 3])
        let i = try run(["value_int": .int(-7)])
        #expect(i.shape == [] && i.dtype == .int64 && i.intArray == [-7])
        let iv = try run(["value_ints": .ints([4, 5])])
        #expect(iv.shape == [2] && iv.intArray == [4, 5])
        #expect(shapeOpsError("Constant", [], attrs: ["value_string": .string("a")]).contains("not supported"))
        #expect(shapeOpsError("Constant", [], attrs: ["sparse_value": .tensor(Tensor.scalar(1))]).contains("not supported"))
        #expect(shapeOpsError("Constant", [], attrs: [:]).contains("no value"))
    }

    @Test func constantOfShape() throws {
        let z = try shapeOpsRun("ConstantOfShape", [.constant(shapeOpsInts([2, 3]))])[0]
        #expect(z.dtype == .float32 && z.shape == [2, 3] && z.floatArray == [Float](repeating: 0, count: 6))
        let v = try shapeOpsRun("ConstantOfShape", [.constant(shapeOpsInts([4]))], attrs: ["value": .tensor(Tensor(shape: [1], ints: [7]))])[0]
        #expect(v.dtype == .int64 && v.intArray == [7, 7, 7, 7])
        let s = try shapeOpsRun("ConstantOfShape", [.constant(shapeOpsInts([]))], attrs: ["value": .tensor(Tensor(shape: [1], floats: [2.5]))])[0]
        #expect(s.shape == [] && s.floatArray == [2.5])
        #expect(shapeOpsError("ConstantOfShape", [.runtime(shapeOpsInts([2]))]).contains("load time"))
    }

    // Range: np.arange(start, limit, delta).
    @Test(arguments: [
        (1.0, 5.0, 2.0, [1, 3]), (10.0, 4.0, -3.0, [10, 7]), (0.0, 1.0, 0.25, [0, 0.25, 0.5, 0.75]), (3.0, 1.0, 1.0, []),
    ] as [(Double, Double, Double, [Float])])
    func rangeFloat(start: Double, limit: Double, delta: Double, expected: [Float]) throws {
        let y = try shapeOpsRun("Range", [.constant(.scalar(Float(start))), .constant(.scalar(Float(limit))), .constant(.scalar(Float(delta)))])[0]
        #expect(y.shape == [expected.count] && y.floatArray == expected)
    }

    @Test(arguments: [
        (0, 5, 1, [0, 1, 2, 3, 4]), (10, 4, -3, [10, 7]), (-3, 4, 3, [-3, 0, 3]), (5, 1, 2, []), (-1, 0, 2, [-1]), (0, -1, 2, []),
    ] as [(Int, Int, Int, [Int])])
    func rangeInt(start: Int, limit: Int, delta: Int, expected: [Int]) throws {
        let y = try shapeOpsRun("Range", [.constant(.scalar(int: Int64(start))), .constant(.scalar(int: Int64(limit))), .constant(.scalar(int: Int64(delta)))])[0]
        #expect(y.dtype == .int64 && y.intArray == expected.map(Int64.init))
    }

    // Cast: values from numpy: np.array([-2.7, -0.5, 0.5, 2.7, 300, -129], np.float32).astype(np.int64).astype(T).
    @Test(arguments: [
        (3, [-2, 0, 0, 2, 44, 127]),      // INT8
        (2, [254, 0, 0, 2, 44, 127]),     // UINT8
        (6, [-2, 0, 0, 2, 300, -129]),    // INT32 (int64 storage)
        (7, [-2, 0, 0, 2, 300, -129]),    // INT64
        (9, [1, 1, 1, 1, 1, 1]),          // BOOL
    ] as [(Int, [Int])])
    func castFloatToIntegers(to: Int, expected: [Int]) throws {
        let x = Tensor(shape: [6], floats: [-2.7, -0.5, 0.5, 2.7, 300, -129])
        let y = try shapeOpsRun("Cast", [.runtime(x)], attrs: ["to": .int(to)], opset: 13)[0]
        #expect(y.dtype == (to == 9 ? .bool : .int64))
        #expect(y.intArray == expected.map(Int64.init))
    }

    // np.array([0.1, -2.7, 1e-8, 65519, 70000, 3.14159], np.float32).astype(np.float16); bfloat16 from
    // onnx.reference.ReferenceEvaluator on Cast(to=BFLOAT16) at opset 21.
    @Test(arguments: [
        (10, [0.0999755859375, -2.69921875, 0, 65504, .infinity, 3.140625]),
        (16, [0.10009765625, -2.703125, 1.0011717677116394e-08, 65536, 70144, 3.140625]),
        (11, [0.1, -2.7, 1e-8, 65519, 70000, 3.14159]),
    ] as [(Int, [Float])])
    func castToOtherFloatsRoundsToTheirPrecision(to: Int, expected: [Float]) throws {
        let x = Tensor(shape: [6], floats: [0.1, -2.7, 1e-8, 65519, 70000, 3.14159])
        let y = try shapeOpsRun("Cast", [.runtime(x)], attrs: ["to": .int(to)], opset: 19)[0]
        #expect(y.dtype == .float32 && y.floatArray == expected)
    }

    @Test func castFromIntegersAndBool() throws {
        let i = shapeOpsInts([-3, 0, 70000])
        #expect(try shapeOpsRun("Cast", [.runtime(i)], attrs: ["to": .int(1)])[0].floatArray == [-3, 0, 70000])
        #expect(try shapeOpsRun("Cast", [.runtime(i)], attrs: ["to": .int(5)])[0].intArray == [-3, 0, 4464]) // np.int16(70000) wraps
        #expect(try shapeOpsRun("Cast", [.runtime(i)], attrs: ["to": .int(9)])[0].intArray == [1, 0, 1])
        let b = Tensor(shape: [2], ints: [1, 0], dtype: .bool)
        let bf = try shapeOpsRun("Cast", [.runtime(b)], attrs: ["to": .int(1)])[0]
        #expect(bf.floatArray == [1, 0])
        let bi = try shapeOpsRun("Cast", [.runtime(b)], attrs: ["to": .int(7)])[0]
        #expect(bi.dtype == .int64 && bi.intArray == [1, 0])
        let e = shapeOpsError("Cast", [.runtime(i)], attrs: ["to": .int(8)])
        #expect(e.contains("STRING") && e.contains("not supported"), "\(e)")
        #expect(shapeOpsError("Cast", [.runtime(i)], attrs: ["to": .int(17)]).contains("not supported"))
    }

    @Test func castLikeTakesTheTargetsType() throws {
        let x = Tensor(shape: [3], floats: [-1.5, 0, 2.9])
        let i = try shapeOpsRun("CastLike", [.runtime(x), .constant(shapeOpsInts([0]))], opset: 15)[0]
        #expect(i.dtype == .int64 && i.intArray == [-1, 0, 2])
        let b = try shapeOpsRun("CastLike", [.runtime(x), .constant(Tensor(shape: [1], ints: [0], dtype: .bool))], opset: 15)[0]
        #expect(b.dtype == .bool && b.intArray == [1, 0, 1])
        let f = try shapeOpsRun("CastLike", [.constant(shapeOpsInts([4, -2])), .runtime(x)], opset: 15)[0]
        #expect(f.dtype == .float32 && f.floatArray == [4, -2])
    }

    // Expand: np.broadcast_to / np.ones(shape) * x (bidirectional).
    @Test(arguments: [
        ([3, 1], [2, 1, 6], [2, 3, 6]),
        ([3, 1], [1, 4], [3, 4]),
        ([3, 4], [4], [3, 4]),
        ([1], [2, 2], [2, 2]),
        ([2, 1, 3], [2, 4, 1], [2, 4, 3]),
    ] as [([Int], [Int], [Int])])
    func expandBroadcasts(input: [Int], shape: [Int], expected: [Int]) throws {
        let x = shapeOpsIota(input)
        let y = try shapeOpsRun("Expand", [.runtime(x), .constant(shapeOpsInts(shape))])[0]
        #expect(y.shape == expected)
        // Each output element is the input element at the broadcast index.
        let padded = [Int](repeating: 1, count: expected.count - input.count) + input
        let ps = Shape.strides(padded), os = Shape.strides(expected)
        let want = (0..<y.count).map { f in
            Float(expected.indices.reduce(0) { $0 + (padded[$1] == 1 ? 0 : (f / os[$1]) % expected[$1] * ps[$1]) })
        }
        #expect(y.floatArray == want)
    }

    @Test func expandRejectsIncompatibleShapes() {
        #expect(shapeOpsError("Expand", [.runtime(shapeOpsIota([3])), .constant(shapeOpsInts([4]))]).contains("cannot be broadcast"))
    }

    @Test func tileRepeatsEachAxis() throws {
        // np.tile(np.arange(6).reshape(2, 3), (2, 2))
        let y = try shapeOpsRun("Tile", [.runtime(shapeOpsIota([2, 3])), .constant(shapeOpsInts([2, 2]))])[0]
        #expect(y.shape == [4, 6])
        #expect(y.floatArray == [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        // np.tile(np.arange(2).reshape(2, 1), (1, 3))
        let z = try shapeOpsRun("Tile", [.constant(shapeOpsInts([2, 1], [0, 1])), .constant(shapeOpsInts([1, 3]))])[0]
        #expect(z.intArray == [0, 0, 0, 1, 1, 1])
    }

    @Test func identityAndDropoutInInference() throws {
        let x = shapeOpsIota([2, 3])
        #expect(try shapeOpsRun("Identity", [.runtime(x)])[0].floatArray == x.floatArray)
        // Opset 12+: ratio as input, optional bool mask output, all true.
        let ys = try shapeOpsRun("Dropout", [.runtime(x), .constant(.scalar(0.3))], outputs: 2, opset: 13)
        #expect(ys[0].floatArray == x.floatArray)
        #expect(ys[1].dtype == .bool && ys[1].intArray == [1, 1, 1, 1, 1, 1])
        // Opset 7: ratio attribute, mask of the data's type.
        let old = try shapeOpsRun("Dropout", [.runtime(x)], attrs: ["ratio": .float(0.5)], outputs: 2, opset: 7)
        #expect(old[0].floatArray == x.floatArray && old[1].floatArray == [1, 1, 1, 1, 1, 1])
        // Training with ratio 0 is the identity; with a ratio it is refused.
        let t = Tensor(shape: [], ints: [1], dtype: .bool)
        #expect(try shapeOpsRun("Dropout", [.runtime(x), .constant(.scalar(0)), .constant(t)], opset: 13)[0].floatArray == x.floatArray)
        let e = shapeOpsError("Dropout", [.runtime(x), .constant(.scalar(0.5)), .constant(t)], opset: 13)
        #expect(e.contains("training_mode=1") && e.contains("not supported"), "\(e)")
        // A run-time training flag is checked when the model runs.
        #expect(try shapeOpsRun("Dropout", [.runtime(x), .constant(.scalar(0.5)), .runtime(Tensor(shape: [], ints: [0], dtype: .bool))], opset: 13)[0].floatArray == x.floatArray)
        #expect(shapeOpsError("Dropout", [.runtime(x), .constant(.scalar(0.5)), .runtime(t)], opset: 13).contains("not supported"))
    }

    /// The shape sub-graph torch exports for `x.view(x.size(0), -1)`: Shape → Gather → Unsqueeze →
    /// Concat → Reshape. Everything but the Reshape's data is folded at load time (int64 kernels).
    @Test func shapeArithmeticIsFoldedAtLoadTime() throws {
        let nodes = [
            Node(name: "shape", opType: "Shape", inputs: ["x"], outputs: ["s"]),
            Node(name: "gather", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"], attributes: ["axis": .int(0)]),
            Node(name: "unsq", opType: "Unsqueeze", inputs: ["n", "axes0"], outputs: ["n1"]),
            Node(name: "cat", opType: "Concat", inputs: ["n1", "minus1"], outputs: ["target"], attributes: ["axis": .int(0)]),
            Node(name: "reshape", opType: "Reshape", inputs: ["x", "target"], outputs: ["y"]),
        ]
        let model = Model(graph: Graph(nodes: nodes,
                                       initializers: ["zero": .scalar(int: 0), "axes0": shapeOpsInts([0]), "minus1": shapeOpsInts([-1])],
                                       inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("N"), .fixed(2), .fixed(3)])],
                                       outputs: [ValueInfo(name: "y", dtype: .float32, dims: nil)]), opsets: ["": 13])
        let session = try InferenceSession(model: model)
        let plan = try session.plan(batch: 4)
        #expect(plan.steps.isEmpty)
        let y = try plan.run([shapeOpsIota([4, 2, 3])])[0]
        #expect(y.shape == [4, 6] && y.floatArray == shapeOpsIota([24]).floatArray)
    }
}

@Suite struct ShapeOpsStridedCopyTests {
    /// The strided-copy core against direct indexing, on merged, broadcast and reversed layouts.
    @Test(arguments: [
        ([2, 3, 4], [12, 4, 1], 0), ([2, 3, 4], [0, 4, 1], 0), ([4, 3], [1, 4], 0), ([3, 4], [-4, 1], 8),
        ([2, 2, 5], [30, -6, -1], 28), ([5], [0], 3), ([1, 1], [7, 9], 2),
    ] as [([Int], [Int], Int)])
    func matchesDirectIndexing(dims: [Int], strides: [Int], offset: Int) {
        let src = (0..<64).map(Float.init)
        let copy = ShapeOps.StridedCopy(dims: dims, strides: strides, offset: offset)
        let n = dims.reduce(1, *)
        var dst = [Float](repeating: -1, count: n)
        src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { d in copy.run(s.baseAddress!, d.baseAddress!) } }
        let os = Shape.strides(dims)
        let want = (0..<n).map { f in src[offset + dims.indices.reduce(0) { $0 + (f / os[$1]) % dims[$1] * strides[$1] }] }
        #expect(dst == want)
    }
}
