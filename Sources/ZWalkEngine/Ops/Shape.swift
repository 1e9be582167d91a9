import Foundation

/// Shape and data-movement operators: views (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
/// Dropout), copies through one strided-copy core (Transpose, Slice, Expand, Tile, Concat, Split,
/// Gather), load-time constants (Shape, Size, Constant, ConstantOfShape, Range), Cast and CastLike.
///
/// Everything that decides a shape is read at load time, so shape arguments given as inputs
/// (Reshape's shape, Slice's starts/ends, …) must be constants or computed from shapes only; the
/// planner folds such shape sub-graphs by running these kernels at load time, which is why every
/// kernel here works on int64 data as well as float32.
enum ShapeOps {
    static let table: [String: OpFactory] = [
        "Reshape": reshape,
        "Flatten": flatten,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Identity": identity,
        "Dropout": dropout,
        "Transpose": transpose,
        "Concat": concat,
        "Split": split,
        "Slice": slice,
        "Gather": gather,
        "Shape": shape,
        "Size": size,
        "Constant": constant,
        "ConstantOfShape": constantOfShape,
        "Range": range,
        "Cast": cast,
        "CastLike": castLike,
        "Expand": expand,
        "Tile": tile,
    ]

    // MARK: - views

    /// Reshape(data, shape): 0 copies the input dimension (unless allowzero=1), -1 is inferred.
    /// Before opset 5 the shape is an attribute.
    static let reshape: OpFactory = { ctx in
        let x = try ctx.input(0)
        let requested: [Int]
        if ctx.opset < 5 {
            guard let s = try ctx.ints("shape") else { throw ctx.error("attribute 'shape' is required before opset 5") }
            requested = s
        } else {
            requested = try ctx.constantInts(1)
        }
        let allowZero = ctx.opset >= 14 ? try ctx.int("allowzero", 0) != 0 : false
        return .view(of: x, shape: try resolveReshape(ctx, input: x.shape, requested: requested, allowZero: allowZero))
    }

    /// The output shape of a Reshape, or an error naming what does not fit.
    static func resolveReshape(_ ctx: OpContext, input: [Int], requested: [Int], allowZero: Bool) throws -> [Int] {
        let count = try ctx.checkedCount(input)
        var out = requested
        var inferred: Int? = nil
        for (i, d) in requested.enumerated() {
            switch d {
            case 0 where !allowZero:
                guard i < input.count else {
                    throw ctx.error("shape \(requested) copies dimension \(i) (0) but the input \(input) has rank \(input.count)")
                }
                out[i] = input[i]
            case -1:
                guard inferred == nil else { throw ctx.error("shape \(requested) has more than one -1") }
                inferred = i
            case ..<0:
                throw ctx.error("shape \(requested) has the invalid dimension \(d)")
            default:
                break
            }
        }
        if allowZero && inferred != nil && requested.contains(0) {
            throw ctx.error("shape \(requested) has both 0 and -1 with allowzero=1")
        }
        if let k = inferred {
            var known = 1
            for (i, d) in out.enumerated() where i != k { known *= d }
            guard known > 0, count % known == 0 else {
                throw ctx.error("cannot reshape \(input) (\(count) elements) to \(requested)")
            }
            out[k] = count / known
        }
        guard try ctx.checkedCount(out) == count else {
            throw ctx.error("cannot reshape \(input) (\(count) elements) to \(requested) (\(out.reduce(1, *)) elements)")
        }
        return out
    }

    /// Flatten(input) → 2-D (product of dims before axis, product of dims from axis).
    static let flatten: OpFactory = { ctx in
        let x = try ctx.input(0)
        let axisAttr = try ctx.int("axis", 1)
        let axis = axisAttr < 0 ? axisAttr + x.rank : axisAttr
        guard axis >= 0, axis <= x.rank else { throw ctx.error("axis \(axisAttr) is out of range for rank \(x.rank)") }
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[axis...].reduce(1, *)
        return .view(of: x, shape: [outer, inner])
    }

