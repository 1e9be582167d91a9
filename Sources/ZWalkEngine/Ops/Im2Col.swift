import Foundation

/// im2col and col2im: the data movement around the sgemm at the heart of Conv and ConvTranspose.
///
/// A column matrix has one row per (channel, tap) — row `k = ((c·kD + tz)·kH + ty)·kW + tx` — and
/// one column per window position of the images in a block, row-major with `columns` floats per
/// row. im2col gathers an image into it (Conv); col2im is the exact adjoint (ConvTranspose), done
/// as a gather too: each output element sums the column entries that reach it. Per-tap valid
/// ranges are computed at load time, so the inner loops are bound-check free copies and adds.
struct WindowTables: Sendable {
    let window: Window
    /// Per tap along D, H, W: the positions whose tap lands inside the image.
    let z: [Range<Int>], y: [Range<Int>], x: [Range<Int>]
    let gather: GatherTables

    init(_ w: Window) {
        window = w
        gather = GatherTables(w)
        z = (0..<w.kernel[0]).map { w.validPositions(axis: 0, tap: $0) }
        y = (0..<w.kernel[1]).map { w.validPositions(axis: 1, tap: $0) }
        x = (0..<w.kernel[2]).map { w.validPositions(axis: 2, tap: $0) }
    }

    /// Fills `cols` (channels·kernelCount rows × `columns`) from `images` images starting at `x`
    /// (each `imageStride` floats apart, channels `window.imageCount` apart), for the position rows
    /// `rows` (a row is one (pz, py) pair; positions outside the image read 0).
    /// columns = images · rows.count · positions[2].
    func im2col(_ src: UnsafePointer<Float>, imageStride: Int, channels: Int, images: Int, rows: Range<Int>,
                into cols: UnsafeMutablePointer<Float>) {
        let w = window
        let (ID, IH, IW) = (w.image[0], w.image[1], w.image[2])
        let (PH, PW) = (w.positions[1], w.positions[2])
        let (kD, kH, kW) = (w.kernel[0], w.kernel[1], w.kernel[2])
        let (sD, sH, sW) = (w.stride[0], w.stride[1], w.stride[2])
        let (dD, dH, dW) = (w.dilation[0], w.dilation[1], w.dilation[2])
        let (pD, pH, pW) = (w.padBegin[0], w.padBegin[1], w.padBegin[2])
        let kk = kD * kH * kW, plane = w.imageCount
        let columns = images * rows.count * PW
        let xs = self.x
        // One (channel, tap) row per work item; small rows are batched so a chunk has real work.
        Parallel.forEach(channels * kk, grain: max(1, 32768 / max(columns, 1))) { range in
            for k in range {
                let tx = k % kW, ty = (k / kW) % kH, tz = (k / (kW * kH)) % kD, c = k / kk
                let lo = xs[tx].lowerBound, hi = xs[tx].upperBound
                let xoff = tx * dW - pW
                var dst = cols + k * columns
                for j in 0..<images {
                    let chan = src + j * imageStride + c * plane
                    for r in rows {
                        let iz = (r / PH) * sD - pD + tz * dD, iy = (r % PH) * sH - pH + ty * dH
                        if iz < 0 || iz >= ID || iy < 0 || iy >= IH || lo >= hi {
                            dst.update(repeating: 0, count: PW)
                        } else {
                            let row = chan + (iz * IH + iy) * IW
                            if lo > 0 { dst.update(repeating: 0, count: lo) }
                            if sW == 1 {
                                (dst + lo).update(from: row + (lo + xoff), count: hi - lo)
                            } else {
                                for px in lo..<hi { dst[px] = row[px * sW + xoff] }
                            }
                            if hi < PW { (dst + hi).update(repeating: 0, count: PW - hi) }
                        }
                        dst += PW
                    }
                }
            }
        }
    }

