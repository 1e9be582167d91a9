import Foundation
import Testing
@testable import ZWalkEngine
import TestSupport

/// Direct Double implementations of the formulas in the ONNX operator spec, independent of the
/// engine's folded / fused kernels.
enum NormalizationOpsReference {
    /// y = scale·(x − mean)/sqrt(var + ε) + B along axis 1 (C values per parameter, or C·D for spatial=0).
    static func batchNorm(_ x: Tensor, _ p: [[Float]], epsilon: Double, perActivation: Bool = false) -> [Double] {
        let c = x.shape[1], inner = x.shape[2...].reduce(1, *)
        return (0..<x.count).map { i in
            let k = perActivation ? i % (c * inner) : (i / inner) % c
            let (s, b, m, v) = (Double(p[0][k]), Double(p[1][k]), Double(p[2][k]), Double(p[3][k]))
            return s * (Double(x.floats[i]) - m) / (v + epsilon).squareRoot() + b
        }
    }

    /// Normalises each of `rows` blocks of `size` contiguous values; `affine(row, j)` gives (scale, bias).
    static func blocks(_ x: [Float], size: Int, epsilon: Double, affine: (Int, Int) -> (Double, Double)) -> (y: [Double], mean: [Double], inv: [Double]) {
        var y = [Double](repeating: 0, count: x.count), means: [Double] = [], invs: [Double] = []
        for r in 0..<(x.count / size) {
            let v = x[(r * size)..<((r + 1) * size)].map(Double.init)
            let mean = v.reduce(0, +) / Double(size)
            let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(size)
            let inv = 1 / (variance + epsilon).squareRoot()
            for j in 0..<size {
                let (s, b) = affine(r, j)
                y[r * size + j] = (v[j] - mean) * inv * s + b
            }
            means.append(mean); invs.append(inv)
        }
        return (y, means, invs)
    }
}

@Suite struct NormalizationOpsTests {
    static func params(_ c: Int, seed: UInt64) -> [Tensor] {
        [Tensor(shape: [c], floats: testValues(c, seed: seed, lo: 0.5, hi: 2)),
         Tensor(shape: [c], floats: testValues(c, seed: seed + 1, lo: -1, hi: 1)),
         Tensor(shape: [c], floats: testValues(c, seed: seed + 2, lo: -0.5, hi: 0.5)),
         Tensor(shape: [c], floats: testValues(c, seed: seed + 3, lo: 0.1, hi: 3))]
    }

    // BatchNormalization with constant statistics (folded at load) and run-time ones, on awkward shapes.
    @Test(arguments: [[2, 3, 5, 7], [1, 4, 1, 1], [3, 5], [2, 2, 9], [1, 16, 33, 31]] as [[Int]])
    func batchNormMatchesFormula(shape: [Int]) throws {
        let c = shape[1]
        let x = Tensor(shape: shape, floats: testValues(shape.reduce(1, *), seed: 5, lo: -3, hi: 3))
        let p = Self.params(c, seed: 9)
        let want = NormalizationOpsReference.batchNorm(x, p.map(\.floatArray), epsilon: 1e-3)
        for constant in [true, false] {
            let inputs: [ShapeOpsInput] = [.runtime(x)] + p.map { constant ? .constant($0) : .runtime($0) }
            let y = try shapeOpsRun("BatchNormalization", inputs, attrs: ["epsilon": .float(1e-3)], opset: 15)[0]
            let cmp = compare(y.doubleArray, want, rtol: 1e-5, atol: 1e-5)
            #expect(cmp.ok, "constant statistics: \(constant): \(cmp)")
        }
    }

    @Test func batchNormSpatialZeroBeforeOpset9() throws {
        // spatial=0: one parameter per (C, D) element.
        let x = Tensor(shape: [2, 3, 4], floats: testValues(24, seed: 2))
        let p = (0..<4).map { k in Tensor(shape: [3, 4], floats: testValues(12, seed: UInt64(20 + k), lo: 0.2, hi: 1.5)) }
        let y = try shapeOpsRun("BatchNormalization", [.runtime(x)] + p.map { .constant($0) }, attrs: ["spatial": .int(0)], opset: 7)[0]
        let want = NormalizationOpsReference.batchNorm(x, p.map(\.floatArray), epsilon: 1e-5, perActivation: true)
        #expect(compare(y.doubleArray, want, rtol: 1e-5, atol: 1e-5).ok)
    }

