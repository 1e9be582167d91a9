import Foundation

/// Spatial operators: padding (Pad) and the pixel shuffles (DepthToSpace, SpaceToDepth).
/// Resampling (Resize, Upsample) lives in Resize.swift.
enum SpatialOps {
    static let table: [String: OpFactory] = [
        "Pad": pad,
        "DepthToSpace": depthToSpace,
        "SpaceToDepth": spaceToDepth,
    ]

    // MARK: - Pad

    enum PadMode: String, Sendable, CaseIterable { case constant, reflect, edge, wrap }

    struct PadPlan: Sendable {
        let inShape: [Int]
        let outShape: [Int]
        /// Per axis: output position → input position, or -1 where the constant goes.
        let maps: [[Int]]
        /// Along the last axis, output [midStart, midStart + midLen) copies input [midSrc, …) as is.
        let midStart: Int, midLen: Int, midSrc: Int
    }

    /// Output position → input position along one axis. Negative pads crop first; the padding is
    /// then taken from the cropped input (as onnxruntime does). Reflect and wrap repeat
    /// periodically when the pad exceeds the input (as numpy.pad does).
    static func padMap(inSize: Int, begin: Int, end: Int, mode: PadMode) -> [Int] {
        let cropStart = max(-begin, 0)
        let len = inSize - cropStart - max(-end, 0)
        let lead = max(begin, 0)
        let outSize = inSize + begin + end
        return (0..<max(outSize, 0)).map { o in
            let p = o - lead
            if p >= 0 && p < len { return cropStart + p }
            guard len > 0 else { return -1 }
            switch mode {
            case .constant: return -1
            case .edge: return cropStart + (p < 0 ? 0 : len - 1)
            case .reflect:
                guard len > 1 else { return cropStart }
                let period = 2 * (len - 1)
                var q = p % period
                if q < 0 { q += period }
                return cropStart + (q >= len ? period - q : q)
            case .wrap:
                var q = p % len
                if q < 0 { q += len }
                return cropStart + q
            }
        }
    }

    static func padSetup(_ ctx: OpContext) throws -> (PadPlan, PadMode) {
        let x = try ctx.input(0)
        let r = x.rank
        let m = try ctx.string("mode", "constant")
        guard let mode = PadMode(rawValue: m) else {
            throw ctx.error("mode '\(m)' is not supported (constant, reflect, edge, wrap)")
        }
        if mode == .wrap && ctx.opset < 19 {
            throw ctx.error("mode 'wrap' needs opset 19, but the model imports opset \(ctx.opset)")
        }
        var axes = Array(0..<r)
        let pads: [Int]
        if ctx.opset < 11 {
            let name = ctx.opset < 2 ? "paddings" : "pads"
            guard let p = try ctx.ints(name) else { throw ctx.error("attribute '\(name)' is required") }
            pads = p
        } else {
            pads = try ctx.constantInts(1)
            if ctx.opset >= 18, try ctx.presentConstant(3) != nil {
                let a = try ctx.constantInts(3)
                axes = try a.map { try ctx.axis($0, rank: r) }
                guard Set(axes).count == axes.count else { throw ctx.error("axes \(a) repeat an axis") }
            }
        }
        guard pads.count == 2 * axes.count else {
            throw ctx.error("pads has \(pads.count) value(s); \(axes.count) axis/axes need \(2 * axes.count) (begins, then ends)")
        }
        var begin = [Int](repeating: 0, count: r), end = [Int](repeating: 0, count: r)
        for (i, a) in axes.enumerated() { begin[a] = pads[i]; end[a] = pads[axes.count + i] }
        var outShape = x.shape
        for a in 0..<r {
            let (o, overflow) = x.shape[a].addingReportingOverflow(begin[a] &+ end[a])
            guard !overflow, abs(begin[a]) < 1 << 40, abs(end[a]) < 1 << 40, o >= 0 else {
                throw ctx.error("pads \(begin[a]), \(end[a]) on axis \(a) of length \(x.shape[a]) give a negative or absurd length")
            }
            outShape[a] = o
            let kept = x.shape[a] - max(-begin[a], 0) - max(-end[a], 0)
            if mode != .constant && o > 0 && kept <= 0 {
                throw ctx.error("axis \(a) has nothing left to pad from in mode '\(m)' (length \(x.shape[a]), pads \(begin[a]), \(end[a]))")
            }
        }
        _ = try ctx.checkedCount(outShape)
        let maps = (0..<r).map { padMap(inSize: x.shape[$0], begin: begin[$0], end: end[$0], mode: mode) }
        var midStart = 0, midLen = 0, midSrc = 0
        if r > 0 {
            let kept = x.shape[r - 1] - max(-begin[r - 1], 0) - max(-end[r - 1], 0)
            midStart = min(max(begin[r - 1], 0), outShape[r - 1])
            midLen = max(0, min(kept, outShape[r - 1] - midStart))
            midSrc = max(-begin[r - 1], 0)
        }
        return (PadPlan(inShape: x.shape, outShape: outShape, maps: maps, midStart: midStart, midLen: midLen, midSrc: midSrc), mode)
    }

