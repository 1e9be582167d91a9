import Foundation

/// Conv and ConvTranspose, 1-D, 2-D and 3-D (all run as 3-D with unit leading axes), through
/// OpenBLAS sgemm: im2col + sgemm for Conv, sgemm + col2im for ConvTranspose. The naive
/// references are in ConvolutionNaive.swift, the column movement in Im2Col.swift, and the direct
/// kernel for convolutions to few channels (an RGB output layer) in ConvolutionDirect.swift.
///
/// Each factory validates the node once, fixes the blocking (how many images and position rows go
/// through one sgemm) and allocates the scratch for it, so a run only computes.
enum ConvolutionOps {
    static let table: [String: OpFactory] = [
        "Conv": conv,
        "ConvTranspose": convTranspose,
    ]

    /// Floats of column scratch a ConvTranspose may hold (8 MB): enough images side by side that
    /// sgemm runs near its peak, small enough that the columns are still in the L3 cache when
    /// col2im consumes them.
    static let scratchBudget = 2 << 20
    /// Floats of im2col scratch a Conv may hold (2 MB, about one core's L2): sgemm reads the
    /// columns right after im2col writes them. Measured on DCGAN-sized 3×3 convs (64–128 channels,
    /// 16–64 px, batch 8, one core): 2 MB gives 164–187 GFLOP/s, 8 MB 136–180.
    static let convScratchBudget = 1 << 19
    /// Below this many columns per sgemm OpenBLAS loses efficiency, so small images are batched.
    static let targetColumns = 1024

    /// A convolution kernel's buffers at run time: x, w, the bias when there is one, and y.
    static func buffers(_ inputs: [Tensor?], _ outputs: [Tensor])
        -> (x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        (UnsafePointer(inputs[0]!.floats.baseAddress!), UnsafePointer(inputs[1]!.floats.baseAddress!),
         inputs.count > 2 ? inputs[2].map { UnsafePointer($0.floats.baseAddress!) } : nil,
         outputs[0].floats.baseAddress!)
    }

    /// A validated convolution node: channel counts and geometry.
    struct Setup: Sendable {
        var batch: Int
        var inChannels: Int
        var outChannels: Int
        var groups: Int
        var window: Window
        var hasBias: Bool
        var outputShape: [Int]
    }

    /// Reads and checks what Conv and ConvTranspose share: x (N, C, spatial…) and a weight of the
    /// same rank, both non-empty; `group`; `kernel_shape` (optional, must match the weight).
    private static func common(_ ctx: OpContext) throws -> (x: PlannedValue, w: PlannedValue, rank: Int, groups: Int) {
        let x = try ctx.floatInput(0), w = try ctx.floatInput(1)
        guard x.rank >= 3 else { throw ctx.error("input must be (N, C, spatial…), got shape \(x.shape)") }
        let rank = x.rank - 2
        guard rank <= 3 else { throw ctx.error("\(rank)-D convolution is not supported (1-D, 2-D and 3-D are)") }
        guard w.rank == x.rank else { throw ctx.error("weight shape \(w.shape) does not match input rank \(x.rank)") }
        guard !x.shape.contains(0), !w.shape.contains(0) else {
            throw ctx.error("empty tensors are not supported (input \(x.shape), weight \(w.shape))")
        }
        let groups = try ctx.int("group", 1)
        guard groups >= 1 else { throw ctx.error("group \(groups) must be at least 1") }
        if let ks = try ctx.ints("kernel_shape"), ks != Array(w.shape[2...]) {
            throw ctx.error("kernel_shape \(ks) does not match the weight's spatial shape \(Array(w.shape[2...]))")
        }
        return (x, w, rank, groups)
    }

    private static func checkBias(_ ctx: OpContext, channels: Int) throws -> Bool {
        guard let b = ctx.optionalInput(2) else { return false }
        guard b.dtype == .float32 else { throw ctx.error("bias must be float, got \(b.dtype)") }
        guard b.shape == [channels] else { throw ctx.error("bias shape \(b.shape) must be [\(channels)]") }
        return true
    }

