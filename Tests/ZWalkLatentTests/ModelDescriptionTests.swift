import Testing
import ZWalkEngine
@testable import ZWalkLatent

/// A decoder z (N, 4) → Gemm (4 outputs) → the tail's nodes, each reading the previous value; the
/// last writes "y". Shape arguments for Reshape are initializers.
struct RangeTailCase: Sendable, CustomTestStringConvertible {
    let name: String
    let tail: [(op: String, attributes: [String: AttributeValue])]
    let range: (Float, Float)
    let source: String
    var testDescription: String { name }
}

let rangeTailCases: [RangeTailCase] = [
    .init(name: "Tanh last", tail: [("Tanh", [:])], range: (-1, 1), source: "guessed from the final Tanh"),
    .init(name: "Tanh → Reshape", tail: [("Tanh", [:]), ("Reshape", [:])], range: (-1, 1),
          source: "guessed from the final Tanh (through Reshape)"),
    .init(name: "Sigmoid → Flatten → Identity", tail: [("Sigmoid", [:]), ("Flatten", ["axis": .int(1)]), ("Identity", [:])],
          range: (0, 1), source: "guessed from the final Sigmoid (through Flatten → Identity)"),
    .init(name: "Tanh → Reshape → Transpose", tail: [("Tanh", [:]), ("Reshape", [:]), ("Transpose", ["perm": .ints([0, 2, 1])])],
          range: (-1, 1), source: "guessed from the final Tanh (through Reshape → Transpose)"),
    // Arithmetic after the activation moves the range: nothing is guessed.
    .init(name: "Tanh → Relu", tail: [("Tanh", [:]), ("Relu", [:])], range: (0, 1), source: "assumed"),
    .init(name: "Relu → Reshape", tail: [("Relu", [:]), ("Reshape", [:])], range: (0, 1), source: "assumed"),
]

@Suite struct OutputRangeGuessTests {
    @Test(arguments: rangeTailCases)
    func looksBackThroughShapeOnlyOps(_ c: RangeTailCase) throws {
        var nodes = [Node(name: "fc", opType: "Gemm", inputs: ["z", "W"], outputs: ["h0"], attributes: ["transB": .int(1)])]
        for (i, t) in c.tail.enumerated() {
            let out = i == c.tail.count - 1 ? "y" : "h\(i + 1)"
            let inputs = t.op == "Reshape" ? ["h\(i)", "shape"] : ["h\(i)"]
            nodes.append(Node(name: "n\(i)", opType: t.op, inputs: inputs, outputs: [out], attributes: t.attributes))
        }
        let model = TinyModels.model(nodes, latent: 4, initializers: [
            "W": Tensor(shape: [4, 4], floats: (0..<16).map { Float($0) / 16 }),
            "shape": Tensor(shape: [3], ints: [-1, 2, 2]),
        ])
        let d = try ModelDescription(model: model, plan: try InferenceSession(model: model).plan(batch: 1))
        #expect(d.outputRange == c.range, "range \(d.outputRange)")
        #expect(d.outputRangeSource.hasPrefix(c.source), "source '\(d.outputRangeSource)'")
    }
}