    /// Writes one output image plane `dst` (window.image floats) of a ConvTranspose from the
    /// column rows of its channel (`kernelCount` rows, `rowStride` floats apart, starting at this
    /// image's first position), plus `bias`.
    ///
    /// The adjoint of im2col, computed as a gather rather than a scatter: each output row is built
    /// phase by phase (output x = r + stride·i); the taps reaching a phase each contribute a
    /// contiguous, shifted run of a column row, and all runs are summed in one pass (a DCGAN
    /// layer, k4 s2 p1, has four per phase). Every output element is written once, with unit-stride
    /// reads; a stride-2 row is then interleaved from its two phases.
    func col2im(_ cols: UnsafePointer<Float>, rowStride: Int, into dst: UnsafeMutablePointer<Float>, bias: Float) {
        let w = window, g = gather
        let (ID, IH, IW) = (w.image[0], w.image[1], w.image[2])
        let (PH, PW) = (w.positions[1], w.positions[2])
        let (kH, kW) = (w.kernel[1], w.kernel[2])
        let sW = w.stride[2], phases = min(sW, IW), width = g.phaseLength[0]
        g.z.withUnsafeBufferPointer { zs in g.y.withUnsafeBufferPointer { ys in g.x.withUnsafeBufferPointer { xs in
        g.zStart.withUnsafeBufferPointer { zStart in g.yStart.withUnsafeBufferPointer { yStart in
        g.xStart.withUnsafeBufferPointer { xStart in
        withUnsafeTemporaryAllocation(of: ColumnRun.self, capacity: max(1, g.maxRuns)) { runs in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, width * phases)) { tmp in
            let runs = runs.baseAddress!, tmp = tmp.baseAddress!
            for oz in 0..<ID {
                for oy in 0..<IH {
                    let out = dst + (oz * IH + oy) * IW
                    for r in 0..<phases {
                        var count = 0
                        for zi in zStart[oz]..<zStart[oz + 1] {
                            let (tz, pz) = (zs[zi].tap, zs[zi].position)
                            for yi in yStart[oy]..<yStart[oy + 1] {
                                let (ty, py) = (ys[yi].tap, ys[yi].position)
                                let row = cols + ((tz * kH + ty) * kW) * rowStride + (pz * PH + py) * PW
                                for xi in xStart[r]..<xStart[r + 1] {
                                    let x = xs[xi]
                                    runs[count] = ColumnRun(row: row + x.tap * rowStride, shift: x.shift, lo: x.lo, hi: x.hi)
                                    count += 1
                                }
                            }
                        }
                        // Stride 1: the single phase is the output row itself.
                        WindowTables.sum(runs, count: count, length: g.phaseLength[r], bias: bias,
                                         into: sW == 1 ? out : tmp + r * width)
                    }
                    if sW == 2 {
                        let a = tmp, b = tmp + width, n1 = IW / 2, v = n1 & ~3
                        for i in stride(from: 0, to: v, by: 4) {
                            let x = load4(a + i), y = load4(b + i)
                            store4(SIMD4(x[0], y[0], x[1], y[1]), out + 2 * i)
                            store4(SIMD4(x[2], y[2], x[3], y[3]), out + 2 * i + 4)
                        }
                        for i in v..<n1 { out[2 * i] = a[i]; out[2 * i + 1] = b[i] }
                        if IW % 2 == 1 { out[IW - 1] = a[n1] }
                    } else if sW > 2 {
                        for r in 0..<phases {
                            let t = tmp + r * width, o = out + r
                            for i in 0..<g.phaseLength[r] { o[i * sW] = t[i] }
                        }
                    }
                }
            }
        }
        }
        } } } } } }
    }

    /// ConvTranspose col2im from channels-last columns. `cols` has one row per position of the
    /// `images` images (image-major), each `kernelCount · channels` floats in (tap, channel) order.
    /// Writes those images' output planes (`channels` planes each, image i at
    /// `dst + i·imageStride`) plus the bias, through `activation` when one is fused.
    ///
    /// Output pixels are taken a tile at a time: each pixel sums the channel vectors of the taps
    /// that reach it (unit stride, however small the image), then the tile (pixels × channels) is
    /// transposed into the channel planes.
    func col2imChannelsLast(_ cols: UnsafePointer<Float>, images: Int, channels C: Int, bias: UnsafePointer<Float>?,
                            activation: FusedActivation? = nil, variant: CPUKernels.Variant = .best,
                            into dst: UnsafeMutablePointer<Float>, imageStride: Int) {
        let w = window, g = gather
        let plane = w.imageCount, P = w.positionCount
        let (IH, IW) = (w.image[1], w.image[2])
        let (PH, PW) = (w.positions[1], w.positions[2])
        let (kH, kW) = (w.kernel[1], w.kernel[2])
        let ld = w.kernelCount * C
        // A tile of pixels × channels stays within L1 (≤ 32 KB) and writes runs of ≥ 16 floats per plane.
        let tile = max(16, min(64, 8192 / max(C, 1)))
        let tiles = (plane + tile - 1) / tile
        let maxRuns = max(1, g.maxPixelRuns)
        Parallel.forEach(images * tiles, grain: max(1, 65536 / max(tile * C * maxRuns, 1))) { range in
            g.z.withUnsafeBufferPointer { zs in g.y.withUnsafeBufferPointer { ys in g.xPairs.withUnsafeBufferPointer { xs in
            g.zStart.withUnsafeBufferPointer { zStart in g.yStart.withUnsafeBufferPointer { yStart in
            g.xPairStart.withUnsafeBufferPointer { xStart in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: maxRuns) { runs in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: tile * C) { buf in
                let runs = runs.baseAddress!, buf = buf.baseAddress!
                for item in range {
                    let j = item / tiles, p0 = (item % tiles) * tile, p1 = min(plane, p0 + tile)
                    let image = cols + j * P * ld
                    for p in p0..<p1 {
                        let ox = p % IW, oy = (p / IW) % IH, oz = p / (IW * IH)
                        var count = 0
                        for zi in zStart[oz]..<zStart[oz + 1] {
                            for yi in yStart[oy]..<yStart[oy + 1] {
                                let row = (zs[zi].position * PH + ys[yi].position) * PW
                                let tap = (zs[zi].tap * kH + ys[yi].tap) * kW
                                for xi in xStart[ox]..<xStart[ox + 1] {
                                    runs[count] = image + (row + xs[xi].position) * ld + (tap + xs[xi].tap) * C
                                    count += 1
                                }
                            }
                        }
                        WindowTables.sumChannels(runs, count: count, channels: C, bias: bias, into: buf + (p - p0) * C)
                    }
                    // (pixels × C) → C planes
                    let out = dst + j * imageStride + p0, m = p1 - p0
                    // the fused activation on the tile while it is in L1, not as a pass of its own
                    // over the whole output
                    activation?.apply(buf, m * C, variant: variant)
                    for c in 0..<C {
                        let o = out + c * plane, src = buf + c
                        for q in 0..<m { o[q] = src[q * C] }
                    }
                }
            }
            }
            } } } } } }
        }
    }

    /// acc[c] = bias[c] + Σ_k runs[k][c] for c < C, four channels at a time.
    @inline(__always)
    static func sumChannels(_ runs: UnsafeMutablePointer<UnsafePointer<Float>>, count: Int, channels C: Int,
                            bias: UnsafePointer<Float>?, into acc: UnsafeMutablePointer<Float>) {
        let v = C & ~3
        var c = 0
        while c < v {
            var s = bias.map { load4($0 + c) } ?? .zero
            for k in 0..<count { s += load4(runs[k] + c) }
            store4(s, acc + c)
            c += 4
        }
        while c < C {
            var s = bias?[c] ?? 0
            for k in 0..<count { s += runs[k][c] }
            acc[c] = s
            c += 1
        }
    }

    /// t[i] = bias + Σ_k runs[k].row[i + shift_k] over i < length, where run k covers lo_k..<hi_k.
    /// The range every run covers is summed in one fused pass; the few edge elements one at a time.
    @inline(__always)
    static func sum(_ runs: UnsafeMutablePointer<ColumnRun>, count: Int, length n: Int, bias: Float,
                    into t: UnsafeMutablePointer<Float>) {
        var lo = 0, hi = n
        for k in 0..<count { lo = max(lo, runs[k].lo); hi = min(hi, runs[k].hi) }
        if lo >= hi { lo = 0; hi = 0 }
        let m = hi - lo
        if m > 0 {
            @inline(__always) func at(_ k: Int) -> UnsafePointer<Float> { runs[k].row + (lo + runs[k].shift) }
            // Explicit 4-wide vectors: the autovectoriser gives up on five possibly aliasing pointers.
            let d = t + lo, b4 = SIMD4<Float>(repeating: bias), v = m & ~3
            switch count {
            case 0:
                d.update(repeating: bias, count: m)
            case 1:
                let a = at(0)
                for i in stride(from: 0, to: v, by: 4) { store4(b4 + load4(a + i), d + i) }
                for i in v..<m { d[i] = bias + a[i] }
            case 2:
                let (a, b) = (at(0), at(1))
                for i in stride(from: 0, to: v, by: 4) { store4(b4 + load4(a + i) + load4(b + i), d + i) }
                for i in v..<m { d[i] = bias + a[i] + b[i] }
            case 3:
                let (a, b, c) = (at(0), at(1), at(2))
                for i in stride(from: 0, to: v, by: 4) { store4(b4 + load4(a + i) + load4(b + i) + load4(c + i), d + i) }
                for i in v..<m { d[i] = bias + a[i] + b[i] + c[i] }
            default:
                let (a, b, c, e) = (at(0), at(1), at(2), at(3))
                for i in stride(from: 0, to: v, by: 4) {
                    store4(b4 + load4(a + i) + load4(b + i) + load4(c + i) + load4(e + i), d + i)
                }
                for i in v..<m { d[i] = bias + a[i] + b[i] + c[i] + e[i] }
                var k = 4
                while k < count {
                    let p = at(k)
                    for i in stride(from: 0, to: v, by: 4) { store4(load4(d + i) + load4(p + i), d + i) }
                    for i in v..<m { d[i] += p[i] }
                    k += 1
                }
            }
        }
        if m == n { return }
        for i in 0..<n where i < lo || i >= hi {
            var v = bias
            for k in 0..<count where runs[k].lo <= i && i < runs[k].hi { v += runs[k].row[i + runs[k].shift] }
            t[i] = v
        }
    }
}

