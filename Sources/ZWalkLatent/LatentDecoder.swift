import ZWalkEngine

/// Where a decoder's batches run: the engine's plans on this CPU (`EngineRunner`), or an
/// inference server (ZWalkRemote). `LatentDecoder` does the batching, the memory limit and the
/// bookkeeping once for both.
public protocol DecoderRunner: AnyObject {
    /// The model, for messages: a file path, or a server URL with the model's name.
    var source: String { get }
    /// The first output of one sample (without the batch axis).
    var outputShape: [Int] { get }
    /// The largest batch the runner takes in one call (a server's max_batch_size); nil: any.
    var largestBatch: Int? { get }
    /// Bytes held while a batch of `n` runs, beside the latents: a plan's activations and
    /// scratch; a reply's body and its floats.
    func workingBytes(batch n: Int) throws -> Int
    /// Runs `input` (n, latentShape…): the first output (n, outputShape…), then each of `taps`.
    /// The tensors may be the runner's own buffers, valid until its next call.
    func run(_ input: Tensor, taps: [String]) throws -> [Tensor]
    /// The per-sample shape of a named intermediate value; nil when the model has none, or when
    /// it is out of reach (a served model shows only its outputs).
    func tapShape(_ name: String) throws -> [Int]?
    /// Drops what is cached for batches of other sizes (plans), so that a memory limit holds.
    func releaseCached(over bytes: Int?)
}

/// An error that may pass by itself (a server restarting, a dropped connection): the explorer
/// tries the same decode again a little later instead of waiting for a key.
public protocol TransientError: Error {
    var isTransient: Bool { get }
}

/// The engine's plans on this CPU: one `InferenceSession`.
public final class EngineRunner: DecoderRunner {
    public let session: InferenceSession
    public let outputShape: [Int]
    public var largestBatch: Int? { nil }
    public var source: String { session.model.source }

    public init(session: InferenceSession, latentShape: [Int]) throws {
        let model = session.model
        let inputs = model.graph.runtimeInputs
        guard inputs.count == 1 else {
            throw LatentError.unsupportedModel("\(model.source): the decoder takes \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); the latent toolkit needs a decoder whose only input is the latent")
        }
        let plan = try session.plan(batch: 1)
        guard plan.inputShapes[0] == [1] + latentShape else {
            throw LatentError.unsupportedModel("\(model.source): input '\(plan.inputNames[0])' has shape \(plan.inputShapes[0]) at batch 1, not (1, \(latentShape.map(String.init).joined(separator: ", "))) as the latent shape says")
        }
        guard let out = plan.outputShapes.first, out.first == 1 else {
            throw LatentError.unsupportedModel("\(model.source): the first output does not have the batch as its first axis (shape \(plan.outputShapes.first ?? []))")
        }
        self.session = session
        outputShape = Array(out.dropFirst())
    }

    public func workingBytes(batch n: Int) throws -> Int { try session.planner.memory(batch: n).total }

    public func run(_ input: Tensor, taps: [String]) throws -> [Tensor] {
        try session.plan(batch: input.shape[0], keeping: Set(taps)).runBorrowing([input], taps: taps)
    }

    public func tapShape(_ name: String) throws -> [Int]? {
        guard let s = try session.plan(batch: 1).shape(of: name), s.first == 1 else { return nil }
        return Array(s.dropFirst())
    }

    public func releaseCached(over bytes: Int?) {
        if let bytes, session.cachedPlanBytes <= bytes { return }
        session.releasePlans()
    }
}

