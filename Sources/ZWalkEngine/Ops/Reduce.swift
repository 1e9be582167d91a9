import Foundation

/// Reductions over any set of axes (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd,
/// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp) sharing one core, and
/// Softmax / LogSoftmax.
///
/// Every reduction is run as (outer, reduced, inner): the input's dimensions are merged into
/// kept/reduced groups at load time; when the reduced axes form one block (the usual case: a
/// channel mean, a spatial sum, the last axis) the kernel reads the input in place, otherwise a
/// strided copy first moves the kept axes to the front and the reduced ones to the back.
enum ReduceOps {
    static let table: [String: OpFactory] = [
        // axes became an input in opset 13 for ReduceSum, in opset 18 for the others.
        "ReduceSum": reduce(.sum, axesInputSince: 13),
        "ReduceMean": reduce(.mean, axesInputSince: 18),
        "ReduceMax": reduce(.max, axesInputSince: 18),
        "ReduceMin": reduce(.min, axesInputSince: 18),
        "ReduceProd": reduce(.prod, axesInputSince: 18),
        "ReduceL1": reduce(.l1, axesInputSince: 18),
        "ReduceL2": reduce(.l2, axesInputSince: 18),
        "ReduceSumSquare": reduce(.sumSquare, axesInputSince: 18),
        "ReduceLogSum": reduce(.logSum, axesInputSince: 18),
        "ReduceLogSumExp": reduce(.logSumExp, axesInputSince: 18),
        "Softmax": softmax(log: false),
        "LogSoftmax": softmax(log: true),
    ]

    enum Reduction: Sendable {
        case sum, mean, max, min, prod, l1, l2, sumSquare, logSum, logSumExp

        /// Reductions defined through exp/log/sqrt have no integer form here.
        var allowsIntegers: Bool { ![.l2, .logSum, .logSumExp].contains(self) }
    }

    // MARK: - layout

    /// How a reduction walks its input: `outer` × `reduced` × `inner`, optionally after a strided
    /// copy (`gather`) that puts the kept axes first and the reduced axes last.
    struct Layout: Sendable {
        let outer: Int, reduced: Int, inner: Int
        let gather: ShapeOps.StridedCopy?

        init(shape: [Int], axes: Set<Int>) {
            // Drop size-1 axes (reducing over one element changes nothing about the walk), then
            // merge neighbours of the same kind.
            let strides = Shape.strides(shape)
            var groups: [(reduced: Bool, size: Int, stride: Int)] = []
            for k in shape.indices where shape[k] != 1 {
                let r = axes.contains(k)
                if let last = groups.last, last.reduced == r, last.stride == strides[k] * shape[k] {
                    groups[groups.count - 1] = (r, last.size * shape[k], strides[k])
                } else {
                    groups.append((r, shape[k], strides[k]))
                }
            }
            let reducedGroups = groups.indices.filter { groups[$0].reduced }
            let total = shape.reduce(1, *)
            switch reducedGroups.count {
            case 0:
                (outer, reduced, inner, gather) = (total, 1, 1, nil)
            case 1:
                let g = reducedGroups[0]
                let outer = groups[..<g].reduce(1) { $0 * $1.size }
                let inner = groups[(g + 1)...].reduce(1) { $0 * $1.size }
                (self.outer, reduced, self.inner, gather) = (outer, groups[g].size, inner, nil)
            default:
                let kept = groups.filter { !$0.reduced }, red = groups.filter { $0.reduced }
                outer = kept.reduce(1) { $0 * $1.size }
                reduced = red.reduce(1) { $0 * $1.size }
                inner = 1
                gather = ShapeOps.StridedCopy(dims: (kept + red).map(\.size), strides: (kept + red).map(\.stride))
            }
        }
    }

