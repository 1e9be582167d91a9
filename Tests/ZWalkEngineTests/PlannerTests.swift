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