/// A decoder seen as a function from flat latents to flat outputs, run in bounded batches so that
/// a method needing thousands of decodes (per-axis ranking, Jacobians, geodesics) never sends one
/// giant batch. Its runner is the engine (this CPU) or a server. Not reentrant: one thread at a time.
public final class LatentDecoder: @unchecked Sendable {
    public let runner: DecoderRunner
    /// One latent without the batch axis, e.g. [10] or [4, 8, 8].
    public let latentShape: [Int]
    public let latentCount: Int
    /// The first output's shape without the batch axis, e.g. [3, 64, 64].
    public let outputShape: [Int]
    public let outputCount: Int
    /// The largest batch run at once (the runner's own limit included).
    public let maxBatch: Int
    /// The batch decoded at once: `maxBatch`, or less when a memory limit says so (`limitMemory`).
    public private(set) var batchLimit: Int
    /// The bytes the decoder's runs may hold, when limited.
    public private(set) var memoryLimit: Int?
    /// Samples decoded so far (for stating the cost of a method in tests and progress bars).
    public private(set) var decodedSamples = 0

    public init(runner: DecoderRunner, latentShape: [Int], maxBatch: Int = 64) throws {
        guard maxBatch >= 1 else { throw LatentError.invalidArgument("maxBatch must be at least 1, got \(maxBatch)") }
        self.runner = runner
        self.latentShape = latentShape
        self.latentCount = latentShape.reduce(1, *)
        self.outputShape = runner.outputShape
        self.outputCount = outputShape.reduce(1, *)
        self.maxBatch = min(maxBatch, max(1, runner.largestBatch ?? maxBatch))
        self.batchLimit = self.maxBatch
    }

    /// The model must take exactly one runtime input, the latent, shaped (batch, latentShape…).
    public convenience init(session: InferenceSession, latentShape: [Int], maxBatch: Int = 64) throws {
        try self.init(runner: EngineRunner(session: session, latentShape: latentShape), latentShape: latentShape,
                      maxBatch: maxBatch)
    }

    /// Bounds the memory of the decoder's runs (a plan's activations, scratch, folded constants;
    /// a server's replies) to `bytes`: batches become as large as fits, up to `maxBatch`, as the
    /// runner states it (`Planner.memory`); a model whose one sample does not fit is refused with
    /// its figures. The batch-1 plan stays cached beside the batch plan, so both count. nil lifts
    /// the limit.
    public func limitMemory(to bytes: Int?) throws {
        memoryLimit = bytes
        guard let bytes else { batchLimit = maxBatch; return }
        let one = try runner.workingBytes(batch: 1)
        guard one <= bytes else {
            throw MemoryBudgetError(what: "decoding one sample of \(runner.source)",
                                    parts: [("for activations and scratch", one)], budget: bytes)
        }
        func fits(_ n: Int) throws -> Bool { try n == 1 || runner.workingBytes(batch: n) + one <= bytes }
        // The memory of a plan grows with its batch: the largest batch that fits, by bisection.
        var lo = 1, hi = maxBatch
        if try fits(hi) { lo = hi }
        while lo < hi - 1 {
            let mid = (lo + hi) / 2
            if try fits(mid) { lo = mid } else { hi = mid }
        }
        batchLimit = lo
        runner.releaseCached(over: bytes)
    }

    /// Bytes a decode of `count` samples holds in plans: the batch plan and the batch-1 plan.
    public func planBytes(count: Int) throws -> Int {
        let n = min(count, batchLimit)
        let one = try runner.workingBytes(batch: 1)
        return n == 1 ? one : one + (try runner.workingBytes(batch: n))
    }

    /// Decodes `count` latents laid out row after row in `latents` a batch at a time, handing each
    /// batch's outputs (n, outputShape…) to `body` with the index of its first sample. The tensor
    /// is the plan's own buffer, valid only during the call: nothing is accumulated here.
    public func decodeBatches(_ latents: [Float], count: Int, _ body: (Tensor, Int) throws -> Void) throws {
        guard count >= 0, latents.count == count * latentCount else {
            throw LatentError.invalidArgument("\(latents.count) latent values do not make \(count) latents of \(latentCount)")
        }
        var start = 0
        while start < count {
            let n = min(batchLimit, count - start)
            let input = Tensor(shape: [n] + latentShape,
                               floats: Array(latents[(start * latentCount)..<((start + n) * latentCount)]))
            try body(try runBatch(input, taps: [])[0], start)
            decodedSamples += n
            start += n
        }
    }

