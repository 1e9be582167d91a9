import Foundation
import Testing
@testable import ZWalkEngine
import TestSupport

// MARK: one-node models (shared by the Linear, Convolution and Pooling op tests)

/// An input of a one-node test model: a runtime input (declared with its full fixed shape) or an
/// initializer (a load-time constant, as weights are in real models).
struct ConvOpInput {
    var name: String
    var value: Tensor
    var constant: Bool
}

/// Builds a model of one `op` node reading `inputs` (an empty name marks an omitted optional
/// input) and producing `outputs`.
func convOpModel(_ op: String, _ attributes: [String: AttributeValue] = [:], inputs: [ConvOpInput?],
                 outputs: [String] = ["y"], opset: Int = 17) -> Model {
    oneNodeModel(op, node: "\(op.lowercased())_under_test", inputs: inputs.map { i in
        guard let i else { return .omitted }
        return i.constant ? .constant(name: i.name, value: i.value) : .runtime(i.name, i.value)
    }, outputs: outputs, attributes: attributes, opset: opset)
}

/// Plans and runs a one-node model; returns every output.
func runConvOp(_ op: String, _ attributes: [String: AttributeValue] = [:], inputs: [ConvOpInput?],
               outputs: [String] = ["y"], opset: Int = 17) throws -> [Tensor] {
    let model = convOpModel(op, attributes, inputs: inputs, outputs: outputs, opset: opset)
    let plan = try Planner(model: model).plan(batch: 1)
    return try plan.run(inputs.compactMap { $0 }.filter { !$0.constant }.map(\.value))
}

/// The load-time context the factory of that node sees, for calling setup functions from tests.
func convOpContext(_ op: String, _ attributes: [String: AttributeValue], shapes: [[Int]?], opset: Int = 17) -> OpContext {
    let node = Node(name: "\(op.lowercased())_under_test", opType: op,
                    inputs: shapes.enumerated().map { $0.element == nil ? "" : "i\($0.offset)" }, outputs: ["y"],
                    attributes: attributes)
    return OpContext(node: node, opset: opset, inputs: shapes.map { $0.map { PlannedValue(dtype: .float32, shape: $0) } })
}

/// Deterministic test data with a value pattern that onnxruntime reproduces exactly (the golden
/// values below were generated from the same formulas).
func convPattern(_ shape: [Int], mod: Int, scale: Float, offset: Float) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, floats: (0..<n).map { Float($0 % mod) * scale + offset })
}
func convGoldenX(_ s: [Int]) -> Tensor { convPattern(s, mod: 11, scale: 0.25, offset: -1) }
func convGoldenW(_ s: [Int]) -> Tensor { convPattern(s, mod: 7, scale: 0.5, offset: -1.5) }
func convGoldenB(_ s: [Int]) -> Tensor { convPattern(s, mod: 5, scale: 0.1, offset: -0.2) }

func convRandom(_ shape: [Int], seed: UInt64) -> Tensor {
    Tensor(shape: shape, floats: testValues(shape.reduce(1, *), seed: seed))
}

// MARK: cases

/// One convolution case: shapes, attributes, and whether the bias and weight are present/constant.
struct ConvCase: CustomStringConvertible, Sendable {
    var name: String
    var x: [Int]
    var w: [Int]
    var attrs: [String: AttributeValue] = [:]
    var bias = true
    var constantWeight = true
    var description: String { name }
}

