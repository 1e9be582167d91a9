import Foundation
import ZWalkEngine

/// What zwalk knows about a decoder: where its latent goes in, what comes out and how to show it.
/// Read from the model's `metadata_props` (keys `zwalk.*`, see README) with fallbacks inferred
/// from the graph, so a model exported without zwalk in mind still opens.
public struct ModelDescription: Sendable {
    public var latentInput: String
    /// Latent dimensions without the batch axis, e.g. [10] or [100, 1, 1].
    public var latentShape: [Int]
    public var outputName: String
    /// Output dimensions of one sample, e.g. [3, 64, 64].
    public var outputShape: [Int]
    /// The value range of the output that maps to black…white.
    public var outputRange: (Float, Float)
    /// Where `outputRange` came from ("metadata", "final Tanh", …), for `zwalk info`.
    public var outputRangeSource: String
    /// "normal" or "uniform".
    public var prior: String
    /// Human names of latent dimensions found by the model's author (`zwalk.dim_names`).
    public var dimNames: [Int: String]
    public var summary: String?
    /// A companion encoder file named by `zwalk.encoder`, relative to the model's directory.
    public var encoderFile: String?

    public var latentCount: Int { latentShape.reduce(1, *) }

    /// (C, H, W) when the output is an image: rank 3 with 1, 3 or 4 channels, or rank 2 (H, W).
    public var imageShape: (channels: Int, height: Int, width: Int)? {
        switch outputShape.count {
        case 3 where [1, 3, 4].contains(outputShape[0]): return (outputShape[0], outputShape[1], outputShape[2])
        case 2: return (1, outputShape[0], outputShape[1])
        default: return nil
        }
    }
}

public struct ModelError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ModelDescription {
    /// Reads the description from metadata and the planned graph (batch 1).
    public init(model: Model, plan: Plan) throws {
        let md = model.metadata
        let source = model.source
        guard let input = plan.inputNames.first else { throw ModelError("\(source): the model has no runtime input to feed a latent into") }
        if plan.inputNames.count > 1 {
            throw ModelError("\(source): the model takes \(plan.inputNames.count) inputs (\(plan.inputNames.joined(separator: ", "))); zwalk drives decoders with one latent input")
        }
        let latentShape = try Prior.latentShape(of: model)
        guard latentShape.reduce(1, *) == plan.inputShapes[0].dropFirst().reduce(1, *) else {
            throw ModelError("\(source): latent shape \(latentShape) does not match input '\(input)' of shape \(Array(plan.inputShapes[0].dropFirst()))")
        }
        guard let out = plan.outputNames.first else { throw ModelError("\(source): the model has no output") }
        try self.init(source: source, metadata: md, latentInput: input, latentShape: latentShape, outputName: out,
                      outputShape: Array(plan.outputShapes[0].dropFirst()),
                      unstatedRange: ModelDescription.guessRange(model: model, output: out))
    }

    /// The description of any decoder (a file's graph, a server's metadata): its `zwalk.*`
    /// metadata read here, once; `unstatedRange` when no `zwalk.output_range` says it.
    public init(source: String, metadata md: [String: String], latentInput: String, latentShape: [Int], outputName: String,
                outputShape: [Int], unstatedRange: ((Float, Float), String)) throws {
        self.latentInput = latentInput
        self.latentShape = latentShape
        self.outputName = outputName
        self.outputShape = outputShape
        prior = md["zwalk.prior"] ?? "normal"
        guard ["normal", "uniform"].contains(prior) else {
            throw ModelError("\(source): metadata zwalk.prior='\(prior)' is not one of normal, uniform")
        }
        if let r = md["zwalk.output_range"] {
            let parts = r.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2, parts[0] < parts[1] else {
                throw ModelError("\(source): metadata zwalk.output_range='\(r)' must be 'lo,hi' with lo < hi")
            }
            outputRange = (parts[0], parts[1])
            outputRangeSource = "metadata"
        } else {
            (outputRange, outputRangeSource) = unstatedRange
        }
        dimNames = ModelDescription.parseDimNames(md["zwalk.dim_names"] ?? "")
        summary = md["zwalk.description"]
        encoderFile = md["zwalk.encoder"]
    }

    /// "3:x position;7:scale" → [3: "x position", 7: "scale"]; malformed pairs are ignored.
    public static func parseDimNames(_ s: String) -> [Int: String] {
        var names: [Int: String] = [:]
        for pair in s.split(separator: ";") {
            let kv = pair.split(separator: ":", maxSplits: 1)
            if kv.count == 2, let i = Int(kv[0].trimmingCharacters(in: .whitespaces)) {
                names[i] = kv[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return names
    }

    /// Operators whose every output value is a value of their first input (they reshape, permute,
    /// copy or select): the range of the output is that of the input, so `guessRange` looks
    /// through them to the activation before.
    static let rangePreservingOps: Set<String> = [
        "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity",
        "DepthToSpace", "SpaceToDepth", "Expand", "Tile", "Slice",
    ]

    /// The final activation tells the range of most image decoders. Exporters often end with a
    /// Reshape or Flatten after it, so the search walks back through `rangePreservingOps`.
    static func guessRange(model: Model, output: String) -> ((Float, Float), String) {
        let assumed: ((Float, Float), String) = ((0, 1), "assumed (no metadata, no final Tanh/Sigmoid); set zwalk.output_range")
        var value = output
        var passed: [String] = []
        // The count bound guards a (malformed) cyclic graph.
        while passed.count <= model.graph.nodes.count,
              let producer = model.graph.nodes.first(where: { $0.outputs.contains(value) }) {
            let through = passed.isEmpty ? "" : " (through \(passed.reversed().joined(separator: " → ")))"
            switch producer.opType {
            case "Tanh": return ((-1, 1), "guessed from the final Tanh" + through)
            case "Sigmoid": return ((0, 1), "guessed from the final Sigmoid" + through)
            case "Clip": return ((0, 1), "guessed (final Clip" + through + ")")
            case let op where rangePreservingOps.contains(op) && !(producer.inputs.first ?? "").isEmpty:
                passed.append(op)
                value = producer.inputs[0]
            default:
                return assumed
            }
        }
        return assumed
    }
}

/// A loaded decoder: its graph, its description and a `LatentDecoder` that runs it in bounded
/// batches. Not reentrant (one thread decodes at a time).
public final class GenerativeModel: @unchecked Sendable {
    public let model: Model
    public let decoder: LatentDecoder
    public let description: ModelDescription
    public let session: InferenceSession

    public init(model: Model, maxBatch: Int = 64) throws {
        self.model = model
        session = try InferenceSession(model: model)
        description = try ModelDescription(model: model, plan: try session.plan(batch: 1))
        decoder = try LatentDecoder(session: session, latentShape: description.latentShape, maxBatch: maxBatch)
    }

    public var path: String { model.source }

    /// Decodes latents of shape (N, latentShape…) or (N, latentCount) into (N, outputShape…).
    public func decode(_ latents: Tensor) throws -> Tensor {
        let d = description
        guard latents.dtype == .float32, let n = latents.shape.first, n >= 1, latents.count == n * d.latentCount else {
            throw ModelError("latents of shape \(latents.shape) do not fit this model: it wants (N, \(d.latentShape.map(String.init).joined(separator: ", "))) — \(d.latentCount) values per sample")
        }
        return try decoder.decode(Tensor(viewing: latents, shape: [n] + d.latentShape))
    }

    /// Decodes one latent given as a flat array.
    public func decode(_ z: [Float]) throws -> Tensor {
        try decode(Tensor(shape: [1, z.count], floats: z))
    }
}
