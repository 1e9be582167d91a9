/// A direct convolution for layers with few output channels: a decoder's last Conv to RGB.
///
/// im2col + sgemm is a poor fit there. The column matrix is Cin·k times the input (9× for 3×3)
/// and is written and read once for only 3 output rows of work. sgemm with M = 3 cannot use its
/// register blocking. At 32×32 × 64 channels that layer was 18% of a residual decoder's run time,
/// at 14 GFLOP/s. Here every output channel's plane is accumulated in place:
///   y[co] += w[co, ci, ky, kx] · x[ci] shifted by (ky, kx)
/// one row segment at a time, all (≤ 4) output channels from the same loaded input row. Rows
/// are cut into blocks so that images, channels and rows all spread over the threads.
///
/// Used for groups 1, stride 1 and dilation 1, with 1-D or 2-D windows (ConvKernel handles the rest).
final class FewOutputsConvKernel: Kernel, @unchecked Sendable {
    static let maxOutputs = 4

    let s: ConvolutionOps.Setup
    let rowsPerBlock: Int

    static func applies(to s: ConvolutionOps.Setup) -> Bool {
        let w = s.window
        return s.groups == 1 && s.outChannels <= maxOutputs
            && w.stride.allSatisfy { $0 == 1 } && w.dilation.allSatisfy { $0 == 1 }
            && w.image[0] == 1 && w.kernel[0] == 1 && w.padBegin[0] == 0 && w.positions[0] == 1
    }

    init(_ s: ConvolutionOps.Setup) {
        self.s = s
        // Enough blocks for every thread even at batch 1, rows long enough to amortise the loop.
        let rows = s.window.positions[1]
        let wantBlocks = max(1, (4 * Parallel.threads + s.batch - 1) / s.batch)
        rowsPerBlock = max(1, min(rows, max(4, (rows + wantBlocks - 1) / wantBlocks)))
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, w, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        let win = s.window
        let h = win.image[1], wd = win.image[2], oh = win.positions[1], ow = win.positions[2]
        let kh = win.kernel[1], kw = win.kernel[2], padTop = win.padBegin[1], padLeft = win.padBegin[2]
        let cin = s.inChannels, cout = s.outChannels, plane = oh * ow
        let rowBlocks = (oh + rowsPerBlock - 1) / rowsPerBlock
        let rowsPerBlock = self.rowsPerBlock
        Parallel.forEach(s.batch * rowBlocks, grain: 1) { items in
            for item in items {
                let n = item / rowBlocks, r0 = (item % rowBlocks) * rowsPerBlock, r1 = min(oh, r0 + rowsPerBlock)
                let out = y + n * cout * plane
                for co in 0..<cout {
                    (out + co * plane + r0 * ow).update(repeating: bias?[co] ?? 0, count: (r1 - r0) * ow)
                }
                for ci in 0..<cin {
                    let xc = x + (n * cin + ci) * h * wd
                    for ky in 0..<kh {
                        // Output rows whose input row oy − padTop + ky lies inside the image.
                        let oy0 = max(r0, padTop - ky), oy1 = min(r1, h + padTop - ky)
                        if oy0 >= oy1 { continue }
                        for kx in 0..<kw {
                            let ox0 = max(0, padLeft - kx), ox1 = min(ow, wd + padLeft - kx)
                            if ox0 >= ox1 { continue }
                            var weights = SIMD4<Float>()
                            for co in 0..<cout { weights[co] = w[((co * cin + ci) * kh + ky) * kw + kx] }
                            for oy in oy0..<oy1 {
                                let src = xc + (oy - padTop + ky) * wd + (ox0 - padLeft + kx)
                                let dst = out + oy * ow + ox0
                                accumulate(count: ox1 - ox0, from: src, weights: weights, outputs: cout, into: dst, plane: plane)
                            }
                        }
                    }
                }
            }
        }
    }

    /// dst[c·plane + i] += weights[c] · src[i] for i < count and every output channel c, reading
    /// each input vector once.
    @inline(__always)
    private func accumulate(count n: Int, from src: UnsafePointer<Float>, weights: SIMD4<Float>, outputs: Int,
                            into dst: UnsafeMutablePointer<Float>, plane: Int) {
        typealias V = SIMD8<Float>
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            for c in 0..<outputs {
                let p = UnsafeMutableRawPointer(dst + c * plane + i)
                p.storeBytes(of: p.loadUnaligned(as: V.self) + V(repeating: weights[c]) * v, as: V.self)
            }
            i += 8
        }
        while i < n {
            let v = src[i]
            for c in 0..<outputs { dst[c * plane + i] += weights[c] * v }
            i += 1
        }
    }
}