@Suite struct ConvolutionOpsTests {
    static let convCases: [ConvCase] = [
        ConvCase(name: "3x3 pad 1, batch 2", x: [2, 3, 7, 9], w: [4, 3, 3, 3], attrs: ["pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "non-square kernel, stride 2, asymmetric pads", x: [1, 3, 8, 11], w: [5, 3, 3, 2],
                 attrs: ["strides": .ints([2, 2]), "pads": .ints([0, 1, 2, 0])]),
        ConvCase(name: "dilation 2, stride (1, 3)", x: [2, 2, 9, 10], w: [3, 2, 3, 3],
                 attrs: ["dilations": .ints([2, 2]), "strides": .ints([1, 3]), "pads": .ints([2, 2, 1, 2])], bias: false),
        ConvCase(name: "groups 2, stride 2", x: [3, 4, 7, 7], w: [6, 2, 3, 3],
                 attrs: ["group": .int(2), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "depthwise 3x3", x: [2, 5, 6, 7], w: [5, 1, 3, 3], attrs: ["group": .int(5), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "depthwise stride 2 dilation 2", x: [1, 4, 9, 8], w: [4, 1, 3, 2],
                 attrs: ["group": .int(4), "strides": .ints([2, 2]), "dilations": .ints([2, 2]), "pads": .ints([2, 0, 1, 1])]),
        ConvCase(name: "channel multiplier 2", x: [2, 3, 5, 5], w: [6, 1, 3, 3], attrs: ["group": .int(3)], bias: false),
        ConvCase(name: "1-D stride 3 dilation 2", x: [2, 3, 17], w: [4, 3, 5],
                 attrs: ["strides": .ints([3]), "pads": .ints([2, 1]), "dilations": .ints([2])]),
        ConvCase(name: "1-D depthwise", x: [2, 4, 12], w: [4, 1, 3], attrs: ["group": .int(4), "pads": .ints([1, 0])]),
        ConvCase(name: "pointwise, small images batched", x: [3, 6, 5, 4], w: [7, 6, 1, 1]),
        ConvCase(name: "pointwise, large image", x: [1, 3, 40, 30], w: [2, 3, 1, 1]),
        ConvCase(name: "pointwise stride 2 (needs im2col)", x: [2, 3, 7, 6], w: [2, 3, 1, 1], attrs: ["strides": .ints([2, 2])]),
        ConvCase(name: "SAME_UPPER stride 2 odd size", x: [1, 2, 7, 8], w: [3, 2, 3, 4],
                 attrs: ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])]),
        ConvCase(name: "SAME_LOWER", x: [2, 2, 6, 5], w: [3, 2, 2, 4], attrs: ["auto_pad": .string("SAME_LOWER")]),
        ConvCase(name: "VALID stride 2", x: [1, 2, 9, 8], w: [2, 2, 3, 3],
                 attrs: ["auto_pad": .string("VALID"), "strides": .ints([2, 2])]),
        ConvCase(name: "kernel larger than image, padded", x: [1, 2, 2, 3], w: [3, 2, 4, 4], attrs: ["pads": .ints([2, 1, 2, 2])]),
        ConvCase(name: "3-D", x: [2, 2, 5, 6, 4], w: [3, 2, 3, 2, 3],
                 attrs: ["strides": .ints([2, 1, 1]), "pads": .ints([1, 0, 1, 1, 1, 0])]),
        ConvCase(name: "batched small images with groups", x: [5, 6, 5, 5], w: [4, 3, 3, 3], attrs: ["group": .int(2)]),
        ConvCase(name: "large image, row blocks", x: [1, 64, 64, 64], w: [2, 64, 3, 3], attrs: ["pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "runtime weight", x: [2, 3, 6, 6], w: [4, 3, 3, 3], attrs: ["pads": .ints([1, 1, 1, 1])], constantWeight: false),
        ConvCase(name: "kernel_shape attribute", x: [1, 2, 6, 6], w: [2, 2, 3, 3], attrs: ["kernel_shape": .ints([3, 3])]),
        // the direct kernel for few output channels (≤ 4, stride 1, dilation 1, groups 1)
        ConvCase(name: "to RGB, batch 1, odd sizes", x: [1, 5, 13, 11], w: [3, 5, 3, 3], attrs: ["pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "to 1 channel, 5x5 asymmetric pads", x: [3, 2, 9, 7], w: [1, 2, 5, 5],
                 attrs: ["pads": .ints([2, 0, 1, 3])], bias: false),
        ConvCase(name: "to RGB 1-D", x: [2, 3, 17], w: [3, 3, 5], attrs: ["pads": .ints([2, 1])]),
        ConvCase(name: "to RGB, rows shorter than a vector, runtime weight", x: [2, 4, 6, 5], w: [3, 4, 3, 2],
                 attrs: ["pads": .ints([0, 1, 2, 0])], constantWeight: false),
        ConvCase(name: "to RGB, large image in row blocks", x: [1, 16, 70, 67], w: [3, 16, 3, 3], attrs: ["pads": .ints([1, 1, 1, 1])]),
    ]

    /// The few-outputs kernel in every build this CPU runs (portable included) against the
    /// double-precision naive convolution, on the cases it takes.
    @Test(arguments: CPUKernels.Variant.available)
    func fewOutputsKernelInEveryVariant(variant: CPUKernels.Variant) throws {
        var taken = 0
        for c in Self.convCases {
            let ctx = convOpContext("Conv", c.attrs, shapes: [c.x, c.w] + (c.bias ? [[c.w[0]]] : []))
            let s = try ConvolutionOps.convSetup(ctx)
            guard FewOutputsConvKernel.applies(to: s) else { continue }
            taken += 1
            let x = convRandom(c.x, seed: 31), w = convRandom(c.w, seed: 32), b = convRandom([c.w[0]], seed: 33)
            let y = Tensor(shape: s.outputShape)
            try FewOutputsConvKernel(s, variant: variant).run(inputs: [x, w] + (c.bias ? [b] : []), outputs: [y])
            let want = ConvolutionNaive.conv(x: x.floatArray, batch: c.x[0], inChannels: c.x[1], weight: w.floatArray,
                                             outChannels: c.w[0], bias: c.bias ? b.floatArray : nil, groups: 1, window: s.window)
            let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
            #expect(cmp.ok, "\(c.name), \(variant): \(cmp)")
        }
        #expect(taken >= 5, "only \(taken) cases went to the few-outputs kernel")
    }

    /// Which convolutions the direct few-outputs kernel takes.
    @Test func fewOutputsKernelTakesStrideOneConvolutionsToFewChannels() throws {
        func setup(_ x: [Int], _ w: [Int], _ attrs: [String: AttributeValue] = [:]) throws -> ConvolutionOps.Setup {
            try ConvolutionOps.convSetup(convOpContext("Conv", attrs, shapes: [x, w]))
        }
        #expect(FewOutputsConvKernel.applies(to: try setup([1, 64, 32, 32], [3, 64, 3, 3], ["pads": .ints([1, 1, 1, 1])])))
        #expect(FewOutputsConvKernel.applies(to: try setup([1, 3, 17], [4, 3, 5])))
        #expect(!FewOutputsConvKernel.applies(to: try setup([1, 64, 32, 32], [5, 64, 3, 3])))
        #expect(!FewOutputsConvKernel.applies(to: try setup([1, 8, 32, 32], [3, 8, 3, 3], ["strides": .ints([2, 2])])))
        #expect(!FewOutputsConvKernel.applies(to: try setup([1, 8, 32, 32], [3, 8, 3, 3], ["dilations": .ints([2, 2])])))
        #expect(!FewOutputsConvKernel.applies(to: try setup([1, 8, 32, 32], [4, 4, 3, 3], ["group": .int(2)])))
        #expect(!FewOutputsConvKernel.applies(to: try setup([1, 2, 5, 6, 4], [3, 2, 3, 2, 3])))
    }

    static let convTransposeCases: [ConvCase] = [
        ConvCase(name: "DCGAN k4 s2 p1, batch 2", x: [2, 8, 4, 4], w: [8, 6, 4, 4],
                 attrs: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "DCGAN first layer (direct sgemm)", x: [3, 10, 1, 1], w: [10, 7, 4, 4]),
        ConvCase(name: "1x1 input without bias", x: [2, 5, 1, 1], w: [5, 3, 4, 4], bias: false),
        ConvCase(name: "1x1 input with pads (col2im)", x: [2, 5, 1, 1], w: [5, 3, 3, 3], attrs: ["pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "stride (3, 2) with output_padding", x: [2, 3, 4, 5], w: [3, 2, 3, 3],
                 attrs: ["strides": .ints([3, 2]), "output_padding": .ints([1, 1]), "pads": .ints([1, 0, 0, 1])]),
        ConvCase(name: "output_shape larger than natural", x: [1, 2, 3, 3], w: [2, 2, 3, 3],
                 attrs: ["strides": .ints([3, 2]), "output_shape": .ints([10, 8])]),
        ConvCase(name: "output_shape smaller, SAME_UPPER", x: [1, 2, 3, 3], w: [2, 2, 3, 3],
                 attrs: ["strides": .ints([3, 2]), "output_shape": .ints([8, 6]), "auto_pad": .string("SAME_UPPER")]),
        ConvCase(name: "SAME_UPPER odd padding", x: [2, 2, 3, 4], w: [2, 3, 3, 3],
                 attrs: ["strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")]),
        ConvCase(name: "SAME_LOWER", x: [1, 2, 3, 4], w: [2, 3, 3, 2],
                 attrs: ["strides": .ints([2, 3]), "auto_pad": .string("SAME_LOWER")]),
        ConvCase(name: "groups 2", x: [2, 4, 3, 3], w: [4, 3, 3, 3], attrs: ["group": .int(2), "strides": .ints([2, 2])]),
        ConvCase(name: "depthwise", x: [2, 3, 4, 4], w: [3, 1, 4, 4],
                 attrs: ["group": .int(3), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "dilation 2", x: [1, 2, 4, 3], w: [2, 2, 3, 3], attrs: ["dilations": .ints([2, 2]), "pads": .ints([1, 2, 0, 1])]),
        ConvCase(name: "asymmetric pads, non-square kernel", x: [2, 3, 5, 4], w: [3, 2, 2, 4],
                 attrs: ["strides": .ints([2, 1]), "pads": .ints([0, 1, 2, 0])], bias: false),
        ConvCase(name: "1-D", x: [2, 3, 7], w: [3, 4, 5], attrs: ["strides": .ints([3]), "pads": .ints([1, 2])]),
        ConvCase(name: "1-D output_padding", x: [1, 2, 6], w: [2, 2, 3], attrs: ["strides": .ints([2]), "output_padding": .ints([1])]),
        ConvCase(name: "3-D", x: [1, 2, 3, 4, 3], w: [2, 3, 2, 3, 3],
                 attrs: ["strides": .ints([2, 2, 1]), "pads": .ints([0, 1, 1, 1, 0, 1])]),
        ConvCase(name: "batched small inputs", x: [7, 6, 3, 3], w: [6, 5, 4, 4], attrs: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "runtime weight", x: [2, 3, 4, 4], w: [3, 2, 4, 4],
                 attrs: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])], constantWeight: false),
        // channels-last col2im: ≥ 16 output channels per group; ≤ 256 positions per product go
        // through the packed kernel, more through sgemm
        ConvCase(name: "wide, many positions (sgemm)", x: [1, 4, 20, 20], w: [4, 16, 3, 3],
                 attrs: ["pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "batch-1 DCGAN layer (packed kernel), odd channels", x: [1, 33, 4, 4], w: [33, 19, 4, 4],
                 attrs: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "wide DCGAN layer, batched", x: [3, 8, 8, 8], w: [8, 16, 4, 4],
                 attrs: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "wide, groups 2, no bias", x: [2, 8, 8, 8], w: [8, 16, 3, 3],
                 attrs: ["group": .int(2), "strides": .ints([2, 2]), "output_padding": .ints([1, 0])], bias: false),
        ConvCase(name: "wide, odd channels, dilation, asymmetric pads", x: [1, 4, 12, 12], w: [4, 21, 3, 3],
                 attrs: ["strides": .ints([2, 1]), "pads": .ints([1, 0, 0, 2]), "dilations": .ints([1, 2])]),
        ConvCase(name: "wide 1-D", x: [2, 3, 70], w: [3, 17, 5], attrs: ["strides": .ints([3]), "pads": .ints([2, 1])]),
        ConvCase(name: "wide 3-D", x: [1, 2, 4, 6, 6], w: [2, 16, 2, 3, 3],
                 attrs: ["strides": .ints([2, 2, 1]), "pads": .ints([0, 1, 1, 1, 0, 1])]),
    ] + phasedCases

    /// ConvTransposes to few output channels that run as one convolution per output phase.
    static let phasedCases: [ConvCase] = [
        ConvCase(name: "to RGB, k4 s2 p1 (phases), batch 2", x: [2, 8, 5, 7], w: [8, 3, 4, 4],
                 attrs: ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
        ConvCase(name: "k6 s3 p2 with output_padding (phases)", x: [1, 5, 4, 3], w: [5, 2, 6, 6],
                 attrs: ["strides": .ints([3, 3]), "pads": .ints([2, 2, 2, 2]), "output_padding": .ints([1, 2])],
                 bias: false),
        ConvCase(name: "strides (2, 1), asymmetric pads (phases)", x: [3, 4, 3, 5], w: [4, 1, 4, 2],
                 attrs: ["strides": .ints([2, 1]), "pads": .ints([1, 0, 2, 1])]),
    ]

    /// The phased ConvTranspose on every build of the C kernel, with a fused activation, against
    /// the naive transposed convolution; and which layers it takes.
    @Test(arguments: CPUKernels.Variant.available)
    func phasedConvTransposeMatchesNaive(variant: CPUKernels.Variant) throws {
        for c in Self.phasedCases {
            let ctx = convOpContext("ConvTranspose", c.attrs, shapes: [c.x, c.w] + (c.bias ? [[c.w[1]]] : []))
            let s = try ConvolutionOps.convTransposeSetup(ctx)
            let ins = Self.inputs(c, biasChannels: c.w[1])
            #expect(PhasedConvTransposeKernel.applies(to: s, weight: ins[1]!.value), "\(c.name)")
            let k = PhasedConvTransposeKernel(s, weight: ins[1]!.value, variant: variant)
            #expect(k.fuse(.tanh))
            let y = Tensor(shape: s.outputShape)
            try k.run(inputs: ins.map { $0?.value }, outputs: [y])
            let want = ConvolutionNaive.convTranspose(x: ins[0]!.value.floatArray, batch: c.x[0], inChannels: c.x[1],
                                                      weight: ins[1]!.value.floatArray, outChannels: c.w[1],
                                                      bias: c.bias ? ins[2]!.value.floatArray : nil, groups: 1,
                                                      window: s.window).map { Double(Foundation.tanh(Double($0))) }
            let cmp = compare(y.doubleArray, want, rtol: 1e-4, atol: 1e-5)
            #expect(cmp.ok, "\(c.name), \(variant): \(cmp)")
        }
        func applies(_ x: [Int], _ w: [Int], _ attrs: [String: AttributeValue]) throws -> Bool {
            let s = try ConvolutionOps.convTransposeSetup(convOpContext("ConvTranspose", attrs, shapes: [x, w]))
            return PhasedConvTransposeKernel.applies(to: s, weight: Tensor(shape: w))
        }
        let up: [String: AttributeValue] = ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]
        #expect(try applies([1, 64, 32, 32], [64, 3, 4, 4], up))
        #expect(try !applies([1, 64, 32, 32], [64, 8, 4, 4], up))                       // many outputs
        #expect(try !applies([1, 64, 32, 32], [64, 3, 3, 3], up))                       // 3 taps, stride 2
        #expect(try !applies([1, 64, 32, 32], [64, 3, 4, 4], ["pads": .ints([1, 1, 1, 1])])) // stride 1
        #expect(try !applies([1, 64, 8, 8], [64, 3, 4, 4], ["strides": .ints([2, 2]), "pads": .ints([3, 3, 3, 3])]))
    }

    /// The cases above reach every ConvTranspose plan.
    @Test func convTransposeCasesCoverEveryLayout() throws {
        var seen: Set<String> = []
        for c in Self.convTransposeCases {
            let s = try ConvolutionOps.convTransposeSetup(convOpContext("ConvTranspose", c.attrs, shapes: [c.x, c.w]))
            let k = ConvTransposeKernel(s, weight: c.constantWeight ? convRandom(c.w, seed: 12) : nil)
            seen.insert("\(k.layout)")
        }
        #expect(seen == ["direct", "channelsLast", "planes"])
    }

    static func inputs(_ c: ConvCase, biasChannels: Int) -> [ConvOpInput?] {
        let x = convRandom(c.x, seed: 11), w = convRandom(c.w, seed: 12)
        var ins: [ConvOpInput?] = [ConvOpInput(name: "x", value: x, constant: false), ConvOpInput(name: "w", value: w, constant: c.constantWeight)]
        if c.bias { ins.append(ConvOpInput(name: "b", value: convRandom([biasChannels], seed: 13), constant: true)) }
        return ins
    }

    @Test(arguments: convCases)
    func convMatchesNaive(c: ConvCase) throws {
        let ctx = convOpContext("Conv", c.attrs, shapes: [c.x, c.w] + (c.bias ? [[c.w[0]]] : []))
        let s = try ConvolutionOps.convSetup(ctx)
        let ins = Self.inputs(c, biasChannels: c.w[0])
        let y = try runConvOp("Conv", c.attrs, inputs: ins)[0]
        #expect(y.shape == s.outputShape)
        let want = ConvolutionNaive.conv(x: ins[0]!.value.floatArray, batch: c.x[0], inChannels: c.x[1],
                                         weight: ins[1]!.value.floatArray, outChannels: c.w[0],
                                         bias: c.bias ? ins[2]!.value.floatArray : nil, groups: s.groups, window: s.window)
        let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
        #expect(cmp.ok, "\(c.name): \(s.window): \(cmp)")
    }

    @Test(arguments: convTransposeCases)
    func convTransposeMatchesNaive(c: ConvCase) throws {
        let cout = c.w[1] * ((c.attrs["group"]).flatMap { if case .int(let g) = $0 { return g } else { return nil } } ?? 1)
        let ctx = convOpContext("ConvTranspose", c.attrs, shapes: [c.x, c.w] + (c.bias ? [[cout]] : []))
        let s = try ConvolutionOps.convTransposeSetup(ctx)
        let ins = Self.inputs(c, biasChannels: cout)
        let y = try runConvOp("ConvTranspose", c.attrs, inputs: ins)[0]
        #expect(y.shape == s.outputShape)
        let want = ConvolutionNaive.convTranspose(x: ins[0]!.value.floatArray, batch: c.x[0], inChannels: c.x[1],
                                                  weight: ins[1]!.value.floatArray, outChannels: cout,
                                                  bias: c.bias ? ins[2]!.value.floatArray : nil, groups: s.groups,
                                                  window: s.window)
        let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
        #expect(cmp.ok, "\(c.name): \(s.window): \(cmp)")
    }

    /// Every blocking the kernels can choose (row blocks, batched images, channel tiles) gives the
    /// same result: the budget is forced down so that small shapes take each path.
    @Test(arguments: [64, 1000, 1 << 21])
    func blockingDoesNotChangeResults(budget: Int) throws {
        for c in Self.convCases where !c.name.contains("large image") {
            let ctx = convOpContext("Conv", c.attrs, shapes: [c.x, c.w] + (c.bias ? [[c.w[0]]] : []))
            let s = try ConvolutionOps.convSetup(ctx)
            let ins = Self.inputs(c, biasChannels: c.w[0])
            let y = Tensor(shape: s.outputShape)
            try ConvKernel(s, budget: budget).run(inputs: ins.map { $0?.value }, outputs: [y])
            let want = ConvolutionNaive.conv(x: ins[0]!.value.floatArray, batch: c.x[0], inChannels: c.x[1],
                                             weight: ins[1]!.value.floatArray, outChannels: c.w[0],
                                             bias: c.bias ? ins[2]!.value.floatArray : nil, groups: s.groups, window: s.window)
            let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
            #expect(cmp.ok, "Conv \(c.name), budget \(budget): \(cmp)")
        }
        for c in Self.convTransposeCases {
            let g = (c.attrs["group"]).flatMap { if case .int(let g) = $0 { return g } else { return nil } } ?? 1
            let cout = c.w[1] * g
            let ctx = convOpContext("ConvTranspose", c.attrs, shapes: [c.x, c.w] + (c.bias ? [[cout]] : []))
            let s = try ConvolutionOps.convTransposeSetup(ctx)
            let ins = Self.inputs(c, biasChannels: cout)
            let y = Tensor(shape: s.outputShape)
            try ConvTransposeKernel(s, weight: c.constantWeight ? ins[1]!.value : nil, budget: budget)
                .run(inputs: ins.map { $0?.value }, outputs: [y])
            let want = ConvolutionNaive.convTranspose(x: ins[0]!.value.floatArray, batch: c.x[0], inChannels: c.x[1],
                                                      weight: ins[1]!.value.floatArray, outChannels: cout,
                                                      bias: c.bias ? ins[2]!.value.floatArray : nil, groups: s.groups,
                                                      window: s.window)
            let cmp = compare(y.doubleArray, want.map(Double.init), rtol: 1e-4, atol: 1e-5)
            #expect(cmp.ok, "ConvTranspose \(c.name), budget \(budget): \(cmp)")
        }
    }

    // MARK: onnxruntime golden values

    /// A case whose expected output was produced by onnxruntime 1.32.0 (CPU) from the light venv,
    /// /work/main/.venv/bin/python, with inputs x = (i mod 11)·0.25 − 1, w = (i mod 7)·0.5 − 1.5,
    /// b = (i mod 5)·0.1 − 0.2 over the flat index i (exact in float32).
    struct Golden: CustomStringConvertible, Sendable {
        var name: String
        var op: String
        var x: [Int], w: [Int], b: [Int]?
        var attrs: [String: AttributeValue]
        var shape: [Int]
        var expected: [Float]
        var description: String { name }
    }

    static let goldens: [Golden] = [
        Golden(name: "ConvTranspose output_padding + asymmetric pads", op: "ConvTranspose", x: [1, 2, 3, 3], w: [2, 2, 3, 3], b: [2],
               attrs: ["strides": .ints([3, 2]), "output_padding": .ints([1, 1]), "pads": .ints([1, 0, 0, 1])], shape: [1, 2, 9, 7],
               expected: [-2.075, -1.95, -4.075, -2.075, -0.2, 0.55, -0.2, -1.7, 1.925, 0.925, 1.675, 1.3, 0.05, -0.7, -0.2, -0.7, -1.45, -0.7, -1.45, -0.7, -0.7, 0.925, 0.425, 0.675, 0.3, 0.425, 0.175, 0.175, -0.575, -0.2, -0.7, -0.45, -0.325, -0.7, -0.7, -0.95, -0.7, -1.45, -0.7, -1.45, -0.7, 0.05, -0.2, 0.05, -0.075, -0.075, -0.325, -0.2, 0.55, 0.55, -0.95, 0.425, -1.2, 0.8, -1.45, -0.7, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -1.725, -1.6, 0.525, -1.225, 1.775, -0.85, 0.15, 2.15, 2.275, 0.275, 2.525, -2.85, -1.35, 1.4, -1.1, 1.025, -0.225, 0.65, -0.1, 0.275, 0.275, 0.025, -0.475, 0.15, -0.1, 0.025, 0.275, -0.6, -0.6, -1.1, 0.525, -0.85, 0.15, -0.6, 0.275, -0.35, -0.1, 0.15, -0.475, 0.275, -0.85, -0.1, 0.4, 0.65, -0.225, 1.025, -0.35, 1.4, -1.35, -0.6, -0.35, -0.6, -0.1, -0.975, 0.15, -0.85, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1]),
        Golden(name: "ConvTranspose output_shape one past the natural size", op: "ConvTranspose", x: [1, 1, 3, 3], w: [1, 2, 3, 3], b: nil,
               attrs: ["strides": .ints([3, 2]), "output_shape": .ints([10, 8])], shape: [1, 2, 10, 8],
               expected: [1.5, 1, 1.625, 0.75, 1.125, 0.5, 0.25, 0, 0, -0.5, -1, -0.375, -0.75, -0.25, -0.5, 0, -1.5, 1.5, -0.125, 1.125, 0, 0.75, 0.5, 0, 0.375, 0.25, 0.125, 0, -0.375, -0.25, -0.125, 0, 0, -0.125, -0.25, 0, 0, 0.125, 0.25, 0, -0.375, 0.375, 0.25, 0, 0.375, -0.375, -0.25, 0, -0.75, -0.5, -1.375, -0.75, -1.875, -1, -0.5, 0, 0, 0.25, 0.5, 0.375, 0.75, 0.5, 1, 0, 0.75, -0.75, 0.625, -1.125, 0.75, -1.5, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, -0.125, 0, -0.125, 0, -0.25, 0, -1, -1.5, 0.75, -1.125, 0.625, -0.75, 0.75, 0, 1, 0.5, 0.75, 0.375, 0.5, 0.25, 0, 0, 0.125, 0, -0.125, 0, -0.125, 0, 0.125, 0, -0.25, -0.375, 0.375, 0, 0.25, 0.375, -0.375, 0, 0.25, 0.125, 0, 0, -0.25, -0.125, 0, 0, -0.25, 0, -0.125, 0, -0.125, 0, 0.5, 0, 0.5, 0.75, 0, 1.125, -0.125, 1.5, -1.5, 0, -0.5, -0.25, -0.75, -0.375, -1, -0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Golden(name: "ConvTranspose output_shape with odd total padding", op: "ConvTranspose", x: [1, 1, 3, 3], w: [1, 2, 3, 3], b: nil,
               attrs: ["strides": .ints([3, 2]), "output_shape": .ints([8, 6])], shape: [1, 2, 8, 6],
               expected: [-0.5, -1, -0.375, -0.75, -0.25, -0.5, 1.5, -0.125, 1.125, 0, 0.75, 0.5, 0.25, 0.125, 0, -0.375, -0.25, -0.125, -0.125, -0.25, 0, 0, 0.125, 0.25, 0.375, 0.25, 0, 0.375, -0.375, -0.25, -0.5, -1.375, -0.75, -1.875, -1, -0.5, 0.25, 0.5, 0.375, 0.75, 0.5, 1, -0.75, 0.625, -1.125, 0.75, -1.5, -1, -1.5, 0.75, -1.125, 0.625, -0.75, 0.75, 0.5, 0.75, 0.375, 0.5, 0.25, 0, 0, -0.125, 0, -0.125, 0, 0.125, -0.375, 0.375, 0, 0.25, 0.375, -0.375, 0.125, 0, 0, -0.25, -0.125, 0, 0, -0.125, 0, -0.125, 0, 0.5, 0.75, 0, 1.125, -0.125, 1.5, -1.5, -0.25, -0.75, -0.375, -1, -0.5, 0]),
        Golden(name: "ConvTranspose SAME_UPPER", op: "ConvTranspose", x: [1, 1, 3, 3], w: [1, 2, 3, 3], b: [2],
               attrs: ["strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")], shape: [1, 2, 6, 6],
               expected: [1.3, 0.8, 1.425, 0.55, 0.925, 0.3, -0.2, -0.7, -1.2, -0.575, -0.95, -0.45, -1.325, 1.55, -0.2, 0.925, -0.575, 0.3, -0.2, -0.325, -0.45, -0.2, -0.2, -0.075, -1.325, -0.325, -1.325, -0.95, -1.7, -1.575, -0.2, 0.05, 0.3, 0.175, 0.55, 0.3, 0.4, -0.1, -0.225, -0.1, -0.225, -0.1, -1.1, -1.6, 0.65, -1.225, 0.525, -0.85, 1.025, 0.4, 0.525, 0.275, 0.275, 0.15, -0.35, -0.475, 0.275, -0.1, 0.15, 0.275, -0.1, 0.025, -0.225, -0.1, -0.475, -0.225, 0.4, 0.65, -0.1, 1.025, -0.225, 1.4]),
        Golden(name: "ConvTranspose SAME_LOWER", op: "ConvTranspose", x: [1, 1, 3, 3], w: [1, 2, 3, 3], b: nil,
               attrs: ["strides": .ints([2, 2]), "auto_pad": .string("SAME_LOWER")], shape: [1, 2, 6, 6],
               expected: [-0.5, -1, -0.375, -0.75, -0.25, -0.5, 1.75, 0, 1.125, -0.375, 0.5, 0.375, -0.125, -0.25, 0, 0, 0.125, 0.25, -0.125, -1.125, -0.75, -1.5, -1.375, -0.75, 0.25, 0.5, 0.375, 0.75, 0.5, 1, -0.75, 0.625, -1.125, 0.75, -1.5, -1, -1.5, 0.75, -1.125, 0.625, -0.75, 0.75, 0.5, 0.625, 0.375, 0.375, 0.25, 0.125, -0.375, 0.375, 0, 0.25, 0.375, -0.375, 0.125, -0.125, 0, -0.375, -0.125, 0.5, 0.75, 0, 1.125, -0.125, 1.5, -1.5, -0.25, -0.75, -0.375, -1, -0.5, 0]),
        Golden(name: "Conv groups + dilation + asymmetric pads", op: "Conv", x: [1, 4, 6, 7], w: [6, 2, 3, 3], b: [6],
               attrs: ["group": .int(2), "dilations": .ints([2, 1]), "strides": .ints([1, 2]), "pads": .ints([2, 1, 1, 0])], shape: [1, 6, 5, 3],
               expected: [-1.075, 0.175, -2.575, -0.95, 0.175, 0.175, -0.075, -1.95, 0.675, -0.325, 1.05, -3.2, 0.425, 1.175, -1.825, 1.525, 0.275, 1.4, -1.725, 0.775, -2.225, -4.975, 4.525, -1.6, 0.025, 3.025, -1.725, 0.525, -1.975, -1.1, -5.5, 3, -1.625, 1, 4, -2, 3.25, -2.125, -1.25, -2.25, -1.125, -0.25, 0.625, 1.875, -1.25, -2.4, -1.525, 0.85, 0.725, 1.975, -1.15, 1.6, -0.025, -1.4, 2.1, -2.775, 2.725, 1.225, -4.4, 1.475, 0.325, -0.05, -2.425, 0.825, 0.575, -0.425, 2.825, -1.55, 4.45, -1.05, 0.2, 3.45, 3.575, 2.2, -1.425, 3.425, -1.7, 4.3, -2.2, -1.325, 3.3, 0.925, -0.95, 1.05, -0.325, -0.825, -1.575, -4.2, -3.075, 1.3]),
        Golden(name: "Conv SAME_UPPER stride 2", op: "Conv", x: [1, 1, 5, 6], w: [2, 1, 3, 2], b: nil,
               attrs: ["strides": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")], shape: [1, 2, 3, 3],
               expected: [1.5, 2, -0.25, 0.25, -0.5, -2.625, -1.875, -3.375, 2, 1.75, 1.25, -0.625, 1.125, 0.625, 2.875, 0.25, -0.5, -1.25]),
    ]

    @Test(arguments: goldens)
    func matchesOnnxruntime(g: Golden) throws {
        var ins: [ConvOpInput?] = [ConvOpInput(name: "x", value: convGoldenX(g.x), constant: false),
                               ConvOpInput(name: "w", value: convGoldenW(g.w), constant: true)]
        if let b = g.b { ins.append(ConvOpInput(name: "b", value: convGoldenB(b), constant: true)) }
        let y = try runConvOp(g.op, g.attrs, inputs: ins)[0]
        let cmp = compare(y, Tensor(shape: g.shape, floats: g.expected), rtol: 1e-5, atol: 1e-5)
        #expect(cmp.ok, "\(g.name): \(cmp)")
    }

    // MARK: errors at load time

    struct BadNode: CustomStringConvertible, Sendable {
        var op: String
        var x: [Int], w: [Int]
        var attrs: [String: AttributeValue]
        var message: String
        var description: String { "\(op): \(message)" }
    }

    @Test(arguments: [
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 2, 3, 3], attrs: [:], message: "input channels"),
        BadNode(op: "Conv", x: [1, 4, 5, 5], w: [4, 2, 3, 3], attrs: ["group": .int(3)], message: "divisible by group"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["auto_pad": .string("SAME")], message: "not supported"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["strides": .ints([0, 1])], message: "at least 1"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["pads": .ints([1, 1])], message: "expected 4"),
        BadNode(op: "Conv", x: [1, 3, 2, 2], w: [4, 3, 3, 3], attrs: [:], message: "larger than the padded input"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["kernel_shape": .ints([2, 2])], message: "kernel_shape"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3],
                attrs: ["auto_pad": .string("SAME_UPPER"), "pads": .ints([1, 1, 1, 1])], message: "cannot be used together"),
        BadNode(op: "Conv", x: [1, 1, 2, 2, 2, 2], w: [1, 1, 1, 1, 1, 1], attrs: [:], message: "not supported"),
        BadNode(op: "ConvTranspose", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: [:], message: "input channels"),
        BadNode(op: "ConvTranspose", x: [1, 3, 3, 3], w: [3, 2, 3, 3],
                attrs: ["strides": .ints([3, 3]), "output_shape": .ints([12, 12])], message: "inconsistent"),
        BadNode(op: "ConvTranspose", x: [1, 3, 2, 2], w: [3, 2, 3, 3], attrs: ["pads": .ints([2, 2, 2, 2])], message: "leave no output"),
        BadNode(op: "ConvTranspose", x: [1, 3, 2, 2], w: [3, 2, 3, 3], attrs: ["output_padding": .ints([1])], message: "output_padding"),
        // Attributes at the Int64 extremes: an error naming the node, never an overflow trap.
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["strides": .ints([Int.max, 1])], message: "are refused"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["dilations": .ints([1, Int.max])], message: "are refused"),
        BadNode(op: "Conv", x: [1, 3, 5, 5], w: [4, 3, 3, 3], attrs: ["pads": .ints([Int.max, 0, Int.max, 0])], message: "are refused"),
        BadNode(op: "ConvTranspose", x: [1, 3, 2, 2], w: [3, 2, 3, 3], attrs: ["strides": .ints([Int.max, Int.max])], message: "are refused"),
        BadNode(op: "ConvTranspose", x: [1, 3, 2, 2], w: [3, 2, 3, 3], attrs: ["output_padding": .ints([Int.max, 0])], message: "output_padding"),
        BadNode(op: "ConvTranspose", x: [1, 3, 2, 2], w: [3, 2, 3, 3], attrs: ["output_shape": .ints([Int.max, 4])], message: "output_shape"),
    ])
    func invalidNodesFailAtLoadNamingTheNode(bad: BadNode) throws {
        let ins: [ConvOpInput?] = [ConvOpInput(name: "x", value: Tensor(shape: bad.x), constant: false),
                               ConvOpInput(name: "w", value: Tensor(shape: bad.w), constant: true)]
        do {
            _ = try Planner(model: convOpModel(bad.op, bad.attrs, inputs: ins)).plan(batch: 1)
            Issue.record("expected a load-time error containing '\(bad.message)'")
        } catch let e as EngineError {
            #expect(e.description.contains("\(bad.op.lowercased())_under_test") && e.description.contains(bad.message), "\(e)")
        }
    }