    /// Conv: x (N, Cin, D, H, W), w (Cout, Cin/g, kD, kH, kW), bias (Cout) → y (N, Cout, oD, oH, oW).
    static func convSetup(_ ctx: OpContext) throws -> Setup {
        let (x, w, rank, groups) = try common(ctx)
        let cin = x.shape[1], cout = w.shape[0]
        guard cin % groups == 0, cout % groups == 0 else {
            throw ctx.error("input channels \(cin) and output channels \(cout) must both be divisible by group \(groups)")
        }
        guard w.shape[1] * groups == cin else {
            throw ctx.error("weight shape \(w.shape) expects \(w.shape[1] * groups) input channels (group \(groups)), the input has \(cin)")
        }
        let attrs = try WindowAttributes(ctx, rank: rank, kernel: Array(w.shape[2...]))
        let window = try attrs.forward(ctx, input: Array(x.shape[2...]))
        let hasBias = try checkBias(ctx, channels: cout)
        let out = [x.shape[0], cout] + window.spatial(window.positions)
        _ = try ctx.checkedCount(out)
        return Setup(batch: x.shape[0], inChannels: cin, outChannels: cout, groups: groups, window: window,
                     hasBias: hasBias, outputShape: out)
    }

    /// ConvTranspose: x (N, Cin, D, H, W), w (Cin, Cout/g, kD, kH, kW), bias (Cout) → y (N, Cout, …).
    static func convTransposeSetup(_ ctx: OpContext) throws -> Setup {
        let (x, w, rank, groups) = try common(ctx)
        let cin = x.shape[1]
        guard w.shape[0] == cin else {
            throw ctx.error("weight shape \(w.shape) expects \(w.shape[0]) input channels, the input has \(cin)")
        }
        guard cin % groups == 0 else { throw ctx.error("input channels \(cin) must be divisible by group \(groups)") }
        let cout = w.shape[1] * groups
        let attrs = try WindowAttributes(ctx, rank: rank, kernel: Array(w.shape[2...]))
        let outputPadding = try ctx.ints("output_padding") ?? [Int](repeating: 0, count: rank)
        guard outputPadding.count == rank, outputPadding.allSatisfy({ $0 >= 0 && $0 <= WindowAttributes.limit }) else {
            throw ctx.error("output_padding \(outputPadding) must have \(rank) values in 0…\(WindowAttributes.limit)")
        }
        var outputShape = try ctx.ints("output_shape")
        if let os = outputShape {
            // Some exporters write the full (N, C, spatial…) shape; the spec wants only the spatial part.
            if os.count == rank + 2 { outputShape = Array(os[2...]) }
            guard outputShape!.count == rank, outputShape!.allSatisfy({ $0 <= WindowAttributes.limit }) else {
                throw ctx.error("output_shape \(os) must have \(rank) values (the spatial axes), each at most \(WindowAttributes.limit)")
            }
        }
        let window = try attrs.transposed(ctx, input: Array(x.shape[2...]), outputPadding: outputPadding,
                                          outputShape: outputShape)
        let hasBias = try checkBias(ctx, channels: cout)
        let out = [x.shape[0], cout] + window.spatial(window.image)
        _ = try ctx.checkedCount(out)
        return Setup(batch: x.shape[0], inChannels: cin, outChannels: cout, groups: groups, window: window,
                     hasBias: hasBias, outputShape: out)
    }

    static let conv: OpFactory = { ctx in
        let s = try convSetup(ctx)
        let weight = ctx.inputs[1]?.constant
        let kernel: Kernel
        if FewOutputsConvKernel.applies(to: s) {
            kernel = FewOutputsConvKernel(s)
        } else if WinogradConvKernel.applies(to: s, weight: weight) {
            kernel = WinogradConvKernel(s, weight: weight!)
        } else {
            kernel = ConvKernel(s)
        }
        return KernelPlan(outputs: [OutputSpec(shape: s.outputShape)], kernel: kernel)
    }

    static let convTranspose: OpFactory = { ctx in
        let s = try convTransposeSetup(ctx)
        let weight = ctx.inputs[1]?.constant
        let kernel: Kernel = PhasedConvTransposeKernel.applies(to: s, weight: weight)
            ? PhasedConvTransposeKernel(s, weight: weight!) : ConvTransposeKernel(s, weight: weight)
        return KernelPlan(outputs: [OutputSpec(shape: s.outputShape)], kernel: kernel)
    }