    /// The reduced axes and output shape of a Reduce* node, or nil axes for "reduce nothing"
    /// (noop_with_empty_axes with empty axes).
    static func reduce(_ op: Reduction, axesInputSince: Int) -> OpFactory {
        return { ctx in
            let x = try ctx.input(0)
            guard x.dtype == .float32 || op.allowsIntegers else {
                throw ctx.error("integer input (\(x.dtype)) is not supported; the operator is defined for floats")
            }
            if x.dtype == .bool && op != .max && op != .min { throw ctx.error("bool input is not supported") }
            let keepdims = try ctx.int("keepdims", 1) != 0
            let noop = try ctx.int("noop_with_empty_axes", 0) != 0
            let given = try ShapeOps.axesArgument(ctx, inputSince: axesInputSince) ?? []
            var axes = Set<Int>()
            if given.isEmpty {
                // No axes: every axis, unless noop_with_empty_axes asks for no reduction at all
                // (then the element-wise part still applies, as in ONNX's reference: SumSquare squares).
                if !noop { axes = Set(0..<x.rank) }
            } else {
                for a in given {
                    guard axes.insert(try ctx.axis(a, rank: x.rank)).inserted else { throw ctx.error("axis \(a) is listed twice in \(given)") }
                }
            }
            var out: [Int] = []
            for (k, d) in x.shape.enumerated() {
                if !axes.contains(k) { out.append(d) } else if keepdims { out.append(1) }
            }
            let layout = Layout(shape: x.shape, axes: axes)
            let isFloat = x.dtype == .float32, isBool = x.dtype == .bool
            let scratchCount = layout.gather == nil ? 0 : x.count
            return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
                let a = ins[0]!, y = outs[0]
                if isFloat {
                    let yp = y.floats.baseAddress!
                    if let g = layout.gather {
                        // Non-contiguous axes: scratch per run (plans are not reentrant, but kernels
                        // stay stateless so that one plan's kernels never share buffers).
                        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchCount, 1))
                        defer { tmp.deallocate() }
                        g.run(UnsafePointer(a.floats.baseAddress!), tmp)
                        reduceFloat(UnsafePointer(tmp), yp, layout.outer, layout.reduced, layout.inner, op)
                    } else {
                        reduceFloat(UnsafePointer(a.floats.baseAddress!), yp, layout.outer, layout.reduced, layout.inner, op)
                    }
                } else {
                    let yp = y.ints.baseAddress!
                    if let g = layout.gather {
                        let tmp = UnsafeMutablePointer<Int64>.allocate(capacity: max(scratchCount, 1))
                        defer { tmp.deallocate() }
                        g.run(UnsafePointer(a.ints.baseAddress!), tmp)
                        reduceInt(UnsafePointer(tmp), yp, layout.outer, layout.reduced, layout.inner, op, isBool: isBool)
                    } else {
                        reduceInt(UnsafePointer(a.ints.baseAddress!), yp, layout.outer, layout.reduced, layout.inner, op, isBool: isBool)
                    }
                }
            })
        }
    }

    // MARK: - float core

    @inline(__always) static func initial(_ op: Reduction) -> Float {
        switch op {
        case .max, .logSumExp: return -.infinity
        case .min: return .infinity
        case .prod: return 1
        default: return 0
        }
    }

    /// y[o, i] = reduce over r of x[o, r, i], for x: (outer, reduced, inner), y: (outer, inner).
    static func reduceFloat(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                            _ outer: Int, _ n: Int, _ inner: Int, _ op: Reduction) {
        if inner == 1 {
            Parallel.forEach(outer, grain: max(1, 16384 / max(n, 1))) { range in
                for o in range { y[o] = reduceRow(x + o * n, n, op) }
            }
            return
        }
        // inner > 1: accumulate whole rows of `inner` at once (contiguous, vectorisable), in chunks
        // of the inner axis so that an outer size of 1 still spreads over the threads.
        let chunk = 1024
        let chunks = (inner + chunk - 1) / chunk
        Parallel.forEach(outer * chunks, grain: max(1, 16384 / max(n * chunk, 1))) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { acc in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { expSum in
                    for task in range {
                        let o = task / chunks, i0 = (task % chunks) * chunk
                        let w = min(chunk, inner - i0)
                        let base = x + o * n * inner + i0
                        let a = acc.baseAddress!, s = expSum.baseAddress!
                        for i in 0..<w { a[i] = initial(op) }
                        for r in 0..<n {
                            let p = base + r * inner
                            switch op {
                            case .sum, .mean, .logSum: for i in 0..<w { a[i] += p[i] }
                            case .l1: for i in 0..<w { a[i] += abs(p[i]) }
                            case .l2, .sumSquare: for i in 0..<w { a[i] += p[i] * p[i] }
                            case .prod: for i in 0..<w { a[i] *= p[i] }
                            case .max, .logSumExp: for i in 0..<w { a[i] = p[i] > a[i] ? p[i] : a[i] }
                            case .min: for i in 0..<w { a[i] = p[i] < a[i] ? p[i] : a[i] }
                            }
                        }
                        if op == .logSumExp {
                            // Second pass: Σ exp(x − max), stable for large inputs.
                            for i in 0..<w { s[i] = 0 }
                            for r in 0..<n {
                                let p = base + r * inner
                                for i in 0..<w { s[i] += a[i].isFinite ? expNonPositive(p[i] - a[i]) : 0 }
                            }
                        }
                        let out = y + o * inner + i0
                        for i in 0..<w {
                            switch op {
                            case .mean: out[i] = a[i] / Float(n)
                            case .l2: out[i] = a[i].squareRoot()
                            case .logSum: out[i] = logf(a[i])
                            case .logSumExp: out[i] = a[i].isFinite ? a[i] + logf(s[i]) : a[i]
                            default: out[i] = a[i]
                            }
                        }
                    }
                }
            }
        }
    }

    /// One contiguous row (vectorised partial sums, totals in Double).
    @inline(__always)
    static func reduceRow(_ p: UnsafePointer<Float>, _ n: Int, _ op: Reduction) -> Float {
        switch op {
        case .sum: return Float(sum(p, n))
        case .mean: return Float(sum(p, n) / Double(n))
        case .logSum: return Float(Foundation.log(sum(p, n)))
        case .l1: return Float(sumOfAbs(p, n))
        case .l2: return Float(sumOfSquares(p, n).squareRoot())
        case .sumSquare: return Float(sumOfSquares(p, n))
        case .prod:
            var s = 1.0
            for i in 0..<n { s *= Double(p[i]) }
            return Float(s)
        case .max: return maxValue(p, n)
        case .min: return minValue(p, n)
        case .logSumExp:
            let m = maxValue(p, n)
            guard m.isFinite else { return m }
            // Exponentials a block at a time into scratch (a loop that vectorises), then summed.
            var s = 0.0
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { buf in
                let b = buf.baseAddress!
                var i = 0
                while i < n {
                    let w = min(1024, n - i)
                    for k in 0..<w { b[k] = expNonPositive(p[i + k] - m) }
                    s += sum(b, w)
                    i += w
                }
            }
            return m + Float(Foundation.log(s))
        }
    }

    // MARK: - integer core (shape arithmetic: small tensors, plain loops)

    static func reduceInt(_ x: UnsafePointer<Int64>, _ y: UnsafeMutablePointer<Int64>,
                          _ outer: Int, _ n: Int, _ inner: Int, _ op: Reduction, isBool: Bool = false) {
        for o in 0..<outer {
            for i in 0..<inner {
                var acc: Int64
                switch op {
                // The empty set's max/min are the type's bounds: false/true for bool.
                case .max: acc = isBool ? 0 : Int64.min
                case .min: acc = isBool ? 1 : Int64.max
                case .prod: acc = 1
                default: acc = 0
                }
                for r in 0..<n {
                    let v = x[(o * n + r) * inner + i]
                    switch op {
                    case .max: acc = Swift.max(acc, v)
                    case .min: acc = Swift.min(acc, v)
                    case .prod: acc = acc &* v
                    case .l1: acc = acc &+ (v < 0 ? 0 &- v : v)
                    case .sumSquare: acc = acc &+ v &* v
                    default: acc = acc &+ v
                    }
                }
                if op == .mean { acc = n == 0 ? 0 : acc / Int64(n) } // truncates, as numpy's astype does
                y[o * inner + i] = acc
            }
        }
    }

    /// The naive reference: every input element is mapped to its output element, accumulating in
    /// Double. Tests hold the fast paths to it.
    static func reduceReference(_ x: Tensor, axes: [Int], keepdims: Bool, _ op: Reduction) -> Tensor {
        let rank = x.rank
        let red = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
        let outFull = x.shape.enumerated().map { red.contains($0.offset) ? 1 : $0.element }
        let outStrides = Shape.strides(outFull), inStrides = Shape.strides(x.shape)
        let m = outFull.reduce(1, *)
        var acc = [Double](repeating: op == .prod ? 1 : (op == .max ? -.infinity : (op == .min ? .infinity : 0)), count: m)
        var counts = [Int](repeating: 0, count: m)
        let values = x.doubleArray
        for flat in 0..<x.count {
            var o = 0
            for k in 0..<rank where !red.contains(k) { o += (flat / inStrides[k]) % x.shape[k] * outStrides[k] }
            let v = values[flat]
            switch op {
            case .sum, .mean, .logSum: acc[o] += v
            case .logSumExp: acc[o] += Foundation.exp(v)
            case .l1: acc[o] += Swift.abs(v)
            case .l2, .sumSquare: acc[o] += v * v
            case .prod: acc[o] *= v
            case .max: acc[o] = Swift.max(acc[o], v)
            case .min: acc[o] = Swift.min(acc[o], v)
            }
            counts[o] += 1
        }
        for i in 0..<m {
            switch op {
            case .mean: acc[i] /= Double(counts[i])
            case .l2: acc[i] = acc[i].squareRoot()
            case .logSum, .logSumExp: acc[i] = Foundation.log(acc[i])
            default: break
            }
        }
        let outShape = keepdims ? outFull : x.shape.enumerated().filter { !red.contains($0.offset) }.map(\.element)
        if x.dtype == .float32 { return Tensor(shape: outShape, floats: acc.map { Float($0) }) }
        return Tensor(shape: outShape, ints: acc.map { Int64($0) }, dtype: x.dtype)
    }

    // MARK: - Softmax / LogSoftmax

    /// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and each row normalised;
    /// from 13 the normalisation runs along the single axis `axis` (default -1).
    static func softmax(log: Bool) -> OpFactory {
        return { ctx in
            let x = try ctx.floatInput(0)
            let (outer, n, inner) = try softmaxLayout(ctx, shape: x.shape)
            return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
                softmaxRows(UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!, outer, n, inner, log: log)
            })
        }
    }

    static func softmaxLayout(_ ctx: OpContext, shape: [Int]) throws -> (outer: Int, n: Int, inner: Int) {
        guard !shape.isEmpty else { throw ctx.error("input must have rank ≥ 1, got a scalar") }
        if ctx.opset < 13 {
            let a = try ctx.axis(try ctx.int("axis", 1), rank: shape.count)
            return (shape[..<a].reduce(1, *), shape[a...].reduce(1, *), 1)
        }
        let a = try ctx.axis(try ctx.int("axis", -1), rank: shape.count)
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }

    /// x, y: (outer, n, inner); normalises along n, max-subtracted so exp never overflows.
    static func softmaxRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                            _ outer: Int, _ n: Int, _ inner: Int, log: Bool) {
        guard n > 0 else { return }
        if inner == 1 {
            Parallel.forEach(outer, grain: max(1, 8192 / n)) { range in
                for o in range {
                    let p = x + o * n, q = y + o * n
                    let m = maxValue(p, n)
                    for i in 0..<n { q[i] = expNonPositive(p[i] - m) }
                    let s = Float(sum(UnsafePointer(q), n))
                    if log {
                        // (x − max) − log Σ: subtracting max first keeps the small result exact
                        // when x is large (x − (max + log Σ) would lose it to rounding).
                        let l = logf(s)
                        for i in 0..<n { q[i] = (p[i] - m) - l }
                    } else {
                        let r = 1 / s
                        for i in 0..<n { q[i] *= r }
                    }
                }
            }
            return
        }
        let chunk = 1024
        let chunks = (inner + chunk - 1) / chunk
        Parallel.forEach(outer * chunks, grain: max(1, 8192 / max(n * chunk, 1))) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * chunk) { buf in
                let m = buf.baseAddress!, s = m + chunk
                for task in range {
                    let o = task / chunks, i0 = (task % chunks) * chunk
                    let w = min(chunk, inner - i0)
                    let p = x + o * n * inner + i0, q = y + o * n * inner + i0
                    for i in 0..<w { m[i] = -.infinity; s[i] = 0 }
                    for r in 0..<n { let row = p + r * inner; for i in 0..<w { m[i] = row[i] > m[i] ? row[i] : m[i] } }
                    for r in 0..<n {
                        let row = p + r * inner, out = q + r * inner
                        for i in 0..<w { let e = expNonPositive(row[i] - m[i]); out[i] = e; s[i] += e }
                    }
                    if log {
                        for i in 0..<w { s[i] = logf(s[i]) }
                        for r in 0..<n { let row = p + r * inner, out = q + r * inner; for i in 0..<w { out[i] = (row[i] - m[i]) - s[i] } }
                    } else {
                        for i in 0..<w { s[i] = 1 / s[i] }
                        for r in 0..<n { let out = q + r * inner; for i in 0..<w { out[i] *= s[i] } }
                    }
                }
            }
        }
    }

    /// The naive reference, in Double.
    static func softmaxReference(_ x: [Float], outer: Int, n: Int, inner: Int, log: Bool) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        for o in 0..<outer {
            for i in 0..<inner {
                let idx = (0..<n).map { (o * n + $0) * inner + i }
                let m = idx.map { Double(x[$0]) }.max() ?? 0
                let s = idx.reduce(0.0) { $0 + Foundation.exp(Double(x[$1]) - m) }
                for k in idx { y[k] = Float(log ? Double(x[k]) - m - Foundation.log(s) : Foundation.exp(Double(x[k]) - m) / s) }
            }
        }
        return y
    }
}

