import Testing
@testable import ZWalkEngine
import TestSupport

/// The planner folds an activation into the step that produces its input (`Gemm → LeakyRelu`,
/// `Conv → Relu`) when that kernel can apply it in its output pass and nothing else reads the
/// value in between. Fused or not, the numbers must be the same; a plan that keeps the value in
/// between (`keeping`) is the unfused reference.
@Suite struct FusionTests {
    /// x (N, 16) → Gemm → LeakyRelu(0.2) → Gemm → `last` → y.
    static func mlp(last: String) -> Model {
        let w1 = Tensor(shape: [16, 64], floats: testValues(16 * 64, seed: 3, lo: -0.5, hi: 0.5))
        let b1 = Tensor(shape: [64], floats: testValues(64, seed: 4))
        let w2 = Tensor(shape: [64, 40], floats: testValues(64 * 40, seed: 5, lo: -0.3, hi: 0.3))
        let b2 = Tensor(shape: [40], floats: testValues(40, seed: 6))
        return graph([Node(name: "fc1", opType: "Gemm", inputs: ["x", "w1", "b1"], outputs: ["h1"]),
                      Node(name: "act1", opType: "LeakyRelu", inputs: ["h1"], outputs: ["a1"], attributes: ["alpha": .float(0.2)]),
                      Node(name: "fc2", opType: "Gemm", inputs: ["a1", "w2", "b2"], outputs: ["h2"]),
                      Node(name: "act2", opType: last, inputs: ["h2"], outputs: ["y"])],
                     inputs: [("x", [.symbolic("N"), .fixed(16)])], outputs: ["y"],
                     initializers: ["w1": w1, "b1": b1, "w2": w2, "b2": b2])
    }

    static func labels(_ plan: Plan) -> [String] { plan.startProfiling().labels }

    @Test(arguments: ["Relu", "LeakyRelu", "Tanh", "Sigmoid"])
    func denseLayersTakeTheirActivation(last: String) throws {
        let planner = try Planner(model: Self.mlp(last: last))
        for batch in [1, 7, 64] {
            let fused = try planner.plan(batch: batch)
            let unfused = try planner.plan(batch: batch, keeping: ["h1", "h2"])
            #expect(Self.labels(fused) == ["Gemm+LeakyRelu", "Gemm+\(last)"])
            #expect(Self.labels(unfused) == ["Gemm", "LeakyRelu", "Gemm", last])
            let x = Tensor(shape: [batch, 16], floats: testValues(batch * 16, seed: UInt64(batch), lo: -2, hi: 2))
            let y = try fused.run([x])[0], want = try unfused.run([x])[0]
            let c = compare(y, want, rtol: 1e-5, atol: 1e-6)
            #expect(c.ok, "batch \(batch), \(last): \(c)")
        }
    }

    @Test func theOverwrittenValueCannotBeTappedButCanBeKept() throws {
        let planner = try Planner(model: Self.mlp(last: "Tanh"))
        let x = Tensor(shape: [2, 16], floats: testValues(32, seed: 9, lo: -2, hi: 2))
        do {
            _ = try planner.plan(batch: 2).run([x], taps: ["h1"])
            Issue.record("tapping a value an activation overwrote must fail")
        } catch let e as EngineError {
            #expect(e.description.contains("keeping"), "\(e)")
        }
        let kept = try planner.plan(batch: 2, keeping: ["h1"]).run([x], taps: ["h1"])
        #expect(kept[1].doubleArray.contains { $0 < 0 }, "the kept value is the Gemm's, before LeakyRelu")
    }

