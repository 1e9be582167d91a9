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