@inline(__always) private func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}
@inline(__always) private func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}
@inline(__always) private func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// One shifted run of a column row feeding an output phase: row[i + shift] for i in lo..<hi.
struct ColumnRun {
    var row: UnsafePointer<Float>
    var shift: Int
    var lo: Int
    var hi: Int
}

/// The col2im gather plan of a window: for each output coordinate along D and H, the (tap,
/// position) pairs that reach it; along W, for each output phase r (x = r + stride·i), the taps
/// that land on it with their position shift and the range of i they cover.
struct GatherTables: Sendable {
    struct Pair: Sendable { var tap: Int; var position: Int }
    struct Run: Sendable { var tap: Int; var shift: Int; var lo: Int; var hi: Int }
    let z: [Pair], zStart: [Int]
    let y: [Pair], yStart: [Int]
    let x: [Run], xStart: [Int]
    /// Along W per output coordinate (for the channels-last gather).
    let xPairs: [Pair], xPairStart: [Int]
    /// The most runs any output pixel gathers.
    let maxPixelRuns: Int
    /// Outputs in each W phase.
    let phaseLength: [Int]
    /// The most runs any (output row, phase) gathers.
    let maxRuns: Int

    init(_ w: Window) {
        func pairs(_ a: Int) -> ([Pair], [Int]) {
            var list: [Pair] = [], start = [0]
            for o in 0..<w.image[a] {
                for t in 0..<w.kernel[a] {
                    let num = o + w.padBegin[a] - t * w.dilation[a]
                    if num >= 0 && num % w.stride[a] == 0 && num / w.stride[a] < w.positions[a] {
                        list.append(Pair(tap: t, position: num / w.stride[a]))
                    }
                }
                start.append(list.count)
            }
            return (list, start)
        }
        (z, zStart) = pairs(0)
        (y, yStart) = pairs(1)
        (xPairs, xPairStart) = pairs(2)
        let s = w.stride[2], iw = w.image[2], pw = w.positions[2]
        let phases = min(s, iw)
        let lengths = (0..<phases).map { (iw - $0 + s - 1) / s }
        var runs: [Run] = [], start = [0]
        for r in 0..<phases {
            for t in 0..<w.kernel[2] {
                let reach = t * w.dilation[2] - w.padBegin[2] // x ≡ reach (mod s) for this tap
                guard ((reach % s) + s) % s == r else { continue }
                let shift = (r - reach) / s // position = i + shift
                let lo = max(0, -shift), hi = min(lengths[r], pw - shift)
                if lo < hi { runs.append(Run(tap: t, shift: shift, lo: lo, hi: hi)) }
            }
            start.append(runs.count)
        }
        x = runs; xStart = start
        phaseLength = lengths.isEmpty ? [0] : lengths
        func widest(_ starts: [Int]) -> Int { zip(starts.dropFirst(), starts).map { $0 - $1 }.max() ?? 0 }
        maxRuns = widest(zStart) * widest(yStart) * widest(start)
        maxPixelRuns = widest(zStart) * widest(yStart) * widest(xPairStart)
    }
}
