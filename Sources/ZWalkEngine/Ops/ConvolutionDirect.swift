import CZWalkKernels

/// A direct convolution for layers with few output channels: a decoder's last Conv to RGB.
///
/// im2col + sgemm is a poor fit there. The column matrix is Cin·k times the input (9× for 3×3)
/// and is written and read once for only 3 output rows of work. sgemm with M = 3 cannot use its
/// register blocking. At 32×32 × 64 channels that layer was 18% of a residual decoder's run time,
/// at 14 GFLOP/s. CZWalkKernels' `zk_conv_few_outputs` keeps a 32-column chunk of every output
/// channel in registers while all input channels and taps are added in, from zero-padded copies
/// of the input rows a block of output rows needs. Rows are cut into blocks so that images and rows
/// spread over the threads.
///
/// Used for groups 1, stride 1 and dilation 1, with 1-D or 2-D windows (ConvKernel handles the rest).
final class FewOutputsConvKernel: Kernel, @unchecked Sendable {
    static let maxOutputs = 4

    let s: ConvolutionOps.Setup
    let rowsPerBlock: Int
    /// Which build of the C kernel runs (tests pass each the CPU has).
    let variant: CPUKernels.Variant

    static func applies(to s: ConvolutionOps.Setup) -> Bool {
        let w = s.window
        return s.groups == 1 && s.outChannels <= maxOutputs
            && w.stride.allSatisfy { $0 == 1 } && w.dilation.allSatisfy { $0 == 1 }
            && w.image[0] == 1 && w.kernel[0] == 1 && w.padBegin[0] == 0 && w.positions[0] == 1
    }

    init(_ s: ConvolutionOps.Setup, variant: CPUKernels.Variant = .best) {
        self.s = s
        self.variant = variant
        // Enough blocks for every thread even at batch 1, rows long enough to amortise the call.
        let rows = s.window.positions[1]
        let wantBlocks = max(1, (4 * Parallel.threads + s.batch - 1) / s.batch)
        rowsPerBlock = max(1, min(rows, max(4, (rows + wantBlocks - 1) / wantBlocks)))
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, w, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        let win = s.window
        let h = win.image[1], wd = win.image[2], oh = win.positions[1], ow = win.positions[2]
        let cin = s.inChannels, cout = s.outChannels
        let rowBlocks = (oh + rowsPerBlock - 1) / rowsPerBlock
        let rowsPerBlock = self.rowsPerBlock, variant = self.variant
        let scratch = zk_conv_few_outputs_scratch(cin, rowsPerBlock, win.kernel[1], win.kernel[2], ow)
        Parallel.forEach(s.batch * rowBlocks, grain: 1) { items in
            let rows = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
            defer { rows.deallocate() }
            for item in items {
                let n = item / rowBlocks, r0 = (item % rowBlocks) * rowsPerBlock, r1 = min(oh, r0 + rowsPerBlock)
                CPUKernels.convFewOutputs(variant, x: x + n * cin * h * wd, inChannels: cin, h: h, w: wd, weight: w,
                                          bias: bias, outChannels: cout, kh: win.kernel[1], kw: win.kernel[2],
                                          padTop: win.padBegin[1], padLeft: win.padBegin[2], oh: oh, ow: ow,
                                          rows: r0..<r1, into: y + n * cout * oh * ow, scratch: rows)
            }
        }
    }
}

/// ConvTranspose to few output channels (≤ 4: a decoder's last layer to RGB) as stride² ordinary
/// convolutions, one per output phase, through the few-outputs direct kernel.
///
/// Output pixel (s·t + p) of a stride-s ConvTranspose only ever meets the taps k ≡ (p + pad) mod s,
/// K/s of them per axis: phase p is a correlation of the input with those taps in reverse order,
/// padded by K/s − 1 − ⌊(p + pad)/s⌋. The general path (sgemm with 3 output channels, then col2im
/// over every plane) ran the sprites decoder's 32→3 4×4 stride-2 layer at 42 GFLOP/s at batch 64.
/// Each phase's rows are computed into a thread's buffer, put through the fused activation there,
/// then spread into every s-th pixel of the output.
final class PhasedConvTransposeKernel: Kernel, ActivationFusing, WeightCopying, @unchecked Sendable {
    let s: ConvolutionOps.Setup
    /// Taps per phase and axis (K / stride).
    let taps: (y: Int, x: Int)
    /// Per phase (py · sx + px): the reversed taps as a (Cout × Cin × taps.y × taps.x) weight, and
    /// the phase convolution's top and left padding.
    let weights: [[Float]]
    let pads: [(top: Int, left: Int)]
    /// Output rows per unit of work.
    let rowsPerBlock: Int
    var activation: FusedActivation?
    /// Which build of the C kernel runs (tests pass each the CPU has).
    let variant: CPUKernels.Variant

