import Foundation

/// Dense layers: Gemm and MatMul through OpenBLAS (sgemm, or sgemv when one side is a vector —
/// a batch-1 MLP layer — where sgemm's packing would cost more than the product).
enum LinearOps {
    static let table: [String: OpFactory] = [
        "Gemm": gemm,
        "MatMul": matMul,
    ]

    /// Y (M×N) = alpha · op(A) · op(B) + beta · C, with op(A) (M×K), op(B) (K×N) and C broadcast
    /// unidirectionally to (M, N): scalar, [N], [1, N], [M, 1] or [M, N].
    static let gemm: OpFactory = { ctx in
        let a = try ctx.floatInput(0), b = try ctx.floatInput(1)
        guard a.rank == 2, b.rank == 2 else {
            throw ctx.error("A and B must be matrices, got shapes \(a.shape) and \(b.shape)")
        }
        let transA = try ctx.int("transA", 0) != 0, transB = try ctx.int("transB", 0) != 0
        let alpha = try ctx.float("alpha", 1), beta = try ctx.float("beta", 1)
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let kb = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
        guard k == kb else {
            throw ctx.error("op(A) is \(m)×\(k) but op(B) is \(kb)×\(n) (transA=\(transA ? 1 : 0), transB=\(transB ? 1 : 0))")
        }
        var cExtent = (0, 0) // broadcast extents of C (1 or M, 1 or N); 0 when absent
        if let c = ctx.optionalInput(2) {
            guard c.dtype == .float32 else { throw ctx.error("C must be float, got \(c.dtype)") }
            guard c.rank <= 2 else { throw ctx.error("C must have rank ≤ 2, got shape \(c.shape)") }
            let padded = [Int](repeating: 1, count: 2 - c.rank) + c.shape
            guard padded[0] == 1 || padded[0] == m, padded[1] == 1 || padded[1] == n else {
                throw ctx.error("C shape \(c.shape) cannot be broadcast to the output (\(m), \(n))")
            }
            cExtent = (padded[0], padded[1])
        }
        let (cRows, cCols) = cExtent
        _ = try ctx.checkedCount([m, n])
        let lda = a.shape[1], ldb = b.shape[1]
        // A constant weight and a constant (or no) C on few rows: the packed kernel, no OpenBLAS.
        let cInput = ctx.optionalInput(2)
        if cInput == nil || cInput?.constant != nil,
           PackedGemmKernel.applies(m: m, n: n, k: k, alpha: alpha, b: b.constant, cRows: cRows) {
            return KernelPlan(outputs: [OutputSpec(shape: [m, n])],
                              kernel: PackedGemmKernel(m: m, n: n, k: k, transA: transA, b: b.constant!, transB: transB,
                                                       c: cInput?.constant, cCols: cCols, beta: beta))
        }
        return KernelPlan(outputs: [OutputSpec(shape: [m, n])], kernel: ClosureKernel { ins, outs in
            let y = outs[0].floats.baseAddress!
            let useC = cRows > 0 && beta != 0 && ins.count > 2 && ins[2] != nil
            if useC {
                let c = ins[2]!.floats.baseAddress!
                for i in 0..<m {
                    let src = c + (cRows == 1 ? 0 : i * cCols), dst = y + i * n
                    if cCols == 1 { dst.update(repeating: beta * src[0], count: n) }
                    else { for j in 0..<n { dst[j] = beta * src[j] } }
                }
            }
            LinearOps.product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                              a: ins[0]!.floats.baseAddress!, lda: lda, b: ins[1]!.floats.baseAddress!, ldb: ldb,
                              accumulate: useC, c: y, ldc: n)
        })
    }

    /// C (m×n, leading dimension ldc) = alpha · op(A) · op(B) (+ C when `accumulate`), through
    /// sgemv when m or n is 1 (and C is contiguous), sgemm otherwise. Safe for empty extents.
    static func product(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                        accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        let beta: Float = accumulate ? 1 : 0
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        if m == 1 {
            // c (n) = op(B)ᵀ a; a is k contiguous floats whether or not it is transposed.
            if transB { BLAS.sgemv(transA: false, m: n, n: k, alpha: alpha, a: b, lda: ldb, x: a, beta: beta, y: c) }
            else { BLAS.sgemv(transA: true, m: k, n: n, alpha: alpha, a: b, lda: ldb, x: a, beta: beta, y: c) }
        } else if n == 1 && ldc == 1 {
            // c (m) = op(A) b; b is k contiguous floats either way.
            if transA { BLAS.sgemv(transA: true, m: k, n: m, alpha: alpha, a: a, lda: lda, x: b, beta: beta, y: c) }
            else { BLAS.sgemv(transA: false, m: m, n: k, alpha: alpha, a: a, lda: lda, x: b, beta: beta, y: c) }
        } else {
            BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: max(lda, 1),
                       b: b, ldb: max(ldb, 1), beta: beta, c: c, ldc: max(ldc, 1))
        }
    }

    /// NumPy matmul: a 1-D A is a row (1, K) and a 1-D B a column (K, 1), the added axis removed
    /// from the result; leading (batch) axes broadcast.
    static let matMul: OpFactory = { ctx in
        let a = try ctx.floatInput(0), b = try ctx.floatInput(1)
        guard a.rank >= 1, b.rank >= 1 else { throw ctx.error("inputs must have rank ≥ 1, got \(a.shape) and \(b.shape)") }
        let aShape = a.rank == 1 ? [1] + a.shape : a.shape
        let bShape = b.rank == 1 ? b.shape + [1] : b.shape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
        let kb = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == kb else { throw ctx.error("shapes \(a.shape) and \(b.shape) cannot be multiplied (\(k) ≠ \(kb))") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        let batch: [Int]
        do { batch = try Shape.broadcast(aBatch, bBatch) } catch let e as EngineError { throw ctx.error(e.description) }
        let out = batch + (a.rank == 1 ? [] : [m]) + (b.rank == 1 ? [] : [n])
        let count = try ctx.checkedCount(out)
        let items = batch.reduce(1, *)
        if count == 0 || items == 0 { return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { _, _ in }) }

        // B shared by every batch item and A not broadcast: fold A's batch axes into its rows, so
        // (…, M, K) · (K, N) is one (items·M × K) · (K × N) product — the common linear layer.
        if bBatch.reduce(1, *) == 1 && aBatch.reduce(1, *) == items {
            return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { ins, outs in
                LinearOps.product(transA: false, transB: false, m: items * m, n: n, k: k, alpha: 1,
                                  a: ins[0]!.floats.baseAddress!, lda: k, b: ins[1]!.floats.baseAddress!, ldb: n,
                                  accumulate: false, c: outs[0].floats.baseAddress!, ldc: n)
            })
        }
        let offsets = batchOffsets(batch: batch, a: aBatch, b: bBatch, aMatrix: m * k, bMatrix: k * n)
        return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { ins, outs in
            let pa = ins[0]!.floats.baseAddress!, pb = ins[1]!.floats.baseAddress!, y = outs[0].floats.baseAddress!
            for (i, off) in offsets.enumerated() {
                LinearOps.product(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: pa + off.a, lda: k,
                                  b: pb + off.b, ldb: n, accumulate: false, c: y + i * m * n, ldc: n)
            }
        })
    }

    /// For each item of the broadcast batch (row-major), the element offsets of its A and B matrices.
    static func batchOffsets(batch: [Int], a: [Int], b: [Int], aMatrix: Int, bMatrix: Int) -> [(a: Int, b: Int)] {
        let r = batch.count
        let pa = [Int](repeating: 1, count: r - a.count) + a, pb = [Int](repeating: 1, count: r - b.count) + b
        let sa = Shape.strides(pa), sb = Shape.strides(pb)
        let items = batch.reduce(1, *)
        var result: [(a: Int, b: Int)] = []
        result.reserveCapacity(items)
        for flat in 0..<items {
            var rem = flat, oa = 0, ob = 0
            for d in stride(from: r - 1, through: 0, by: -1) {
                let i = rem % batch[d]; rem /= batch[d]
                if pa[d] != 1 { oa += i * sa[d] }
                if pb[d] != 1 { ob += i * sb[d] }
            }
            result.append((oa * aMatrix, ob * bMatrix))
        }
        return result
    }
}

