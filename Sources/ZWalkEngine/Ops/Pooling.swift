import Foundation

/// Pooling: MaxPool (with the optional Indices output), AveragePool, GlobalAveragePool,
/// GlobalMaxPool; 1-D, 2-D and 3-D (run as 3-D with unit leading axes, see WindowGeometry.swift).
///
/// Window semantics follow onnxruntime: padding never wins a max; ceil_mode drops a last window
/// that would start in the end padding; with count_include_pad the divisor counts padded
/// positions up to the end of the explicit padding but not beyond it.
enum PoolingOps {
    static let table: [String: OpFactory] = [
        "MaxPool": maxPool,
        "AveragePool": averagePool,
        "GlobalAveragePool": global(max: false),
        "GlobalMaxPool": global(max: true),
    ]

    struct Setup: Sendable {
        var batch: Int
        var channels: Int
        var window: Window
        var outputShape: [Int]
    }

    /// Reads the attributes shared by MaxPool and AveragePool. Dilations exist from opset 10 for
    /// MaxPool and from opset 19 for AveragePool; ceil_mode from opset 10.
    static func setup(_ ctx: OpContext, allowDilations: Bool) throws -> Setup {
        let x = try ctx.input(0)
        guard x.rank >= 3 else { throw ctx.error("input must be (N, C, spatial…), got shape \(x.shape)") }
        let rank = x.rank - 2
        guard rank <= 3 else { throw ctx.error("\(rank)-D pooling is not supported (1-D, 2-D and 3-D are)") }
        guard !x.shape.contains(0) else { throw ctx.error("empty tensors are not supported (input \(x.shape))") }
        guard let kernel = try ctx.ints("kernel_shape") else { throw ctx.error("attribute 'kernel_shape' is required") }
        let attrs = try WindowAttributes(ctx, rank: rank, kernel: kernel, allowDilations: allowDilations)
        let ceil = try ctx.int("ceil_mode", 0)
        guard ceil == 0 || ceil == 1 else { throw ctx.error("ceil_mode \(ceil) must be 0 or 1") }
        let window = try attrs.forward(ctx, input: Array(x.shape[2...]), ceilMode: ceil == 1)
        let out = [x.shape[0], x.shape[1]] + window.spatial(window.positions)
        _ = try ctx.checkedCount(out)
        return Setup(batch: x.shape[0], channels: x.shape[1], window: window, outputShape: out)
    }

    static let maxPool: OpFactory = { ctx in
        let x = try ctx.input(0)
        let s = try setup(ctx, allowDilations: ctx.opset >= 10)
        let storageOrder = try ctx.int("storage_order", 0)
        guard storageOrder == 0 || storageOrder == 1 else {
            throw ctx.error("storage_order \(storageOrder) is not supported (0 row-major, 1 column-major)")
        }
        let wantIndices = ctx.node.outputs.count > 1 && !ctx.node.outputs[1].isEmpty
        if wantIndices && storageOrder == 1 && s.window.rank == 3 {
            throw ctx.error("storage_order 1 (column-major indices) is not supported for 3-D MaxPool")
        }
        let tables = PoolTables(s.window)
        var outs = [OutputSpec(dtype: x.dtype, shape: s.outputShape)]
        if wantIndices { outs.append(OutputSpec(dtype: .int64, shape: s.outputShape)) }
        let isFloat = x.dtype == .float32
        return KernelPlan(outputs: outs, kernel: ClosureKernel { ins, outs in
            let idx = outs.count > 1 ? outs[1].ints.baseAddress! : nil
            if isFloat {
                tables.maxPool(ins[0]!.floats.baseAddress!, outs[0].floats.baseAddress!, indices: idx,
                               planes: s.batch * s.channels, lowest: -Float.infinity, columnMajor: storageOrder == 1)
            } else {
                tables.maxPool(ins[0]!.ints.baseAddress!, outs[0].ints.baseAddress!, indices: idx,
                               planes: s.batch * s.channels, lowest: Int64.min, columnMajor: storageOrder == 1)
            }
        })
    }

    static let averagePool: OpFactory = { ctx in
        _ = try ctx.floatInput(0)
        let s = try setup(ctx, allowDilations: ctx.opset >= 19)
        let cip = try ctx.int("count_include_pad", 0)
        guard cip == 0 || cip == 1 else { throw ctx.error("count_include_pad \(cip) must be 0 or 1") }
        let tables = PoolTables(s.window)
        return KernelPlan(outputs: [OutputSpec(shape: s.outputShape)], kernel: ClosureKernel { ins, outs in
            tables.averagePool(ins[0]!.floats.baseAddress!, outs[0].floats.baseAddress!,
                               planes: s.batch * s.channels, countIncludePad: cip == 1)
        })
    }