    /// Writes `bias[c]` (or 0) over `count` floats at `dst + c·stride` for c in `channels`, in parallel.
    static func fill(_ dst: UnsafeMutablePointer<Float>, channels: Int, stride: Int, count: Int,
                     bias: UnsafePointer<Float>?) {
        Parallel.forEach(channels, grain: max(1, 32768 / max(count, 1))) { r in
            for c in r { (dst + c * stride).update(repeating: bias?[c] ?? 0, count: count) }
        }
    }
}

/// Scratch memory owned by a kernel, allocated once at load time and reused by every run (a plan
/// runs on one thread at a time).
final class Scratch: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }

    /// Bytes held by the given scratch buffers.
    static func bytes(_ buffers: Scratch?...) -> Int { buffers.reduce(0) { $0 + ($1?.count ?? 0) * 4 } }
}

/// Conv through sgemm. Per group, y_g (Cout/g × positions) = w_g (Cout/g × Cin/g·k) · cols
/// (Cin/g·k × positions). Three shapes of work:
/// - depthwise (one input channel per group): direct loops, one output plane per work item —
///   a sgemm with one row would waste BLAS;
/// - pointwise (1×1, stride 1, no padding): x itself is the column matrix, no im2col;
/// - otherwise im2col per block. A block is either a run of position rows of one image (large
///   images: sgemm writes straight into y) or several whole images (small images: their columns
///   sit side by side so sgemm sees ≥ `targetColumns` columns, and the result is copied out).
final class ConvKernel: Kernel, @unchecked Sendable {
    let s: Setup
    let tables: WindowTables
    let cinG: Int, coutG: Int, k: Int
    let depthwise: Bool, pointwise: Bool
    /// Images per block (> 1 only when whole small images are batched) and position rows per block.
    let imagesPerBlock: Int, rowsPerBlock: Int
    let cols: Scratch?, result: Scratch?
    var scratchBytes: Int { Scratch.bytes(cols, result) }

    typealias Setup = ConvolutionOps.Setup

