import Dispatch

/// Winograd F(4×4, 3×3) for 3×3, stride-1, dilation-1, ungrouped 2-D convolutions with enough
/// channels (a tiny-autoencoder decoder's 64-channel layers): 36 multiplies per 4×4 output block
/// and channel pair instead of 144, so 4× fewer than im2col + sgemm.
///
/// Each output block is Y = Aᵀ [ U ⊙ (Bᵀ d B) ] A with U = G g Gᵀ per (output, input) channel
/// pair and d the 6×6 input tile around it. Summed over input channels, the 36 elementwise
/// products are 36 matrix products, one per tile position ξ:
///   M[ξ] (T × K) = V[ξ] (T × C) · U[ξ]ᵀ (C × K)
/// with K output channels, C input channels and T tiles. U is transformed once here at load time
/// (in double precision) and packed for CZWalkKernels' register-blocked sgemm (AVX-512 or
/// AVX2/FMA when the CPU has them). The input transform V = Bᵀ d B and the output transform
/// Aᵀ M A + bias (+ a fused skip connection and ReLU) run there too, 16 channels per vector: V and
/// M are channel-last (C and K rounded up to 16, zeros in the padding), and the transforms stage
/// the NCHW rows they read or write through a small transposed buffer.
///
/// Work is split into blocks of whole tile rows (one image, 4 output rows each; several images
/// when they are small), about `tilesPerBlock` tiles. Each thread takes whole blocks and runs the
/// three steps on its own V and M, which stay in its L2 cache (1.2 MB at 64 channels): no OpenBLAS
/// call, no synchronisation between the steps.
///
/// Error: the transforms scale values by up to 8² (Aᵀ) and 5² (Bᵀ), so the result carries a
/// rounding error a few times that of a direct sum — measured against the double-precision naive
/// reference in WinogradTests.
final class WinogradConvKernel: Kernel, ActivationFusing, ResidualFusing, @unchecked Sendable {
    /// Fewer channels than this on either side: the transforms cost more than the products save.
    static let minChannels = 16
    /// Fewer tiles per run than this (an 8×8 output): im2col + one sgemm is as fast. At 4 tiles
    /// Winograd still wins: resconv_decoder's 64-channel 8×8 layers at batch 1 take 0.034–0.036 ms
    /// against 0.081–0.086 through im2col and OpenBLAS, which packs both operands on every call.
    static let minTiles = 4
    /// Tiles per block: V and M of a block at 64 channels fill about half of a core's L2.
    static let tilesPerBlock = 64
    /// Fewest tiles of a block made smaller so that every thread has one: below, each thread
    /// would read all of U for a few rows, and sharing one block's steps costs less.
    static let minSplitTiles = 8

    let s: ConvolutionOps.Setup
    let tilesX: Int, tilesY: Int
    /// Tile rows per block.
    let rowsPerBlock: Int
    /// C and K rounded up to whole vectors of 16: the row lengths of V and M.
    let paddedIn: Int, paddedOut: Int
    /// Per ξ, U[ξ]ᵀ (C × K, C padded with zero rows) packed for the sgemm kernel, `packedStride` floats apart.
    let u: Scratch
    let packedStride: Int
    /// Floats of one thread's staging buffer for either transform.
    let stagingFloats: Int
    /// The activation applied in the output pass (Relu, when the planner fuses one).
    var activation: CPUKernels.Activation
    /// The input added in the output pass, before the activation (a skip connection's Add).
    var residualInput: Int?
    /// Which build of the C kernels runs (tests pass each the CPU has).
    let variant: CPUKernels.Variant

    static func applies(to s: ConvolutionOps.Setup, weight: Tensor?) -> Bool {
        let w = s.window
        guard weight != nil, s.groups == 1, s.inChannels >= minChannels, s.outChannels >= minChannels,
              w.image[0] == 1, w.kernel == [1, 3, 3], w.stride.allSatisfy({ $0 == 1 }),
              w.dilation.allSatisfy({ $0 == 1 }), w.padBegin[0] == 0, w.positions[0] == 1 else { return false }
        let tiles = s.batch * ((w.positions[1] + 3) / 4) * ((w.positions[2] + 3) / 4)
        return tiles >= minTiles
    }