    /// GlobalAveragePool / GlobalMaxPool: x (N, C, spatial…) → (N, C, 1, …).
    static func global(max isMax: Bool) -> OpFactory {
        return { ctx in
            let x = try ctx.floatInput(0)
            guard x.rank >= 3 else { throw ctx.error("input must be (N, C, spatial…), got shape \(x.shape)") }
            let planes = x.shape[0] * x.shape[1], size = x.shape[2...].reduce(1, *)
            guard size > 0 else { throw ctx.error("input shape \(x.shape) has an empty spatial extent") }
            let out = [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)
            return KernelPlan(outputs: [OutputSpec(shape: out)], kernel: ClosureKernel { ins, outs in
                let src = ins[0]!.floats.baseAddress!, dst = outs[0].floats.baseAddress!
                Parallel.forEach(planes, grain: max(1, 65536 / size)) { r in
                    for p in r {
                        let s = src + p * size
                        if isMax {
                            var m = -Float.infinity
                            for i in 0..<size where s[i] > m { m = s[i] }
                            dst[p] = m
                        } else {
                            // Double accumulation: a 64×64 plane summed in float loses digits.
                            var acc = 0.0
                            for i in 0..<size { acc += Double(s[i]) }
                            dst[p] = Float(acc / Double(size))
                        }
                    }
                }
            })
        }
    }
}

/// Per-axis, per-position tables of a pooling window, built at load time: the taps that land in
/// the image and, for count_include_pad, how many taps land inside image + explicit padding.
struct PoolTables: Sendable {
    let window: Window
    let taps: [[Range<Int>]]
    let padCounts: [[Int]]

    init(_ w: Window) {
        window = w
        taps = (0..<3).map { a in (0..<w.positions[a]).map { w.validTaps(axis: a, position: $0) } }
        padCounts = (0..<3).map { a in
            (0..<w.positions[a]).map { p in
                (0..<w.kernel[a]).filter { t in
                    let c = p * w.stride[a] - w.padBegin[a] + t * w.dilation[a]
                    return c >= -w.padBegin[a] && c < w.image[a] + w.padEnd[a]
                }.count
            }
        }
    }

    /// The flat input index of (plane, z, y, x) in row-major or (2-D and 1-D) column-major order.
    @inline(__always)
    static func index(plane: Int, z: Int, y: Int, x: Int, image: [Int], columnMajor: Bool) -> Int64 {
        let size = image[0] * image[1] * image[2]
        let inPlane = columnMajor ? x * image[1] + y : (z * image[1] + y) * image[2] + x
        return Int64(plane * size + inPlane)
    }

    func maxPool<T: Comparable>(_ src: UnsafeMutablePointer<T>, _ dst: UnsafeMutablePointer<T>,
                                indices: UnsafeMutablePointer<Int64>?, planes: Int, lowest: T, columnMajor: Bool) {
        let w = window, taps = self.taps
        let (IH, IW) = (w.image[1], w.image[2])
        let (PD, PH, PW) = (w.positions[0], w.positions[1], w.positions[2])
        let (sD, sH, sW) = (w.stride[0], w.stride[1], w.stride[2])
        let (dD, dH, dW) = (w.dilation[0], w.dilation[1], w.dilation[2])
        let (pD, pH, pW) = (w.padBegin[0], w.padBegin[1], w.padBegin[2])
        let plane = w.imageCount, positions = w.positionCount, image = w.image
        Parallel.forEach(planes, grain: max(1, 16384 / max(positions * w.kernelCount, 1))) { r in
            for p in r {
                let s = src + p * plane
                var o = p * positions
                for pz in 0..<PD { for py in 0..<PH { for px in 0..<PW {
                    var m = lowest, at = -1
                    for tz in taps[0][pz] {
                        let iz = pz * sD - pD + tz * dD
                        for ty in taps[1][py] {
                            let row = (iz * IH + (py * sH - pH + ty * dH)) * IW + px * sW - pW
                            for tx in taps[2][px] {
                                let i = row + tx * dW
                                if at < 0 || s[i] > m { m = s[i]; at = i }
                            }
                        }
                    }
                    dst[o] = m
                    if let indices {
                        if at < 0 {
                            indices[o] = -1
                        } else {
                            let ix = at % IW, iy = (at / IW) % IH, iz = at / (IW * IH)
                            indices[o] = PoolTables.index(plane: p, z: iz, y: iy, x: ix, image: image, columnMajor: columnMajor)
                        }
                    }
                    o += 1
                } } }
            }
        }
    }

