import ZWalkEngine

/// The first layer of a decoder that acts on the latent: what SeFa factorises and where PCA reads
/// activations by default. Found by following the latent through shape-only nodes (Reshape,
/// Flatten, Squeeze, Unsqueeze, Identity — they keep the row-major element order, so latent
/// element i is still input element i) to the first Gemm, MatMul or ConvTranspose that takes it.
public struct FirstLayer: Sendable {
    public enum Kind: String, Sendable { case gemm = "Gemm", matMul = "MatMul", convTranspose = "ConvTranspose" }

    public let kind: Kind
    public let node: Node
    /// The name of the value the layer reads the latent from (the latent or a reshape of it).
    public let latentValue: String
    /// The name of the weight input.
    public let weightName: String
    /// The layer's output, the default activation for PCA.
    public var outputName: String { node.outputs[0] }

    static let shapeOnly: Set<String> = ["Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"]

    /// Finds the first layer or explains what the latent reaches instead.
    public static func find(in model: Model) throws -> FirstLayer {
        let g = model.graph
        guard let latent = g.runtimeInputs.first?.name else {
            throw LatentError.unsupportedModel("\(model.source): the model has no runtime input")
        }
        var reaches: Set<String> = [latent]
        var other: [String] = []
        // ONNX requires nodes in topological order, so one pass sees every reshape before its users.
        for node in g.nodes {
            guard let i = node.inputs.firstIndex(where: { reaches.contains($0) }) else { continue }
            if shapeOnly.contains(node.opType), i == 0 {
                reaches.insert(node.outputs[0])
                continue
            }
            let weight = node.inputs.count > 1 ? node.inputs[1] : ""
            switch node.opType {
            case "Gemm" where i == 0 && !reaches.contains(weight):
                return FirstLayer(kind: .gemm, node: node, latentValue: node.inputs[0], weightName: weight)
            case "MatMul" where i == 0 && !reaches.contains(weight):
                return FirstLayer(kind: .matMul, node: node, latentValue: node.inputs[0], weightName: weight)
            case "ConvTranspose" where i == 0:
                return FirstLayer(kind: .convTranspose, node: node, latentValue: node.inputs[0], weightName: weight)
            default:
                other.append("\(node.opType) '\(node.displayName)' (input \(i))")
            }
        }
        let seen = other.isEmpty ? "nothing but shape-only nodes" : other.prefix(3).joined(separator: ", ")
        throw LatentError.unsupportedModel("\(model.source): no Gemm, MatMul or ConvTranspose takes the latent '\(latent)' directly (through Reshape/Flatten/Squeeze/Unsqueeze at most); it reaches \(seen)")
    }

    /// The first node (in graph order) that reads the latent other than through a shape-only
    /// node: PCA's default activation when there is no linear first layer.
    public static func firstConsumerOutput(in model: Model) throws -> String {
        if let layer = try? find(in: model) { return layer.outputName }
        let g = model.graph
        guard let latent = g.runtimeInputs.first?.name else {
            throw LatentError.unsupportedModel("\(model.source): the model has no runtime input")
        }
        var reaches: Set<String> = [latent]
        for node in g.nodes where node.inputs.contains(where: { reaches.contains($0) }) {
            if shapeOnly.contains(node.opType) { reaches.insert(node.outputs[0]); continue }
            return node.outputs[0]
        }
        throw LatentError.unsupportedModel("\(model.source): no node reads the latent '\(latent)'")
    }

    /// The model cut down to the nodes that compute `value`, with `value` as its only output, so
    /// that reading a first-layer activation does not run the whole decoder.
    public static func model(_ model: Model, truncatedAt value: String) throws -> Model {
        let g = model.graph
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() { for o in n.outputs where !o.isEmpty { producer[o] = i } }
        guard producer[value] != nil else {
            throw LatentError.invalidArgument("\(model.source): no node produces a value named '\(value)' (name a node output; `zwalk info` lists them)")
        }
        var keep = Set<Int>()
        var stack = [value]
        var usedInitializers = Set<String>()
        while let v = stack.popLast() {
            if let p = producer[v] {
                if keep.insert(p).inserted { stack.append(contentsOf: g.nodes[p].inputs.filter { !$0.isEmpty }) }
            } else if g.initializers[v] != nil {
                usedInitializers.insert(v)
            }
        }
        let latent = g.runtimeInputs.first?.name ?? ""
        let nodes = g.nodes.indices.filter { keep.contains($0) }.map { g.nodes[$0] }
        guard nodes.contains(where: { $0.inputs.contains(latent) }) else {
            throw LatentError.invalidArgument("\(model.source): value '\(value)' does not depend on the latent '\(latent)'")
        }
        var cut = model
        cut.graph = Graph(name: g.name, nodes: nodes,
                          initializers: g.initializers.filter { usedInitializers.contains($0.key) },
                          inputs: g.inputs.filter { g.initializers[$0.name] == nil || usedInitializers.contains($0.name) },
                          outputs: [ValueInfo(name: value, dtype: .float32, dims: nil)])
        return cut
    }
}
