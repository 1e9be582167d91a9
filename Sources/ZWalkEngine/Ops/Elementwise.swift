import Foundation

/// Element-wise operators: unary maths and activations, broadcasting binary arithmetic,
/// comparisons and logic, Where, variadic Min/Max/Sum/Mean, Clip.
enum ElementwiseOps {
    static let table: [String: OpFactory] = [
        // unary maths
        "Neg": unary { _ in { -$0 } },
        "Abs": unary { _ in { abs($0) } },
        "Sqrt": unary { _ in { sqrtf($0) } },
        "Reciprocal": unary { _ in { 1 / $0 } },
        "Exp": vectorUnary(VectorMath.exp),
        "Log": unary { _ in { logf($0) } },
        "Erf": unary { _ in { erff($0) } },
        "Floor": unary { _ in { floorf($0) } },
        "Ceil": unary { _ in { ceilf($0) } },
        "Sign": unary { _ in { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } },
        "Sin": unary { _ in { sinf($0) } },
        "Cos": unary { _ in { cosf($0) } },
        // activations
        "Relu": vectorUnary(VectorMath.relu),
        "Sigmoid": vectorUnary { CPUKernels.sigmoid($0, $1, $2) },
        "Tanh": vectorUnary { CPUKernels.tanh($0, $1, $2) },
        "Softplus": unary { _ in { softplus($0) } },
        "Softsign": unary { _ in { $0 / (1 + abs($0)) } },
        "Mish": unary { _ in { x in x * tanhf(softplus(x)) } },
        "LeakyRelu": unary { ctx in
            let alpha = try ctx.float("alpha", 0.01)
            return { $0 >= 0 ? $0 : alpha * $0 }
        },
        "Elu": unary { ctx in
            let alpha = try ctx.float("alpha", 1)
            return { $0 >= 0 ? $0 : alpha * (expf($0) - 1) }
        },
        "Celu": unary { ctx in
            let alpha = try ctx.float("alpha", 1)
            return { x in max(0, x) + min(0, alpha * (expf(x / alpha) - 1)) }
        },
        "Selu": unary { ctx in
            let alpha = try ctx.float("alpha", 1.67326319217681884765625)
            let gamma = try ctx.float("gamma", 1.05070102214813232421875)
            return { $0 > 0 ? gamma * $0 : gamma * (alpha * expf($0) - alpha) }
        },
        "HardSigmoid": unary { ctx in
            let alpha = try ctx.float("alpha", 0.2), beta = try ctx.float("beta", 0.5)
            return { max(0, min(1, alpha * $0 + beta)) }
        },
        "HardSwish": unary { _ in { x in x * max(0, min(1, x / 6 + 0.5)) } },
        "Gelu": unary { ctx in
            switch try ctx.string("approximate", "none") {
            case "none": return { x in 0.5 * x * (1 + erff(x / Float(2).squareRoot())) }
            case "tanh":
                let c = Float((2 / Double.pi).squareRoot())
                return { x in 0.5 * x * (1 + tanhf(c * (x + 0.044715 * x * x * x))) }
            case let other: throw ctx.error("approximate='\(other)' is not supported (none, tanh)")
            }
        },
        "ThresholdedRelu": unary { ctx in
            let alpha = try ctx.float("alpha", 1)
            return { $0 > alpha ? $0 : 0 }
        },
        // binary arithmetic
        "Add": binary(.add, int: { $0 &+ $1 }),
        "Sub": binary(.sub, int: { $0 &- $1 }),
        "Mul": binary(.mul, int: { $0 &* $1 }),
        "Div": binary(.div, int: { $1 == 0 ? 0 : $0 / $1 }),
        "Pow": pow,
        "PRelu": prelu,
        // comparisons and logic
        "Equal": compare(float: { $0 == $1 }, int: { $0 == $1 }),
        "Greater": compare(float: { $0 > $1 }, int: { $0 > $1 }),
        "Less": compare(float: { $0 < $1 }, int: { $0 < $1 }),
        "GreaterOrEqual": compare(float: { $0 >= $1 }, int: { $0 >= $1 }),
        "LessOrEqual": compare(float: { $0 <= $1 }, int: { $0 <= $1 }),
        "And": logic { $0 && $1 },
        "Or": logic { $0 || $1 },
        "Xor": logic { $0 != $1 },
        "Not": not,
        "Where": whereOp,
        // variadic
        "Min": variadic(float: { min($0, $1) }, int: { min($0, $1) }),
        "Max": variadic(float: { max($0, $1) }, int: { max($0, $1) }),
        "Sum": variadic(float: { $0 + $1 }, int: { $0 &+ $1 }),
        "Mean": variadic(float: { $0 + $1 }, int: nil, scaleByCount: true),
        "Clip": clip,
    ]

