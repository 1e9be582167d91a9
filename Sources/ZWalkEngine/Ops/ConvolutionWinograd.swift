import Dispatch

/// Winograd F(4×4, 3×3) for 3×3, stride-1, dilation-1, ungrouped 2-D convolutions with enough
/// channels (a tiny-autoencoder decoder's 64-channel layers): 36 multiplies per 4×4 output block
/// and channel pair instead of 144, so 4× fewer than im2col + sgemm.
///
/// Each output block is Y = Aᵀ [ U ⊙ (Bᵀ d B) ] A with U = G g Gᵀ per (output, input) channel
/// pair and d the 6×6 input tile around it. Summed over input channels, the 36 elementwise
/// products are 36 matrix products, one per tile position ξ:
///   M[ξ] (T × K) = V[ξ]ᵀ (T × C) · U[ξ]ᵀ (C × K)
/// with K output channels, C input channels and T tiles. U is transformed once here at load time
/// (in double precision) and packed for CZWalkKernels' register-blocked sgemm (AVX-512 or
/// AVX2/FMA when the CPU has them); the input transform V = Bᵀ d B and the output transform
/// Aᵀ M A + bias (with a fused ReLU when asked) run there too, eight tiles per vector.
///
/// Work is split into blocks of whole tile rows (one image, 4 output rows each; several images
/// when they are small), about `tilesPerBlock` tiles. Each thread takes whole blocks and runs the
/// three steps on its own V and M, which stay in its L2 cache (1.2 MB at 64 channels): no OpenBLAS
/// call, no synchronisation between the steps. A first version ran the 36 products through
/// OpenBLAS on blocks shared by both threads; this one does not depend on OpenBLAS's core
/// detection (which on this VM falls back to SSE3 kernels without `OPENBLAS_CORETYPE`).
///
/// Error: the transforms scale values by up to 8² (Aᵀ) and 5² (Bᵀ), so the result carries a
/// rounding error a few times that of a direct sum — measured against the double-precision naive
/// reference in WinogradTests.
final class WinogradConvKernel: Kernel, ActivationFusing, ResidualFusing, @unchecked Sendable {
    /// Fewer channels than this on either side: the transforms cost more than the products save.
    static let minChannels = 16
    /// Fewer tiles per run than this (a 16×16 output): im2col + one sgemm is as fast.
    static let minTiles = 16
    /// Tiles per block: V and M of a block at 64 channels fill about half of a core's L2.
    static let tilesPerBlock = 64