    @Test func batchNormRefusesTraining() {
        let x: ShapeOpsInput = .runtime(Tensor(shape: [1, 2, 2], floats: [1, 2, 3, 4]))
        let p = Self.params(2, seed: 1).map { ShapeOpsInput.constant($0) }
        let e = shapeOpsError("BatchNormalization", [x] + p, attrs: ["training_mode": .int(1)], opset: 15)
        #expect(e.contains("training_mode=1 is not supported"), "\(e)")
        let e2 = shapeOpsError("BatchNormalization", [x] + p, outputs: 3, opset: 9)
        #expect(e2.contains("not supported"), "\(e2)")
        let e3 = shapeOpsError("BatchNormalization", [x] + Array(p.prefix(3)) + [.constant(Tensor(shape: [3], floats: [1, 1, 1]))], opset: 15)
        #expect(e3.contains("var has shape [3]"), "\(e3)")
    }

    @Test(arguments: [[2, 3, 5, 7], [1, 2, 1], [3, 4, 64, 65], [2, 1, 3, 3, 3]] as [[Int]])
    func instanceNormMatchesFormula(shape: [Int]) throws {
        let c = shape[1], inner = shape[2...].reduce(1, *)
        let x = Tensor(shape: shape, floats: testValues(shape.reduce(1, *), seed: 8, lo: -2, hi: 4))
        let p = Self.params(c, seed: 3)
        let y = try shapeOpsRun("InstanceNormalization", [.runtime(x), .constant(p[0]), .constant(p[1])], attrs: ["epsilon": .float(1e-4)])[0]
        let want = NormalizationOpsReference.blocks(x.floatArray, size: inner, epsilon: 1e-4) { r, _ in
            (Double(p[0].floats[r % c]), Double(p[1].floats[r % c]))
        }.y
        let cmp = compare(y.doubleArray, want, rtol: 1e-4, atol: 1e-5)
        #expect(cmp.ok, "\(cmp)")
    }