    /// `budget`: floats of scratch the blocking may use (tests lower it to exercise every path).
    init(_ s: Setup, budget: Int = ConvolutionOps.convScratchBudget) {
        self.s = s
        let w = s.window
        tables = WindowTables(w)
        cinG = s.inChannels / s.groups
        coutG = s.outChannels / s.groups
        k = cinG * w.kernelCount
        depthwise = cinG == 1 && s.groups > 1
        pointwise = w.kernelCount == 1 && w.stride.allSatisfy { $0 == 1 } && w.padBegin.allSatisfy { $0 == 0 }
            && w.image == w.positions
        let positions = w.positionCount, rows = w.positions[0] * w.positions[1], pw = w.positions[2]
        var images = 1, rowBlock = rows
        if !depthwise {
            if positions < ConvolutionOps.targetColumns && s.batch > 1 {
                let want = (ConvolutionOps.targetColumns + positions - 1) / positions
                let fit = budget / max(1, max(k, coutG) * positions)
                images = max(1, min(s.batch, want, fit))
            }
            if images == 1 && k * positions > budget && !pointwise {
                rowBlock = max(1, min(rows, budget / max(1, k * pw)))
            }
        }
        imagesPerBlock = images
        rowsPerBlock = rowBlock
        let needCols = !depthwise && (!pointwise || images > 1)
        cols = needCols ? Scratch(k * images * rowBlock * pw) : nil
        result = images > 1 ? Scratch(coutG * images * positions) : nil
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, w, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        if depthwise { return runDepthwise(x, w, bias, y) }
        let win = s.window
        let plane = win.imageCount, positions = win.positionCount, pw = win.positions[2]
        let rows = win.positions[0] * win.positions[1]
        let cin = s.inChannels, cout = s.outChannels
        var n0 = 0
        while n0 < s.batch {
            let images = min(imagesPerBlock, s.batch - n0)
            for g in 0..<s.groups {
                let xg = x + (n0 * cin + g * cinG) * plane
                let wg = w + g * coutG * k
                let bg = bias.map { $0 + g * coutG }
                if images == 1 && result == nil {
                    // sgemm writes straight into y, rows of positions at a time.
                    var r0 = 0
                    while r0 < rows {
                        let r1 = min(rows, r0 + rowsPerBlock), n = (r1 - r0) * pw
                        let yb = y + (n0 * cout + g * coutG) * positions + r0 * pw
                        if bg != nil { ConvolutionOps.fill(yb, channels: coutG, stride: positions, count: n, bias: bg) }
                        let b: UnsafePointer<Float>, ldb: Int
                        if pointwise {
                            b = xg + r0 * pw; ldb = plane
                        } else {
                            tables.im2col(xg, imageStride: cin * plane, channels: cinG, images: 1, rows: r0..<r1,
                                          into: cols!.pointer)
                            b = UnsafePointer(cols!.pointer); ldb = n
                        }
                        BLAS.sgemm(m: coutG, n: n, k: k, a: wg, lda: k, b: b, ldb: ldb,
                                   beta: bg == nil ? 0 : 1, c: yb, ldc: positions)
                        r0 = r1
                    }
                } else {
                    // Whole images side by side, then copied out with the bias.
                    let n = images * positions
                    tables.im2col(xg, imageStride: cin * plane, channels: cinG, images: images, rows: 0..<rows,
                                  into: cols!.pointer)
                    let tmp = result!.pointer
                    BLAS.sgemm(m: coutG, n: n, k: k, a: wg, lda: k, b: cols!.pointer, ldb: n, beta: 0, c: tmp, ldc: n)
                    let coutG = self.coutG
                    Parallel.forEach(images * coutG, grain: max(1, 32768 / max(positions, 1))) { r in
                        for item in r {
                            let j = item / coutG, c = item % coutG
                            let src = tmp + c * n + j * positions
                            let dst = y + ((n0 + j) * cout + g * coutG + c) * positions
                            if let bg {
                                let b = bg[c]
                                for i in 0..<positions { dst[i] = src[i] + b }
                            } else {
                                dst.update(from: src, count: positions)
                            }
                        }
                    }
                }
            }
            n0 += images
        }
    }

    /// One input channel per group (depthwise and channel-multiplier convs): output plane
    /// (n, co) = bias + Σ_taps w[co, tap] · shifted input plane (n, co / (Cout/g)).
    private func runDepthwise(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                              _ y: UnsafeMutablePointer<Float>) {
        let win = s.window, t = tables
        let (IH, IW) = (win.image[1], win.image[2])
        let (PH, PW) = (win.positions[1], win.positions[2])
        let (kD, kH, kW) = (win.kernel[0], win.kernel[1], win.kernel[2])
        let (sD, sH, sW) = (win.stride[0], win.stride[1], win.stride[2])
        let (dD, dH, dW) = (win.dilation[0], win.dilation[1], win.dilation[2])
        let (pD, pH, pW) = (win.padBegin[0], win.padBegin[1], win.padBegin[2])
        let plane = win.imageCount, positions = win.positionCount, kk = win.kernelCount
        let cin = s.inChannels, cout = s.outChannels, coutG = self.coutG
        Parallel.forEach(s.batch * cout, grain: max(1, 16384 / max(positions * kk, 1))) { r in
            for item in r {
                let n = item / cout, co = item % cout
                let src = x + (n * cin + co / coutG) * plane
                let dst = y + item * positions
                dst.update(repeating: bias?[co] ?? 0, count: positions)
                var tap = 0
                for tz in 0..<kD { for ty in 0..<kH { for tx in 0..<kW {
                    let wv = w[co * kk + tap]
                    tap += 1
                    let xr = t.x[tx]
                    guard !xr.isEmpty else { continue }
                    let lo = xr.lowerBound, cnt = xr.count, xoff = tx * dW - pW
                    for pz in t.z[tz] {
                        let iz = pz * sD - pD + tz * dD
                        for py in t.y[ty] {
                            let iy = py * sH - pH + ty * dH
                            let d = dst + (pz * PH + py) * PW + lo
                            let sp = src + ((iz * IH + iy) * IW + lo * sW + xoff)
                            if sW == 1 {
                                for i in 0..<cnt { d[i] += wv * sp[i] }
                            } else {
                                for i in 0..<cnt { d[i] += wv * sp[i * sW] }
                            }
                        }
                    }
                } } }
            }
        }
    }
}

