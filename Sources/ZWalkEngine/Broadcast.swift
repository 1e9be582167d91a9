/// Iteration over NumPy-style broadcasts of up to three inputs onto an output, precomputed at load
/// time. Dimensions that are contiguous (or broadcast) together are merged, so a channel bias
/// (N,C,H,W)+(1,C,1,1) becomes (N,C,H·W) with the bias stepping only on C: the inner run is a plain
/// loop the compiler vectorises.
public struct BroadcastLayout: Sendable {
    /// Merged output dimensions.
    public let dims: [Int]
    /// Per input, element strides over `dims` (0 where broadcast).
    public let strides: [[Int]]
    public let count: Int

    public init(output: [Int], inputs: [[Int]]) {
        let r = output.count
        var st: [[Int]] = inputs.map { shape in
            let padded = [Int](repeating: 1, count: r - shape.count) + shape
            let s = Shape.strides(padded)
            return (0..<r).map { padded[$0] == 1 && output[$0] != 1 ? 0 : s[$0] }
        }
        // Drop size-1 dims, then merge neighbours whose strides chain for every input.
        let keep = (0..<r).filter { output[$0] != 1 }
        var dims = keep.map { output[$0] }
        st = st.map { s in keep.map { s[$0] } }
        var i = dims.count - 1
        while i > 0 {
            if st.allSatisfy({ $0[i - 1] == $0[i] * dims[i] }) {
                dims[i - 1] *= dims[i]
                dims.remove(at: i)
                for k in st.indices { st[k][i - 1] = st[k][i]; st[k].remove(at: i) }
            }
            i -= 1
        }
        self.dims = dims.isEmpty ? [1] : dims
        self.strides = st.map { $0.isEmpty ? [0] : $0 }
        self.count = output.reduce(1, *)
    }

    /// True when every input is either the full output (stride 1 inner, same size) or a scalar.
    public var innerSteps: [Int] { strides.map { $0.last! } }

    /// Calls `body(outOffset, inputOffsets, runLength)` for each run along the innermost merged
    /// dimension; inside a run input k advances by `innerSteps[k]`.
    @inline(__always)
    public func forEachRun(_ body: (Int, (Int, Int, Int), Int) -> Void) {
        forEachRun(in: 0..<runCount, body)
    }

    /// Runs along the innermost merged dimension: count / dims.last.
    public var runCount: Int { count == 0 ? 0 : count / max(dims[dims.count - 1], 1) }

    /// As forEachRun, for the runs in `runs` only (a slice of the work for one thread).
    @inline(__always)
    public func forEachRun(in runs: Range<Int>, _ body: (Int, (Int, Int, Int), Int) -> Void) {
        let r = dims.count
        let inner = dims[r - 1]
        if count == 0 || runs.isEmpty { return }
        let s0 = strides.count > 0 ? strides[0] : [Int](repeating: 0, count: r)
        let s1 = strides.count > 1 ? strides[1] : [Int](repeating: 0, count: r)
        let s2 = strides.count > 2 ? strides[2] : [Int](repeating: 0, count: r)
        // The odometer's position and the input offsets at the first run.
        var idx = [Int](repeating: 0, count: r)
        var o0 = 0, o1 = 0, o2 = 0
        var rest = runs.lowerBound
        for d in stride(from: r - 2, through: 0, by: -1) {
            idx[d] = rest % dims[d]
            rest /= dims[d]
            o0 += idx[d] * s0[d]; o1 += idx[d] * s1[d]; o2 += idx[d] * s2[d]
        }
        for run in runs {
            body(run * inner, (o0, o1, o2), inner)
            // odometer over dims[0..<r-1]
            var d = r - 2
            while d >= 0 {
                idx[d] += 1
                o0 += s0[d]; o1 += s1[d]; o2 += s2[d]
                if idx[d] < dims[d] { break }
                o0 -= s0[d] * dims[d]; o1 -= s1[d] * dims[d]; o2 -= s2[d] * dims[d]
                idx[d] = 0
                d -= 1
            }
        }
    }
}
