import COpenBLAS
import CZWalkKernels
#if canImport(Glibc)
import Glibc
#endif

/// The one place OpenBLAS (BLAS and LAPACK) is called from. Everything is row-major float32.
///
/// OpenBLAS runs single-threaded, on the calling thread; a large product is split into column
/// (or row) blocks over `Parallel`, the same threads as every other kernel. Why: with OpenBLAS's
/// own pool beside the engine's, two sets of threads took turns on two cores — OpenBLAS's spin
/// after each call while the next kernel's threads wanted the cores — and one decoder's time
/// swung 3× between runs.
public enum BLAS {
    /// Made once, before the first call: OpenBLAS runs the best kernels this CPU has and keeps to
    /// the calling thread.
    static let singleThreaded: Void = {
        chooseCoreIfMisdetected()
        openblas_set_num_threads(1)
    }()

    /// The kernel set OpenBLAS runs ("Haswell", "SkylakeX", …), for reports.
    public static var coreName: String {
        _ = singleThreaded
        return String(cString: openblas_get_corename())
    }

    /// The core names of OpenBLAS's kernel sets that use neither AVX2 nor AVX-512.
    private static let preAVX2Cores: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "sandybridge",
        "bobcat", "bulldozer",
    ]

    /// OpenBLAS picks its kernels by CPU model number, and a release older than the CPU does not know
    /// it: Debian 12's 0.3.21 takes this VM's Xeon (family 6, model 0xCF) for a "Prescott" and runs
    /// SSE3 kernels, sgemm at 35–45 GFLOP/s on two cores instead of 110–150 (Haswell's AVX2) or
    /// 180–220 (SkylakeX's AVX-512). When OpenBLAS chose a pre-AVX2 set on a CPU that runs AVX2/FMA
    /// (cpuid, with the OS saving the registers), its selection is run again with the matching
    /// OPENBLAS_CORETYPE — before any BLAS call, so no buffer or parameter of the old set is in use.
    /// A user's own OPENBLAS_CORETYPE is left alone, and so is a build without runtime selection.
    private static func chooseCoreIfMisdetected() {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return }
        let wanted: String
        switch Int(zk_best_variant()) {
        case Int(ZK_AVX512) where zk_cpu_runs_skylakex() != 0: wanted = "SkylakeX"
        case Int(ZK_AVX512), Int(ZK_AVX2): wanted = "Haswell"
        default: return
        }
        guard preAVX2Cores.contains(String(cString: openblas_get_corename()).lowercased()),
              let quit = dlsym(nil, "gotoblas_dynamic_quit"), let initialise = dlsym(nil, "gotoblas_dynamic_init")
        else { return }
        typealias VoidFunction = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", wanted, 0)
        unsafeBitCast(quit, to: VoidFunction.self)()
        unsafeBitCast(initialise, to: VoidFunction.self)()
        // Our own setting must not leak into child processes as if the user had made it.
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// Multiply-adds below which a product runs on one thread (about 15 µs on one core).
    static let minParallelWork = 1 << 20

    /// C(m×n) = alpha · op(A)(m×k) · op(B)(k×n) + beta · C, row-major with leading dimensions.
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        let blocks = m * n * k >= minParallelWork ? Parallel.threads : 1
        if blocks <= 1 || max(m, n) < 32 {
            sgemmBlock(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        } else if n >= m {
            // column blocks of C (multiples of 16 columns, the kernels' widest register tile)
            let units = (n + 15) / 16
            Parallel.forEach(units, grain: max(1, units / blocks)) { r in
                let c0 = r.lowerBound * 16, c1 = min(n, r.upperBound * 16)
                sgemmBlock(transA, transB, m, c1 - c0, k, alpha, a, lda, transB ? b + c0 * ldb : b + c0, ldb,
                           beta, c + c0, ldc)
            }
        } else {
            let units = (m + 7) / 8
            Parallel.forEach(units, grain: max(1, units / blocks)) { r in
                let r0 = r.lowerBound * 8, r1 = min(m, r.upperBound * 8)
                sgemmBlock(transA, transB, r1 - r0, n, k, alpha, transA ? a + r0 : a + r0 * lda, lda, b, ldb,
                           beta, c + r0 * ldc, ldc)
            }
        }
    }

    @inline(__always)
    private static func sgemmBlock(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                                   _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                   _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// y = alpha · op(A) x + beta · y for row-major A (m×n).
    public static func sgemv(transA: Bool = false, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>,
                             lda: Int, x: UnsafePointer<Float>, beta: Float = 0, y: UnsafeMutablePointer<Float>) {
        _ = singleThreaded
        cblas_sgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
                    blasint(lda), x, 1, beta, y, 1)
    }
}

public struct LAPACKError: Error, CustomStringConvertible {
    public let routine: String
    public let info: Int
    public var description: String { "LAPACK \(routine) failed (info = \(info))" }
}