    static let pad: OpFactory = { ctx in
        let (plan, _) = try padSetup(ctx)
        let x = try ctx.input(0)
        let isFloat = x.dtype == .float32
        let valueFromInput = ctx.opset >= 11
        let attrValue = try ctx.float("value", 0)
        if valueFromInput, let v = ctx.optionalInput(2), v.count > 1 {
            throw ctx.error("constant_value must be a scalar, got shape \(v.shape)")
        }
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: plan.outShape)], kernel: ClosureKernel { ins, outs in
            // constant_value is read per run: it may be computed at run time.
            let cv: Tensor? = valueFromInput && ins.count > 2 ? ins[2].flatMap { $0.count > 0 ? $0 : nil } : nil
            if isFloat {
                let v: Float = cv.map { $0.dtype == .float32 ? $0.floats[0] : Float($0.ints[0]) } ?? (valueFromInput ? 0 : attrValue)
                padRun(plan, UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!, v)
            } else {
                let v: Int64 = cv.map { $0.dtype == .float32 ? Int64(exactly: $0.floats[0].rounded()) ?? 0 : $0.ints[0] }
                    ?? (valueFromInput ? 0 : Int64(exactly: attrValue.rounded()) ?? 0)
                padRun(plan, UnsafePointer(ins[0]!.ints.baseAddress!), outs[0].ints.baseAddress!, v)
            }
        })
    }

    /// Row by row along the last axis: a row whose outer coordinates fall in the constant border
    /// is filled; otherwise its middle is one copy and only the borders go through the map.
    static func padRun<T>(_ p: PadPlan, _ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ value: T) {
        let r = p.outShape.count
        if r == 0 { dst[0] = src[0]; return }
        let width = p.outShape[r - 1]
        let rows = p.outShape[..<(r - 1)].reduce(1, *)
        guard width > 0, rows > 0 else { return }
        let inStrides = Shape.strides(p.inShape)
        let outShape = p.outShape, maps = p.maps
        let midStart = p.midStart, midLen = p.midLen, midSrc = p.midSrc, midEnd = p.midStart + p.midLen
        maps[r - 1].withUnsafeBufferPointer { lb in
            let last = lb.baseAddress!
            Parallel.forEach(rows, grain: max(1, 16384 / width)) { range in
                for row in range {
                    var rem = row, offset = 0, border = false
                    for a in stride(from: r - 2, through: 0, by: -1) {
                        let c = rem % outShape[a]
                        rem /= outShape[a]
                        let m = maps[a][c]
                        if m < 0 { border = true; break }
                        offset += m * inStrides[a]
                    }
                    let d = dst + row * width
                    if border { d.update(repeating: value, count: width); continue }
                    let s = src + offset
                    for o in 0..<midStart { let m = last[o]; d[o] = m < 0 ? value : s[m] }
                    (d + midStart).update(from: s + midSrc, count: midLen)
                    for o in midEnd..<width { let m = last[o]; d[o] = m < 0 ? value : s[m] }
                }
            }
        }
    }

    // MARK: - DepthToSpace / SpaceToDepth

    static func blockSetup(_ ctx: OpContext) throws -> (x: PlannedValue, block: Int, crd: Bool) {
        let x = try ctx.input(0)
        guard x.rank == 4 else { throw ctx.error("input must be 4-D (N, C, H, W), got shape \(x.shape)") }
        guard ctx.has("blocksize") else { throw ctx.error("attribute 'blocksize' is required") }
        let b = try ctx.int("blocksize", 0)
        guard b >= 1, b <= 1 << 20 else { throw ctx.error("blocksize \(b) must be a positive integer") }
        let m = try ctx.string("mode", "DCR")
        guard m == "DCR" || m == "CRD" else { throw ctx.error("mode '\(m)' is not supported (DCR, CRD)") }
        return (x, b, m == "CRD")
    }

    static let depthToSpace: OpFactory = { ctx in
        let (x, b, crd) = try blockSetup(ctx)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard c % (b * b) == 0 else { throw ctx.error("channels \(c) are not divisible by blocksize² = \(b * b)") }
        let out = [n, c / (b * b), h * b, w * b]
        _ = try ctx.checkedCount(out)
        let isFloat = x.dtype == .float32
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            if isFloat {
                depthToSpaceRun(UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!, n: n, c: c, h: h, w: w, b: b, crd: crd)
            } else {
                depthToSpaceRun(UnsafePointer(ins[0]!.ints.baseAddress!), outs[0].ints.baseAddress!, n: n, c: c, h: h, w: w, b: b, crd: crd)
            }
        })
    }

    // x: (N, C, H, W) → y: (N, C/b², H·b, W·b); y[n, c', h·b + i, w·b + j] = x[n, ch(c', i, j), h, w]
    // with ch = (i·b + j)·C/b² + c' (DCR) or c'·b² + i·b + j (CRD).
    static func depthToSpaceRun<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, n: Int, c: Int, h: Int, w: Int, b: Int, crd: Bool) {
        let oc = c / (b * b), ow = w * b
        guard ow > 0 else { return }
        Parallel.forEach(n * oc * h * b, grain: max(1, 16384 / ow)) { range in
            for row in range {
                // row = ((n·oc + c')·H + h)·b + i
                let i = row % b
                var rest = row / b
                let hh = rest % h
                rest /= h
                let cc = rest % oc, nn = rest / oc
                let d = dst + row * ow
                for j in 0..<b {
                    let ch = crd ? cc * b * b + i * b + j : (i * b + j) * oc + cc
                    let s = src + ((nn * c + ch) * h + hh) * w
                    for x in 0..<w { d[x * b + j] = s[x] }
                }
            }
        }
    }

    static let spaceToDepth: OpFactory = { ctx in
        let (x, b, crd) = try blockSetup(ctx)
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard h % b == 0, w % b == 0 else {
            throw ctx.error("height \(h) and width \(w) must be divisible by blocksize \(b)")
        }
        let out = [n, c * b * b, h / b, w / b]
        _ = try ctx.checkedCount(out)
        let isFloat = x.dtype == .float32
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            if isFloat {
                spaceToDepthRun(UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!, n: n, c: c, h: h, w: w, b: b, crd: crd)
            } else {
                spaceToDepthRun(UnsafePointer(ins[0]!.ints.baseAddress!), outs[0].ints.baseAddress!, n: n, c: c, h: h, w: w, b: b, crd: crd)
            }
        })
    }

    // x: (N, C, H, W) → y: (N, C·b², H/b, W/b); y[n, oc(c, i, j), h, w] = x[n, c, h·b + i, w·b + j]
    // with oc = (i·b + j)·C + c (DCR, the only mode in the spec) or c·b² + i·b + j (CRD).
    static func spaceToDepthRun<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, n: Int, c: Int, h: Int, w: Int, b: Int, crd: Bool) {
        let oc = c * b * b, oh = h / b, ow = w / b
        guard ow > 0 else { return }
        Parallel.forEach(n * oc * oh, grain: max(1, 16384 / ow)) { range in
            for row in range {
                let y = row % oh
                let rest = row / oh
                let o = rest % oc, nn = rest / oc
                let cc: Int, i: Int, j: Int
                if crd {
                    cc = o / (b * b); i = (o % (b * b)) / b; j = o % b
                } else {
                    let blk = o / c
                    cc = o % c; i = blk / b; j = blk % b
                }
                let s = src + ((nn * c + cc) * h + y * b + i) * w + j
                let d = dst + row * ow
                for x in 0..<ow { d[x] = s[x * b] }
            }
        }
    }
}