    @inline(__always) static func softplus(_ x: Float) -> Float {
        x > 20 ? x : log1pf(expf(x))
    }

    // MARK: unary

    /// A float unary op whose function may depend on attributes (read once at load time).
    static func unary(_ make: @escaping @Sendable (OpContext) throws -> @Sendable (Float) -> Float) -> OpFactory {
        return { ctx in
            let x = try ctx.input(0)
            if x.dtype != .float32 { return try integerUnary(ctx, x) }
            let f = try make(ctx)
            return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
                let a = ins[0]!.floats.baseAddress!, y = outs[0].floats.baseAddress!
                Parallel.forEach(outs[0].count, grain: 16384) { r in
                    for i in r { y[i] = f(a[i]) }
                }
            })
        }
    }

    /// A unary op with a whole-buffer kernel (VectorMath): the hot activations of decoders.
    static func vectorUnary(_ kernel: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> OpFactory {
        return { ctx in
            let x = try ctx.input(0)
            if x.dtype != .float32 { return try integerUnary(ctx, x) }
            return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
                let a = UnsafePointer(ins[0]!.floats.baseAddress!), y = outs[0].floats.baseAddress!
                Parallel.forEach(outs[0].count, grain: 32768) { r in
                    kernel(a + r.lowerBound, y + r.lowerBound, r.count)
                }
            })
        }
    }

    /// Integer Neg/Abs/Relu/Sign: they appear in shape arithmetic.
    static func integerUnary(_ ctx: OpContext, _ x: PlannedValue) throws -> KernelPlan {
        let intFn: (@Sendable (Int64) -> Int64)?
        switch ctx.node.opType {
        case "Neg": intFn = { 0 &- $0 }
        case "Abs": intFn = { $0 < 0 ? 0 &- $0 : $0 }
        case "Relu": intFn = { max($0, 0) }
        case "Sign": intFn = { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        default: intFn = nil
        }
        guard let g = intFn else { throw ctx.error("input must be float, got \(x.dtype)") }
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: x.shape)], kernel: ClosureKernel { ins, outs in
            let a = ins[0]!.ints, y = outs[0].ints
            for i in 0..<a.count { y[i] = g(a[i]) }
        })
    }

    // MARK: binary

    static func binaryLayout(_ ctx: OpContext) throws -> (PlannedValue, PlannedValue, [Int], BroadcastLayout) {
        let a = try ctx.input(0), b = try ctx.input(1)
        let out: [Int]
        do { out = try Shape.broadcast(a.shape, b.shape) } catch let e as EngineError { throw ctx.error(e.description) }
        return (a, b, out, BroadcastLayout(output: out, inputs: [a.shape, b.shape]))
    }

    /// The float arithmetic of Add/Sub/Mul/Div, named rather than passed as a closure so that each
    /// gets its own specialised (vectorised) loops instead of a call per element.
    enum Arithmetic: Sendable { case add, sub, mul, div }

    /// Runs `f` over a precomputed broadcast of two inputs, on all threads when the output is
    /// large (runs of the broadcast are sliced per thread; small outputs stay on this thread).
    @inline(__always)
    static func apply<A, B, C>(_ layout: BroadcastLayout, _ a: UnsafePointer<A>, _ b: UnsafePointer<B>,
                                       _ c: UnsafeMutablePointer<C>, _ f: (A, B) -> C) {
        let steps = layout.innerSteps
        let sa = steps[0], sb = steps[1]
        if layout.dims.count == 1 && sa == 1 && sb == 1 {
            Parallel.forEach(layout.count, grain: 32768) { r in
                for i in r { c[i] = f(a[i], b[i]) }
            }
            return
        }
        let inner = layout.dims[layout.dims.count - 1]
        Parallel.forEach(layout.runCount, grain: max(1, 32768 / max(inner, 1))) { runs in
            layout.forEachRun(in: runs) { o, offs, n in
                let pa = a + offs.0, pb = b + offs.1, pc = c + o
                if sa == 1 && sb == 1 { for i in 0..<n { pc[i] = f(pa[i], pb[i]) } }
                else if sa == 1 && sb == 0 { let v = pb[0]; for i in 0..<n { pc[i] = f(pa[i], v) } }
                else if sa == 0 && sb == 1 { let v = pa[0]; for i in 0..<n { pc[i] = f(v, pb[i]) } }
                else { for i in 0..<n { pc[i] = f(pa[i * sa], pb[i * sb]) } }
            }
        }
    }

    static func binary(_ op: Arithmetic, int: (@Sendable (Int64, Int64) -> Int64)?) -> OpFactory {
        return { ctx in
            let (a, b, out, layout) = try binaryLayout(ctx)
            guard a.dtype == b.dtype || (a.dtype != .float32 && b.dtype != .float32) else {
                throw ctx.error("inputs have different types (\(a.dtype), \(b.dtype))")
            }
            if a.dtype == .float32 {
                return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { ins, outs in
                    let x = UnsafePointer(ins[0]!.floats.baseAddress!), y = UnsafePointer(ins[1]!.floats.baseAddress!)
                    let z = outs[0].floats.baseAddress!
                    switch op {
                    case .add: apply(layout, x, y, z) { $0 + $1 }
                    case .sub: apply(layout, x, y, z) { $0 - $1 }
                    case .mul: apply(layout, x, y, z) { $0 * $1 }
                    case .div: apply(layout, x, y, z) { $0 / $1 }
                    }
                })
            }
            guard let int else { throw ctx.error("integer inputs are not supported") }
            return KernelPlan(outputs: [OutputSpec(dtype: a.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
                apply(layout, ins[0]!.ints.baseAddress!, ins[1]!.ints.baseAddress!, outs[0].ints.baseAddress!, int)
            })
        }
    }

    /// PRelu: before opset 7 a rank-1 slope of length C applies per channel (axis 1); later
    /// opsets broadcast it NumPy-style.
    static let prelu: OpFactory = { ctx in
        let x = try ctx.floatInput(0), slope = try ctx.floatInput(1)
        var slopeShape = slope.shape
        if ctx.opset < 7, slope.rank == 1, x.rank >= 2, slope.shape[0] == x.shape[1], slope.shape[0] != x.shape.last {
            slopeShape = [slope.shape[0]] + [Int](repeating: 1, count: x.rank - 2)
        }
        let out: [Int]
        do { out = try Shape.broadcast(x.shape, slopeShape) } catch let e as EngineError { throw ctx.error(e.description) }
        let layout = BroadcastLayout(output: out, inputs: [x.shape, slopeShape])
        return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { ins, outs in
            apply(layout, ins[0]!.floats.baseAddress!, ins[1]!.floats.baseAddress!, outs[0].floats.baseAddress!) { v, a in v < 0 ? a * v : v }
        })
    }

    /// Pow(X, Y): Y may be integer while X is float.
    static let pow: OpFactory = { ctx in
        let (a, b, out, layout) = try binaryLayout(ctx)
        if a.dtype == .float32 {
            let intExponent = b.dtype != .float32
            return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { ins, outs in
                let x = ins[0]!.floats.baseAddress!, y = outs[0].floats.baseAddress!
                if intExponent {
                    apply(layout, x, ins[1]!.ints.baseAddress!, y) { powf($0, Float($1)) }
                } else {
                    apply(layout, x, ins[1]!.floats.baseAddress!, y) { base, e in
                        e == 2 ? base * base : (e == 0.5 ? sqrtf(base) : powf(base, e))
                    }
                }
            })
        }
        guard b.dtype != .float32 else { throw ctx.error("integer base with float exponent is not supported") }
        return KernelPlan(outputs: [OutputSpec(dtype: a.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            apply(layout, ins[0]!.ints.baseAddress!, ins[1]!.ints.baseAddress!, outs[0].ints.baseAddress!) { base, e in
                e < 0 ? 0 : (0..<e).reduce(Int64(1)) { acc, _ in acc &* base }
            }
        })
    }

    static func compare(float: @escaping @Sendable (Float, Float) -> Bool,
                        int: @escaping @Sendable (Int64, Int64) -> Bool) -> OpFactory {
        return { ctx in
            let (a, b, out, layout) = try binaryLayout(ctx)
            guard (a.dtype == .float32) == (b.dtype == .float32) else {
                throw ctx.error("inputs have different types (\(a.dtype), \(b.dtype))")
            }
            let isFloat = a.dtype == .float32
            return KernelPlan(outputs: [OutputSpec(dtype: .bool, shape: out)], kernel: ClosureKernel { ins, outs in
                let y = outs[0].ints.baseAddress!
                if isFloat {
                    apply(layout, ins[0]!.floats.baseAddress!, ins[1]!.floats.baseAddress!, y) { float($0, $1) ? 1 : 0 }
                } else {
                    apply(layout, ins[0]!.ints.baseAddress!, ins[1]!.ints.baseAddress!, y) { int($0, $1) ? 1 : 0 }
                }
            })
        }
    }

    static func logic(_ f: @escaping @Sendable (Bool, Bool) -> Bool) -> OpFactory {
        return { ctx in
            let (a, b, out, layout) = try binaryLayout(ctx)
            guard a.dtype == .bool, b.dtype == .bool else { throw ctx.error("inputs must be bool") }
            return KernelPlan(outputs: [OutputSpec(dtype: .bool, shape: out)], kernel: ClosureKernel { ins, outs in
                apply(layout, ins[0]!.ints.baseAddress!, ins[1]!.ints.baseAddress!, outs[0].ints.baseAddress!) {
                    f($0 != 0, $1 != 0) ? 1 : 0
                }
            })
        }
    }

    static let not: OpFactory = { ctx in
        let x = try ctx.input(0)
        guard x.dtype == .bool else { throw ctx.error("input must be bool, got \(x.dtype)") }
        return KernelPlan(outputs: [OutputSpec(dtype: .bool, shape: x.shape)], kernel: ClosureKernel { ins, outs in
            let a = ins[0]!.ints, y = outs[0].ints
            for i in 0..<a.count { y[i] = a[i] == 0 ? 1 : 0 }
        })
    }

    /// Where(condition, X, Y), all three broadcast.
    static let whereOp: OpFactory = { ctx in
        let c = try ctx.input(0), x = try ctx.input(1), y = try ctx.input(2)
        guard c.dtype == .bool else { throw ctx.error("condition must be bool, got \(c.dtype)") }
        guard x.dtype == y.dtype else { throw ctx.error("X and Y have different types (\(x.dtype), \(y.dtype))") }
        let out: [Int]
        do { out = try Shape.broadcast(Shape.broadcast(c.shape, x.shape), y.shape) } catch let e as EngineError { throw ctx.error(e.description) }
        let layout = BroadcastLayout(output: out, inputs: [c.shape, x.shape, y.shape])
        let isFloat = x.dtype == .float32
        return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: out)], kernel: ClosureKernel { ins, outs in
            let cond = ins[0]!.ints.baseAddress!
            let steps = layout.innerSteps
            if isFloat {
                let a = ins[1]!.floats.baseAddress!, b = ins[2]!.floats.baseAddress!, o = outs[0].floats.baseAddress!
                layout.forEachRun { off, s, n in
                    for i in 0..<n { o[off + i] = cond[s.0 + i * steps[0]] != 0 ? a[s.1 + i * steps[1]] : b[s.2 + i * steps[2]] }
                }
            } else {
                let a = ins[1]!.ints.baseAddress!, b = ins[2]!.ints.baseAddress!, o = outs[0].ints.baseAddress!
                layout.forEachRun { off, s, n in
                    for i in 0..<n { o[off + i] = cond[s.0 + i * steps[0]] != 0 ? a[s.1 + i * steps[1]] : b[s.2 + i * steps[2]] }
                }
            }
        })
    }

    /// Min/Max/Sum/Mean over any number of broadcast inputs: folded pairwise into the output.
    static func variadic(float: @escaping @Sendable (Float, Float) -> Float,
                         int: (@Sendable (Int64, Int64) -> Int64)?, scaleByCount: Bool = false) -> OpFactory {
        return { ctx in
            let ins = try (0..<ctx.inputCount).map { try ctx.input($0) }
            guard let first = ins.first else { throw ctx.error("needs at least one input") }
            guard ins.allSatisfy({ $0.dtype == first.dtype }) else { throw ctx.error("inputs have different types") }
            var out = first.shape
            do { for v in ins.dropFirst() { out = try Shape.broadcast(out, v.shape) } } catch let e as EngineError { throw ctx.error(e.description) }
            // Step k folds input k into the running output (input 0 is broadcast-copied first).
            let copyLayout = BroadcastLayout(output: out, inputs: [out, first.shape])
            let layouts = ins.dropFirst().map { BroadcastLayout(output: out, inputs: [out, $0.shape]) }
            let isFloat = first.dtype == .float32
            if !isFloat && int == nil { throw ctx.error("integer inputs are not supported") }
            let n = Float(ins.count)
            return KernelPlan(outputs: [OutputSpec(dtype: first.dtype, shape: out)], kernel: ClosureKernel { inputs, outs in
                if isFloat {
                    let y = outs[0].floats.baseAddress!
                    apply(copyLayout, UnsafePointer(y), inputs[0]!.floats.baseAddress!, y) { _, b in b }
                    for (k, l) in layouts.enumerated() { apply(l, UnsafePointer(y), inputs[k + 1]!.floats.baseAddress!, y, float) }
                    if scaleByCount { for i in 0..<outs[0].count { y[i] /= n } }
                } else {
                    let y = outs[0].ints.baseAddress!
                    apply(copyLayout, UnsafePointer(y), inputs[0]!.ints.baseAddress!, y) { _, b in b }
                    for (k, l) in layouts.enumerated() { apply(l, UnsafePointer(y), inputs[k + 1]!.ints.baseAddress!, y, int!) }
                }
            })
        }
    }

    /// Clip: bounds are attributes before opset 11, optional scalar inputs after.
    static let clip: OpFactory = { ctx in
        let x = try ctx.input(0)
        let attrMin = try ctx.float("min", -Float.infinity), attrMax = try ctx.float("max", Float.infinity)
        let useInputs = ctx.opset >= 11
        if x.dtype != .float32 {
            return KernelPlan(outputs: [OutputSpec(dtype: x.dtype, shape: x.shape)], kernel: ClosureKernel { ins, outs in
                let lo = ins.count > 1 ? ins[1].map { $0.ints[0] } ?? Int64.min : Int64.min
                let hi = ins.count > 2 ? ins[2].map { $0.ints[0] } ?? Int64.max : Int64.max
                let a = ins[0]!.ints, y = outs[0].ints
                for i in 0..<a.count { y[i] = min(max(a[i], lo), hi) }
            })
        }
        return KernelPlan(outputs: [OutputSpec(shape: x.shape)], kernel: ClosureKernel { ins, outs in
            var lo = attrMin, hi = attrMax
            if useInputs {
                lo = ins.count > 1 ? ins[1].map { $0.floats[0] } ?? -.infinity : -.infinity
                hi = ins.count > 2 ? ins[2].map { $0.floats[0] } ?? .infinity : .infinity
            }
            let a = ins[0]!.floats.baseAddress!, y = outs[0].floats.baseAddress!
            Parallel.forEach(outs[0].count, grain: 16384) { r in
                for i in r { y[i] = min(max(a[i], lo), hi) }
            }
        })
    }
}