    /// Runs one batch. Under a memory limit a plan of another size replaces the cached ones
    /// instead of joining them.
    private func runBatch(_ input: Tensor, taps: [String]) throws -> [Tensor] {
        let n = input.shape[0]
        if memoryLimit != nil && n != batchLimit && n != 1 { runner.releaseCached(over: nil) }
        return try runner.run(input, taps: taps)
    }

    /// A decoder for a model, with the latent shape its metadata or input declares.
    public convenience init(model: Model, maxBatch: Int = 64) throws {
        try self.init(session: InferenceSession(model: model), latentShape: Prior.latentShape(of: model), maxBatch: maxBatch)
    }

    /// Decodes `count` latents laid out row after row in `latents` (count·latentCount values) and
    /// returns the first output, count·outputCount values in the same row order.
    public func decode(_ latents: [Float], count: Int) throws -> [Float] {
        try run(latents, count: count, tap: nil).outputs
    }

    /// Decodes a (N, latentShape…) tensor into a (N, outputShape…) tensor.
    public func decode(_ latents: Tensor) throws -> Tensor {
        guard latents.dtype == .float32, latents.rank == latentShape.count + 1, Array(latents.shape.dropFirst()) == latentShape else {
            throw LatentError.invalidArgument("latents of shape \(latents.shape) do not match the decoder's (N, \(latentShape.map(String.init).joined(separator: ", ")))")
        }
        let n = latents.shape[0]
        let out = try decode(latents.floatArray, count: n)
        return Tensor(shape: [n] + outputShape, floats: out)
    }

    /// Decodes and also returns the named intermediate value per sample (count·tapCount values) —
    /// what PCA directions read. The tap's per-sample shape comes from `tapShape`.
    public func decode(_ latents: [Float], count: Int, tap: String) throws -> (outputs: [Float], tap: [Float]) {
        let r = try run(latents, count: count, tap: tap)
        return (r.outputs, r.tap)
    }

    /// The per-sample shape of a named value (nil if the model has no such value or it does not
    /// carry the batch as its first axis).
    public func tapShape(_ name: String) throws -> [Int]? { try runner.tapShape(name) }

    private func run(_ latents: [Float], count: Int, tap: String?) throws -> (outputs: [Float], tap: [Float]) {
        guard count >= 0, latents.count == count * latentCount else {
            throw LatentError.invalidArgument("\(latents.count) latent values do not make \(count) latents of \(latentCount)")
        }
        var outputs: [Float] = []
        outputs.reserveCapacity(count * outputCount)
        var tapped: [Float] = []
        var tapCount = 0
        if let tap {
            guard let s = try tapShape(tap) else {
                throw LatentError.invalidArgument("the model has no per-sample value named '\(tap)' to read activations from")
            }
            tapCount = s.reduce(1, *)
            tapped.reserveCapacity(count * tapCount)
        }
        var start = 0
        while start < count {
            let n = min(batchLimit, count - start)
            let input = Tensor(shape: [n] + latentShape,
                               floats: Array(latents[(start * latentCount)..<((start + n) * latentCount)]))
            let results = try runBatch(input, taps: tap.map { [$0] } ?? [])
            outputs.append(contentsOf: results[0].floats)
            if tap != nil, let t = results.last {
                guard t.dtype == .float32, t.count == n * tapCount else {
                    throw LatentError.unsupportedModel("value '\(tap!)' has \(t.count) \(t.dtype) elements at batch \(n), expected \(n * tapCount) floats")
                }
                tapped.append(contentsOf: t.floats)
            }
            decodedSamples += n
            start += n
        }
        return (outputs, tapped)
    }
}