    // GroupNormalization, x = (((np.arange(24) % 7) - 3) * 0.5).reshape(2, 4, 3), num_groups=2;
    // expected from onnx.reference.ReferenceEvaluator (onnxruntime 1.32 agrees exactly).
    @Test(arguments: [
        (18, [1.5, -0.5], [0.1, 0.2],
         [-2.09576, -1.217456, -0.339152, 0.539152, 1.417456, 2.29576, -0.6451499, 0.8761199, 0.6225749, 0.36903, 0.115485, -0.13806,
          1.636809, 2.346105, -1.909672, -1.200376, -0.4910801, 0.218216, -0.03145403, -0.262908, -0.4943621, 0.8943621, 0.6629081, 0.431454]),
        (21, [0.5, 1, 1.5, 2], [0, 0.1, 0.2, 0.3],
         [-0.73192, -0.439152, -0.146384, 0.392768, 0.978304, 1.56384, 2.73545, -1.82836, -1.067725, -0.3761199, 0.63806, 1.65224,
          0.5122695, 0.7487016, -0.6698908, -0.7669176, -0.2940534, 0.1788107, 0.8943621, 1.588724, 2.283086, -2.477448, -1.551632, -0.6258161]),
    ] as [(Int, [Float], [Float], [Float])])
    func groupNormPerGroupThenPerChannel(opset: Int, scale: [Float], bias: [Float], expected: [Float]) throws {
        let x = Tensor(shape: [2, 4, 3], floats: (0..<24).map { Float($0 % 7 - 3) * 0.5 })
        let y = try shapeOpsRun("GroupNormalization", [.runtime(x), .constant(Tensor(shape: [scale.count], floats: scale)),
                                                       .constant(Tensor(shape: [bias.count], floats: bias))],
                                attrs: ["num_groups": .int(2)], opset: opset)[0]
        let cmp = compare(y.doubleArray, expected.map(Double.init), rtol: 1e-5, atol: 1e-6)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test(arguments: [([2, 8, 5, 5], 4), ([1, 6, 33], 3), ([3, 4, 2, 2], 1), ([2, 4, 3, 3], 4)] as [([Int], Int)])
    func groupNormMatchesFormula(shape: [Int], groups: Int) throws {
        let c = shape[1], inner = shape[2...].reduce(1, *), cpg = c / groups
        let x = Tensor(shape: shape, floats: testValues(shape.reduce(1, *), seed: 4, lo: -1, hi: 3))
        let scale = Tensor(shape: [c], floats: testValues(c, seed: 6, lo: 0.5, hi: 1.5))
        let bias = Tensor(shape: [c], floats: testValues(c, seed: 7))
        let y = try shapeOpsRun("GroupNormalization", [.runtime(x), .constant(scale), .runtime(bias)],
                                attrs: ["num_groups": .int(groups), "epsilon": .float(1e-5)], opset: 21)[0]
        let want = NormalizationOpsReference.blocks(x.floatArray, size: cpg * inner, epsilon: 1e-5) { r, j in
            let ch = (r % groups) * cpg + j / inner
            return (Double(scale.floats[ch]), Double(bias.floats[ch]))
        }.y
        let cmp = compare(y.doubleArray, want, rtol: 1e-4, atol: 1e-5)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test func groupNormErrorsNameTheOpsetRule() {
        let x: ShapeOpsInput = .runtime(Tensor(shape: [1, 4, 2], floats: testValues(8)))
        let perChannel: [ShapeOpsInput] = [.constant(Tensor(shape: [4], floats: [1, 1, 1, 1])), .constant(Tensor(shape: [4], floats: [0, 0, 0, 0]))]
        let e = shapeOpsError("GroupNormalization", [x] + perChannel, attrs: ["num_groups": .int(2)], opset: 18)
        #expect(e.contains("one per group") && e.contains("opset 21"), "\(e)")
        #expect(shapeOpsError("GroupNormalization", [x] + perChannel, attrs: ["num_groups": .int(3)], opset: 21).contains("does not divide"))
        #expect(shapeOpsError("GroupNormalization", [x] + perChannel, opset: 21).contains("num_groups"))
    }

    // LayerNormalization: (shape, axis, scale shape). Scale and B broadcast onto X.shape[axis...].
    @Test(arguments: [
        ([4, 10], -1, [10]), ([2, 3, 4], 1, [3, 4]), ([2, 3, 4], 1, [4]), ([2, 3, 4], 0, [2, 3, 4]), ([3, 1, 513], -1, [513]),
        ([2, 3, 4], -2, [3, 1]),
    ] as [([Int], Int, [Int])])
    func layerNormMatchesFormula(shape: [Int], axis: Int, paramShape: [Int]) throws {
        let a = axis < 0 ? axis + shape.count : axis
        let norm = Array(shape[a...]), d = norm.reduce(1, *)
        let x = Tensor(shape: shape, floats: testValues(shape.reduce(1, *), seed: 12, lo: -2, hi: 5))
        let pc = paramShape.reduce(1, *)
        let scale = Tensor(shape: paramShape, floats: testValues(pc, seed: 13, lo: 0.5, hi: 1.5))
        let bias = Tensor(shape: paramShape, floats: testValues(pc, seed: 14))
        let ys = try shapeOpsRun("LayerNormalization", [.runtime(x), .constant(scale), .constant(bias)],
                                 attrs: ["axis": .int(axis), "epsilon": .float(1e-5)], outputs: 3)
        // The parameter element each normalised position reads (NumPy broadcasting, right-aligned).
        let padded = [Int](repeating: 1, count: norm.count - paramShape.count) + paramShape
        let ps = Shape.strides(padded), ns = Shape.strides(norm)
        func param(_ j: Int) -> Int { norm.indices.reduce(0) { $0 + (padded[$1] == 1 ? 0 : (j / ns[$1]) % norm[$1] * ps[$1]) } }
        let ref = NormalizationOpsReference.blocks(x.floatArray, size: d, epsilon: 1e-5) { _, j in
            (Double(scale.floats[param(j)]), Double(bias.floats[param(j)]))
        }
        let statShape = Array(shape[..<a]) + [Int](repeating: 1, count: shape.count - a)
        #expect(ys[1].shape == statShape && ys[2].shape == statShape)
        for (k, want) in [ref.y, ref.mean, ref.inv].enumerated() {
            let cmp = compare(ys[k].doubleArray, want, rtol: 1e-4, atol: 1e-5)
            #expect(cmp.ok, "output \(k): \(cmp)")
        }
    }

    @Test func layerNormWithoutBiasAndErrors() throws {
        let x = Tensor(shape: [2, 3], floats: [1, 2, 3, -1, 0, 4])
        let y = try shapeOpsRun("LayerNormalization", [.runtime(x), .constant(Tensor(shape: [3], floats: [1, 1, 2]))])[0]
        let want = NormalizationOpsReference.blocks(x.floatArray, size: 3, epsilon: 1e-5) { _, j in (j == 2 ? 2 : 1, 0) }.y
        #expect(compare(y.doubleArray, want, rtol: 1e-5, atol: 1e-6).ok)
        let e = shapeOpsError("LayerNormalization", [.runtime(x), .constant(Tensor(shape: [2], floats: [1, 1]))])
        #expect(e.contains("does not broadcast"), "\(e)")
        #expect(shapeOpsError("LayerNormalization", [.runtime(x), .constant(Tensor(shape: [3], floats: [1, 1, 1]))], attrs: ["stash_type": .int(7)]).contains("not supported"))
    }
}