    let s: ConvolutionOps.Setup
    let tilesX: Int, tilesY: Int
    /// Tile rows per block.
    let rowsPerBlock: Int
    /// Per ξ, U[ξ]ᵀ (C × K) packed for the sgemm kernel, `packedStride` floats apart.
    let u: Scratch
    let packedStride: Int
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
        let transformed = Scratch(36 * k * c)
        Self.transformFilters(weight.floats.baseAddress!, outChannels: k, inChannels: c, into: transformed.pointer)
        packedStride = CPUKernels.packedSize(k: c, n: k)
        u = Scratch(36 * packedStride)
        for xi in 0..<36 {
            // U[ξ] is stored (K × C): as B = U[ξ]ᵀ (C × K) it is a transposed B.
            CPUKernels.packB(transformed.pointer + xi * k * c, ldb: c, transB: true, k: c, n: k,
                             into: u.pointer + xi * packedStride)
        }
    }

    /// U[ξ = 6i + j][k][c] = (G g Gᵀ)[i][j] for each 3×3 filter g = w[k][c].
    static func transformFilters(_ w: UnsafePointer<Float>, outChannels k: Int, inChannels c: Int,
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
                    u[((i * 6 + j) * k + ko) * c + ci] = Float(val)
                } }
            }
        }
    }

    func run(inputs: [Tensor?], outputs: [Tensor]) throws {
        let (x, _, bias, y) = ConvolutionOps.buffers(inputs, outputs)
        let residual = residualInput.map { UnsafePointer(inputs[$0]!.floats.baseAddress!) }
        let totalRows = s.batch * tilesY
        let blocks = (totalRows + rowsPerBlock - 1) / rowsPerBlock
        let blockFloats = 36 * (s.inChannels + s.outChannels) * rowsPerBlock * tilesX
        let io = BlockIO(x: x, bias: bias, residual: residual, y: y)
        if blocks < Parallel.threads {
            // Too few tiles for a block per thread (a small image at batch 1): the threads share
            // each block's three steps instead — channels of the transforms, ξ of the products.
            ScratchPool.shared.withBuffers(count: 1, floats: blockFloats) { buffers in
                for b in 0..<blocks {
                    let block = Block(firstRow: b * rowsPerBlock, rows: min(rowsPerBlock, totalRows - b * rowsPerBlock))
                    let c = s.inChannels, k = s.outChannels, threads = Parallel.threads
                    Parallel.forEach(c, grain: max(1, (c + threads - 1) / threads)) { r in
                        transformInput(block, channels: r, io, scratch: buffers[0])
                    }
                    Parallel.forEach(36, grain: (36 + threads - 1) / threads) { r in
                        multiply(block, xi: r, scratch: buffers[0])
                    }
                    Parallel.forEach(k, grain: max(1, (k + threads - 1) / threads)) { r in
                        transformOutput(block, channels: r, io, scratch: buffers[0])
                    }
                }
            }
            return
        }
        let workers = min(Parallel.threads, blocks)
        ScratchPool.shared.withBuffers(count: workers, floats: blockFloats) { buffers in
            Parallel.forEach(workers, grain: 1) { r in
                for w in r { for b in stride(from: w, to: blocks, by: workers) {
                    let block = Block(firstRow: b * rowsPerBlock, rows: min(rowsPerBlock, totalRows - b * rowsPerBlock))
                    transformInput(block, channels: 0..<s.inChannels, io, scratch: buffers[w])
                    multiply(block, xi: 0..<36, scratch: buffers[w])
                    transformOutput(block, channels: 0..<s.outChannels, io, scratch: buffers[w])
                } }
            }
        }
    }

    /// Tile rows firstRow ..< firstRow + rows (row r: image r / tilesY, tile row r % tilesY), whose
    /// scratch holds V (36 × C × T, ξ-major, tiles contiguous) then M (36 × T × K).
    private struct Block {
        let firstRow: Int, rows: Int
    }

    private struct BlockIO {
        let x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?
        let y: UnsafeMutablePointer<Float>
    }

    /// V of input channels `channels`.
    private func transformInput(_ b: Block, channels: Range<Int>, _ io: BlockIO, scratch v: UnsafeMutablePointer<Float>) {
        let win = s.window
        let h = win.image[1], wd = win.image[2], c = s.inChannels, plane = h * wd, t = b.rows * tilesX
        for rr in 0..<b.rows {
            let n = (b.firstRow + rr) / tilesY, ty = (b.firstRow + rr) % tilesY
            for ci in channels {
                CPUKernels.winogradInput(variant, io.x + (n * c + ci) * plane, h: h, w: wd, tileRow: ty,
                                         padTop: win.padBegin[1], padLeft: win.padBegin[2], tiles: tilesX,
                                         into: v + ci * t + rr * tilesX, xiStride: c * t)
            }
        }
    }

    /// M[ξ] (T × K) = V[ξ]ᵀ · U[ξ]ᵀ for ξ in `xi`; V[ξ] is (C × T), so A's element (t, c) is at t + c·T.
    private func multiply(_ b: Block, xi: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
        let c = s.inChannels, k = s.outChannels, t = b.rows * tilesX
        let v = scratch, m = scratch + 36 * c * t, packed = UnsafePointer(u.pointer)
        for xi in xi {
            CPUKernels.sgemmPacked(variant, m: t, n: k, k: c, a: v + xi * c * t, rowStride: 1, columnStride: t,
                                   packed: packed + xi * packedStride, bias: nil, activation: .none, alpha: 0,
                                   c: m + xi * t * k, ldc: k)
        }
    }

    /// Output channels `channels` of the block's tile rows: Aᵀ m A + bias (+ residual), activation.
    private func transformOutput(_ b: Block, channels: Range<Int>, _ io: BlockIO, scratch: UnsafeMutablePointer<Float>) {
        let win = s.window
        let oh = win.positions[1], ow = win.positions[2], outPlane = oh * ow
        let c = s.inChannels, k = s.outChannels, t = b.rows * tilesX
        let m = scratch + 36 * c * t
        for rr in 0..<b.rows {
            let n = (b.firstRow + rr) / tilesY, ty = (b.firstRow + rr) % tilesY
            for ko in channels {
                CPUKernels.winogradOutput(variant, m + rr * tilesX * k + ko, xiStride: t * k, tileStride: k, tiles: tilesX,
                                          bias: io.bias?[ko] ?? 0, residual: io.residual.map { $0 + (n * k + ko) * outPlane },
                                          activation: activation, into: io.y + (n * k + ko) * outPlane, oh: oh, ow: ow,
                                          tileRow: ty)
            }
        }
    }
}

extension WinogradConvKernel {
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
