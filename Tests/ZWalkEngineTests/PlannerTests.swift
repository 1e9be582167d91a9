import Testing
@testable import ZWalkEngine
import TestSupport

/// A tiny graph helper: one node per line, all float inputs declared with a dynamic batch.
func graph(_ nodes: [Node], inputs: [(String, [Dim])], outputs: [String], initializers: [String: Tensor] = [:]) -> Model {
    Model(graph: Graph(nodes: nodes, initializers: initializers,
                       inputs: inputs.map { ValueInfo(name: $0.0, dtype: .float32, dims: $0.1) },
                       outputs: outputs.map { ValueInfo(name: $0, dtype: .float32, dims: nil) }))
}

@Suite struct PlannerTests {
    @Test func unsupportedOperatorIsReportedAtLoadWithNodeAndOpset() throws {
        let m = graph([Node(name: "mystery", opType: "FancyOp", inputs: ["x"], outputs: ["y"])],
                      inputs: [("x", [.symbolic("N"), .fixed(3)])], outputs: ["y"])
        #expect(throws: EngineError.unsupportedOperators([.init(op: "FancyOp", domain: "", opset: 17, node: "mystery")])) {
            _ = try InferenceSession(model: m)
        }
    }

    @Test func cycleIsReported() throws {
        let m = graph([Node(name: "a", opType: "Relu", inputs: ["b_out"], outputs: ["a_out"]),
                       Node(name: "b", opType: "Relu", inputs: ["a_out"], outputs: ["b_out"])],
                      inputs: [("x", [.fixed(1)])], outputs: ["a_out"])
        do { _ = try InferenceSession(model: m); Issue.record("expected a cycle error") }
        catch let e as EngineError { #expect(e.description.contains("cycle")) }
    }

    @Test func missingValueNamesTheNode() throws {
        let m = graph([Node(name: "add1", opType: "Add", inputs: ["x", "bias"], outputs: ["y"])],
                      inputs: [("x", [.fixed(2)])], outputs: ["y"])
        do { _ = try InferenceSession(model: m); Issue.record("expected an error") }
        catch let e as EngineError { #expect(e.description.contains("add1") && e.description.contains("bias")) }
    }

    @Test func dynamicBatchPlansAnySizeAndBroadcastsBias() throws {
        let bias = Tensor(shape: [1, 3], floats: [10, 20, 30])
        let m = graph([Node(name: "add", opType: "Add", inputs: ["x", "b"], outputs: ["s"]),
                       Node(name: "relu", opType: "Relu", inputs: ["s"], outputs: ["y"])],
                      inputs: [("x", [.symbolic("N"), .fixed(3)])], outputs: ["y"], initializers: ["b": bias])
        let session = try InferenceSession(model: m)
        for n in [1, 5] {
            let x = Tensor(shape: [n, 3], floats: testValues(n * 3, lo: -40, hi: 40))
            let y = try session.run([x])[0]
            #expect(y.shape == [n, 3])
            let want = (0..<n * 3).map { Double(max(0, x.floats[$0] + bias.floats[$0 % 3])) }
            let c = compare(y.doubleArray, want)
            #expect(c.ok, "\(c)")
        }
    }

    @Test func wrongInputShapeIsAClearError() throws {
        let m = graph([Node(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                      inputs: [("x", [.symbolic("N"), .fixed(3)])], outputs: ["y"])
        let plan = try InferenceSession(model: m).plan(batch: 2)
        do { _ = try plan.run([Tensor(shape: [2, 4])]); Issue.record("expected an error") }
        catch let e as EngineError { #expect(e.description.contains("[2, 3]")) }
    }
}

@Suite struct BroadcastTests {
    /// Every output element is checked against the direct index computation.
    @Test(arguments: [
        ([2, 3, 4, 5], [1, 3, 1, 1]), ([2, 3, 4, 5], [5]), ([4, 1], [1, 6]), ([3], []), ([2, 1, 4], [3, 1]),
    ] as [([Int], [Int])])
    func layoutMatchesNaiveIndexing(a: [Int], b: [Int]) throws {
        let out = try Shape.broadcast(a, b)
        let layout = BroadcastLayout(output: out, inputs: [a, b])
        var seen = [(Int, Int)](repeating: (-1, -1), count: out.reduce(1, *))
        let steps = layout.innerSteps
        // Visited in uneven slices of runs, as the threads split the work.
        var start = 0, width = 1
        while start < layout.runCount {
            let end = min(layout.runCount, start + width)
            layout.forEachRun(in: start..<end) { o, offs, n in
                for i in 0..<n { seen[o + i] = (offs.0 + i * steps[0], offs.1 + i * steps[1]) }
            }
            start = end
            width += 2
        }
        let os = Shape.strides(out)
        func offset(_ shape: [Int], _ flat: Int) -> Int {
            let padded = [Int](repeating: 1, count: out.count - shape.count) + shape
            let st = Shape.strides(padded)
            var off = 0
            for d in 0..<out.count { let idx = (flat / os[d]) % out[d]; off += (padded[d] == 1 ? 0 : idx) * st[d] }
            return off
        }
        for f in 0..<seen.count {
            #expect(seen[f].0 == offset(a, f) && seen[f].1 == offset(b, f), "element \(f)")
        }
    }
}

/// Buffer reuse: a chain of layers keeps a few buffers, the plan states its memory, and only kept
/// values can be read after a run.
@Suite struct ArenaTests {
    /// x → Relu → Neg → Relu → Neg → Relu → y over (N, 1000): five activations, three buffers
    /// at most, and the numbers of the chain.
    static func chain() -> Model {
        let ops = ["Relu", "Neg", "Relu", "Neg", "Relu"]
        let nodes = ops.enumerated().map { i, op in
            Node(name: "n\(i)", opType: op, inputs: [i == 0 ? "x" : "v\(i - 1)"], outputs: [i == ops.count - 1 ? "y" : "v\(i)"])
        }
        return graph(nodes, inputs: [("x", [.symbolic("N"), .fixed(1000)])], outputs: ["y"])
    }

    @Test func aChainSharesBuffersAndComputesTheSame() throws {
        let planner = try Planner(model: ArenaTests.chain())
        let plan = try planner.plan(batch: 3)
        let activation = 3 * 1000 * 4
        #expect(plan.memory.arena <= 3 * activation && plan.memory.arena >= 2 * activation, "\(plan.memory)")
        #expect(plan.memory.inputs == activation)
        #expect(try planner.memory(batch: 3) == plan.memory)
        let x = Tensor(shape: [3, 1000], floats: testValues(3000, lo: -5, hi: 5))
        let y = try plan.run([x])[0]
        // relu(-relu(-relu(x))) = 0 for every x ≥ 0 … and for x < 0: relu(-relu(-0)) = 0.
        #expect(y.floatArray == [Float](repeating: 0, count: 3000))
    }

    @Test func memoryGrowsWithTheBatch() throws {
        let planner = try Planner(model: ArenaTests.chain())
        let m1 = try planner.memory(batch: 1).total, m8 = try planner.memory(batch: 8).total
        #expect(m8 == 8 * m1)
    }

    @Test func onlyKeptValuesCanBeTapped() throws {
        let planner = try Planner(model: ArenaTests.chain())
        let x = Tensor(shape: [1, 1000], floats: testValues(1000, lo: -5, hi: 5))
        do {
            _ = try planner.plan(batch: 1).run([x], taps: ["v1"])
            Issue.record("a reused value was tapped")
        } catch let e as EngineError {
            #expect(e.description == "value 'v1' shares its buffer with later layers; plan with keeping: [\"v1\"] to read it")
        }
        let tapped = try planner.plan(batch: 1, keeping: ["v1"]).run([x], taps: ["v1"])
        #expect(tapped[1].floatArray == x.floatArray.map { -max($0, 0) })
    }

    /// A graph error in a model from a file names the file.
    @Test func graphErrorsNameTheFile() throws {
        var m = graph([Node(name: "add1", opType: "Add", inputs: ["x", "bias"], outputs: ["y"])],
                      inputs: [("x", [.fixed(2)])], outputs: ["y"])
        m.source = "models/broken.onnx"
        do { _ = try InferenceSession(model: m); Issue.record("expected an error") } catch let e as EngineError {
            #expect(e.description.hasPrefix("models/broken.onnx: node 'add1' (Add) reads 'bias'"))
        }
    }
}