    /// Squeeze(data[, axes]): axes are an attribute before opset 13, an optional input after.
    /// Without axes every dimension of size 1 goes.
    static let squeeze: OpFactory = { ctx in
        let x = try ctx.input(0)
        let axes = try axesArgument(ctx, inputSince: 13)
        guard let axes, !axes.isEmpty else { return .view(of: x, shape: x.shape.filter { $0 != 1 }) }
        var drop = Set<Int>()
        for a in axes {
            let k = try ctx.axis(a, rank: x.rank)
            guard x.shape[k] == 1 else { throw ctx.error("cannot squeeze axis \(a): its size is \(x.shape[k]), not 1 (input \(x.shape))") }
            guard drop.insert(k).inserted else { throw ctx.error("axis \(a) is listed twice in \(axes)") }
        }
        return .view(of: x, shape: x.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
    }

    /// Unsqueeze(data, axes): axes index the output (rank + number of axes).
    static let unsqueeze: OpFactory = { ctx in
        let x = try ctx.input(0)
        guard let axes = try axesArgument(ctx, inputSince: 13), !axes.isEmpty else { throw ctx.error("axes are required") }
        let outRank = x.rank + axes.count
        var ones = Set<Int>()
        for a in axes {
            let k = try ctx.axis(a, rank: outRank)
            guard ones.insert(k).inserted else { throw ctx.error("axis \(a) is listed twice in \(axes)") }
        }
        var out: [Int] = []
        var next = 0
        for k in 0..<outRank {
            if ones.contains(k) { out.append(1) } else { out.append(x.shape[next]); next += 1 }
        }
        return .view(of: x, shape: out)
    }

    /// An `axes` list that is an attribute before `inputSince` and an optional constant input 1
    /// from then on (Squeeze, Unsqueeze, the Reduce family). nil when absent.
    static func axesArgument(_ ctx: OpContext, inputSince: Int) throws -> [Int]? {
        if ctx.opset >= inputSince {
            if ctx.has("axes") {
                throw ctx.error("attribute 'axes' is not part of \(ctx.node.opType)-\(ctx.opset): from opset \(inputSince) the axes are input 1")
            }
            guard ctx.optionalInput(1) != nil else { return nil }
            return try ctx.constantInts(1)
        }
        if ctx.optionalInput(1) != nil {
            throw ctx.error("axes are an attribute before opset \(inputSince), but the node gives them as input 1")
        }
        return try ctx.ints("axes")
    }

    static let identity: OpFactory = { ctx in
        let x = try ctx.input(0)
        return .view(of: x, shape: x.shape)
    }

    /// Dropout in inference: the output is the input, the optional mask all true. Training mode
    /// with a non-zero ratio (random masks) is refused.
    static let dropout: OpFactory = { ctx in
        let x = try ctx.input(0)
        // Before opset 12 the ratio is an attribute (and opset < 7 has is_test, which exporters set
        // for inference; an inference engine runs inference either way). From 12 on, ratio and
        // training_mode are optional inputs; nil below means "a run-time value".
        var ratio: Float? = 0.5
        var training: Bool? = false
        if ctx.opset >= 12 {
            if let r = ctx.optionalInput(1) { ratio = r.constant != nil ? try ctx.constantFloats(1).first ?? 0.5 : nil }
            if let t = ctx.optionalInput(2) { training = t.constant != nil ? (try ctx.constantInts(2).first ?? 0) != 0 : nil }
        } else {
            ratio = try ctx.float("ratio", 0.5)
        }
        if training == true, let r = ratio, r != 0 {
            throw ctx.error("training_mode=1 with ratio \(r) is not supported (random dropout); export the model in eval mode")
        }
        let wantsMask = ctx.node.outputs.count > 1
        let maskDType: DType = ctx.opset >= 10 ? .bool : x.dtype
        if training == nil || (training == true && ratio == nil) {
            // The mode or the ratio is only known at run time: check then, and copy the data.
            var specs = [OutputSpec(dtype: x.dtype, shape: x.shape)]
            if wantsMask { specs.append(OutputSpec(dtype: maskDType, shape: x.shape)) }
            return KernelPlan(outputs: specs, kernel: ClosureKernel { ins, outs in
                func first(_ t: Tensor?) -> Double? {
                    guard let t, t.count > 0 else { return nil }
                    return t.dtype == .float32 ? Double(t.floats[0]) : Double(t.ints[0])
                }
                let mode = (ins.count > 2 ? first(ins[2]) : nil).map { $0 != 0 } ?? false
                let r = (ins.count > 1 ? first(ins[1]) : nil) ?? 0.5
                if mode && r != 0 {
                    throw ctx.error("training_mode=1 with ratio \(r) is not supported (random dropout); export the model in eval mode")
                }
                outs[0].assign(from: ins[0]!)
                if outs.count > 1 { fillOnes(outs[1]) }
            })
        }
        var plan = KernelPlan.view(of: x, shape: x.shape)
        if wantsMask {
            let mask = Tensor(dtype: maskDType, shape: x.shape)
            fillOnes(mask)
            plan.outputs.append(.constant(mask))
        }
        return plan
    }

    /// Sets every element to 1 (true for bool).
    static func fillOnes(_ t: Tensor) {
        if t.dtype == .float32 { t.floats.update(repeating: 1) } else { t.ints.update(repeating: 1) }
    }

    // MARK: - strided copies

    /// A copy from a strided view of a source (any strides: 0 broadcasts, negative reverses) into a
    /// dense destination, planned once. Dimensions of size 1 are dropped and neighbours whose
    /// strides chain are merged, so that e.g. a channel slice of (N, C, H, W) copies runs of H·W.
    struct StridedCopy: Sendable {
        /// Merged destination dimensions, outermost first (never empty).
        let dims: [Int]
        /// Source element strides per merged dimension.
        let strides: [Int]
        /// Source element offset of destination element 0.
        let offset: Int
        let count: Int

        init(dims: [Int], strides: [Int], offset: Int = 0) {
            var d: [Int] = [], s: [Int] = []
            for (n, st) in zip(dims, strides) where n != 1 {
                if let last = s.last, last == st * n {
                    d[d.count - 1] *= n
                    s[s.count - 1] = st
                } else {
                    d.append(n); s.append(st)
                }
            }
            self.dims = d.isEmpty ? [1] : d
            self.strides = s.isEmpty ? [0] : s
            self.offset = offset
            self.count = dims.reduce(1, *)
        }

        func run<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
            guard count > 0 else { return }
            let r = dims.count, inner = dims[r - 1], innerStride = strides[r - 1]
            let outer = count / inner
            let dims = self.dims, strides = self.strides, offset = self.offset
            Parallel.forEach(outer, grain: max(1, 32768 / inner)) { range in
                // Position of the first run of this chunk, then an odometer over the outer dims.
                var idx = [Int](repeating: 0, count: r)
                var off = offset
                var rem = range.lowerBound
                for d in stride(from: r - 2, through: 0, by: -1) {
                    idx[d] = rem % dims[d]; rem /= dims[d]
                    off += idx[d] * strides[d]
                }
                for run in range {
                    let o = dst + run * inner, p = src + off
                    if innerStride == 1 { o.update(from: p, count: inner) }
                    else if innerStride == 0 { o.update(repeating: p[0], count: inner) }
                    else { for i in 0..<inner { o[i] = p[i * innerStride] } }
                    var d = r - 2
                    while d >= 0 {
                        idx[d] += 1; off += strides[d]
                        if idx[d] < dims[d] { break }
                        off -= strides[d] * dims[d]; idx[d] = 0
                        d -= 1
                    }
                }
            }
        }

        /// Runs on tensors of either storage type.
        func run(_ x: Tensor, _ y: Tensor) {
            if x.dtype == .float32 { run(UnsafePointer(x.floats.baseAddress!), y.floats.baseAddress!) }
            else { run(UnsafePointer(x.ints.baseAddress!), y.ints.baseAddress!) }
        }
    }