    func averagePool(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, planes: Int,
                     countIncludePad: Bool) {
        let w = window, taps = self.taps, padCounts = self.padCounts
        let (IH, IW) = (w.image[1], w.image[2])
        let (PD, PH, PW) = (w.positions[0], w.positions[1], w.positions[2])
        let (sD, sH, sW) = (w.stride[0], w.stride[1], w.stride[2])
        let (dD, dH, dW) = (w.dilation[0], w.dilation[1], w.dilation[2])
        let (pD, pH, pW) = (w.padBegin[0], w.padBegin[1], w.padBegin[2])
        let plane = w.imageCount, positions = w.positionCount
        Parallel.forEach(planes, grain: max(1, 16384 / max(positions * w.kernelCount, 1))) { r in
            for p in r {
                let s = src + p * plane
                var o = p * positions
                for pz in 0..<PD { for py in 0..<PH { for px in 0..<PW {
                    let zr = taps[0][pz], yr = taps[1][py], xr = taps[2][px]
                    var acc: Float = 0
                    for tz in zr {
                        let iz = pz * sD - pD + tz * dD
                        for ty in yr {
                            let row = (iz * IH + (py * sH - pH + ty * dH)) * IW + px * sW - pW
                            for tx in xr { acc += s[row + tx * dW] }
                        }
                    }
                    let count = countIncludePad ? padCounts[0][pz] * padCounts[1][py] * padCounts[2][px]
                                                : zr.count * yr.count * xr.count
                    dst[o] = acc / Float(count)
                    o += 1
                } } }
            }
        }
    }
}

/// Naive references for pooling: every tap of every window with a bounds test, no tables.
enum PoolingNaive {
    /// Max over each window of x (N·C planes of `window.image`), ignoring padding; indices are
    /// row-major flat input indices of the first maximum.
    static func maxPool(_ x: [Float], planes: Int, window w: Window) -> (values: [Float], indices: [Int64]) {
        var values: [Float] = [], indices: [Int64] = []
        forEachWindow(planes: planes, window: w) { plane, inside, _ in
            var best = -Float.infinity, at: Int64 = -1
            for (z, y, xx) in inside {
                let i = ((plane * w.image[0] + z) * w.image[1] + y) * w.image[2] + xx
                if at < 0 || x[i] > best { best = x[i]; at = Int64(i) }
            }
            values.append(best); indices.append(at)
        }
        return (values, indices)
    }

    /// Mean over each window; the divisor counts only in-image taps, or with `countIncludePad`
    /// also taps in the explicit padding (never taps beyond it, which ceil_mode can create).
    static func averagePool(_ x: [Float], planes: Int, window w: Window, countIncludePad: Bool) -> [Float] {
        var out: [Float] = []
        forEachWindow(planes: planes, window: w) { plane, inside, inPadded in
            var acc: Float = 0
            for (z, y, xx) in inside { acc += x[((plane * w.image[0] + z) * w.image[1] + y) * w.image[2] + xx] }
            out.append(acc / Float(countIncludePad ? inPadded : inside.count))
        }
        return out
    }

    /// Calls `body(plane, in-image taps (z, y, x), taps inside image + padding)` for every window
    /// in output order.
    private static func forEachWindow(planes: Int, window w: Window,
                                      _ body: (Int, [(Int, Int, Int)], Int) -> Void) {
        for plane in 0..<planes {
            for pz in 0..<w.positions[0] { for py in 0..<w.positions[1] { for px in 0..<w.positions[2] {
                var inside: [(Int, Int, Int)] = [], padded = 0
                for tz in 0..<w.kernel[0] { for ty in 0..<w.kernel[1] { for tx in 0..<w.kernel[2] {
                    let c = [pz * w.stride[0] - w.padBegin[0] + tz * w.dilation[0],
                             py * w.stride[1] - w.padBegin[1] + ty * w.dilation[1],
                             px * w.stride[2] - w.padBegin[2] + tx * w.dilation[2]]
                    if (0..<3).allSatisfy({ c[$0] >= -w.padBegin[$0] && c[$0] < w.image[$0] + w.padEnd[$0] }) { padded += 1 }
                    if (0..<3).allSatisfy({ c[$0] >= 0 && c[$0] < w.image[$0] }) { inside.append((c[0], c[1], c[2])) }
                } } }
                body(plane, inside, padded)
            } } }
        }
    }
}
