/// Winograd F(4×4, 3×3) for 3×3, stride-1, dilation-1, ungrouped 2-D convolutions with enough
/// channels (a tiny-autoencoder decoder's 64-channel layers): 36 multiplies per 4×4 output block
/// and channel pair instead of 144, so 4× fewer than im2col + sgemm.
///
/// Each output block is Y = Aᵀ [ U ⊙ (Bᵀ d B) ] A with U = G g Gᵀ per (output, input) channel
/// pair and d the 6×6 input tile around it. Summed over input channels, the 36 elementwise
/// products are 36 matrix products, one per tile position ξ:
///   M[ξ] (K × T) = U[ξ] (K × C) · V[ξ] (C × T)
/// with K output channels, C input channels and T tiles, which go through OpenBLAS sgemm. The
/// filter transform U is done once here at load time (in double precision); the input transform
/// V = Bᵀ d B and the output transform Aᵀ M A + bias run in CZWalkKernels (AVX2 when the CPU has
/// it), eight tiles per vector.
///
/// Tiles are taken a row of tiles at a time (one image, 4 output rows); a block of tile rows —
/// several images when they are small — goes through the three steps together, its V and M sized
/// by the scratch budget so that they stay in the cache between the steps.
///
/// Error: the transforms scale values by up to 8² (Aᵀ) and 5² (Bᵀ), so the result carries a
/// rounding error a few times that of a direct sum — measured against the double-precision naive
/// reference in ConvolutionOpsTests (`winogradErrorAgainstNaive`).
final class WinogradConvKernel: Kernel, @unchecked Sendable {
    /// Fewer channels than this on either side: the transforms cost more than the products save.
    static let minChannels = 16
    /// Fewer tiles per run than this: 36 small sgemm calls cost more than one im2col + sgemm.
    static let minTiles = 64

    let s: ConvolutionOps.Setup
    let tilesX: Int, tilesY: Int
    /// Tile rows per block.
    let rowsPerBlock: Int
    /// U: 36 matrices (K × C), ξ-major.
    let u: Scratch
    /// V: 36 × (C × T) and M: 36 × (K × T) for T = rowsPerBlock · tilesX.
    let v: Scratch, m: Scratch
    /// The activation applied in the output pass.
    let activation: CPUKernels.Activation

    static func applies(to s: ConvolutionOps.Setup, weight: Tensor?) -> Bool {
        let w = s.window
        guard weight != nil, s.groups == 1, s.inChannels >= minChannels, s.outChannels >= minChannels,
              w.image[0] == 1, w.kernel == [1, 3, 3], w.stride.allSatisfy({ $0 == 1 }),
              w.dilation.allSatisfy({ $0 == 1 }), w.padBegin[0] == 0, w.positions[0] == 1 else { return false }
        let tiles = s.batch * ((w.positions[1] + 3) / 4) * ((w.positions[2] + 3) / 4)
        return tiles >= minTiles
    }

    /// `weight`: (K, C, 3, 3), constant. `budget`: floats of V and M scratch (tests lower it to
    /// force several blocks).
    init(_ s: ConvolutionOps.Setup, weight: Tensor, activation: CPUKernels.Activation = .none,
         budget: Int = ConvolutionOps.winogradScratchBudget) {
        self.s = s
        self.activation = activation
        let win = s.window
        tilesY = (win.positions[1] + 3) / 4
        tilesX = (win.positions[2] + 3) / 4
        let c = s.inChannels, k = s.outChannels
        let perRow = 36 * (c + k) * tilesX
        rowsPerBlock = max(1, min(s.batch * tilesY, budget / perRow))
        let t = rowsPerBlock * tilesX
        v = Scratch(36 * c * t)
        m = Scratch(36 * k * t)
        u = Scratch(36 * k * c)
        Self.transformFilters(weight.floats.baseAddress!, outChannels: k, inChannels: c, into: u.pointer)
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
                // gg = G f (6 × 3), then gg Gᵀ (6 × 6)
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
        let win = s.window
        let h = win.image[1], wd = win.image[2], oh = win.positions[1], ow = win.positions[2]
        let padTop = win.padBegin[1], padLeft = win.padBegin[2]
        let c = s.inChannels, k = s.outChannels, plane = h * wd, outPlane = oh * ow
        let tilesX = self.tilesX, tilesY = self.tilesY, act = activation
        let vp = v.pointer, mp = m.pointer, up = UnsafePointer(u.pointer)
        let totalRows = s.batch * tilesY
        var r0 = 0
        while r0 < totalRows {
            let rows = min(rowsPerBlock, totalRows - r0), t = rows * tilesX
            // V[ξ] (C × T): channel c, tile row rr at columns rr·tilesX …
            Parallel.forEach(c * rows, grain: max(1, 256 / max(tilesX, 1))) { range in
                for item in range {
                    let ci = item / rows, rr = item % rows, r = r0 + rr
                    let n = r / tilesY, ty = r % tilesY
                    CPUKernels.winogradInput(x + (n * c + ci) * plane, h: h, w: wd, tileRow: ty, padTop: padTop,
                                             padLeft: padLeft, tiles: tilesX, into: vp + ci * t + rr * tilesX,
                                             xiStride: c * t)
                }
            }
            for xi in 0..<36 {
                BLAS.sgemm(m: k, n: t, k: c, a: up + xi * k * c, lda: c, b: vp + xi * c * t, ldb: t,
                           beta: 0, c: mp + xi * k * t, ldc: t)
            }
            Parallel.forEach(k * rows, grain: max(1, 256 / max(tilesX, 1))) { range in
                for item in range {
                    let ko = item / rows, rr = item % rows, r = r0 + rr
                    let n = r / tilesY, ty = r % tilesY
                    CPUKernels.winogradOutput(mp + ko * t + rr * tilesX, xiStride: k * t, tiles: tilesX,
                                              bias: bias?[ko] ?? 0, activation: act, into: y + (n * k + ko) * outPlane,
                                              oh: oh, ow: ow, tileRow: ty)
                }
            }
            r0 += rows
        }
    }
}