    // MARK: - Transpose

    /// A planned permutation copy. When the innermost output axis is contiguous in the input it is
    /// a strided copy of runs; otherwise a 2-D tiled transpose between the output's last axis and
    /// the axis that is contiguous in the input, batched over the remaining axes (NCHW↔NHWC and
    /// (B, C, HW)→(B, HW, C) land here), so both reads and writes stay within cache lines.
    struct Transposer: Sendable {
        enum Mode: Sendable {
            case copy(StridedCopy)
            /// rows: output axis j (source stride 1, dest stride rowStride); cols: last output axis
            /// (dest stride 1, source stride colStride); outer axes with source/dest strides.
            case tiled(rows: Int, rowStride: Int, cols: Int, colStride: Int,
                       outerDims: [Int], outerSrc: [Int], outerDst: [Int])
        }
        let mode: Mode
        static let tile = 64

        /// nil when the permutation keeps memory order (only size-1 axes move): a view suffices.
        init?(shape: [Int], perm: [Int]) {
            // Drop size-1 axes and renumber the remaining ones.
            let kept = (0..<shape.count).filter { shape[$0] != 1 }
            var newIndex = [Int](repeating: -1, count: shape.count)
            for (i, a) in kept.enumerated() { newIndex[a] = i }
            let p = perm.filter { shape[$0] != 1 }.map { newIndex[$0] }
            if p == Array(0..<p.count) { return nil }
            // Merge runs of output axes that are consecutive input axes.
            var groups: [[Int]] = [] // input axes per merged output axis
            for a in p {
                if let last = groups.last?.last, last + 1 == a { groups[groups.count - 1].append(a) } else { groups.append([a]) }
            }
            let inOrder = groups.indices.sorted { groups[$0][0] < groups[$1][0] } // merged input axes in input order
            var rankInInput = [Int](repeating: 0, count: groups.count)
            for (r, g) in inOrder.enumerated() { rankInInput[g] = r }
            let mergedIn = inOrder.map { groups[$0].map { kept[$0] }.reduce(1) { $0 * shape[$1] } }
            let inStrides = Shape.strides(mergedIn)
            let outDims = groups.map { g in g.map { kept[$0] }.reduce(1) { $0 * shape[$1] } }
            let src = groups.indices.map { inStrides[rankInInput[$0]] }
            let q = outDims.count
            if src[q - 1] == 1 {
                mode = .copy(StridedCopy(dims: outDims, strides: src))
                return
            }
            // The input's last merged axis (stride 1) is some output axis; the guard only keeps
            // the code free of force-unwraps.
            guard let j = src.firstIndex(of: 1) else {
                mode = .copy(StridedCopy(dims: outDims, strides: src))
                return
            }
            let dst = Shape.strides(outDims)
            let outer = (0..<q).filter { $0 != j && $0 != q - 1 }
            mode = .tiled(rows: outDims[j], rowStride: dst[j], cols: outDims[q - 1], colStride: src[q - 1],
                          outerDims: outer.map { outDims[$0] }, outerSrc: outer.map { src[$0] },
                          outerDst: outer.map { dst[$0] })
        }

        func run<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
            switch mode {
            case .copy(let c):
                c.run(src, dst)
            case let .tiled(rows, rowStride, cols, colStride, outerDims, outerSrc, outerDst):
                let b = Transposer.tile
                let rowBlocks = (rows + b - 1) / b
                let outerCount = outerDims.reduce(1, *)
                guard rows > 0, cols > 0, outerCount > 0 else { return }
                Parallel.forEach(outerCount * rowBlocks, grain: max(1, 16384 / (b * cols))) { range in
                    for task in range {
                        var o = task / rowBlocks
                        let rb = (task % rowBlocks) * b
                        var sBase = 0, dBase = 0
                        for d in stride(from: outerDims.count - 1, through: 0, by: -1) {
                            let i = o % outerDims[d]; o /= outerDims[d]
                            sBase += i * outerSrc[d]; dBase += i * outerDst[d]
                        }
                        let rEnd = min(rb + b, rows)
                        var cb = 0
                        while cb < cols {
                            let cEnd = min(cb + b, cols)
                            if T.self == Float.self {
                                Transposer.blockFloat(UnsafeRawPointer(src + sBase).assumingMemoryBound(to: Float.self),
                                                      UnsafeMutableRawPointer(dst + dBase).assumingMemoryBound(to: Float.self),
                                                      rows: rb..<rEnd, cols: cb..<cEnd, rowStride: rowStride, colStride: colStride)
                            } else {
                                Transposer.block(src + sBase, dst + dBase, rows: rb..<rEnd, cols: cb..<cEnd,
                                                 rowStride: rowStride, colStride: colStride)
                            }
                            cb = cEnd
                        }
                    }
                }
            }
        }