    /// `weight`: (K, C, 3, 3), constant. `tilesPerBlock`: tests lower it to force many blocks.
    init(_ s: ConvolutionOps.Setup, weight: Tensor, activation: CPUKernels.Activation = .none,
         tilesPerBlock: Int = WinogradConvKernel.tilesPerBlock, variant: CPUKernels.Variant = .best) {
        self.s = s
        self.activation = activation
        self.variant = variant
        let win = s.window
        tilesY = (win.positions[1] + 3) / 4
        tilesX = (win.positions[2] + 3) / 4
        let c = s.inChannels, k = s.outChannels
        rowsPerBlock = max(1, min(s.batch * tilesY, tilesPerBlock / tilesX))
        paddedIn = (c + 15) / 16 * 16
        paddedOut = (k + 15) / 16 * 16
        stagingFloats = max(CPUKernels.winogradInputStaging(channels: c, tiles: tilesX),
                            CPUKernels.winogradOutputStaging(channels: k, tiles: tilesX))
        let transformed = Scratch(36 * k * paddedIn)
        transformed.pointer.initialize(repeating: 0, count: 36 * k * paddedIn)
        Self.transformFilters(weight.floats.baseAddress!, outChannels: k, inChannels: c, rowLength: paddedIn,
                              into: transformed.pointer)
        packedStride = CPUKernels.packedSize(k: paddedIn, n: k)
        u = Scratch(36 * packedStride)
        for xi in 0..<36 {
            // U[ξ] is stored (K × C): as B = U[ξ]ᵀ (C × K) it is a transposed B.
            CPUKernels.packB(transformed.pointer + xi * k * paddedIn, ldb: paddedIn, transB: true, k: paddedIn, n: k,
                             into: u.pointer + xi * packedStride)
        }
    }

