import Foundation
import ZWalkEngine

/// Shared helpers for the latent toolkit's tests: fixture loading and tiny decoders built in Swift.

enum Fixture {
    /// Tests/Fixtures/latent, found from this file's path so tests run from any directory.
    static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/latent").path
    }()

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FixtureError("\(name) is not a JSON object")
        }
        return obj
    }

    /// The golden doubles, decoded from their IEEE-754 bit patterns (exact, no decimal parsing).
    static func doubles(_ field: Any?) throws -> [Double] {
        guard let d = field as? [String: Any], let bits = d["bits"] as? [String] else { throw FixtureError("no bits") }
        return try bits.map {
            guard let b = UInt64($0, radix: 16) else { throw FixtureError("bad hex \($0)") }
            return Double(bitPattern: b)
        }
    }

    static func float32s(_ field: Any?) throws -> [Float] {
        guard let d = field as? [String: Any], let bits = d["bits"] as? [String] else { throw FixtureError("no bits") }
        return try bits.map {
            guard let b = UInt32($0, radix: 16) else { throw FixtureError("bad hex \($0)") }
            return Float(bitPattern: b)
        }
    }

    static func numbers(_ field: Any?) throws -> [Double] {
        guard let a = field as? [Any] else { throw FixtureError("not an array") }
        return try a.map {
            guard let n = $0 as? NSNumber else { throw FixtureError("not a number: \($0)") }
            return n.doubleValue
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

enum TinyModels {
    static func model(_ nodes: [Node], latent: Int, initializers: [String: Tensor], output: String = "y",
                      metadata: [String: String] = [:]) -> Model {
        Model(graph: Graph(nodes: nodes, initializers: initializers,
                           inputs: [ValueInfo(name: "z", dtype: .float32, dims: [.symbolic("N"), .fixed(latent)])],
                           outputs: [ValueInfo(name: output, dtype: .float32, dims: nil)]),
              metadata: metadata, source: "tiny.onnx")
    }

    /// y = z·Wᵀ (+ b): a Gemm with transB = 1 and W (out × in), optionally followed by `activation`.
    static func linear(_ w: [Float], out: Int, latent: Int, bias: [Float]? = nil, activation: String? = nil) -> Model {
        var inits: [String: Tensor] = ["W": Tensor(shape: [out, latent], floats: w)]
        var inputs = ["z", "W"]
        if let bias { inits["b"] = Tensor(shape: [out], floats: bias); inputs.append("b") }
        var nodes = [Node(name: "fc", opType: "Gemm", inputs: inputs, outputs: [activation == nil ? "y" : "h"],
                          attributes: ["transB": .int(1)])]
        if let activation { nodes.append(Node(name: "act", opType: activation, inputs: ["h"], outputs: ["y"])) }
        return model(nodes, latent: latent, initializers: inits)
    }

    /// y = z @ W with W (in × out), through a Flatten first (a shape-only node SeFa must see through).
    static func matMul(_ w: [Float], latent: Int, out: Int) -> Model {
        model([Node(name: "flat", opType: "Flatten", inputs: ["z"], outputs: ["zf"], attributes: ["axis": .int(1)]),
               Node(name: "mm", opType: "MatMul", inputs: ["zf", "W"], outputs: ["y"])],
              latent: latent, initializers: ["W": Tensor(shape: [latent, out], floats: w)])
    }

    /// z (N, Cin) → Reshape (N, Cin, 1, 1) → ConvTranspose with kernel (Cin, Cout, kH, kW).
    static func convTranspose(_ w: [Float], shape: [Int]) -> Model {
        model([Node(name: "rs", opType: "Reshape", inputs: ["z", "shape"], outputs: ["z4"]),
               Node(name: "deconv", opType: "ConvTranspose", inputs: ["z4", "W"], outputs: ["y"],
                    attributes: ["kernel_shape": .ints([shape[2], shape[3]])])],
              latent: shape[0],
              initializers: ["W": Tensor(shape: shape, floats: w),
                             "shape": Tensor(shape: [4], ints: [-1, Int64(shape[0]), 1, 1])])
    }
}