        /// One float tile in 4×4 register blocks: four 16-byte loads along the source's contiguous
        /// axis, four 16-byte stores along the destination's (twice the speed of the element loop
        /// below on (8, 512, 1024) → (8, 1024, 512)). Edges fall back to single elements.
        @inline(__always)
        static func blockFloat(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Range<Int>, cols: Range<Int>,
                               rowStride: Int, colStride: Int) {
            @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD4<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self) }
            @inline(__always) func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
                UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
            }
            var r = rows.lowerBound
            while r + 4 <= rows.upperBound {
                var c = cols.lowerBound
                while c + 4 <= cols.upperBound {
                    let s = src + r + c * colStride
                    let a = load(s), b = load(s + colStride), e = load(s + 2 * colStride), f = load(s + 3 * colStride)
                    let d = dst + r * rowStride + c
                    store(SIMD4(a[0], b[0], e[0], f[0]), d)
                    store(SIMD4(a[1], b[1], e[1], f[1]), d + rowStride)
                    store(SIMD4(a[2], b[2], e[2], f[2]), d + 2 * rowStride)
                    store(SIMD4(a[3], b[3], e[3], f[3]), d + 3 * rowStride)
                    c += 4
                }
                for cc in c..<cols.upperBound {
                    for rr in r..<(r + 4) { dst[rr * rowStride + cc] = src[rr + cc * colStride] }
                }
                r += 4
            }
            for rr in r..<rows.upperBound {
                for c in cols { dst[rr * rowStride + c] = src[rr + c * colStride] }
            }
        }

        /// One tile: dst[r·rowStride + c] = src[r + c·colStride]. Walked in 8×8 blocks, which read
        /// 8 source lines and write 8 destination lines: with power-of-two strides (a 4 KiB row
        /// pitch is common) a whole 32-wide column would map every line to the same L1 set.
        @inline(__always)
        static func block<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, rows: Range<Int>, cols: Range<Int>,
                             rowStride: Int, colStride: Int) {
            var r = rows.lowerBound
            while r + 8 <= rows.upperBound {
                var c = cols.lowerBound
                while c + 8 <= cols.upperBound {
                    for cc in 0..<8 {
                        let s = src + r + (c + cc) * colStride
                        let d = dst + r * rowStride + c + cc
                        for rr in 0..<8 { d[rr * rowStride] = s[rr] }
                    }
                    c += 8
                }
                for cc in c..<cols.upperBound {
                    let s = src + r + cc * colStride, d = dst + r * rowStride + cc
                    for rr in 0..<8 { d[rr * rowStride] = s[rr] }
                }
                r += 8
            }
            for rr in r..<rows.upperBound {
                let s = src + rr, d = dst + rr * rowStride
                for c in cols { d[c] = s[c * colStride] }
            }
        }
    }

    /// Transpose(data): perm defaults to reversing the axes.
    static let transpose: OpFactory = { ctx in
        let x = try ctx.input(0)
        let perm = try ctx.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
            throw ctx.error("perm \(perm) is not a permutation of the \(x.rank) axes of \(x.shape)")
        }
        let out = perm.map { x.shape[$0] }
        guard let t = Transposer(shape: x.shape, perm: perm) else { return .view(of: x, shape: out) }
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            let a = ins[0]!, y = outs[0]
            if a.dtype == .float32 { t.run(UnsafePointer(a.floats.baseAddress!), y.floats.baseAddress!) }
            else { t.run(UnsafePointer(a.ints.baseAddress!), y.ints.baseAddress!) }
        })
    }

    /// The naive reference for Transpose: one index computation per element.
    static func transposeReference(_ x: Tensor, perm: [Int]) -> Tensor {
        let out = perm.map { x.shape[$0] }
        let y = Tensor(dtype: x.dtype, shape: out)
        let inStrides = Shape.strides(x.shape), outStrides = Shape.strides(out)
        for flat in 0..<y.count {
            var src = 0
            for k in 0..<out.count { src += (flat / outStrides[k]) % out[k] * inStrides[perm[k]] }
            if x.dtype == .float32 { y.floats[flat] = x.floats[src] } else { y.ints[flat] = x.ints[src] }
        }
        return y
    }

    // MARK: - Concat / Split

    /// Concat(inputs…): every input has the same rank and dims except along `axis`.
    static let concat: OpFactory = { ctx in
        let ins = try (0..<ctx.inputCount).map { try ctx.input($0) }
        guard let first = ins.first else { throw ctx.error("needs at least one input") }
        guard ctx.has("axis") || ctx.opset < 4 else { throw ctx.error("attribute 'axis' is required") }
        let axis = try ctx.axis(try ctx.int("axis", 1), rank: first.rank)
        var out = first.shape
        out[axis] = 0
        for (k, v) in ins.enumerated() {
            guard v.dtype == first.dtype else { throw ctx.error("input \(k) is \(v.dtype) but input 0 is \(first.dtype)") }
            guard v.rank == first.rank, v.shape.indices.allSatisfy({ $0 == axis || v.shape[$0] == first.shape[$0] }) else {
                throw ctx.error("input \(k) has shape \(v.shape), which does not match \(first.shape) outside axis \(axis)")
            }
            out[axis] += v.shape[axis]
        }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        let blocks = ins.map { $0.shape[axis] * inner }
        let outBlock = out[axis] * inner
        return KernelPlan(outputs: [OutputSpec(dtype: first.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            func go<T>(_ src: [UnsafePointer<T>], _ dst: UnsafeMutablePointer<T>) {
                Parallel.forEach(outer, grain: max(1, 65536 / max(outBlock, 1))) { r in
                    for o in r {
                        var at = o * outBlock
                        for (k, p) in src.enumerated() {
                            (dst + at).update(from: p + o * blocks[k], count: blocks[k])
                            at += blocks[k]
                        }
                    }
                }
            }
            if outs[0].dtype == .float32 { go(ins.map { UnsafePointer($0!.floats.baseAddress!) }, outs[0].floats.baseAddress!) }
            else { go(ins.map { UnsafePointer($0!.ints.baseAddress!) }, outs[0].ints.baseAddress!) }
        })
    }

    /// Split(input[, split]): sizes are an attribute before opset 13, an optional input after;
    /// opset 18 adds num_outputs (equal parts, the last one smaller when uneven).
    static let split: OpFactory = { ctx in
        let x = try ctx.input(0)
        let axis = try ctx.axis(try ctx.int("axis", 0), rank: x.rank)
        let d = x.shape[axis]
        let n = ctx.node.outputs.count
        var sizes: [Int]?
        if ctx.opset >= 13 {
            if ctx.has("split") { throw ctx.error("attribute 'split' is not part of Split-\(ctx.opset): from opset 13 the sizes are input 1") }
            if ctx.optionalInput(1) != nil { sizes = try ctx.constantInts(1) }
        } else {
            sizes = try ctx.ints("split")
        }
        let numOutputs = ctx.opset >= 18 ? try ctx.int("num_outputs", 0) : 0
        if sizes != nil && numOutputs > 0 { throw ctx.error("give either the split sizes or num_outputs, not both") }
        if numOutputs > 0 && numOutputs != n { throw ctx.error("num_outputs is \(numOutputs) but the node has \(n) outputs") }
        if sizes == nil || sizes!.isEmpty {
            guard n > 0 else { throw ctx.error("has no outputs") }
            if d % n == 0 {
                sizes = [Int](repeating: d / n, count: n)
            } else if numOutputs > 0 {
                // ceil(d/n) per part, the remainder in the last one.
                let part = d / n + 1
                guard part * (n - 1) <= d else { throw ctx.error("cannot split \(d) into \(n) parts of \(part)") }
                sizes = [Int](repeating: part, count: n - 1) + [d - part * (n - 1)]
            } else {
                throw ctx.error("cannot split axis \(axis) of size \(d) into \(n) equal parts")
            }
        }
        let parts = sizes!
        guard parts.count == n else { throw ctx.error("split has \(parts.count) sizes but the node has \(n) outputs") }
        guard parts.allSatisfy({ $0 >= 0 }), parts.reduce(0, +) == d else {
            throw ctx.error("split sizes \(parts) do not add up to the size \(d) of axis \(axis)")
        }
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let inBlock = d * inner
        let outShapes = parts.map { p -> [Int] in var s = x.shape; s[axis] = p; return s }
        return KernelPlan(outputs: outShapes.map { OutputSpec(dtype: x.dtype, shape: $0) }, kernel: ClosureKernel { ins, outs in
            func go<T>(_ src: UnsafePointer<T>, _ dst: [UnsafeMutablePointer<T>]) {
                var start = 0
                for (k, p) in dst.enumerated() {
                    let block = parts[k] * inner
                    for o in 0..<outer { (p + o * block).update(from: src + o * inBlock + start, count: block) }
                    start += block
                }
            }
            if ins[0]!.dtype == .float32 { go(UnsafePointer(ins[0]!.floats.baseAddress!), outs.map { $0.floats.baseAddress! }) }
            else { go(UnsafePointer(ins[0]!.ints.baseAddress!), outs.map { $0.ints.baseAddress! }) }
        })
    }

    // MARK: - Slice

    /// Slice(data, starts, ends[, axes[, steps]]): attributes before opset 10. Negative starts/ends
    /// count from the end; values are clamped as ONNX specifies (so INT64_MAX means "to the end").
    static let slice: OpFactory = { ctx in
        let x = try ctx.input(0)
        let starts: [Int], ends: [Int], axesArg: [Int]?, steps: [Int]?
        if ctx.opset < 10 {
            guard let s = try ctx.ints("starts"), let e = try ctx.ints("ends") else {
                throw ctx.error("attributes 'starts' and 'ends' are required before opset 10")
            }
            starts = s; ends = e; axesArg = try ctx.ints("axes"); steps = nil
        } else {
            starts = try ctx.constantInts(1); ends = try ctx.constantInts(2)
            axesArg = ctx.optionalInput(3) != nil ? try ctx.constantInts(3) : nil
            steps = ctx.optionalInput(4) != nil ? try ctx.constantInts(4) : nil
        }
        let axes = axesArg ?? Array(0..<starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps == nil || steps!.count == starts.count else {
            throw ctx.error("starts (\(starts.count)), ends (\(ends.count)), axes (\(axes.count)) and steps (\(steps?.count ?? starts.count)) must have the same length")
        }
        let ranges = try sliceRanges(ctx, shape: x.shape, starts: starts, ends: ends, axes: axes, steps: steps)
        let out = ranges.map(\.count)
        if out == x.shape && ranges.allSatisfy({ $0.step == 1 }) { return .view(of: x, shape: out) }
        let inStrides = Shape.strides(x.shape)
        let copy = StridedCopy(dims: out, strides: ranges.indices.map { ranges[$0].step * inStrides[$0] },
                               offset: ranges.indices.reduce(0) { $0 + ranges[$1].start * inStrides[$1] })
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            copy.run(ins[0]!, outs[0])
        })
    }

    /// Per input axis: first index, step and element count of a Slice, after ONNX's clamping.
    static func sliceRanges(_ ctx: OpContext, shape: [Int], starts: [Int], ends: [Int], axes: [Int],
                            steps: [Int]?) throws -> [(start: Int, step: Int, count: Int)] {
        var r = shape.map { (start: 0, step: 1, count: $0) }
        var seen = Set<Int>()
        for i in axes.indices {
            let a = try ctx.axis(axes[i], rank: shape.count)
            guard seen.insert(a).inserted else { throw ctx.error("axis \(axes[i]) is sliced twice") }
            let dim = shape[a], step = steps?[i] ?? 1
            guard step != 0 else { throw ctx.error("step 0 on axis \(axes[i])") }
            var s = starts[i], e = ends[i]
            if s < 0 { s = s &+ dim }
            if e < 0 { e = e &+ dim }
            // Counted as 1 + (span − 1) / |step| with span ≤ dim + 1, never touching step's own
            // extremes: steps of ±2⁶³ are legal ONNX and used to overflow (e − s + step − 1, −step).
            let count: Int
            if step > 0 {
                s = min(max(s, 0), dim); e = min(max(e, 0), dim)
                count = e > s ? 1 + (e - s - 1) / step : 0
            } else {
                s = min(max(s, 0), dim - 1); e = min(max(e, -1), dim - 1)
                count = s > e ? 1 + (s - e - 1) / (step == Int.min ? Int.max : -step) : 0
            }
            // One element or none: the step is never taken, so it is 1 (a huge step times a
            // stride would overflow in the copy's plan). With two or more, |step| < dim.
            r[a] = (start: count > 0 ? s : 0, step: count > 1 ? step : 1, count: count)
        }
        return r
    }

    // MARK: - Gather

    /// Gather(data, indices): output = data.shape[..<axis] + indices.shape + data.shape[axis+1...].
    /// Indices may be run-time data; negative ones count from the end; out-of-range ones are errors.
    static let gather: OpFactory = { ctx in
        let x = try ctx.input(0), ind = try ctx.input(1)
        guard ind.dtype != .float32 else { throw ctx.error("indices must be integers, got \(ind.dtype)") }
        guard x.rank >= 1 else { throw ctx.error("data must have rank ≥ 1, got a scalar") }
        let axis = try ctx.axis(try ctx.int("axis", 0), rank: x.rank)
        let dim = x.shape[axis]
        if let c = ind.constant, let bad = c.ints.first(where: { $0 < -Int64(dim) || $0 >= Int64(dim) }) {
            throw ctx.error("index \(bad) is out of range for axis \(axis) of size \(dim)")
        }
        let out = Array(x.shape[..<axis]) + ind.shape + Array(x.shape[(axis + 1)...])
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            let idx = ins[1]!.ints
            var resolved = [Int](repeating: 0, count: idx.count)
            for i in 0..<idx.count {
                let v = Int(idx[i])
                guard v >= -dim, v < dim else { throw ctx.error("index \(v) is out of range for axis \(axis) of size \(dim)") }
                resolved[i] = v < 0 ? v + dim : v
            }
            func go<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>) {
                let n = resolved.count
                Parallel.forEach(outer * n, grain: max(1, 32768 / max(inner, 1))) { r in
                    for t in r {
                        let o = t / n, i = t % n
                        (dst + t * inner).update(from: src + (o * dim + resolved[i]) * inner, count: inner)
                    }
                }
            }
            if ins[0]!.dtype == .float32 { go(UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!) }
            else { go(UnsafePointer(ins[0]!.ints.baseAddress!), outs[0].ints.baseAddress!) }
        })
    }

    // MARK: - load-time constants

    /// Shape(data) as a 1-D int64 constant; start/end (opset 15) select a clamped range of axes.
    static let shape: OpFactory = { ctx in
        let x = try ctx.input(0)
        var start = 0, end = x.rank
        if ctx.opset >= 15 {
            start = try ctx.int("start", 0)
            end = ctx.has("end") ? try ctx.int("end", x.rank) : x.rank
            if start < 0 { start += x.rank }
            if end < 0 { end += x.rank }
            start = min(max(start, 0), x.rank); end = min(max(end, 0), x.rank)
        }
        let dims = start < end ? x.shape[start..<end].map { Int64($0) } : []
        return .constants([Tensor(shape: [dims.count], ints: dims)])
    }

    /// Size(data) as an int64 scalar constant.
    static let size: OpFactory = { ctx in
        .constants([Tensor.scalar(int: Int64(try ctx.input(0).count))])
    }

    /// Constant: exactly one of value, value_float(s), value_int(s); strings and sparse tensors are refused.
    static let constant: OpFactory = { ctx in
        for unsupported in ["sparse_value", "value_string", "value_strings"] where ctx.has(unsupported) {
            throw ctx.error("attribute '\(unsupported)' is not supported")
        }
        let given = ["value", "value_float", "value_floats", "value_int", "value_ints"].filter(ctx.has)
        guard given.count == 1 else {
            throw ctx.error(given.isEmpty ? "no value attribute (value, value_float(s), value_int(s))" : "more than one value attribute: \(given.joined(separator: ", "))")
        }
        let t: Tensor
        switch given[0] {
        case "value": t = try ctx.tensor("value")!
        case "value_float": t = Tensor.scalar(try ctx.float("value_float", 0))
        case "value_floats": let v = try ctx.floats("value_floats")!; t = Tensor(shape: [v.count], floats: v)
        case "value_int": t = Tensor.scalar(int: Int64(try ctx.int("value_int", 0)))
        default: let v = try ctx.ints("value_ints")!; t = Tensor(shape: [v.count], ints: v.map(Int64.init))
        }
        return .constants([t])
    }

    /// ConstantOfShape(shape): a tensor of `shape` filled with the one-element `value` (float 0 by default).
    static let constantOfShape: OpFactory = { ctx in
        let dims = try ctx.constantInts(0)
        guard dims.allSatisfy({ $0 >= 0 }) else { throw ctx.error("shape \(dims) has a negative dimension") }
        _ = try ctx.checkedCount(dims)
        let value = try ctx.tensor("value") ?? Tensor(shape: [1], floats: [0])
        guard value.count == 1 else { throw ctx.error("attribute 'value' must hold one element, it has \(value.count)") }
        let t = Tensor(dtype: value.dtype, shape: dims)
        if value.dtype == .float32 { t.floats.update(repeating: value.floats[0]) } else { t.ints.update(repeating: value.ints[0]) }
        return .constants([t])
    }

    /// Range(start, limit, delta): the count depends on the values, so all three must be constants.
    static let range: OpFactory = { ctx in
        let s = try ctx.input(0), l = try ctx.input(1), d = try ctx.input(2)
        guard s.dtype == l.dtype, l.dtype == d.dtype else { throw ctx.error("start, limit and delta must have one type") }
        for (i, v) in [s, l, d].enumerated() where v.count != 1 {
            throw ctx.error("input \(i) must be a scalar, it has shape \(v.shape)")
        }
        if s.dtype == .float32 {
            let start = Double(try ctx.constantFloats(0)[0]), limit = Double(try ctx.constantFloats(1)[0]), delta = Double(try ctx.constantFloats(2)[0])
            guard delta != 0, delta.isFinite, start.isFinite, limit.isFinite else { throw ctx.error("delta must be non-zero and every value finite") }
            let n = max(Int(((limit - start) / delta).rounded(.up)), 0)
            _ = try ctx.checkedCount([n])
            return .constants([Tensor(shape: [n], floats: (0..<n).map { Float(start + Double($0) * delta) })])
        }
        let start = Int64(try ctx.constantInts(0)[0]), limit = Int64(try ctx.constantInts(1)[0]), delta = Int64(try ctx.constantInts(2)[0])
        guard delta != 0 else { throw ctx.error("delta must be non-zero") }
        // ceil((limit - start) / delta) in integers, 0 when the range is empty; overflow-checked.
        let span = limit.subtractingReportingOverflow(start)
        let q = span.partialValue.dividedReportingOverflow(by: delta)
        guard !span.overflow, !q.overflow else { throw ctx.error("range from \(start) to \(limit) by \(delta) overflows") }
        let sameSign = (span.partialValue > 0 && delta > 0) || (span.partialValue < 0 && delta < 0)
        let n = sameSign ? Int(q.partialValue) + (span.partialValue % delta != 0 ? 1 : 0) : 0
        _ = try ctx.checkedCount([n])
        return .constants([Tensor(shape: [n], ints: (0..<Int64(n)).map { start &+ $0 &* delta })])
    }

    // MARK: - Cast

    /// What a Cast target becomes in the engine's three storage types.
    enum CastTarget: Equatable {
        case float                      // float32, and double computed in float32
        case half, bfloat               // rounded to that precision, stored as float32
        case integer(bits: Int, signed: Bool)
        case bool
    }

    static func castTarget(_ ctx: OpContext, _ code: Int) throws -> CastTarget {
        switch code {
        case 1, 11: return .float
        case 10: return .half
        case 16: return .bfloat
        case 2: return .integer(bits: 8, signed: false)
        case 3: return .integer(bits: 8, signed: true)
        case 4: return .integer(bits: 16, signed: false)
        case 5: return .integer(bits: 16, signed: true)
        case 6: return .integer(bits: 32, signed: true)
        case 7, 13: return .integer(bits: 64, signed: true) // uint64 keeps its bit pattern in int64 storage
        case 12: return .integer(bits: 32, signed: false)
        case 9: return .bool
        case 8: throw ctx.error("to=STRING (8) is not supported")
        case 14, 15: throw ctx.error("to=COMPLEX (\(code)) is not supported")
        case 17...20: throw ctx.error("to=FLOAT8 (\(code)) is not supported")
        case 21...26: throw ctx.error("to=\(code) (4-bit/8-bit packed types) is not supported")
        default: throw ctx.error("to=\(code) is not a known ONNX data type (not supported)")
        }
    }

    /// Wraps an integer to `bits` bits, as a C cast to the narrower type does.
    @inline(__always) static func wrap(_ v: Int64, bits: Int, signed: Bool) -> Int64 {
        switch (bits, signed) {
        case (8, true): return Int64(Int8(truncatingIfNeeded: v))
        case (8, false): return Int64(UInt8(truncatingIfNeeded: v))
        case (16, true): return Int64(Int16(truncatingIfNeeded: v))
        case (16, false): return Int64(UInt16(truncatingIfNeeded: v))
        case (32, true): return Int64(Int32(truncatingIfNeeded: v))
        case (32, false): return Int64(UInt32(truncatingIfNeeded: v))
        default: return v
        }
    }

    /// Float → integer: truncation toward zero, saturated to the int64 range (NaN → 0) so that no
    /// value can trap, then wrapped to the target width.
    @inline(__always) static func truncate(_ x: Float) -> Int64 {
        if x.isNaN { return 0 }
        if x >= 9.2233715e18 { return Int64.max }
        if x <= -9.2233715e18 { return Int64.min }
        return Int64(x)
    }

    @inline(__always) static func roundToBFloat16(_ x: Float) -> Float {
        if x.isNaN { return x }
        let b = x.bitPattern
        let rounded = (b &+ 0x7FFF &+ ((b >> 16) & 1)) & 0xFFFF_0000 // round to nearest even
        return Float(bitPattern: rounded)
    }

    @inline(__always) static func roundToHalf(_ x: Float) -> Float { Float(Float16(x)) }

    /// Cast(input, to): to float32 (double and float16/bfloat16 stay float32, the latter two rounded
    /// to their precision), to any integer type (int64 storage, wrapped to the width), to bool.
    static let cast: OpFactory = { ctx in
        let x = try ctx.input(0)
        guard ctx.has("to") else { throw ctx.error("attribute 'to' is required") }
        return castPlan(x, to: try castTarget(ctx, try ctx.int("to", 1)))
    }

    /// CastLike(input, target_type): Cast to target_type's element type. The engine only knows the
    /// storage type of the target (float16 and int32 targets were widened on import), so the
    /// result is float32, int64 or bool without narrower rounding or wrapping.
    static let castLike: OpFactory = { ctx in
        let x = try ctx.input(0), like = try ctx.input(1)
        switch like.dtype {
        case .float32: return castPlan(x, to: .float)
        case .int64: return castPlan(x, to: .integer(bits: 64, signed: true))
        case .bool: return castPlan(x, to: .bool)
        }
    }

    static func castPlan(_ x: PlannedValue, to target: CastTarget) -> KernelPlan {
        let outType: DType
        switch target {
        case .float, .half, .bfloat: outType = .float32
        case .integer: outType = .int64
        case .bool: outType = .bool
        }
        // Lossless same-storage casts are views.
        if x.dtype == outType, target == .float || target == .integer(bits: 64, signed: true) || target == .bool {
            return .view(of: x, shape: x.shape)
        }
        let n = x.count
        let kernel = ClosureKernel { ins, outs in
            let a = ins[0]!, y = outs[0]
            switch (a.dtype == .float32, target) {
            case (true, .float):
                _ = y.floats.update(fromContentsOf: a.floats)
            case (true, .half):
                let p = a.floats, q = y.floats
                for i in 0..<n { q[i] = roundToHalf(p[i]) }
            case (true, .bfloat):
                let p = a.floats, q = y.floats
                for i in 0..<n { q[i] = roundToBFloat16(p[i]) }
            case let (true, .integer(bits, signed)):
                let p = a.floats, q = y.ints
                for i in 0..<n { q[i] = wrap(truncate(p[i]), bits: bits, signed: signed) }
            case (true, .bool):
                let p = a.floats, q = y.ints
                for i in 0..<n { q[i] = p[i] != 0 ? 1 : 0 }
            case (false, .float):
                let p = a.ints, q = y.floats
                for i in 0..<n { q[i] = Float(p[i]) }
            case (false, .half):
                let p = a.ints, q = y.floats
                for i in 0..<n { q[i] = roundToHalf(Float(p[i])) }
            case (false, .bfloat):
                let p = a.ints, q = y.floats
                for i in 0..<n { q[i] = roundToBFloat16(Float(p[i])) }
            case let (false, .integer(bits, signed)):
                let p = a.ints, q = y.ints
                for i in 0..<n { q[i] = wrap(p[i], bits: bits, signed: signed) }
            case (false, .bool):
                let p = a.ints, q = y.ints
                for i in 0..<n { q[i] = p[i] != 0 ? 1 : 0 }
            }
        }
        return KernelPlan(outputs: [OutputSpec(dtype: outType, shape: x.shape)], kernel: kernel)
    }

    // MARK: - Expand / Tile

    /// Expand(input, shape): bidirectional broadcast of the input against `shape`.
    static let expand: OpFactory = { ctx in
        let x = try ctx.input(0)
        let target = try ctx.constantInts(1)
        let out: [Int]
        do { out = try Shape.broadcast(x.shape, target) } catch let e as EngineError { throw ctx.error(e.description) }
        _ = try ctx.checkedCount(out)
        if out == x.shape { return .view(of: x, shape: out) }
        let padded = [Int](repeating: 1, count: out.count - x.rank) + x.shape
        let st = Shape.strides(padded)
        let copy = StridedCopy(dims: out, strides: out.indices.map { padded[$0] == 1 ? 0 : st[$0] })
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            copy.run(ins[0]!, outs[0])
        })
    }

    /// Tile(input, repeats): each axis k repeated repeats[k] times. A strided copy over the
    /// interleaved dims (r0, d0, r1, d1, …) with stride 0 on every repeat axis.
    static let tile: OpFactory = { ctx in
        let x = try ctx.input(0)
        let repeats = try ctx.constantInts(1)
        guard repeats.count == x.rank else { throw ctx.error("repeats has \(repeats.count) values for an input of rank \(x.rank)") }
        guard repeats.allSatisfy({ $0 >= 0 }) else { throw ctx.error("repeats \(repeats) has a negative value") }
        let out = zip(x.shape, repeats).map { $0 * $1 }
        _ = try ctx.checkedCount(out)
        let st = Shape.strides(x.shape)
        var dims: [Int] = [], strides: [Int] = []
        for k in 0..<x.rank {
            dims += [repeats[k], x.shape[k]]
            strides += [0, st[k]]
        }
        let copy = StridedCopy(dims: dims, strides: strides)
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            copy.run(ins[0]!, outs[0])
        })
    }
}
