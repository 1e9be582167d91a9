import Testing
@testable import ZWalkEngine
import TestSupport

/// OpenBLAS runs on the calling thread; large products are split over the engine's threads.
@Suite struct BLASSplitTests {
    static func naive(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, _ a: [Float], _ b: [Float]) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    s += Double(transA ? a[p * m + i] : a[i * k + p]) * Double(transB ? b[j * k + p] : b[p * n + j])
                }
                c[i * n + j] = s
            }
        }
        return c
    }

    /// Both split directions (columns when n ≥ m, rows otherwise), every transposition, and beta 1
    /// (accumulating into C), at sizes above the split threshold.
    @Test(arguments: [(37, 900, 129), (900, 37, 129), (250, 250, 70)])
    func splitProductsMatchTheNaiveOne(size: (Int, Int, Int)) {
        let (m, n, k) = size
        #expect(m * n * k >= BLAS.minParallelWork)
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = testValues(m * k, seed: 21), b = testValues(k * n, seed: 22)
            let c0 = testValues(m * n, seed: 23)
            var c = c0
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.baseAddress!,
                                   lda: transA ? m : k, b: b.baseAddress!, ldb: transB ? k : n, beta: 1,
                                   c: c.baseAddress!, ldc: n)
                    }
                }
            }
            let want = zip(Self.naive(transA, transB, m: m, n: n, k: k, a, b), c0).map { $0 + Double($1) }
            let r = compare(c.map(Double.init), want, rtol: 1e-4, atol: 1e-4)
            #expect(r.ok, "transA \(transA) transB \(transB): \(r)")
        }
    }

    @Test func aProductInsideAParallelLoopRunsOnItsThread() {
        let m = 64, n = 128, k = 160
        let a = testValues(m * k, seed: 31), b = testValues(k * n, seed: 32)
        let want = Self.naive(false, false, m: m, n: n, k: k, a, b)
        var out = [[Float]](repeating: [], count: 4)
        out.withUnsafeMutableBufferPointer { out in
            let results = out
            Parallel.forEach(4, grain: 1) { r in
                for i in r {
                    var c = [Float](repeating: 0, count: m * n)
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            BLAS.sgemm(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                                       c: &c, ldc: n)
                        }
                    }
                    results[i] = c
                }
            }
        }
        for c in out {
            let r = compare(c.map(Double.init), want, rtol: 1e-4, atol: 1e-4)
            #expect(r.ok, "\(r)")
        }
    }
}
