/// Gemm with a constant weight on small matrices (a dense layer at batch 1–256), without
/// OpenBLAS: the weight op(B) (K × N) is packed once at load time into 32-column panels and the
/// product runs in CZWalkKernels' register-blocked kernel (AVX-512 or AVX2/FMA when the CPU has
/// them), the bias added — and an activation applied, when one is fused — in the same pass.
///
/// Why: OpenBLAS packs both operands and wakes its threads on every call, which dominates
/// products this small (an MLP generator's 64 × 256 × 256 layer is 8 MFLOP — microseconds).
/// ggml likewise keeps BLAS for matrices of at least 32 on every side.
///
/// Threads split the 32-column panels; one chunk gets at least `minChunk` multiply-adds.
final class PackedGemmKernel: Kernel, ActivationFusing, @unchecked Sendable {
    /// Most rows (batch) taken: beyond, OpenBLAS's blocking for the L2 cache wins.
    static let maxRows = 256
    /// Largest packed weight (floats): 2 MB, so the panels stay in the L2 cache across rows.
    static let maxPackedFloats = 1 << 19
    /// Multiply-adds below which a chunk is not worth a thread (with the pool's workers awake, a
    /// chunk costs about a µs to hand over). At batch 1 a layer streams its whole weight through
    /// one core's caches: splitting a 256×784 layer over two cores halves that (mlp_gan batch 1
    /// 0.020 → 0.015–0.019 ms against 128 K).
    static let minChunk = 1 << 15

    let m: Int, n: Int, k: Int
    let transA: Bool
    let packed: Scratch
    /// beta · C as a row of n (nil when there is no C).
    let bias: [Float]?
    var activation: CPUKernels.Activation = .none
    var alpha: Float = 0
    /// Which build of the C kernel runs (tests pass each the CPU has).
    let variant: CPUKernels.Variant

    /// The plan when this kernel takes the product: alpha 1, B constant, C absent or a constant
    /// broadcast along rows (scalar, [N] or [1, N]), few rows and a weight small enough.
    /// `cRows`: C's broadcast rows (1, or M; 0 without C).
    static func applies(m: Int, n: Int, k: Int, alpha: Float, b: Tensor?, cRows: Int) -> Bool {
        alpha == 1 && b != nil && m <= maxRows && k >= 1 && n >= 1
            && CPUKernels.packedSize(k: k, n: n) <= maxPackedFloats && cRows <= 1
    }

    /// `b`: B as stored ((K × N), or (N × K) when `transB`); `c`: C as stored, broadcast from
    /// (1, cCols) with cCols 1 or N.
    init(m: Int, n: Int, k: Int, transA: Bool, b: Tensor, transB: Bool, c: Tensor?, cCols: Int, beta: Float,
         variant: CPUKernels.Variant = .best) {
        (self.m, self.n, self.k, self.transA) = (m, n, k, transA)
        self.variant = variant
        packed = Scratch(CPUKernels.packedSize(k: k, n: n))
        CPUKernels.packB(b.floats.baseAddress!, ldb: transB ? k : n, transB: transB, k: k, n: n, into: packed.pointer)
        if let c, beta != 0 {
            let v = c.floats
            bias = (0..<n).map { beta * v[cCols == 1 ? 0 : $0] }
        } else {
            bias = nil
        }
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let y = outputs[0].floats.baseAddress!
        var a = UnsafePointer(inputs[0]!.floats.baseAddress!)
        let (m, n, k) = (self.m, self.n, self.k)
        var transposed: [Float] = []
        if transA {
            // A stored (K × M): the kernel reads rows of op(A), so transpose it first (rare).
            transposed = [Float](repeating: 0, count: m * k)
            for i in 0..<m { for p in 0..<k { transposed[i * k + p] = a[p * m + i] } }
        }
        transposed.withUnsafeBufferPointer { t in
            if transA { a = t.baseAddress! }
            let panels = (n + 31) / 32, perPanel = m * k * 32
            let pp = UnsafePointer(packed.pointer), act = activation, alpha = self.alpha
            bias.withUnsafeBufferPointerIfPresent { bias in
                Parallel.forEach(panels, grain: max(1, (Self.minChunk + perPanel - 1) / perPanel)) { r in
                    let c0 = r.lowerBound * 32, c1 = min(n, r.upperBound * 32)
                    CPUKernels.sgemmPacked(variant, m: m, n: c1 - c0, k: k, a: a, lda: k, packed: pp + c0 * k,
                                           bias: bias.map { $0 + c0 }, activation: act, alpha: alpha,
                                           c: y + c0, ldc: n)
                }
            }
        }
    }
}

extension PackedGemmKernel {
    func fuse(_ a: FusedActivation) -> Bool {
        guard activation == .none else { return false }
        switch a {
        case .relu: activation = .relu
        case .leakyRelu(let alpha): (activation, self.alpha) = (.leakyRelu, alpha)
        case .tanh: activation = .tanh
        case .sigmoid: activation = .sigmoid
        }
        return true
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with the array's base address, or nil.
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
