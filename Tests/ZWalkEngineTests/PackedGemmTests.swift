import Foundation
import Testing
@testable import ZWalkEngine
import TestSupport

/// The small-matrix Gemm kernel (LinearPacked.swift) against the double-precision naive Gemm, with
/// every variant this CPU runs (AVX-512, AVX2/FMA, portable).
@Suite struct PackedGemmTests {
    static let cases: [GemmCase] = [
        GemmCase(m: 64, n: 784, k: 256, transB: true, c: [784]),     // an MLP generator's last layer
        GemmCase(m: 13, n: 70, k: 33, c: [1, 70]),                    // partial row blocks and panels
        GemmCase(m: 1, n: 31, k: 1, transB: true, c: nil),
        GemmCase(m: 9, n: 40, k: 17, transA: true, beta: 0.5, c: []),
        GemmCase(m: 256, n: 64, k: 64, transB: true, c: [64]),
    ]

    static func run(_ c: GemmCase, activation: CPUKernels.Activation = .none, slope: Float = 0,
                    variant: CPUKernels.Variant = .best) -> Comparison {
        let aShape = c.transA ? [c.k, c.m] : [c.m, c.k], bShape = c.transB ? [c.n, c.k] : [c.k, c.n]
        let a = convRandom(aShape, seed: 51), b = convRandom(bShape, seed: 52)
        let cTensor = c.c.map { convRandom($0, seed: 53) }
        let padded = c.c.map { [Int](repeating: 1, count: 2 - $0.count) + $0 } ?? [1, 1]
        #expect(PackedGemmKernel.applies(m: c.m, n: c.n, k: c.k, alpha: c.alpha, b: b, cRows: c.c == nil ? 0 : padded[0]))
        let kernel = PackedGemmKernel(m: c.m, n: c.n, k: c.k, transA: c.transA, b: b, transB: c.transB, c: cTensor,
                                      cCols: padded[1], beta: c.beta, variant: variant)
        kernel.activation = activation
        kernel.alpha = slope
        let y = Tensor(shape: [c.m, c.n])
        try! kernel.run(inputs: [a, b, cTensor], outputs: [y])
        var want = LinearNaive.gemm(a: a.floatArray, b: b.floatArray, c: cTensor?.floatArray, cRows: padded[0],
                                    cCols: padded[1], m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB,
                                    alpha: c.alpha, beta: c.beta)
        switch activation {
        case .none: break
        case .relu: want = want.map { max($0, 0) }
        case .leakyRelu: want = want.map { $0 < 0 ? $0 * slope : $0 }
        case .tanh: want = want.map { Foundation.tanh($0) }
        case .sigmoid: want = want.map { 1 / (1 + Foundation.exp(-$0)) }
        }
        return compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
    }

    @Test(arguments: cases)
    func matchesNaive(c: GemmCase) {
        let cmp = Self.run(c)
        #expect(cmp.ok, "\(c): \(cmp)")
    }

    /// Every activation the epilogue applies (Tanh and Sigmoid on the block in registers), with
    /// every variant this CPU runs.
    @Test(arguments: CPUKernels.Variant.available)
    func fusedActivations(variant: CPUKernels.Variant) {
        for c in Self.cases {
            for act in [CPUKernels.Activation.relu, .leakyRelu, .tanh, .sigmoid] {
                let cmp = Self.run(c, activation: act, slope: 0.2, variant: variant)
                #expect(cmp.ok, "\(c), \(act), \(variant): \(cmp)")
            }
        }
    }

    /// Large batches, a runtime weight, alpha ≠ 1 and a C per row stay with OpenBLAS.
    @Test func selection() {
        let b = Tensor(shape: [64, 64])
        #expect(PackedGemmKernel.applies(m: 64, n: 64, k: 64, alpha: 1, b: b, cRows: 1))
        #expect(!PackedGemmKernel.applies(m: 512, n: 64, k: 64, alpha: 1, b: b, cRows: 1))
        #expect(!PackedGemmKernel.applies(m: 64, n: 64, k: 64, alpha: 1, b: nil, cRows: 1))
        #expect(!PackedGemmKernel.applies(m: 64, n: 64, k: 64, alpha: 2, b: b, cRows: 1))
        #expect(!PackedGemmKernel.applies(m: 64, n: 64, k: 64, alpha: 1, b: b, cRows: 64))
        #expect(!PackedGemmKernel.applies(m: 64, n: 4096, k: 4096, alpha: 1, b: Tensor(shape: [4096, 4096]), cRows: 1))
    }
}