// MARK: - vectorised row primitives

/// Reductions over contiguous floats, written with explicit SIMD accumulators: the compiler may
/// not reorder floating-point additions, so a plain `s += p[i]` loop runs one add per cycle of
/// latency. Eight-lane partial sums run inside blocks of 1024 elements and each block's sum is
/// added in Double, which keeps float32 rounding from growing with the row length.
extension ReduceOps {
    @inline(__always) static func load8(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Σ f(p[i]) for an element-wise f given in lane and scalar form.
    @inline(__always)
    static func accumulate(_ p: UnsafePointer<Float>, _ n: Int,
                           _ lane: (SIMD8<Float>) -> SIMD8<Float>, _ scalar: (Float) -> Float) -> Double {
        var total = 0.0, i = 0
        while i < n {
            let end = min(i + 1024, n)
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
            while i + 16 <= end {
                a0 += lane(load8(p, i)); a1 += lane(load8(p, i + 8))
                i += 16
            }
            var s = (a0 + a1).sum()
            while i < end { s += scalar(p[i]); i += 1 }
            total += Double(s)
        }
        return total
    }

    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Double { accumulate(p, n, { $0 }, { $0 }) }
    static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Double { accumulate(p, n, { $0 * $0 }, { $0 * $0 }) }
    static func sumOfAbs(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        accumulate(p, n, { $0.replacing(with: -$0, where: $0 .< 0) }, { abs($0) })
    }
    /// Σ (p[i] − c)², the second pass of a two-pass variance.
    static func sumOfSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, from c: Float) -> Double {
        let cv = SIMD8<Float>(repeating: c)
        return accumulate(p, n, { let d = $0 - cv; return d * d }, { let d = $0 - c; return d * d })
    }

