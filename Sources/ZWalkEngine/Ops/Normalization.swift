import Foundation

/// Normalisation layers in inference form: BatchNormalization (running statistics folded into a
/// per-channel y = x·a + b, at load time when they are constants), InstanceNormalization,
/// GroupNormalization (opset 18 per-group and opset 21 per-channel affine) and LayerNormalization.
/// Statistics are accumulated in Double, two-pass (mean, then squared deviations), as ONNX's
/// reference implementations compute them.
enum NormalizationOps {
    static let table: [String: OpFactory] = [
        "BatchNormalization": batchNormalization,
        "InstanceNormalization": instanceNormalization,
        "GroupNormalization": groupNormalization,
        "LayerNormalization": layerNormalization,
    ]

    /// y[p, i] = x[p, i] · a[p % channels] + b[p % channels] over planes p of `inner` elements:
    /// x, y: (planes, inner) with planes = N · channels.
    static func affinePlanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, channels: Int,
                             inner: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>) {
        if inner == 1 {
            // (N, C) input: a plain per-column affine.
            Parallel.forEach(planes, grain: 16384) { r in
                for p in r { let c = p % channels; y[p] = x[p] * a[c] + b[c] }
            }
            return
        }
        Parallel.forEach(planes, grain: max(1, 16384 / inner)) { r in
            for p in r {
                let c = p % channels
                let s = a[c], t = b[c]
                let src = x + p * inner, dst = y + p * inner
                for i in 0..<inner { dst[i] = src[i] * s + t }
            }
        }
    }

    /// Per-channel scale and shift of an inference BatchNormalization:
    /// a = scale / sqrt(var + ε), b = B − mean · a (in Double, then rounded once).
    static func foldBatchNorm(scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> (a: [Float], b: [Float]) {
        var a = [Float](repeating: 0, count: scale.count), b = a
        for c in scale.indices {
            let s = Double(scale[c]) / (Double(variance[c]) + Double(epsilon)).squareRoot()
            a[c] = Float(s)
            b[c] = Float(Double(bias[c]) - Double(mean[c]) * s)
        }
        return (a, b)
    }

    // MARK: - BatchNormalization

    /// BatchNormalization(X, scale, B, mean, var) in inference mode. X: (N, C, D1, …); the four
    /// parameters have C elements, or C·D1·… with spatial=0 (an attribute before opset 9).
    static let batchNormalization: OpFactory = { ctx in
        let x = try ctx.floatInput(0)
        guard x.rank >= 2 else { throw ctx.error("X must have rank ≥ 2 (N, C, …), got \(x.shape)") }
        if ctx.opset >= 14, try ctx.int("training_mode", 0) != 0 {
            throw ctx.error("training_mode=1 is not supported (batch statistics); export the model in eval mode")
        }
        // Before opset 14 training was signalled by asking for the running statistics (and by
        // is_test=0 before opset 7, which exporters set to 1 for inference).
        if ctx.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw ctx.error("the training outputs (running mean/var, saved mean/var) are not supported; export the model in eval mode")
        }
        let spatial = ctx.opset < 9 ? try ctx.int("spatial", 1) != 0 : true
        let epsilon = try ctx.float("epsilon", 1e-5)
        let channels = spatial ? x.shape[1] : x.shape[1...].reduce(1, *)
        let inner = spatial ? x.shape[2...].reduce(1, *) : 1
        let names = ["scale", "B", "mean", "var"]
        var constants: [[Float]] = []
        for k in 1...4 {
            let p = try ctx.floatInput(k)
            guard p.count == channels else {
                throw ctx.error("\(names[k - 1]) has shape \(p.shape), expected \(channels) values\(spatial ? " (one per channel)" : " (spatial=0: one per C·D element)")")
            }
            if p.constant != nil { constants.append(try ctx.constantFloats(k)) }
        }
        let planes = x.shape[0] * channels
        if constants.count == 4 {
            // The usual case: running statistics are initializers, folded once here.
            let (a, b) = foldBatchNorm(scale: constants[0], bias: constants[1], mean: constants[2], variance: constants[3], epsilon: epsilon)
            return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
                affinePlanes(UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!,
                             planes: planes, channels: channels, inner: inner, a: a, b: b)
            })
        }
        return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
            let p = (1...4).map { Array(ins[$0]!.floats) }
            let (a, b) = foldBatchNorm(scale: p[0], bias: p[1], mean: p[2], variance: p[3], epsilon: epsilon)
            affinePlanes(UnsafePointer(ins[0]!.floats.baseAddress!), outs[0].floats.baseAddress!,
                         planes: planes, channels: channels, inner: inner, a: a, b: b)
        })
    }

    // MARK: - statistics

    /// Mean and 1/sqrt(variance + ε) of n contiguous values: two passes (mean, then squared
    /// deviations from it), vectorised, totals in Double.
    @inline(__always)
    static func moments(_ p: UnsafePointer<Float>, _ n: Int, epsilon: Float) -> (mean: Double, invStd: Double) {
        let mean = ReduceOps.sum(p, n) / Double(n)
        let v = ReduceOps.sumOfSquaredDeviations(p, n, from: Float(mean))
        return (mean, 1 / (v / Double(n) + Double(epsilon)).squareRoot())
    }

    // MARK: - InstanceNormalization

    /// InstanceNormalization(input, scale, B): each (n, c) plane normalised over its spatial
    /// elements, then scale[c]·x̂ + B[c]. input: (N, C, D1, …), scale and B: (C).
    static let instanceNormalization: OpFactory = { ctx in
        let x = try ctx.floatInput(0)
        guard x.rank >= 3 else { throw ctx.error("input must have rank ≥ 3 (N, C, D1, …), got \(x.shape)") }
        let c = x.shape[1]
        for (k, name) in [(1, "scale"), (2, "B")] {
            let p = try ctx.floatInput(k)
            guard p.count == c else { throw ctx.error("\(name) has shape \(p.shape), expected (\(c)) (one per channel)") }
        }
        let epsilon = try ctx.float("epsilon", 1e-5)
        let planes = x.shape[0] * c, inner = x.shape[2...].reduce(1, *)
        return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
            let xp = UnsafePointer(ins[0]!.floats.baseAddress!), yp = outs[0].floats.baseAddress!
            let scale = UnsafePointer(ins[1]!.floats.baseAddress!), bias = UnsafePointer(ins[2]!.floats.baseAddress!)
            guard inner > 0 else { return }
            Parallel.forEach(planes, grain: max(1, 8192 / inner)) { r in
                for p in r {
                    let ch = p % c
                    let src = xp + p * inner, dst = yp + p * inner
                    let (mean, inv) = moments(src, inner, epsilon: epsilon)
                    let a = Float(Double(scale[ch]) * inv), b = Float(Double(bias[ch]) - mean * Double(scale[ch]) * inv)
                    for i in 0..<inner { dst[i] = src[i] * a + b }
                }
            }
        })
    }

    // MARK: - GroupNormalization

    /// GroupNormalization(X, scale, bias), num_groups: statistics per (n, group) over the group's
    /// C/G channels and all spatial elements. scale and bias have one value per group in opset 18
    /// and one per channel from opset 21 (the spec changed; the opset decides).
    static let groupNormalization: OpFactory = { ctx in
        let x = try ctx.floatInput(0)
        guard x.rank >= 2 else { throw ctx.error("X must have rank ≥ 2 (N, C, …), got \(x.shape)") }
        guard ctx.has("num_groups") else { throw ctx.error("attribute 'num_groups' is required") }
        let groups = try ctx.int("num_groups", 1)
        let c = x.shape[1]
        guard groups > 0, c % groups == 0 else { throw ctx.error("num_groups \(groups) does not divide the \(c) channels") }
        let stash = try ctx.int("stash_type", 1)
        guard [1, 10, 11, 16].contains(stash) else { throw ctx.error("stash_type \(stash) is not supported (a float type)") }
        let perChannel = ctx.opset >= 21
        let want = perChannel ? c : groups
        for (k, name) in [(1, "scale"), (2, "bias")] {
            let p = try ctx.floatInput(k)
            guard p.count == want else {
                throw ctx.error("\(name) has shape \(p.shape), expected (\(want)): one per \(perChannel ? "channel from opset 21" : "group in GroupNormalization-\(ctx.opset) (per channel from opset 21)")")
            }
        }
        let epsilon = try ctx.float("epsilon", 1e-5)
        let n = x.shape[0], cpg = c / groups, inner = x.shape[2...].reduce(1, *)
        let block = cpg * inner
        return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
            let xp = UnsafePointer(ins[0]!.floats.baseAddress!), yp = outs[0].floats.baseAddress!
            let scale = UnsafePointer(ins[1]!.floats.baseAddress!), bias = UnsafePointer(ins[2]!.floats.baseAddress!)
            guard block > 0 else { return }
            Parallel.forEach(n * groups, grain: max(1, 8192 / block)) { r in
                for task in r {
                    let g = task % groups
                    let src = xp + task * block, dst = yp + task * block
                    let (mean, inv) = moments(src, block, epsilon: epsilon)
                    for k in 0..<cpg {
                        let p = perChannel ? g * cpg + k : g
                        let a = Double(scale[p]) * inv
                        let s = Float(a), t = Float(Double(bias[p]) - mean * a)
                        let cs = src + k * inner, cd = dst + k * inner
                        for i in 0..<inner { cd[i] = cs[i] * s + t }
                    }
                }
            }
        })
    }

    // MARK: - LayerNormalization

    /// For each position of a parameter broadcast (NumPy rules, aligned to the right) onto
    /// `target`, the parameter element it reads; nil when the parameter already has `target`'s
    /// element count and layout (no map needed).
    static func broadcastMap(_ ctx: OpContext, name: String, param: [Int], target: [Int]) throws -> [Int]? {
        guard param.count <= target.count else {
            throw ctx.error("\(name) has shape \(param), which does not broadcast to the normalised shape \(target)")
        }
        let padded = [Int](repeating: 1, count: target.count - param.count) + param
        for k in target.indices where padded[k] != 1 && padded[k] != target[k] {
            throw ctx.error("\(name) has shape \(param), which does not broadcast to the normalised shape \(target)")
        }
        if padded == target { return nil }
        let st = Shape.strides(padded), ts = Shape.strides(target)
        let count = target.reduce(1, *)
        return (0..<count).map { flat in
            target.indices.reduce(0) { acc, k in acc + (padded[k] == 1 ? 0 : (flat / ts[k]) % target[k] * st[k]) }
        }
    }

    /// LayerNormalization(X, Scale[, B]): each row of X.shape[axis…] normalised, then ·Scale + B.
    /// Optional outputs Mean and InvStdDev have shape X.shape[..<axis] + [1, …].
    static let layerNormalization: OpFactory = { ctx in
        let x = try ctx.floatInput(0)
        guard x.rank >= 1 else { throw ctx.error("X must have rank ≥ 1") }
        let axis = try ctx.axis(try ctx.int("axis", -1), rank: x.rank)
        let epsilon = try ctx.float("epsilon", 1e-5)
        let stash = try ctx.int("stash_type", 1)
        guard [1, 10, 11, 16].contains(stash) else { throw ctx.error("stash_type \(stash) is not supported (a float type)") }
        let normShape = Array(x.shape[axis...])
        let scale = try ctx.floatInput(1)
        let scaleMap = try broadcastMap(ctx, name: "Scale", param: scale.shape, target: normShape)
        let bias = ctx.optionalInput(2)
        if bias != nil, bias!.dtype != .float32 { throw ctx.error("B must be float, got \(bias!.dtype)") }
        let biasMap = try bias.map { try broadcastMap(ctx, name: "B", param: $0.shape, target: normShape) } ?? nil
        let hasBias = bias != nil
        let rows = x.shape[..<axis].reduce(1, *), d = normShape.reduce(1, *)
        let statShape = Array(x.shape[..<axis]) + [Int](repeating: 1, count: x.rank - axis)
        let nOut = min(max(ctx.node.outputs.count, 1), 3)
        let specs = [OutputSpec(shape: x.shape), OutputSpec(shape: statShape), OutputSpec(shape: statShape)].prefix(nOut)
        return KernelPlan(outputs: Array(specs), kernel: ClosureKernel { ins, outs in
            let xp = UnsafePointer(ins[0]!.floats.baseAddress!), yp = outs[0].floats.baseAddress!
            let sp = UnsafePointer(ins[1]!.floats.baseAddress!)
            let bp = hasBias ? ins[2].map { UnsafePointer($0.floats.baseAddress!) } : nil
            let meanOut = outs.count > 1 ? outs[1].floats.baseAddress : nil
            let invOut = outs.count > 2 ? outs[2].floats.baseAddress : nil
            guard d > 0 else { return }
            Parallel.forEach(rows, grain: max(1, 8192 / d)) { r in
                for row in r {
                    let src = xp + row * d, dst = yp + row * d
                    let (mean, inv) = moments(src, d, epsilon: epsilon)
                    meanOut?[row] = Float(mean)
                    invOut?[row] = Float(inv)
                    let m = Float(mean), s = Float(inv)
                    switch (scaleMap, biasMap, bp) {
                    case (nil, nil, let b?):
                        for i in 0..<d { dst[i] = (src[i] - m) * s * sp[i] + b[i] }
                    case (nil, _, nil):
                        for i in 0..<d { dst[i] = (src[i] - m) * s * sp[i] }
                    default:
                        for i in 0..<d {
                            let w = sp[scaleMap?[i] ?? i]
                            let b = bp.map { $0[biasMap?[i] ?? i] } ?? 0
                            dst[i] = (src[i] - m) * s * w + b
                        }
                    }
                }
            }
        })
    }
}