    /// U[ξ = 6i + j][k][c] = (G g Gᵀ)[i][j] for each 3×3 filter g = w[k][c]; rows of U[ξ] are
    /// `rowLength` floats apart.
    static func transformFilters(_ w: UnsafePointer<Float>, outChannels k: Int, inChannels c: Int, rowLength: Int,
                                 into u: UnsafeMutablePointer<Float>) {
        let g: [[Double]] = [
            [1.0 / 4, 0, 0],
            [-1.0 / 6, -1.0 / 6, -1.0 / 6],
            [-1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6],
            [1.0 / 24, -1.0 / 12, 1.0 / 6],
            [0, 0, 1],
        ]
        for ko in 0..<k {
            for ci in 0..<c {
                let f = w + (ko * c + ci) * 9
                // gf = G f (6 × 3), then gf Gᵀ (6 × 6)
                var gf = [Double](repeating: 0, count: 18)
                for i in 0..<6 { for j in 0..<3 {
                    gf[i * 3 + j] = g[i][0] * Double(f[j]) + g[i][1] * Double(f[3 + j]) + g[i][2] * Double(f[6 + j])
                } }
                for i in 0..<6 { for j in 0..<6 {
                    let val = gf[i * 3] * g[j][0] + gf[i * 3 + 1] * g[j][1] + gf[i * 3 + 2] * g[j][2]
                    u[((i * 6 + j) * k + ko) * rowLength + ci] = Float(val)
                } }
            }
        }
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, _, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        let residual = residualInput.map { UnsafePointer(inputs[$0]!.floats.baseAddress!) }
        let totalRows = s.batch * tilesY
        let threads = Parallel.threads
        var rowsPerBlock = self.rowsPerBlock
        if (totalRows + rowsPerBlock - 1) / rowsPerBlock < threads && (totalRows / threads) * tilesX >= Self.minSplitTiles {
            // Fewer blocks than threads, but enough tiles for each thread to run a block of its
            // own: smaller blocks, one per thread, and no barrier between the three steps (a
            // 32×32 layer at batch 1: two blocks of 32 tiles instead of one shared block).
            rowsPerBlock = (totalRows + threads - 1) / threads
        }
        let blocks = (totalRows + rowsPerBlock - 1) / rowsPerBlock
        let blockFloats = 36 * (Self.xiStride(tiles: rowsPerBlock * tilesX, channels: paddedIn)
                                + Self.xiStride(tiles: rowsPerBlock * tilesX, channels: paddedOut))
        let io = BlockIO(x: x, bias: bias, residual: residual, y: y)
        if blocks < threads {
            // Too few tiles for a block per thread (a small image at batch 1): the threads share
            // each block's three steps instead — channels of the transforms (whole vectors of 16,
            // each thread staging through its own buffer), ξ of the products.
            // part w of `groups` vectors of 16 channels, as a channel range
            func part(_ w: Int, of groups: Int, channels: Int) -> Range<Int> {
                min(channels, 16 * (groups * w / threads))..<min(channels, 16 * (groups * (w + 1) / threads))
            }
            ScratchPool.shared.withBuffers(count: threads, floats: blockFloats + stagingFloats) { buffers in
                let scratch = buffers[0]
                for b in 0..<blocks {
                    let block = Block(firstRow: b * rowsPerBlock, rows: min(rowsPerBlock, totalRows - b * rowsPerBlock))
                    Parallel.forEach(threads, grain: 1) { r in
                        for w in r {
                            let channels = part(w, of: paddedIn / 16, channels: s.inChannels)
                            if !channels.isEmpty {
                                transformInput(block, channels: channels, io, scratch: scratch, staging: buffers[w] + blockFloats)
                            }
                        }
                    }
                    Parallel.forEach(36, grain: (36 + threads - 1) / threads) { r in
                        multiply(block, xi: r, scratch: scratch)
                    }
                    Parallel.forEach(threads, grain: 1) { r in
                        for w in r {
                            let channels = part(w, of: paddedOut / 16, channels: s.outChannels)
                            if !channels.isEmpty {
                                transformOutput(block, channels: channels, io, scratch: scratch, staging: buffers[w] + blockFloats)
                            }
                        }
                    }
                }
            }
            return
        }
        let workers = min(threads, blocks)
        ScratchPool.shared.withBuffers(count: workers, floats: blockFloats + stagingFloats) { buffers in
            Parallel.forEach(workers, grain: 1) { r in
                for w in r { for b in stride(from: w, to: blocks, by: workers) {
                    let block = Block(firstRow: b * rowsPerBlock, rows: min(rowsPerBlock, totalRows - b * rowsPerBlock))
                    let staging = buffers[w] + blockFloats
                    transformInput(block, channels: 0..<s.inChannels, io, scratch: buffers[w], staging: staging)
                    multiply(block, xi: 0..<36, scratch: buffers[w])
                    transformOutput(block, channels: 0..<s.outChannels, io, scratch: buffers[w], staging: staging)
                } }
            }
        }
    }

    /// Floats from V[ξ] (or M[ξ]) to V[ξ + 1] for `tiles` tiles: one cache line more than the
    /// matrix, because at 64 tiles × 64 channels the matrices are 16 KB, and 36 streams 16 KB apart
    /// all map to the same set of the L1 cache.
    static func xiStride(tiles: Int, channels: Int) -> Int { tiles * channels + 16 }

    /// Where V and M of a block of `tiles` tiles sit in its scratch, and their ξ strides.
    private func layout(_ scratch: UnsafeMutablePointer<Float>, tiles t: Int)
        -> (v: UnsafeMutablePointer<Float>, vStride: Int, m: UnsafeMutablePointer<Float>, mStride: Int) {
        let vStride = Self.xiStride(tiles: t, channels: paddedIn)
        return (scratch, vStride, scratch + 36 * vStride, Self.xiStride(tiles: t, channels: paddedOut))
    }