/// LAPACK routines used by the latent toolkit (SeFa, PCA, Jacobian directions). LAPACK is
/// column-major; each wrapper takes and returns row-major data and hides the transposition.
public enum LAPACK {
    /// Eigen-decomposition of a symmetric n×n matrix (row-major; symmetric so layout is moot).
    /// Returns eigenvalues in descending order and the matching eigenvectors as rows.
    public static func symmetricEigen(_ matrix: [Float], n: Int) throws -> (values: [Float], vectors: [[Float]]) {
        precondition(matrix.count == n * n)
        _ = BLAS.singleThreaded
        var a = matrix.map(Double.init)
        var w = [Double](repeating: 0, count: n)
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, liwork: Int32 = -1
        var wq = [Double](repeating: 0, count: 1)
        var iwq = [Int32](repeating: 0, count: 1)
        // Double precision: Gram matrices of weights can be ill-conditioned in float.
        dsyevd_("V", "U", &nn, &a, &lda, &w, &wq, &lwork, &iwq, &liwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "dsyevd (query)", info: Int(info)) }
        lwork = Int32(wq[0]); liwork = iwq[0]
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_("V", "U", &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "dsyevd", info: Int(info)) }
        // Column j of the column-major result is eigenvector j; LAPACK sorts ascending.
        var values: [Float] = [], vectors: [[Float]] = []
        for j in stride(from: n - 1, through: 0, by: -1) {
            values.append(Float(w[j]))
            vectors.append((0..<n).map { Float(a[j * n + $0]) })
        }
        return (values, vectors)
    }

    /// Thin SVD of a row-major m×n matrix: singular values (descending) and the right singular
    /// vectors as rows (min(m,n) of them, each of length n).
    public static func svd(_ matrix: [Float], m: Int, n: Int) throws -> (singular: [Float], rightVectors: [[Float]]) {
        precondition(matrix.count == m * n)
        _ = BLAS.singleThreaded
        // Row-major m×n is column-major n×m (= Aᵀ). SVD of Aᵀ = V S Uᵀ: its left vectors are A's right vectors.
        var a = matrix
        var mm = Int32(n), nn = Int32(m), lda = Int32(n)
        let k = min(m, n)
        var s = [Float](repeating: 0, count: k)
        var u = [Float](repeating: 0, count: n * k)
        var ldu = Int32(n)
        var vt = [Float](repeating: 0, count: 1)
        var ldvt: Int32 = 1
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var info: Int32 = 0, lwork: Int32 = -1
        var wq: Float = 0
        // jobz "O" would overwrite; use "S" for thin U. We do not need Vt: pass jobz "S" with vt sized.
        vt = [Float](repeating: 0, count: k * m)
        ldvt = Int32(k)
        sgesdd_("S", &mm, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &wq, &lwork, &iwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "sgesdd (query)", info: Int(info)) }
        lwork = Int32(wq.rounded(.up)) + 64 // the float query can round below the minimum past 2^24
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesdd_("S", &mm, &nn, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &iwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "sgesdd", info: Int(info)) }
        // u is column-major n×k: column j = right singular vector j of A.
        let vectors = (0..<k).map { j in Array(u[(j * n)..<(j * n + n)]) }
        return (s, vectors)
    }

    /// Least squares: X (n×r) minimising ‖A X − B‖ for row-major A (m×n, m ≥ n) and B (m×r).
    public static func leastSquares(_ aRowMajor: [Float], m: Int, n: Int, _ bRowMajor: [Float], r: Int) throws -> [Float] {
        precondition(aRowMajor.count == m * n && bRowMajor.count == m * r && m >= n)
        _ = BLAS.singleThreaded
        // Convert to column-major.
        var a = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { a[j * m + i] = aRowMajor[i * n + j] } }
        var b = [Float](repeating: 0, count: m * r)
        for i in 0..<m { for j in 0..<r { b[j * m + i] = bRowMajor[i * r + j] } }
        var mm = Int32(m), nn = Int32(n), nrhs = Int32(r), lda = Int32(m), ldb = Int32(m)
        var info: Int32 = 0, lwork: Int32 = -1
        var wq: Float = 0
        sgels_("N", &mm, &nn, &nrhs, &a, &lda, &b, &ldb, &wq, &lwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "sgels (query)", info: Int(info)) }
        lwork = Int32(wq.rounded(.up)) + 64 // the float query can round below the minimum past 2^24
        var work = [Float](repeating: 0, count: Int(lwork))
        sgels_("N", &mm, &nn, &nrhs, &a, &lda, &b, &ldb, &work, &lwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "sgels", info: Int(info)) }
        var x = [Float](repeating: 0, count: n * r)
        for i in 0..<n { for j in 0..<r { x[i * r + j] = b[j * m + i] } }
        return x
    }
}
