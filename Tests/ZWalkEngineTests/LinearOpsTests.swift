import Testing
@testable import ZWalkEngine
import TestSupport

struct GemmCase: CustomStringConvertible, Sendable {
    var m: Int, n: Int, k: Int
    var transA = false, transB = false
    var alpha: Float = 1, beta: Float = 1
    /// C's shape, or nil for no C.
    var c: [Int]?
    var constantB = true
    var description: String {
        "Gemm \(m)×\(n)×\(k) tA\(transA ? 1 : 0) tB\(transB ? 1 : 0) α\(alpha) β\(beta) C\(c.map { "\($0)" } ?? "-")"
    }
}

@Suite struct LinearOpsTests {
    static let gemmCases: [GemmCase] = [
        GemmCase(m: 5, n: 7, k: 3, c: [7]),
        GemmCase(m: 5, n: 7, k: 3, transA: true, c: [5, 7]),
        GemmCase(m: 5, n: 7, k: 3, transB: true, c: [1, 7]),
        GemmCase(m: 4, n: 6, k: 9, transA: true, transB: true, alpha: 0.5, beta: 2, c: [4, 1]),
        GemmCase(m: 4, n: 6, k: 9, alpha: -1.5, beta: 0.25, c: []),
        GemmCase(m: 4, n: 6, k: 9, c: [1]),
        GemmCase(m: 3, n: 8, k: 5, c: nil),
        GemmCase(m: 3, n: 8, k: 5, beta: 0, c: [3, 8]),
        // batch-1 dense layers (sgemv paths), both weight layouts
        GemmCase(m: 1, n: 33, k: 17, transB: true, c: [33]),
        GemmCase(m: 1, n: 33, k: 17, c: [1, 33]),
        GemmCase(m: 1, n: 33, k: 17, transA: true, transB: true, alpha: 2, c: nil),
        GemmCase(m: 9, n: 1, k: 12, c: [9, 1]),
        GemmCase(m: 9, n: 1, k: 12, transA: true, transB: true, c: nil),
        GemmCase(m: 64, n: 130, k: 100, transB: true, c: [130], constantB: false),
    ]

    @Test(arguments: gemmCases)
    func gemmMatchesNaive(c: GemmCase) throws {
        let aShape = c.transA ? [c.k, c.m] : [c.m, c.k], bShape = c.transB ? [c.n, c.k] : [c.k, c.n]
        let a = convRandom(aShape, seed: 31), b = convRandom(bShape, seed: 32)
        var ins: [ConvOpInput?] = [ConvOpInput(name: "a", value: a, constant: false), ConvOpInput(name: "b", value: b, constant: c.constantB)]
        var cTensor: Tensor?
        if let cs = c.c {
            cTensor = convRandom(cs, seed: 33)
            ins.append(ConvOpInput(name: "c", value: cTensor!, constant: true))
        }
        let y = try runConvOp("Gemm", ["transA": .int(c.transA ? 1 : 0), "transB": .int(c.transB ? 1 : 0),
                                       "alpha": .float(c.alpha), "beta": .float(c.beta)], inputs: ins)[0]
        let padded = c.c.map { [Int](repeating: 1, count: 2 - $0.count) + $0 } ?? [1, 1]
        let want = LinearNaive.gemm(a: a.floatArray, b: b.floatArray, c: cTensor?.floatArray, cRows: padded[0], cCols: padded[1],
                                    m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta)
        #expect(y.shape == [c.m, c.n])
        let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
        #expect(cmp.ok, "\(c): \(cmp)")
    }