/// ConvTranspose through sgemm + col2im (the column movement is in Im2Col.swift). Three plans:
///
/// - direct: a 1×1 input without padding whose output is exactly the kernel (DCGAN's first layer,
///   a latent vector to a 4×4 map) needs no col2im: y (N × Cout·k) = x (N × Cin) · w (Cin × Cout·k).
/// - channels-last (constant weight, ≥ 16 output channels per group, ≥ 128 positions per sgemm):
///   colsᵀ (positions × k·Cout/g) = x_gᵀ · w_g with w's columns permuted at load to (tap, channel),
///   so col2im sums whole channel vectors — long unit-stride runs however small the image — and
///   transposes each tile of output pixels into the planes of y. This is the DCGAN shape: planes of
///   8×8 to 32×32 with 64–256 channels, where a per-plane col2im is dominated by loop overhead.
/// - planes: cols (Cout/g·k × positions) = w_gᵀ · x_g, then col2im per (image, channel) plane. A
///   constant weight is transposed once at load time: OpenBLAS packs a non-transposed A faster
///   (0.43 vs 0.79 ms for DCGAN's 4096×16×512 product on one core). Used for few output channels
///   (an RGB output layer) and for narrow products, where colsᵀ would make sgemm slow (a batch-1
///   4×4 input: 16 rows).
///
/// Small inputs are batched: several images' inputs side by side (Cin/g × images·positions) give
/// sgemm wide matrices. When one image's columns would not fit the scratch budget, the planes
/// plan tiles output channels instead.
final class ConvTransposeKernel: Kernel, ActivationFusing, WeightCopying, @unchecked Sendable {
    enum Layout { case direct, channelsLast, planes }
    let s: Setup
    let tables: WindowTables
    let cinG: Int, coutG: Int, kk: Int
    let layout: Layout
    let imagesPerBlock: Int, channelsPerTile: Int
    let cols: Scratch?, gathered: Scratch?
    /// Per group, the weight rearranged at load time (when it is constant): for channels-last,
    /// (Cin/g × k·Cout/g) with columns in (tap, channel) order; for planes, w_gᵀ (Cout/g·k × Cin/g).
    /// nil when `panels` hold it.
    let packed: Scratch?
    var scratchBytes: Int { Scratch.bytes(cols, gathered, packed) }
    /// Channels-last with few positions per block (a batch-1 DCGAN layer: 16–256): per group the
    /// (tap, channel) weight packed for CZWalkKernels' small sgemm, which there beats OpenBLAS's
    /// per-call packing and thread wake-up.
    let panels: Scratch?
    /// Which build of the packed kernel runs (tests pass each the CPU has).
    let variant: CPUKernels.Variant
    /// Applied to each output plane as soon as col2im has finished it (a fused Relu, Tanh …).
    var activation: FusedActivation?

    func fuse(_ a: FusedActivation) -> Bool {
        guard activation == nil else { return false }
        activation = a
        return true
    }

    /// The direct product reads the weight as it is; the other layouts read their rearranged copy.
    var readsWeightAtRun: Bool { layout == .direct || (packed == nil && panels == nil) }

    typealias Setup = ConvolutionOps.Setup

