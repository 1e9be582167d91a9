import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkLatent

/// Where a served model is: the server's address, the model's name and version.
public struct RemoteAddress: Sendable {
    public var server: String
    public var model: String
    public var version: String?
    /// Seconds one request may take.
    public var timeout: Double

    public init(server: String, model: String, version: String? = nil, timeout: Double = 60) {
        self.server = server; self.model = model; self.version = version; self.timeout = timeout
    }
}

/// A decoder served by an inference server, driven like one on this CPU: `LatentDecoder` batches
/// through it (no larger than the server's max_batch_size), `ModelSession` describes and
/// fingerprints it. Opening checks the server's health, the model's readiness and metadata, then
/// decodes one latent to learn (and check) the output's shape.
public final class RemoteDecoder: DecoderRunner, @unchecked Sendable {
    public let server: InferenceServer
    public let address: RemoteAddress
    public let metadata: ServedModel
    public let description: ModelDescription
    public let outputShape: [Int]
    public var largestBatch: Int? { metadata.maxBatchSize }
    /// The last request's round trip, in seconds. Sibling sessions (the explorer's directions
    /// thread) share this decoder, so it is kept under a lock.
    public var lastRoundTrip: Double? {
        lock.lock(); defer { lock.unlock() }
        return roundTrip
    }
    private var roundTrip: Double?
    private let lock = NSLock()
    private let input: TensorMetadata
    private let output: TensorMetadata

    public var source: String { "model '\(address.model)' on \(server.address)" }

    /// sha256 of what identifies the model: the server, the name, the version and the metadata.
    public var fingerprint: String {
        SHA256.hash(Data("oip\n\(server.address)\n\(address.model)\n\(address.version ?? "")\n\(metadata.canonical)".utf8))
    }

    /// `outputRange`: the user's, else the model's `zwalk.output_range` parameter, else 0…1.
    public init(_ address: RemoteAddress) throws {
        server = try InferenceServer(address: address.server, timeout: address.timeout)
        self.address = address
        try server.checkReady()
        try server.checkModelReady(address.model, version: address.version)
        metadata = try server.metadata(address.model, version: address.version)
        let label = "model '\(address.model)' on \(server.address)"
        guard metadata.inputs.count == 1, let input = metadata.inputs.first else {
            throw RemoteError.unsupported(model: label, reason: "it takes \(metadata.inputs.count) inputs (\(metadata.inputs.map(\.name).joined(separator: ", "))); zwalk drives decoders whose only input is the latent")
        }
        guard ["FP32", "TYPE_FP32"].contains(input.datatype.uppercased()) else {
            throw RemoteError.unsupported(model: label, reason: "its input '\(input.name)' is \(input.datatype); zwalk sends FP32 latents")
        }
        guard let output = metadata.outputs.first else {
            throw RemoteError.unsupported(model: label, reason: "it has no outputs")
        }
        self.input = input
        self.output = output
        // Triton lists shapes without the batch axis when it batches (max_batch_size > 0).
        let dims: [Int?] = (metadata.maxBatchSize != nil && input.shape.first != -1 ? [nil] : []) + input.shape.map { $0 > 0 ? $0 : nil }
        let latentShape = try Prior.latentShape(source: label, input: input.name, dims: dims,
                                                shown: "shape [\(input.shape.map(String.init).joined(separator: ", "))]",
                                                metadata: metadata.parameters["zwalk.latent_shape"])
        // One decode of the zero latent: the output's shape for certain, and a first check that
        // inference works before anything else is asked of it.
        let t0 = Date()
        let probe = try Self.infer(server, address, input: input.name, output: output.name, latentShape: latentShape,
                                   latents: [Float](repeating: 0, count: latentShape.reduce(1, *)), count: 1)
        roundTrip = Date().timeIntervalSince(t0)
        outputShape = Array(probe.shape.dropFirst())
        description = try ModelDescription(
            source: label, metadata: metadata.parameters, latentInput: input.name, latentShape: latentShape,
            outputName: output.name, outputShape: outputShape,
            unstatedRange: ((0, 1), "assumed (the server states no zwalk.output_range; give --output-range)"))
    }

    private static func infer(_ server: InferenceServer, _ address: RemoteAddress, input: String, output: String,
                              latentShape: [Int], latents: [Float], count: Int) throws -> (shape: [Int], values: [Float]) {
        let r = try server.infer(address.model, version: address.version, input: input, shape: [count] + latentShape,
                                 latents: latents, output: output)
        guard r.shape.first == count, r.values.count == r.shape.reduce(1, *) else {
            throw RemoteError.badReply(url: server.address, reason: "\(count) latent(s) came back as output '\(output)' of shape \(r.shape)")
        }
        return r
    }

    // MARK: DecoderRunner

    /// The reply's body and its floats, for each sample.
    public func workingBytes(batch n: Int) throws -> Int { 2 * n * outputShape.reduce(1, *) * 4 }

    public func run(_ input: Tensor, taps: [String]) throws -> [Tensor] {
        guard taps.isEmpty else {
            throw RemoteError.unsupported(model: source, reason: "a served model shows only its outputs, not intermediate values such as '\(taps[0])'")
        }
        let n = input.shape[0]
        let start = Date()
        let r = try Self.infer(server, address, input: self.input.name, output: output.name,
                               latentShape: Array(input.shape.dropFirst()), latents: input.floatArray, count: n)
        lock.lock(); roundTrip = Date().timeIntervalSince(start); lock.unlock()
        guard Array(r.shape.dropFirst()) == outputShape else {
            throw RemoteError.badReply(url: server.address, reason: "output '\(output.name)' came back with shape \(r.shape), not (\(n), \(outputShape.map(String.init).joined(separator: ", "))) as before")
        }
        return [Tensor(shape: r.shape, floats: r.values)]
    }

    public func tapShape(_ name: String) throws -> [Int]? { nil }

    public func releaseCached(over bytes: Int?) {}
}