    @Test func biasOfTheWrongShapeIsRejected() throws {
        let ins: [ConvOpInput?] = [ConvOpInput(name: "x", value: Tensor(shape: [1, 2, 4, 4]), constant: false),
                               ConvOpInput(name: "w", value: Tensor(shape: [3, 2, 3, 3]), constant: true),
                               ConvOpInput(name: "b", value: Tensor(shape: [2]), constant: true)]
        #expect(throws: EngineError.self) { _ = try Planner(model: convOpModel("Conv", inputs: ins)).plan(batch: 1) }
    }

    /// A constant input makes the whole node a load-time constant: the kernel then runs inside
    /// the planner, and the folded value must equal the run-time one.
    @Test func constantFoldedConvolutionMatchesRuntime() throws {
        let x = convRandom([1, 2, 5, 5], seed: 3), w = convRandom([2, 3, 4, 4], seed: 4)
        let attrs: [String: AttributeValue] = ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]
        let folded = convOpModel("ConvTranspose", attrs, inputs: [ConvOpInput(name: "x", value: x, constant: true),
                                                                   ConvOpInput(name: "w", value: w, constant: true)])
        let a = try Planner(model: folded).plan(batch: 1).run([])[0]
        let b = try runConvOp("ConvTranspose", attrs, inputs: [ConvOpInput(name: "x", value: x, constant: false),
                                                               ConvOpInput(name: "w", value: w, constant: true)])[0]
        #expect(a.floatArray == b.floatArray)
    }
}
