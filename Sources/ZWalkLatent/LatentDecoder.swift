import ZWalkEngine

/// A decoder seen as a function from flat latents to flat outputs, run in bounded batches so that
/// a method needing thousands of decodes (per-axis ranking, Jacobians, geodesics) never plans one
/// giant batch. Wraps an `InferenceSession`, so like it this is not reentrant: one thread at a time.
public final class LatentDecoder: @unchecked Sendable {
    public let session: InferenceSession
    /// One latent without the batch axis, e.g. [10] or [4, 8, 8].
    public let latentShape: [Int]
    public let latentCount: Int
    /// The first output's shape without the batch axis, e.g. [3, 64, 64].
    public let outputShape: [Int]
    public let outputCount: Int
    /// The largest batch planned at once.
    public let maxBatch: Int
    /// The batch decoded at once: `maxBatch`, or less when a memory limit says so (`limitMemory`).
    public private(set) var batchLimit: Int
    /// The bytes the decoder's plans may hold, when limited.
    public private(set) var memoryLimit: Int?
    /// Samples decoded so far (for stating the cost of a method in tests and progress bars).
    public private(set) var decodedSamples = 0

    /// The model must take exactly one runtime input, the latent, shaped (batch, latentShape…).
    public init(session: InferenceSession, latentShape: [Int], maxBatch: Int = 64) throws {
        let model = session.model
        let inputs = model.graph.runtimeInputs
        guard inputs.count == 1 else {
            throw LatentError.unsupportedModel("\(model.source): the decoder takes \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); the latent toolkit needs a decoder whose only input is the latent")
        }
        guard maxBatch >= 1 else { throw LatentError.invalidArgument("maxBatch must be at least 1, got \(maxBatch)") }
        let plan = try session.plan(batch: 1)
        guard plan.inputShapes[0] == [1] + latentShape else {
            throw LatentError.unsupportedModel("\(model.source): input '\(plan.inputNames[0])' has shape \(plan.inputShapes[0]) at batch 1, not (1, \(latentShape.map(String.init).joined(separator: ", "))) as the latent shape says")
        }
        guard let out = plan.outputShapes.first, out.first == 1 else {
            throw LatentError.unsupportedModel("\(model.source): the first output does not have the batch as its first axis (shape \(plan.outputShapes.first ?? []))")
        }
        self.session = session
        self.latentShape = latentShape
        self.latentCount = latentShape.reduce(1, *)
        self.outputShape = Array(out.dropFirst())
        self.outputCount = outputShape.reduce(1, *)
        self.maxBatch = maxBatch
        self.batchLimit = maxBatch
    }

    /// Bounds the memory of the decoder's plans (activations, scratch, folded constants) to
    /// `bytes`: batches become as large as fits, up to `maxBatch`, as the plans themselves state
    /// it (`Planner.memory`); a model whose one sample does not fit is refused with its figures.
    /// The batch-1 plan stays cached beside the batch plan, so both count. nil lifts the limit.
    public func limitMemory(to bytes: Int?) throws {
        memoryLimit = bytes
        guard let bytes else { batchLimit = maxBatch; return }
        let one = try session.planner.memory(batch: 1).total
        guard one <= bytes else {
            throw MemoryBudgetError(what: "decoding one sample of \(session.model.source)",
                                    parts: [("for activations and scratch", one)], budget: bytes)
        }
        func fits(_ n: Int) throws -> Bool { try n == 1 || session.planner.memory(batch: n).total + one <= bytes }
        // The memory of a plan grows with its batch: the largest batch that fits, by bisection.
        var lo = 1, hi = maxBatch
        if try fits(hi) { lo = hi }
        while lo < hi - 1 {
            let mid = (lo + hi) / 2
            if try fits(mid) { lo = mid } else { hi = mid }
        }
        batchLimit = lo
        if session.cachedPlanBytes > bytes { session.releasePlans() }
    }

    /// Bytes a decode of `count` samples holds in plans: the batch plan and the batch-1 plan.
    public func planBytes(count: Int) throws -> Int {
        let n = min(count, batchLimit)
        let one = try session.planner.memory(batch: 1).total
        return n == 1 ? one : one + (try session.planner.memory(batch: n).total)
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
            let plan = try batchPlan(n)
            let input = Tensor(shape: [n] + latentShape,
                               floats: Array(latents[(start * latentCount)..<((start + n) * latentCount)]))
            try body(try plan.runBorrowing([input])[0], start)
            decodedSamples += n
            start += n
        }
    }

    /// The plan for a batch of `n` (`keeping` a tapped value). Under a memory limit a plan of
    /// another size replaces the cached ones instead of joining them.
    private func batchPlan(_ n: Int, keeping: Set<String> = []) throws -> Plan {
        if memoryLimit != nil && n != batchLimit && n != 1 { session.releasePlans() }
        return try session.plan(batch: n, keeping: keeping)
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
    public func tapShape(_ name: String) throws -> [Int]? {
        guard let s = try session.plan(batch: 1).shape(of: name), s.first == 1 else { return nil }
        return Array(s.dropFirst())
    }

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
            let plan = try batchPlan(n, keeping: tap.map { [$0] } ?? [])
            let input = Tensor(shape: [n] + latentShape,
                               floats: Array(latents[(start * latentCount)..<((start + n) * latentCount)]))
            let results = try plan.runBorrowing([input], taps: tap.map { [$0] } ?? [])
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