    /// x (1, 16, 16, 16) → 3×3 Conv (Winograd) → Relu; with `residual`, also Add(relu, conv),
    /// which reads the convolution's output a second time, so Relu must not overwrite it.
    static func conv(residual: Bool) -> Model {
        let w = Tensor(shape: [16, 16, 3, 3], floats: testValues(16 * 16 * 9, seed: 11, lo: -0.2, hi: 0.2))
        let b = Tensor(shape: [16], floats: testValues(16, seed: 12))
        var nodes = [Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"],
                          attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]),
                     Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: [residual ? "r" : "y"])]
        if residual { nodes.append(Node(name: "add", opType: "Add", inputs: ["r", "c"], outputs: ["y"])) }
        return graph(nodes, inputs: [("x", [.symbolic("N"), .fixed(16), .fixed(16), .fixed(16)])], outputs: ["y"],
                     initializers: ["w": w, "b": b])
    }

    @Test func aWinogradConvolutionTakesRelu() throws {
        let planner = try Planner(model: Self.conv(residual: false))
        let fused = try planner.plan(batch: 2), unfused = try planner.plan(batch: 2, keeping: ["c"])
        #expect(Self.labels(fused) == ["Conv+Relu"])
        #expect(Self.labels(unfused) == ["Conv", "Relu"])
        let x = Tensor(shape: [2, 16, 16, 16], floats: testValues(2 * 16 * 256, seed: 13, lo: -1, hi: 1))
        let y = try fused.run([x])[0], want = try unfused.run([x])[0]
        #expect(y.doubleArray.contains(0) && y.doubleArray.allSatisfy { $0 >= 0 })
        let c = compare(y, want, rtol: 0, atol: 0)
        #expect(c.ok, "\(c)")
    }

    @Test func aValueReadTwiceIsNotOverwritten() throws {
        let planner = try Planner(model: Self.conv(residual: true))
        let plan = try planner.plan(batch: 1)
        #expect(Self.labels(plan) == ["Conv", "Relu", "Add"])
        let x = Tensor(shape: [1, 16, 16, 16], floats: testValues(16 * 256, seed: 14, lo: -1, hi: 1))
        let out = try planner.plan(batch: 1, keeping: ["c"]).run([x], taps: ["c"])
        let want = out[1].doubleArray.map { max($0, 0) + $0 }
        let c = compare(try plan.run([x])[0].doubleArray, want, rtol: 1e-6, atol: 1e-6)
        #expect(c.ok, "\(c)")
    }

    @Test func anActivationTheKernelCannotApplyStaysAStep() throws {
        // Winograd applies only Relu: a Tanh after it keeps its own pass.
        var m = Self.conv(residual: false)
        m.graph.nodes[1].opType = "Tanh"
        #expect(Self.labels(try Planner(model: m).plan(batch: 1)) == ["Conv", "Tanh"])
    }

    /// A TAESD block: x → Conv → Relu → Conv → Add(·, x) → Relu. The second convolution takes
    /// the skip connection's Add and the Relu after it, with the skip on either side of the Add.
    @Test(arguments: [false, true])
    func aResidualBlockRunsAsTwoSteps(skipFirst: Bool) throws {
        let w1 = Tensor(shape: [16, 16, 3, 3], floats: testValues(16 * 16 * 9, seed: 41, lo: -0.2, hi: 0.2))
        let w2 = Tensor(shape: [16, 16, 3, 3], floats: testValues(16 * 16 * 9, seed: 42, lo: -0.2, hi: 0.2))
        let b = Tensor(shape: [16], floats: testValues(16, seed: 43))
        let conv: [String: AttributeValue] = ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]
        let m = graph([Node(name: "c1", opType: "Conv", inputs: ["x", "w1", "b"], outputs: ["h1"], attributes: conv),
                       Node(name: "r1", opType: "Relu", inputs: ["h1"], outputs: ["a1"]),
                       Node(name: "c2", opType: "Conv", inputs: ["a1", "w2"], outputs: ["h2"], attributes: conv),
                       Node(name: "add", opType: "Add", inputs: skipFirst ? ["x", "h2"] : ["h2", "x"], outputs: ["s"]),
                       Node(name: "r2", opType: "Relu", inputs: ["s"], outputs: ["y"])],
                      inputs: [("x", [.symbolic("N"), .fixed(16), .fixed(20), .fixed(18)])], outputs: ["y"],
                      initializers: ["w1": w1, "w2": w2, "b": b])
        let planner = try Planner(model: m)
        let fused = try planner.plan(batch: 2), unfused = try planner.plan(batch: 2, keeping: ["h1", "h2", "s"])
        #expect(Self.labels(fused) == ["Conv+Relu", "Conv+Add+Relu"])
        #expect(Self.labels(unfused) == ["Conv", "Relu", "Conv", "Add", "Relu"])
        let x = Tensor(shape: [2, 16, 20, 18], floats: testValues(2 * 16 * 360, seed: 44, lo: -1, hi: 1))
        let c = compare(try fused.run([x])[0], try unfused.run([x])[0], rtol: 1e-6, atol: 1e-6)
        #expect(c.ok, "\(c)")
    }

    @Test func aBroadcastAddStaysAStep() throws {
        var m = Self.conv(residual: false)
        m.graph.nodes[1] = Node(name: "add", opType: "Add", inputs: ["c", "shift"], outputs: ["y"])
        m.graph.initializers["shift"] = Tensor(shape: [1, 16, 1, 1], floats: testValues(16, seed: 45))
        #expect(Self.labels(try Planner(model: m).plan(batch: 1)) == ["Conv", "Add"])
    }

    /// A DCGAN-style generator: 1×1 → ConvTranspose (4×4) → Relu → ConvTranspose (stride 2) →
    /// LeakyRelu → ConvTranspose (stride 2) → Tanh. Every ConvTranspose layout (the 1×1 input's
    /// direct product, channels-last through the packed kernel at batch 1, planes at larger batches)
    /// applies its activation to each plane as col2im finishes it.
    @Test(arguments: [1, 8])
    func transposedConvolutionsTakeTheirActivation(batch: Int) throws {
        let w1 = Tensor(shape: [16, 32, 4, 4], floats: testValues(16 * 32 * 16, seed: 51, lo: -0.3, hi: 0.3))
        let w2 = Tensor(shape: [32, 16, 4, 4], floats: testValues(32 * 16 * 16, seed: 52, lo: -0.3, hi: 0.3))
        let w3 = Tensor(shape: [16, 3, 4, 4], floats: testValues(16 * 3 * 16, seed: 53, lo: -0.3, hi: 0.3))
        let b2 = Tensor(shape: [16], floats: testValues(16, seed: 54))
        let up: [String: AttributeValue] = ["kernel_shape": .ints([4, 4]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]
        let m = graph([Node(name: "t1", opType: "ConvTranspose", inputs: ["x", "w1"], outputs: ["h1"], attributes: ["kernel_shape": .ints([4, 4])]),
                       Node(name: "a1", opType: "Relu", inputs: ["h1"], outputs: ["r1"]),
                       Node(name: "t2", opType: "ConvTranspose", inputs: ["r1", "w2", "b2"], outputs: ["h2"], attributes: up),
                       Node(name: "a2", opType: "LeakyRelu", inputs: ["h2"], outputs: ["r2"], attributes: ["alpha": .float(0.2)]),
                       Node(name: "t3", opType: "ConvTranspose", inputs: ["r2", "w3"], outputs: ["h3"], attributes: up),
                       Node(name: "a3", opType: "Tanh", inputs: ["h3"], outputs: ["y"])],
                      inputs: [("x", [.symbolic("N"), .fixed(16), .fixed(1), .fixed(1)])], outputs: ["y"],
                      initializers: ["w1": w1, "w2": w2, "w3": w3, "b2": b2])
        let planner = try Planner(model: m)
        let fused = try planner.plan(batch: batch), unfused = try planner.plan(batch: batch, keeping: ["h1", "h2", "h3"])
        #expect(Self.labels(fused) == ["ConvTranspose+Relu", "ConvTranspose+LeakyRelu", "ConvTranspose+Tanh"])
        let x = Tensor(shape: [batch, 16, 1, 1], floats: testValues(batch * 16, seed: 55, lo: -2, hi: 2))
        let y = try fused.run([x])[0]
        #expect(y.shape == [batch, 3, 16, 16])
        let c = compare(y, try unfused.run([x])[0], rtol: 1e-6, atol: 1e-6)
        #expect(c.ok, "batch \(batch): \(c)")
    }

    /// A BatchNormalization (inference, constant statistics) after a convolution goes into the
    /// convolution's weight and bias; the activation after it then fuses as well. Covered: a
    /// Winograd Conv with bias, a grouped ConvTranspose without bias (whose output channels sit on
    /// the weight's second axis), and the batch-1 and batch-8 layouts. The plan that keeps the
    /// convolution's output is the unfolded reference.
    @Test(arguments: [1, 8])
    func batchNormFoldsIntoTheConvolutionBeforeIt(batch: Int) throws {
        func bn(_ name: String, _ x: String, _ y: String, channels: Int, seed: UInt64) -> (Node, [String: Tensor]) {
            let p = ["scale", "B", "mean", "var"].map { "\(name).\($0)" }
            let values: [[Float]] = [testValues(channels, seed: seed, lo: 0.5, hi: 1.5), testValues(channels, seed: seed + 1),
                                     testValues(channels, seed: seed + 2), testValues(channels, seed: seed + 3, lo: 0.2, hi: 2)]
            var inits: [String: Tensor] = [:]
            for (n, v) in zip(p, values) { inits[n] = Tensor(shape: [channels], floats: v) }
            return (Node(name: name, opType: "BatchNormalization", inputs: [x] + p, outputs: [y],
                         attributes: ["epsilon": .float(1e-3)]), inits)
        }
        let wc = Tensor(shape: [16, 16, 3, 3], floats: testValues(16 * 16 * 9, seed: 61, lo: -0.2, hi: 0.2))
        let bc = Tensor(shape: [16], floats: testValues(16, seed: 62))
        let wt = Tensor(shape: [16, 4, 4, 4], floats: testValues(16 * 4 * 16, seed: 63, lo: -0.3, hi: 0.3))
        let (bn1, p1) = bn("bn1", "c", "n1", channels: 16, seed: 70)
        let (bn2, p2) = bn("bn2", "t", "n2", channels: 8, seed: 80)
        let m = graph([Node(name: "conv", opType: "Conv", inputs: ["x", "wc", "bc"], outputs: ["c"],
                            attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]),
                       bn1, Node(name: "relu", opType: "Relu", inputs: ["n1"], outputs: ["r"]),
                       Node(name: "up", opType: "ConvTranspose", inputs: ["r", "wt"], outputs: ["t"],
                            attributes: ["kernel_shape": .ints([4, 4]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
                                         "group": .int(2)]),
                       bn2, Node(name: "act", opType: "LeakyRelu", inputs: ["n2"], outputs: ["y"], attributes: ["alpha": .float(0.1)])],
                      inputs: [("x", [.symbolic("N"), .fixed(16), .fixed(16), .fixed(16)])], outputs: ["y"],
                      initializers: ["wc": wc, "bc": bc, "wt": wt].merging(p1) { a, _ in a }.merging(p2) { a, _ in a })
        let planner = try Planner(model: m)
        let folded = try planner.plan(batch: batch), unfolded = try planner.plan(batch: batch, keeping: ["c", "t"])
        #expect(Self.labels(folded) == ["Conv+BatchNormalization+Relu", "ConvTranspose+BatchNormalization+LeakyRelu"])
        #expect(Self.labels(unfolded) == ["Conv", "BatchNormalization+Relu", "ConvTranspose", "BatchNormalization", "LeakyRelu"]
                || Self.labels(unfolded) == ["Conv", "BatchNormalization", "Relu", "ConvTranspose", "BatchNormalization", "LeakyRelu"])
        let x = Tensor(shape: [batch, 16, 16, 16], floats: testValues(batch * 16 * 256, seed: 64, lo: -1, hi: 1))
        let y = try folded.run([x])[0]
        #expect(y.shape == [batch, 8, 32, 32])
        let c = compare(y, try unfolded.run([x])[0], rtol: 1e-4, atol: 1e-4) // the same sums, rounded apart
        #expect(c.ok, "batch \(batch): \(c)")
        // The normalised value stays readable by name: the folded convolution writes it.
        let tapped = try planner.plan(batch: batch, keeping: ["n1"]).run([x], taps: ["n1"])[1]
        let want = try planner.plan(batch: batch, keeping: ["c", "n1"]).run([x], taps: ["n1"])[1]
        #expect(compare(tapped, want, rtol: 1e-4, atol: 1e-4).ok)
    }
}