    static func applies(to s: ConvolutionOps.Setup, weight: Tensor?) -> Bool {
        let w = s.window
        guard weight != nil, s.groups == 1, s.outChannels <= FewOutputsConvKernel.maxOutputs,
              w.image[0] == 1, w.kernel[0] == 1, w.padBegin[0] == 0, w.positions[0] == 1,
              w.dilation.allSatisfy({ $0 == 1 }), w.stride[1] > 1 || w.stride[2] > 1 else { return false }
        for axis in 1...2 {
            let k = w.kernel[axis], st = w.stride[axis], pad = w.padBegin[axis]
            guard k % st == 0, pad >= 0 else { return false }
            // every phase's padding must be ≥ 0: ⌊(p + pad)/s⌋ ≤ K/s − 1 for p < s
            guard (st - 1 + pad) / st <= k / st - 1 else { return false }
        }
        return true
    }

    func fuse(_ a: FusedActivation) -> Bool {
        guard activation == nil else { return false }
        activation = a
        return true
    }

    /// The run reads the phases' rearranged weights.
    var readsWeightAtRun: Bool { false }

    /// `weight`: (Cin, Cout, kH, kW), constant.
    init(_ s: ConvolutionOps.Setup, weight: Tensor, variant: CPUKernels.Variant = .best) {
        self.s = s
        self.variant = variant
        let win = s.window
        let (sy, sx) = (win.stride[1], win.stride[2]), (kh, kw) = (win.kernel[1], win.kernel[2])
        taps = (kh / sy, kw / sx)
        let cin = s.inChannels, cout = s.outChannels, w = weight.floats
        var weights: [[Float]] = [], pads: [(Int, Int)] = []
        for py in 0..<sy {
            for px in 0..<sx {
                let (ry, qy) = ((py + win.padBegin[1]) % sy, (py + win.padBegin[1]) / sy)
                let (rx, qx) = ((px + win.padBegin[2]) % sx, (px + win.padBegin[2]) / sx)
                var pw = [Float](repeating: 0, count: cout * cin * taps.y * taps.x)
                for co in 0..<cout { for ci in 0..<cin { for my in 0..<taps.y { for mx in 0..<taps.x {
                    let ky = ry + sy * (taps.y - 1 - my), kx = rx + sx * (taps.x - 1 - mx)
                    pw[((co * cin + ci) * taps.y + my) * taps.x + mx] = w[((ci * cout + co) * kh + ky) * kw + kx]
                } } } }
                weights.append(pw)
                pads.append((taps.y - 1 - qy, taps.x - 1 - qx))
            }
        }
        self.weights = weights
        self.pads = pads
        let rows = (win.image[1] + sy - 1) / sy
        let wantBlocks = max(1, (4 * Parallel.threads + s.batch * sy * sx - 1) / (s.batch * sy * sx))
        rowsPerBlock = max(1, min(rows, max(4, (rows + wantBlocks - 1) / wantBlocks)))
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, _, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        let win = s.window
        let (h, wd) = (win.positions[1], win.positions[2]), (oh, ow) = (win.image[1], win.image[2])
        let (sy, sx) = (win.stride[1], win.stride[2])
        let cin = s.inChannels, cout = s.outChannels, phases = sy * sx
        // The largest phase output: ⌈oh/sy⌉ × ⌈ow/sx⌉.
        let (ph, pw) = ((oh + sy - 1) / sy, (ow + sx - 1) / sx)
        let rowBlocks = (ph + rowsPerBlock - 1) / rowsPerBlock
        let units = s.batch * phases * rowBlocks, threads = min(Parallel.threads, units)
        let staging = zk_conv_few_outputs_scratch(cin, rowsPerBlock, taps.y, taps.x, pw)
        let activation = self.activation, variant = self.variant
        ScratchPool.shared.withBuffers(count: threads, floats: staging + cout * ph * pw) { buffers in
            Parallel.forEach(threads, grain: 1) { r in
                for t in r { for unit in stride(from: t, to: units, by: threads) {
                    let n = unit / (phases * rowBlocks), phase = (unit / rowBlocks) % phases, block = unit % rowBlocks
                    let (py, px) = (phase / sx, phase % sx)
                    // this phase's output: rows t with sy·t + py < oh, columns u with sx·u + px < ow
                    let (rows, cols) = ((oh - py + sy - 1) / sy, (ow - px + sx - 1) / sx)
                    let r0 = block * rowsPerBlock, r1 = min(rows, r0 + rowsPerBlock)
                    guard r0 < r1, cols > 0 else { continue }
                    let out = buffers[t] + staging
                    weights[phase].withUnsafeBufferPointer { phaseWeight in
                        CPUKernels.convFewOutputs(variant, x: x + n * cin * h * wd, inChannels: cin, h: h, w: wd,
                                                  weight: phaseWeight.baseAddress!, bias: bias, outChannels: cout, kh: taps.y,
                                                  kw: taps.x, padTop: pads[phase].top, padLeft: pads[phase].left,
                                                  oh: rows, ow: cols, rows: r0..<r1, into: out, scratch: buffers[t])
                    }
                    for co in 0..<cout {
                        let src = out + (co * rows + r0) * cols
                        activation?.apply(src, (r1 - r0) * cols, variant: variant)
                        let plane = y + (n * cout + co) * oh * ow
                        for tr in r0..<r1 {
                            let dst = plane + (sy * tr + py) * ow + px, row = src + (tr - r0) * cols
                            for u in 0..<cols { dst[sx * u] = row[u] }
                        }
                    }
                } }
            }
        }
    }
}