    @Test(arguments: [
        ([7], [7]), ([7], [7, 3]), ([4, 7], [7]), ([4, 7], [7, 3]),
        ([2, 3, 4, 7], [7, 5]), ([3, 1, 7], [7]), ([7], [2, 7, 3]),
        ([4, 7], [2, 7, 3]), ([2, 1, 3, 4], [1, 5, 4, 2]), ([5, 3, 4], [5, 4, 6]), ([1, 6], [2, 3, 6, 1]),
    ] as [([Int], [Int])])
    func matMulMatchesNaive(a: [Int], b: [Int]) throws {
        let ta = convRandom(a, seed: 41), tb = convRandom(b, seed: 42)
        let y = try runConvOp("MatMul", inputs: [ConvOpInput(name: "a", value: ta, constant: false),
                                                 ConvOpInput(name: "b", value: tb, constant: true)])[0]
        let want = LinearNaive.matMul(a: ta.floatArray, aShape: a, b: tb.floatArray, bShape: b)
        #expect(y.shape == want.shape, "\(a) · \(b)")
        let cmp = compare(y.doubleArray, want.values.map(Double.init), rtol: 1e-4, atol: 1e-5)
        #expect(cmp.ok, "\(a) · \(b): \(cmp)")
    }

    /// The naive MatMul itself, on a case worked by hand (so the reference cannot drift).
    @Test func naiveMatMulByHand() {
        let r = LinearNaive.matMul(a: [1, 2, 3, 4], aShape: [2, 2], b: [5, 6, 7, 8], bShape: [2, 2])
        #expect(r.values == [19, 22, 43, 50] && r.shape == [2, 2])
        let v = LinearNaive.matMul(a: [1, 2], aShape: [2], b: [3, 4], bShape: [2])
        #expect(v.values == [11] && v.shape == [])
    }

    // onnxruntime 1.32.0 (CPU) from /work/main/.venv/bin/python: A = (i mod 11)·0.25 − 1 (4×3),
    // B = (i mod 7)·0.5 − 1.5 (5×4), C = (i mod 5)·0.1 − 0.2 (3×1), transA = transB = 1, α 0.5, β 2.
    @Test func gemmMatchesOnnxruntime() throws {
        let y = try runConvOp("Gemm", ["transA": .int(1), "transB": .int(1), "alpha": .float(0.5), "beta": .float(2)],
                              inputs: [ConvOpInput(name: "a", value: convGoldenX([4, 3]), constant: false),
                                       ConvOpInput(name: "b", value: convGoldenW([5, 4]), constant: true),
                                       ConvOpInput(name: "c", value: convGoldenB([3, 1]), constant: true)])[0]
        let cmp = compare(y, Tensor(shape: [3, 5], floats: [0.35, -1.3375, 0.475, -2.0875, 0.6, 0.175, -0.95, 0.55, -1.8875, 0.925,
                                                            0, 1.5, -0.0625, -0.3125, -0.125]), rtol: 1e-5, atol: 1e-6)
        #expect(cmp.ok, "\(cmp)")
    }

    @Test(arguments: [
        ("Gemm", [3, 4], [5, 6], [String: AttributeValue](), "op(A) is 3×4"),
        ("Gemm", [3, 4, 1], [4, 6], [:], "must be matrices"),
        ("MatMul", [3, 4], [5, 6], [:], "cannot be multiplied"),
        ("MatMul", [2, 3, 4], [3, 4, 6], [:], "cannot be broadcast"),
    ] as [(String, [Int], [Int], [String: AttributeValue], String)])
    func shapeErrorsFailAtLoad(op: String, a: [Int], b: [Int], attrs: [String: AttributeValue], message: String) throws {
        do {
            _ = try Planner(model: convOpModel(op, attrs, inputs: [ConvOpInput(name: "a", value: Tensor(shape: a), constant: false),
                                                                   ConvOpInput(name: "b", value: Tensor(shape: b), constant: true)]))
                .plan(batch: 1)
            Issue.record("expected an error containing '\(message)'")
        } catch let e as EngineError {
            #expect(e.description.contains(message) && e.description.contains("_under_test"), "\(e)")
        }
    }

    @Test func gemmRejectsAnUnbroadcastableC() throws {
        let ins: [ConvOpInput?] = [ConvOpInput(name: "a", value: Tensor(shape: [3, 4]), constant: false),
                               ConvOpInput(name: "b", value: Tensor(shape: [4, 5]), constant: true),
                               ConvOpInput(name: "c", value: Tensor(shape: [2, 5]), constant: true)]
        do {
            _ = try Planner(model: convOpModel("Gemm", inputs: ins)).plan(batch: 1)
            Issue.record("expected an error")
        } catch let e as EngineError { #expect(e.description.contains("cannot be broadcast")) }
    }
}
