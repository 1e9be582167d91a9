import CZWalkKernels

/// The one place the hand-written C kernels (Sources/CZWalkKernels) are called from. Each has a
/// portable and an AVX2/FMA variant, most also an AVX-512 one. Every call names the
/// variant it runs: the engine's kernels hold `Variant.best`, read once from cpuid; tests build
/// kernels with each of `Variant.available`. Nothing process-wide changes which variant runs, so
/// a test of the portable path cannot change the numbers of a decode running beside it.
public enum CPUKernels {
    public enum Variant: Int32, Comparable, Sendable, CustomStringConvertible {
        case portable = 0, avx2 = 1, avx512 = 2

        /// The fastest variant this CPU runs.
        public static let best = Variant(rawValue: zk_best_variant()) ?? .portable
        /// Every variant this CPU runs, portable first.
        public static var available: [Variant] { [.portable, .avx2, .avx512].filter { $0 <= best } }

        public static func < (a: Variant, b: Variant) -> Bool { a.rawValue < b.rawValue }
        public var description: String { ["portable", "AVX2/FMA", "AVX-512"][Int(rawValue)] }
    }

    /// Activations the kernels can apply in their output pass (tanh and sigmoid: the small
    /// sgemm's only).
    enum Activation: Int32 {
        case none = 0, relu = 1, leakyRelu = 2, tanh = 3, sigmoid = 4
    }

    /// Winograd F(4×4, 3×3) input transform of tile row `tileRow` of `channels` consecutive
    /// (h × w) planes: v[ξ·xiStride + t·tileStride + c] = (Bᵀ d B)[ξ] for ξ < 36, the `tiles` tiles
    /// of the row and c < `channels` rounded up to 16 (0 beyond). `staging`: `winogradInputStaging`.
    @inline(__always)
    static func winogradInput(_ variant: Variant, _ x: UnsafePointer<Float>, channels: Int, h: Int, w: Int, tileRow: Int,
                              padTop: Int, padLeft: Int, tiles: Int, into v: UnsafeMutablePointer<Float>, xiStride: Int,
                              tileStride: Int, staging: UnsafeMutablePointer<Float>) {
        zk_winograd43_input(variant.rawValue, x, channels, h, w, tileRow, padTop, padLeft, tiles, v, xiStride, tileStride,
                            staging)
    }

    static func winogradInputStaging(channels: Int, tiles: Int) -> Int { zk_winograd43_input_staging(channels, tiles) }

    /// Winograd F(4×4, 3×3) output transform of tile row `tileRow` of `channels` output channels:
    /// Aᵀ m A + bias (+ `residual`, planes laid out as `out`), through `activation`, into the
    /// (oh × ow) planes `out`; tile t's ξ-th value of channel k is at m[ξ·xiStride + t·tileStride + k].
    @inline(__always)
    static func winogradOutput(_ variant: Variant, _ m: UnsafePointer<Float>, xiStride: Int, tileStride: Int, channels: Int,
                               tiles: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                               activation: Activation, into out: UnsafeMutablePointer<Float>, oh: Int, ow: Int,
                               tileRow: Int, staging: UnsafeMutablePointer<Float>) {
        zk_winograd43_output(variant.rawValue, m, xiStride, tileStride, channels, tiles, bias, residual, activation.rawValue,
                             out, oh, ow, tileRow, staging)
    }

    static func winogradOutputStaging(channels: Int, tiles: Int) -> Int { zk_winograd43_output_staging(channels, tiles) }
}

extension CPUKernels {
    /// Floats of a packed B of a (k × n) product.
    static func packedSize(k: Int, n: Int) -> Int { zk_sgemm_packed_size(k, n) }

    /// Packs op(B) (k × n; B stored (n × k) when `transB`) into 32-column panels.
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, transB: Bool, k: Int, n: Int,
                      into packed: UnsafeMutablePointer<Float>) {
        zk_sgemm_pack_b(b, ldb, transB ? 1 : 0, k, n, packed)
    }

    /// C (m × n) = activation(A (m × k) · B + bias), single-threaded, B packed by `packB`
    /// (`packed` points at the first panel of these columns). `alpha`: LeakyRelu's slope.
    @inline(__always)
    static func sgemmPacked(_ variant: Variant, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>?, activation: Activation, alpha: Float,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        zk_sgemm_packed(variant.rawValue, m, n, k, a, lda, packed, bias, activation.rawValue, alpha, c, ldc)
    }

    /// The same with A's element (i, p) at a[i·rowStride + p·columnStride].
    @inline(__always)
    static func sgemmPacked(_ variant: Variant, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
                            packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation,
                            alpha: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        zk_sgemm_packed_strided(variant.rawValue, m, n, k, a, rowStride, columnStride, packed, bias, activation.rawValue, alpha, c, ldc)
    }
}

extension CPUKernels {
    /// Output rows `rows` of a direct convolution of one image to ≤ 4 channels (stride 1,
    /// dilation 1, groups 1): x (cin × h × w), weight (cout × cin × kh × kw), y (cout × oh × ow);
    /// `scratch`: zk_conv_few_outputs_scratch floats.
    @inline(__always)
    static func convFewOutputs(_ variant: Variant, x: UnsafePointer<Float>, inChannels: Int, h: Int, w: Int,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int, kh: Int, kw: Int,
                               padTop: Int, padLeft: Int, oh: Int, ow: Int, rows: Range<Int>,
                               into y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        zk_conv_few_outputs(variant.rawValue, x, inChannels, h, w, weight, bias, outChannels, kh, kw, padTop, padLeft,
                            oh, ow, rows.lowerBound, rows.upperBound, y, scratch)
    }
}

extension CPUKernels {
    /// y = tanh(x) over n floats, the arithmetic of VectorMath.tanh (its reference) on 16 lanes.
    @Sendable public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                                      variant: Variant = .best) {
        zk_tanh(variant.rawValue, x, y, n)
    }

    /// y = 1 / (1 + e^-x) over n floats, the arithmetic of VectorMath.sigmoid on 16 lanes.
    @Sendable public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                                         variant: Variant = .best) {
        zk_sigmoid(variant.rawValue, x, y, n)
    }
}