    /// `weight`: the weight when it is a load-time constant (it is then rearranged once).
    /// `budget`: floats of scratch the blocking may use (tests lower it to exercise every path).
    init(_ s: Setup, weight: Tensor?, budget: Int = ConvolutionOps.scratchBudget, variant: CPUKernels.Variant = .best) {
        self.s = s
        self.variant = variant
        let w = s.window
        tables = WindowTables(w)
        let cinG = s.inChannels / s.groups, coutG = s.outChannels / s.groups, kk = w.kernelCount
        (self.cinG, self.coutG, self.kk) = (cinG, coutG, kk)
        let positions = w.positionCount, perImage = coutG * kk * positions
        var images = 1, tile = coutG
        if perImage <= budget {
            if positions < ConvolutionOps.targetColumns && s.batch > 1 {
                let want = (ConvolutionOps.targetColumns + positions - 1) / positions
                let fit = budget / max(1, max(perImage, cinG * positions))
                images = max(1, min(s.batch, want, fit))
            }
        } else {
            tile = max(1, min(coutG, budget / max(1, kk * positions)))
        }
        if s.groups == 1 && w.positionCount == 1 && w.image == w.kernel && w.padBegin.allSatisfy({ $0 == 0 }) {
            layout = .direct
        } else if weight != nil && coutG >= 16 && tile == coutG
                    && (images * positions >= 128 || images * positions <= PackedGemmKernel.maxRows) {
            // (≥ 128 positions for sgemm; fewer go through the packed kernel, which does not mind.)
            layout = .channelsLast
        } else {
            layout = .planes
        }
        imagesPerBlock = layout == .direct ? 1 : images
        channelsPerTile = layout == .planes ? tile : coutG
        cols = layout == .direct ? nil : Scratch(channelsPerTile * kk * imagesPerBlock * positions)
        gathered = imagesPerBlock > 1 ? Scratch(cinG * imagesPerBlock * positions) : nil
        var rearranged: Scratch? = nil
        if let weight, layout != .direct {
            // w (Cin, Cout/g, k…): per group a (Cin/g × Cout/g·k) matrix with columns (channel, tap).
            let t = Scratch(weight.count), src = weight.floats.baseAddress!
            let rows = cinG, width = coutG * kk
            for g in 0..<s.groups {
                let a = src + g * rows * width, b = t.pointer + g * rows * width
                for r in 0..<rows {
                    for c in 0..<coutG {
                        for tap in 0..<kk {
                            let v = a[r * width + c * kk + tap]
                            if layout == .channelsLast { b[r * width + tap * coutG + c] = v }
                            else { b[(c * kk + tap) * rows + r] = v }
                        }
                    }
                }
            }
            rearranged = t
        }
        if let packed = rearranged, layout == .channelsLast && imagesPerBlock * positions <= PackedGemmKernel.maxRows {
            let width = kk * coutG, size = CPUKernels.packedSize(k: cinG, n: width)
            let p = Scratch(s.groups * size)
            for g in 0..<s.groups {
                CPUKernels.packB(packed.pointer + g * cinG * width, ldb: width, transB: false, k: cinG, n: width,
                                 into: p.pointer + g * size)
            }
            panels = p
        } else {
            panels = nil
        }
        // The panels are all the run reads: the rearranged copy (as large as the weight, 14 MB
        // in DCGAN-64) is not kept beside them.
        packed = panels == nil ? rearranged : nil
    }