/// Naive references for the dense ops: triple loops in double precision.
enum LinearNaive {
    /// Gemm on row-major A (stored (M,K), or (K,M) when transA), B ((K,N) or (N,K) when transB),
    /// C broadcast from (cRows, cCols) (nil: no C).
    static func gemm(a: [Float], b: [Float], c: [Float]?, cRows: Int, cCols: Int, m: Int, n: Int, k: Int,
                     transA: Bool, transB: Bool, alpha: Float, beta: Float) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    acc += Double(av) * Double(bv)
                }
                var v = Double(alpha) * acc
                if let c { v += Double(beta) * Double(c[(cRows == 1 ? 0 : i) * cCols + (cCols == 1 ? 0 : j)]) }
                y[i * n + j] = Float(v)
            }
        }
        return y
    }

    /// NumPy matmul by index arithmetic over the broadcast batch.
    static func matMul(a: [Float], aShape: [Int], b: [Float], bShape: [Int]) -> (values: [Float], shape: [Int]) {
        let sa = aShape.count == 1 ? [1] + aShape : aShape
        let sb = bShape.count == 1 ? bShape + [1] : bShape
        let m = sa[sa.count - 2], k = sa[sa.count - 1], n = sb[sb.count - 1]
        let ab = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
        let r = max(ab.count, bb.count)
        let pa = [Int](repeating: 1, count: r - ab.count) + ab, pb = [Int](repeating: 1, count: r - bb.count) + bb
        let batch = (0..<r).map { max(pa[$0], pb[$0]) }
        let items = batch.reduce(1, *)
        var y = [Float](repeating: 0, count: items * m * n)
        for item in 0..<items {
            // Unravel the batch index, then ravel it into A's and B's (broadcast) batch shapes.
            var idx = [Int](repeating: 0, count: r), rem = item
            for d in stride(from: r - 1, through: 0, by: -1) { idx[d] = rem % batch[d]; rem /= batch[d] }
            var ia = 0, ib = 0
            for d in 0..<r {
                ia = ia * pa[d] + (pa[d] == 1 ? 0 : idx[d])
                ib = ib * pb[d] + (pb[d] == 1 ? 0 : idx[d])
            }
            for i in 0..<m {
                for j in 0..<n {
                    var acc = 0.0
                    for p in 0..<k { acc += Double(a[ia * m * k + i * k + p]) * Double(b[ib * k * n + p * n + j]) }
                    y[(item * m + i) * n + j] = Float(acc)
                }
            }
        }
        let shape = batch + (aShape.count == 1 ? [] : [m]) + (bShape.count == 1 ? [] : [n])
        return (y, shape)
    }
}