    static func maxValue(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = SIMD8<Float>(repeating: -.infinity), i = 0
        // replace(with:where:) compiles to compare-and-blend; pointwiseMax is an out-of-line call.
        while i + 8 <= n { let v = load8(p, i); m.replace(with: v, where: v .> m); i += 8 }
        var r = m.max()
        while i < n { if p[i] > r { r = p[i] }; i += 1 }
        return r
    }

    static func minValue(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = SIMD8<Float>(repeating: .infinity), i = 0
        while i + 8 <= n { let v = load8(p, i); m.replace(with: v, where: v .< m); i += 8 }
        var r = m.min()
        while i < n { if p[i] < r { r = p[i] }; i += 1 }
        return r
    }

    /// e^x for x ≤ 0 (what softmax and log-sum-exp need after subtracting the maximum), in float32
    /// without a libm call, so that loops over it vectorise: Cephes' expf (x = n·ln2 + r with
    /// |r| ≤ ln2/2, a degree-6 polynomial for e^r, 2^n written straight into the exponent bits).
    /// Relative error ≤ 1e-7 on [-87.3, 0]; below that the result is 0 (true value < 1.2e-38);
    /// NaN stays NaN. Positive x is outside its contract. Tests hold it to Foundation's exp.
    @inline(__always)
    static func expNonPositive(_ x: Float) -> Float {
        let lo: Float = -87.33654
        let c = Swift.max(x, lo) // NaN passes through
        // Round c·log2(e) to nearest with the 1.5·2^23 trick: the integer lands in the mantissa.
        let shifter: Float = 12582912
        let t = c * 1.44269504088896341 + shifter
        let n = t - shifter
        let k = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
        let r = (c - n * 0.693359375) - n * -2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let e = p * r * r + r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: (k &+ 127) &<< 23)) // 2^k, k ∈ [-126, 0]
        return x < lo ? 0 : e * scale
    }
}