    /// Tile rows firstRow ..< firstRow + rows (row r: image r / tilesY, tile row r % tilesY), whose
    /// scratch holds V (36 × T × C padded, ξ-major, channels contiguous) then M (36 × T × K padded).
    private struct Block {
        let firstRow: Int, rows: Int
    }

    private struct BlockIO {
        let x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?
        let y: UnsafeMutablePointer<Float>
    }

    /// V of input channels `channels` (starting at a multiple of 16).
    private func transformInput(_ b: Block, channels: Range<Int>, _ io: BlockIO, scratch: UnsafeMutablePointer<Float>,
                                staging: UnsafeMutablePointer<Float>) {
        let win = s.window
        let h = win.image[1], wd = win.image[2], plane = h * wd
        let (v, vStride, _, _) = layout(scratch, tiles: b.rows * tilesX)
        for rr in 0..<b.rows {
            let n = (b.firstRow + rr) / tilesY, ty = (b.firstRow + rr) % tilesY
            CPUKernels.winogradInput(variant, io.x + (n * s.inChannels + channels.lowerBound) * plane,
                                     channels: channels.count, h: h, w: wd, tileRow: ty, padTop: win.padBegin[1],
                                     padLeft: win.padBegin[2], tiles: tilesX,
                                     into: v + rr * tilesX * paddedIn + channels.lowerBound, xiStride: vStride,
                                     tileStride: paddedIn, staging: staging)
        }
    }

    /// M[ξ] (T × K) = V[ξ] · U[ξ]ᵀ for ξ in `xi` (the padding columns of M come out 0).
    private func multiply(_ b: Block, xi: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
        let t = b.rows * tilesX
        let (v, vStride, m, mStride) = layout(scratch, tiles: t)
        let packed = UnsafePointer(u.pointer)
        for xi in xi {
            CPUKernels.sgemmPacked(variant, m: t, n: paddedOut, k: paddedIn, a: v + xi * vStride, rowStride: paddedIn,
                                   columnStride: 1, packed: packed + xi * packedStride, bias: nil, activation: .none,
                                   alpha: 0, c: m + xi * mStride, ldc: paddedOut)
        }
    }

    /// Output channels `channels` (starting at a multiple of 16) of the block's tile rows:
    /// Aᵀ m A + bias (+ residual), activation.
    private func transformOutput(_ b: Block, channels: Range<Int>, _ io: BlockIO, scratch: UnsafeMutablePointer<Float>,
                                 staging: UnsafeMutablePointer<Float>) {
        let win = s.window
        let oh = win.positions[1], ow = win.positions[2], outPlane = oh * ow
        let k = s.outChannels
        let (_, _, m, mStride) = layout(scratch, tiles: b.rows * tilesX)
        for rr in 0..<b.rows {
            let n = (b.firstRow + rr) / tilesY, ty = (b.firstRow + rr) % tilesY
            let first = (n * k + channels.lowerBound) * outPlane
            CPUKernels.winogradOutput(variant, m + rr * tilesX * paddedOut + channels.lowerBound, xiStride: mStride,
                                      tileStride: paddedOut, channels: channels.count, tiles: tilesX,
                                      bias: io.bias.map { $0 + channels.lowerBound }, residual: io.residual.map { $0 + first },
                                      activation: activation, into: io.y + first, oh: oh, ow: ow, tileRow: ty,
                                      staging: staging)
        }
    }
}

extension WinogradConvKernel: WeightCopying {
    /// The run reads U, transformed from the weight at load.
    var readsWeightAtRun: Bool { false }

    /// Relu goes into the output transform's stores; the others stay a step of their own.
    func fuse(_ a: FusedActivation) -> Bool {
        guard activation == .none, a == .relu else { return false }
        activation = .relu
        return true
    }

    /// The residual is added before the activation, so not after one has been fused.
    func fuseResidual(after inputs: Int) -> Int? {
        guard activation == .none, residualInput == nil else { return nil }
        residualInput = max(inputs, 3) // after x, w and the optional bias
        return residualInput
    }
}
