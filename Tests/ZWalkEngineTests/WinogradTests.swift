import Testing
@testable import ZWalkEngine
import TestSupport

/// Winograd F(4×4, 3×3) against the double-precision naive convolution, on the shapes it is picked
/// for and on awkward ones (odd sizes, every padding, partial tiles, several blocks).
@Suite struct WinogradTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var x: [Int]
        var k: Int
        var pads: [Int] = [1, 1, 1, 1]
        var bias = true
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "64 channels, 16×16, batch 2", x: [2, 64, 16, 16], k: 64),
        Case(name: "odd sizes, partial tiles", x: [1, 16, 13, 11], k: 24),
        Case(name: "no padding", x: [3, 16, 10, 9], k: 16, pads: [0, 0, 0, 0]),
        Case(name: "asymmetric padding", x: [1, 20, 9, 14], k: 17, pads: [2, 0, 1, 2], bias: false),
        Case(name: "padding wider than the kernel", x: [1, 16, 5, 6], k: 16, pads: [3, 2, 3, 4]),
        Case(name: "wide rows (several vectors of tiles)", x: [1, 16, 7, 70], k: 16),
        Case(name: "tall image, batch 4", x: [4, 32, 40, 8], k: 48),
    ]

    /// Runs the Winograd kernel (blocks of about `tilesPerBlock` tiles) and the naive reference; returns the
    /// comparison and the largest error relative to the output's largest magnitude.
    /// With `residual`, a skip tensor is added in the output pass (the fused Add), then Relu with `relu`.
    static func check(_ c: Case, tilesPerBlock: Int = WinogradConvKernel.tilesPerBlock,
                      variant: CPUKernels.Variant = .best, residual: Bool = false, relu: Bool = false) throws -> (Comparison, Double) {
        let w = [c.k, c.x[1], 3, 3]
        let attrs: [String: AttributeValue] = ["pads": .ints(c.pads)]
        let ctx = convOpContext("Conv", attrs, shapes: [c.x, w] + (c.bias ? [[c.k]] : []))
        let s = try ConvolutionOps.convSetup(ctx)
        let x = convRandom(c.x, seed: 21), wt = convRandom(w, seed: 22), b = convRandom([c.k], seed: 23)
        let y = Tensor(shape: s.outputShape)
        let kernel = WinogradConvKernel(s, weight: wt, tilesPerBlock: tilesPerBlock, variant: variant)
        var inputs: [Tensor?] = [x, wt] + (c.bias ? [b] : [])
        let skip = convRandom(s.outputShape, seed: 24)
        if residual {
            let index = try #require(kernel.fuseResidual(after: inputs.count))
            while inputs.count < index { inputs.append(nil) }
            inputs.append(skip)
        }
        if relu { #expect(kernel.fuse(.relu)) }
        try kernel.run(inputs: inputs, outputs: [y])
        var want = ConvolutionNaive.conv(x: x.floatArray, batch: c.x[0], inChannels: c.x[1], weight: wt.floatArray,
                                         outChannels: c.k, bias: c.bias ? b.floatArray : nil, groups: 1, window: s.window)
        if residual { want = zip(want, skip.floatArray).map { $0 + $1 } }
        if relu { want = want.map { max($0, 0) } }
        let scale = want.map { abs(Double($0)) }.max() ?? 1
        let got = y.doubleArray
        let worst = zip(got, want).map { abs($0 - Double($1)) }.max() ?? 0
        return (compare(got, want.map(Double.init), rtol: 1e-4, atol: 1e-5 * scale), worst / scale)
    }

    /// The stated error: within 1e-4 relative (1e-5 of the output's scale near zero) of the
    /// double-precision reference, and at most 2e-5 of the output's largest magnitude. Measured:
    /// 5.5e-6 for 64 input channels (576 terms per output), less for fewer channels.
    @Test(arguments: cases)
    func matchesNaive(c: Case) throws {
        let (cmp, relative) = try Self.check(c)
        #expect(cmp.ok, "\(c.name): \(cmp)")
        #expect(relative < 2e-5, "\(c.name): max error \(relative) of the output's scale")
    }

    /// Any blocking (one tile row per block, or every row in one) gives the same result.
    @Test(arguments: [1, 1 << 20])
    func blocking(tilesPerBlock: Int) throws {
        for c in Self.cases {
            let (cmp, _) = try Self.check(c, tilesPerBlock: tilesPerBlock)
            #expect(cmp.ok, "\(c.name), \(tilesPerBlock) tiles per block: \(cmp)")
        }
    }

    /// Every build of the transforms and the product this CPU runs (portable included) is as exact.
    @Test(arguments: CPUKernels.Variant.available)
    func variants(variant: CPUKernels.Variant) throws {
        for c in Self.cases {
            let (cmp, relative) = try Self.check(c, variant: variant)
            #expect(cmp.ok && relative < 2e-5, "\(c.name), \(variant): \(cmp)")
        }
    }

    /// The fused epilogue — a skip connection's Add, then Relu — on every build, partial tiles
    /// and odd widths included; Relu fused first refuses a residual after it (the sum comes first).
    @Test(arguments: CPUKernels.Variant.available)
    func residualThenReluInTheOutputPass(variant: CPUKernels.Variant) throws {
        for c in Self.cases {
            for (residual, relu) in [(true, false), (true, true), (false, true)] {
                let (cmp, _) = try Self.check(c, variant: variant, residual: residual, relu: relu)
                #expect(cmp.ok, "\(c.name), \(variant), residual \(residual), relu \(relu): \(cmp)")
            }
        }
        let ctx = convOpContext("Conv", ["pads": .ints([1, 1, 1, 1])], shapes: [[1, 16, 8, 8], [16, 16, 3, 3]])
        let k = WinogradConvKernel(try ConvolutionOps.convSetup(ctx), weight: Tensor(shape: [16, 16, 3, 3]))
        #expect(k.fuse(.relu) && k.fuseResidual(after: 2) == nil)
    }

    /// Which convolutions take Winograd: 3×3, stride 1, dilation 1, groups 1, ≥ 16 channels both
    /// sides, a constant weight and enough tiles.
    @Test func selection() throws {
        func applies(_ x: [Int], _ w: [Int], _ attrs: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])],
                     constant: Bool = true) throws -> Bool {
            let s = try ConvolutionOps.convSetup(convOpContext("Conv", attrs, shapes: [x, w]))
            return WinogradConvKernel.applies(to: s, weight: constant ? Tensor(shape: w) : nil)
        }
        #expect(try applies([1, 64, 32, 32], [64, 64, 3, 3]))
        #expect(try applies([64, 64, 8, 8], [64, 64, 3, 3]))
        #expect(try applies([1, 64, 16, 16], [64, 64, 3, 3]))
        #expect(try applies([1, 64, 8, 8], [64, 64, 3, 3]))    // 4 tiles
        #expect(try !applies([1, 64, 4, 8], [64, 64, 3, 3]))   // 2 tiles
        #expect(try !applies([1, 8, 32, 32], [64, 8, 3, 3]))   // few input channels
        #expect(try !applies([1, 64, 32, 32], [64, 64, 3, 3], constant: false))
        #expect(try !applies([1, 64, 32, 32], [64, 64, 3, 3], ["strides": .ints([2, 2])]))
        #expect(try !applies([1, 64, 32, 32], [64, 64, 3, 3], ["dilations": .ints([2, 2])]))
        #expect(try !applies([1, 64, 32, 32], [64, 32, 3, 3], ["group": .int(2)]))
        #expect(try !applies([1, 64, 32, 32], [64, 64, 5, 5]))
        #expect(try !applies([1, 64, 32, 32, 4], [64, 64, 3, 3, 3], [:]))
    }
}