    /// colsᵀ (n × width) = bᵀ · w_g for b (cin × n) through the packed kernel, the threads
    /// splitting the 32-column panels.
    static func packedProduct(_ variant: CPUKernels.Variant, n: Int, width: Int, cin: Int, b: UnsafePointer<Float>, panels: UnsafePointer<Float>,
                              group g: Int, into cols: UnsafeMutablePointer<Float>) {
        let pg = panels + g * CPUKernels.packedSize(k: cin, n: width)
        let count = (width + 31) / 32, perPanel = n * cin * 32
        Parallel.forEach(count, grain: max(1, (PackedGemmKernel.minChunk + perPanel - 1) / perPanel)) { r in
            let c0 = r.lowerBound * 32, c1 = min(width, r.upperBound * 32)
            CPUKernels.sgemmPacked(variant, m: n, n: c1 - c0, k: cin, a: b, rowStride: 1, columnStride: n, packed: pg + c0 * cin,
                                   bias: nil, activation: .none, alpha: 0, c: cols + c0, ldc: width)
        }
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, w, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        let win = s.window
        let plane = win.imageCount, positions = win.positionCount
        let cin = s.inChannels, cout = s.outChannels, kk = self.kk, cinG = self.cinG, coutG = self.coutG
        if layout == .direct {
            // y viewed as (N × Cout·k): each image's output channels are its kernel-sized planes.
            if let bias {
                Parallel.forEach(s.batch * cout, grain: max(1, 32768 / plane)) { r in
                    for item in r { (y + item * plane).update(repeating: bias[item % cout], count: plane) }
                }
            }
            LinearOps.product(transA: false, transB: false, m: s.batch, n: cout * kk, k: cin, alpha: 1, a: x, lda: cin,
                              b: w, ldb: cout * kk, accumulate: bias != nil, c: y, ldc: cout * kk)
            if let activation {
                Parallel.forEach(s.batch * cout, grain: max(1, 32768 / plane)) { r in
                    activation.apply(y + r.lowerBound * plane, r.count * plane, variant: variant)
                }
            }
            return
        }
        let t = tables, colsPtr = cols!.pointer
        var n0 = 0
        while n0 < s.batch {
            let images = min(imagesPerBlock, s.batch - n0)
            let n = images * positions
            for g in 0..<s.groups {
                // b: x_g of these images as (Cin/g × images·positions).
                let b: UnsafePointer<Float>
                if images == 1 {
                    b = x + (n0 * cin + g * cinG) * positions
                } else {
                    let dst = gathered!.pointer
                    Parallel.forEach(cinG * images, grain: max(1, 32768 / max(positions, 1))) { r in
                        for item in r {
                            let c = item / images, j = item % images
                            (dst + c * n + j * positions).update(from: x + ((n0 + j) * cin + g * cinG + c) * positions,
                                                                 count: positions)
                        }
                    }
                    b = UnsafePointer(dst)
                }
                let wg = w + g * cinG * coutG * kk
                let pg = packed.map { UnsafePointer($0.pointer) + g * cinG * coutG * kk }
                let yg = y + (n0 * cout + g * coutG) * plane
                let bg = bias.map { $0 + g * coutG }
                if layout == .channelsLast {
                    // colsᵀ (n × k·Cout/g) = bᵀ · w_g(tap, channel)
                    if let panels {
                        ConvTransposeKernel.packedProduct(variant, n: n, width: kk * coutG, cin: cinG, b: b,
                                                          panels: UnsafePointer(panels.pointer), group: g, into: colsPtr)
                    } else {
                        BLAS.sgemm(transA: true, m: n, n: kk * coutG, k: cinG, a: b, lda: n, b: pg!, ldb: kk * coutG,
                                   beta: 0, c: colsPtr, ldc: kk * coutG)
                    }
                    t.col2imChannelsLast(colsPtr, images: images, channels: coutG, bias: bg, activation: activation,
                                         variant: variant, into: yg, imageStride: cout * plane)
                    continue
                }
                var c0 = 0
                while c0 < coutG {
                    let c1 = min(coutG, c0 + channelsPerTile), tileChannels = c1 - c0
                    // cols (tile·k × n) = (w_g columns c0·k..<c1·k)ᵀ · b
                    if let pg {
                        BLAS.sgemm(m: tileChannels * kk, n: n, k: cinG, a: pg + c0 * kk * cinG, lda: cinG,
                                   b: b, ldb: n, beta: 0, c: colsPtr, ldc: n)
                    } else {
                        BLAS.sgemm(transA: true, m: tileChannels * kk, n: n, k: cinG, a: wg + c0 * kk, lda: coutG * kk,
                                   b: b, ldb: n, beta: 0, c: colsPtr, ldc: n)
                    }
                    Parallel.forEach(images * tileChannels, grain: max(1, 65536 / max(kk * positions, 1))) { r in
                        for item in r {
                            // Channel-major order: consecutive planes read adjacent runs of the same column rows.
                            let c = item / images, j = item % images
                            let out = yg + (j * cout + c0 + c) * plane
                            t.col2im(colsPtr + c * kk * n + j * positions, rowStride: n, into: out, bias: bg?[c0 + c] ?? 0)
                            activation?.apply(out, plane, variant: variant)
                        }
                    }
                    c0 = c1
                }
            }
            n0 += images
        }
    }
}
