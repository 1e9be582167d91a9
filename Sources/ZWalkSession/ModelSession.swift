import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent
import ZWalkRemote

/// What a user chooses about a model beyond its file: weights bound onto the graph, how latents are
/// drawn and how outputs become pixels. The command line's and the explorer's flags fill the same
/// value, so the two front ends open a model the same way.
public struct SessionOptions: Sendable {
    /// A weights file (safetensors, or a PyTorch checkpoint: .pt .pth .ckpt .bin) whose tensors
    /// replace the graph's initializers, matched by name (`WeightBinder`).
    public var weights: String?
    /// nil: the model's `zwalk.prior`, else normal.
    public var prior: PriorKind?
    /// Truncation: every latent drawn is scaled by ψ toward 0.
    public var psi: Double = 1
    /// nil: the model's `zwalk.output_range`, else guessed from its last activation.
    public var outputRange: (Float, Float)?
    /// The encoder (`zwalk encode`); nil: the decoder's `zwalk.encoder`, next to the decoder file.
    public var encoder: String?
    /// Bytes decoding may hold at once: the weights, the plans' activations, the outputs kept.
    /// nil: `Memory.defaultBudget` (a quarter of physical memory).
    public var memoryBudget: Int?

    public init(weights: String? = nil, prior: PriorKind? = nil, psi: Double = 1, outputRange: (Float, Float)? = nil,
                encoder: String? = nil, memoryBudget: Int? = nil) {
        self.weights = weights; self.prior = prior; self.psi = psi; self.outputRange = outputRange; self.encoder = encoder
        self.memoryBudget = memoryBudget
    }
}

/// One model opened for exploring: the graph with its weights (or a model on an inference
/// server), a decoder over it, the fingerprint that every PNG and direction set records, the prior
/// that seeds map through, and the output range that maps outputs to pixels. Every front end (the
/// commands, the explorer) works through this object.
///
/// Not reentrant: one thread decodes at a time. A second thread (the explorer's directions) takes
/// a `sibling()`: the same weights and fingerprint, plans and buffers of its own.
public final class ModelSession: @unchecked Sendable {
    /// The model file, or for a served model its address (server/v2/models/NAME[/versions/V]).
    public let path: String
    public let options: SessionOptions
    /// The graph and its engine session; nil for a served model.
    private let local: GenerativeModel?
    /// The served model, when the decoding runs on an inference server.
    public let remote: RemoteDecoder?
    public let decoder: LatentDecoder
    public let description: ModelDescription
    /// "bound 12 tensors from w.safetensors" when weights were given, for the front end to show.
    public let weightsReport: String?
    /// What binding the weights did, initializer by initializer (`zwalk info --weights`).
    public let bindReport: BindReport?
    private let fingerprints: Fingerprints
    /// Where long work reports how far it is (label, done, total); the front end draws it.
    public var progress: ((String, Int, Int) -> Void)?
    /// Where the session says what it does that costs time or what it assumed ("ranking 100 axes
    /// over 32 samples: 3232 decodes"); the command line prints it, the explorer drops it.
    public var log: ((String) -> Void)?

    public init(path: String, options: SessionOptions = SessionOptions()) throws {
        var model = try ONNXLoader.load(path: path)
        var report: BindReport? = nil
        if let w = options.weights {
            (model, report) = try WeightBinder.bind(WeightFile.open(w), onto: model)
        }
        try Self.check(options)
        self.path = path
        self.options = options
        let generative = try GenerativeModel(model: model)
        local = generative
        remote = nil
        decoder = generative.decoder
        description = generative.description
        bindReport = report
        weightsReport = report.map { "bound \($0)" }
        fingerprints = Fingerprints(model: path, weights: options.weights)
        try limitDecoder(holding: [])
    }

    /// A model served by an inference server (Open Inference Protocol): its decodes go there,
    /// in batches no larger than the server takes. Weights cannot be bound onto it.
    public init(server address: RemoteAddress, options: SessionOptions = SessionOptions()) throws {
        if options.weights != nil {
            throw SessionError.invalidOption("--weights binds a file onto a local model's graph; a served model's weights are the server's")
        }
        try Self.check(options)
        let served = try RemoteDecoder(address)
        path = served.server.address + InferenceServer.modelPath(address.model, version: address.version)
        self.options = options
        local = nil
        remote = served
        decoder = try LatentDecoder(runner: served, latentShape: served.description.latentShape)
        description = served.description
        bindReport = nil
        weightsReport = nil
        fingerprints = Fingerprints(served: served.fingerprint)
        try limitDecoder(holding: [])
    }

    private static func check(_ options: SessionOptions) throws {
        if let r = options.outputRange, !(r.0 < r.1 && r.0.isFinite && r.1.isFinite) {
            throw SessionError.invalidOption("the output range must be LO,HI with LO < HI, got \(r.0),\(r.1)")
        }
        guard options.psi.isFinite, options.psi >= 0 else {
            throw SessionError.invalidOption("ψ must be a finite number ≥ 0, got \(options.psi)")
        }
        if let b = options.memoryBudget, b <= 0 {
            throw SessionError.invalidOption("the memory budget must be more than 0 bytes, got \(b)")
        }
    }

    private init(sharing other: ModelSession) throws {
        path = other.path
        options = other.options
        if let g = other.local {
            let generative = try GenerativeModel(model: g.model)
            local = generative
            decoder = generative.decoder
        } else {
            // The server's client is shared: URLSession is safe across threads.
            local = nil
            decoder = try LatentDecoder(runner: other.decoder.runner, latentShape: other.latentShape)
        }
        remote = other.remote
        description = other.description
        weightsReport = other.weightsReport
        bindReport = other.bindReport
        fingerprints = other.fingerprints
        try limitDecoder(holding: [])
    }

    /// The same model with plans of its own, for another thread; weights and hashes are shared.
    public func sibling() throws -> ModelSession { try ModelSession(sharing: self) }

    // MARK: What the model is

    public var latentShape: [Int] { description.latentShape }
    public var latentCount: Int { description.latentCount }
    /// The file's name, or the served model's.
    public var name: String { remote?.address.model ?? URL(fileURLWithPath: path).lastPathComponent }

    /// The words that name this model on a zwalk command line: the file and its weights, or the
    /// server, the model and its version (recorded commands run again on the same model).
    public var modelArguments: [String] {
        if let r = remote {
            return ["--server", r.server.address, "--model", r.address.model]
                + (r.address.version.map { ["--model-version", $0] } ?? [])
                + (r.address.timeout != 60 ? ["--timeout", JSON.number(r.address.timeout)] : [])
        }
        return [path] + (options.weights.map { ["--weights", $0] } ?? [])
    }

    /// What the explorer's status line calls the model: the file's name, or NAME@host:port.
    public var displayName: String {
        guard let r = remote else { return name }
        let u = r.server.base
        return "\(name)@\(u.host ?? "")" + (u.port.map { ":\($0)" } ?? "")
    }

    /// The graph and its engine session, for the work that reads them (SeFa's first layer, PCA's
    /// activations, `zwalk info`'s operators); a served model shows neither, which `what` (e.g.
    /// "SeFa reads the first layer's weights") says.
    public func localModel(for what: String) throws -> GenerativeModel {
        guard let local else {
            throw SessionError.needsLocalModel("\(what), and \(name) is served by \(remote?.server.address ?? path), "
                + "which shows only its inputs and outputs; use a method that only decodes (axis, local), or open the model file")
        }
        return local
    }

    /// The range of outputs shown as black…white: the option, else the model's.
    public var outputRange: (Float, Float) { options.outputRange ?? description.outputRange }

    /// Latent axis names: the model's `zwalk.dim_names`, else z[i].
    public var axisNames: [String] {
        (0..<latentCount).map { description.dimNames[$0] ?? "z[\($0)]" }
    }

    /// The output of one sample as an image, or an error naming its shape.
    public func requireImageOutput() throws {
        guard description.imageShape != nil else {
            throw SessionError.notAnImageModel("\(path): the output of one sample has shape \(description.outputShape), not an image (C×H×W with C = 1, 3 or 4)")
        }
    }

    // MARK: Fingerprint

    /// sha256 of the model file (as `sha256sum` prints it) and of the weights file.
    public func hashes() throws -> (model: String, weights: String?) { try fingerprints.hashes() }

    /// What direction sets and PNGs are tied to: the model file's sha256 or, with weights (which
    /// change what every direction means), the sha256 of the text "<model sha256>+<weights sha256>".
    public func fingerprint() throws -> String {
        let h = try hashes()
        guard let w = h.weights else { return h.model }
        return SHA256.hash(Data("\(h.model)+\(w)".utf8))
    }

    // MARK: Latents

    /// The prior latents are drawn from, with the session's kind and ψ (or another ψ).
    public func prior(psi: Double? = nil) throws -> Prior {
        try Prior(kind: options.prior ?? PriorKind(rawValue: description.prior) ?? .normal, latentShape: latentShape,
                  psi: psi ?? options.psi)
    }

    /// numpy.random.RandomState(seed).standard_normal(latent shape)·ψ (or uniform), flat.
    public func sample(seed: UInt32, psi: Double? = nil) throws -> [Float] {
        try prior(psi: psi).sample(seed: seed).floatArray
    }

    /// Rows of latents from a file: a .npy or a PNG written by zwalk (see `LatentFile`).
    public func readLatents(_ path: String) throws -> LatentFile { try LatentFile(path: path, session: self) }

    // MARK: Memory

    /// Bytes decoding may hold at once (the option, else a quarter of physical memory).
    public var memoryBudget: Int { options.memoryBudget ?? Memory.defaultBudget }

    /// Bytes of the model's weights (every initializer), resident whatever is decoded; 0 for a
    /// served model, whose weights live on the server.
    public var weightBytes: Int {
        local?.model.graph.initializers.values.reduce(0) { $0 + $1.count * $1.dtype.byteSize } ?? 0
    }

    /// Sizes the decoder's batches so that the weights, its plans and what the caller holds
    /// (`holding`, named parts) fit the budget, or refuses with every part's estimate when even
    /// one sample at a time cannot fit.
    func limitDecoder(holding: [(String, Int)], what: String? = nil) throws {
        let fixed = [("weights", weightBytes)] + holding
        let rest = memoryBudget - fixed.reduce(0) { $0 + $1.1 }
        let one = try decoder.runner.workingBytes(batch: 1)
        guard one <= rest else {
            throw MemoryBudgetError(what: what ?? "decoding with \(name)", parts: fixed + [("activations of one sample", one)],
                                    budget: memoryBudget)
        }
        try decoder.limitMemory(to: rest)
    }

    /// Checks latent rows against the model's latent size.
    func checkLatents(_ latents: [[Float]]) throws {
        let n = decoder.latentCount
        if let bad = latents.firstIndex(where: { $0.count != n }) {
            throw SessionError.shapeMismatch("latent \(bad) has \(latents[bad].count) values, \(name) takes \(n)")
        }
    }

    /// The bytes latent rows occupy (floats and each row's array header).
    static func bytes(of latents: [[Float]]) -> Int { latents.reduce(0) { $0 + $1.count * 4 + 32 } }

    // MARK: Decoding

    /// The last `decodeBatches`: how many latents, in batches of how many.
    public private(set) var lastDecode: (latents: Int, batch: Int)?

    /// For a decode of more than one batch, how it went: "100000 latents in 1563 batches of 64
    /// within a 5.8 GB budget, peak resident memory 312 MB"; nil after a single batch.
    public var decodeReport: String? {
        guard let d = lastDecode, d.latents > d.batch else { return nil }
        return "decoded \(d.latents) latents in \((d.latents + d.batch - 1) / d.batch) batches of \(d.batch) within a budget of "
            + "\(Memory.format(memoryBudget)); peak resident memory \(Memory.format(Memory.peakResidentBytes))"
    }

    /// Decodes latent rows in batches that fit the memory budget beside what the caller holds
    /// (`holding`, checked before anything is decoded), handing each batch's outputs
    /// (n, outputShape…) and the index of its first row to `body`; the tensor is valid only during
    /// the call. `progress` hears the rows done so far.
    public func decodeBatches(_ latents: [[Float]], holding: [(String, Int)] = [], progress: ((Int, Int) -> Void)? = nil,
                              _ body: (Tensor, Int) throws -> Void) throws {
        try checkLatents(latents)
        try limitDecoder(holding: [("latents", ModelSession.bytes(of: latents))] + holding,
                         what: "decoding \(latents.count) latent(s) with \(name)")
        defer { try? limitDecoder(holding: []) }
        let d = decoder
        lastDecode = (latents.count, d.batchLimit)
        var start = 0
        while start < latents.count {
            let n = min(d.batchLimit, latents.count - start)
            try d.decodeBatches(latents[start..<(start + n)].flatMap { $0 }, count: n) { batch, _ in try body(batch, start) }
            start += n
            progress?(start, latents.count)
        }
    }

    /// Decodes latent rows in batches that fit the memory budget; `progress` hears the rows done so
    /// far. Returns the raw outputs, (count, outputShape…), whose size counts against the budget.
    public func decode(_ latents: [[Float]], progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        let d = decoder
        let shape = [latents.count] + d.outputShape
        var out: Tensor? // allocated once the budget check has passed
        try decodeBatches(latents, holding: [("the decoded outputs", latents.count * d.outputCount * 4)], progress: progress) { batch, start in
            if out == nil { out = Tensor(shape: shape) }
            (out!.floats.baseAddress! + start * d.outputCount).update(from: batch.floats.baseAddress!, count: batch.count)
        }
        return out ?? Tensor(shape: shape)
    }

    /// Each sample of a decoded batch as pixels, mapped from the output range and enlarged.
    public func images(_ batch: Tensor, scale: Int = 1) throws -> [Image] {
        try (0..<(batch.shape.first ?? 0)).map {
            try Image.fromBatch(batch, index: $0, range: outputRange).scaled(by: scale)
        }
    }

    /// One latent to one picture.
    public func image(_ z: [Float], scale: Int = 1) throws -> Image {
        try images(decode([z]), scale: scale)[0]
    }
}

/// The hashes of a model and its weights, computed on first need (big models take a while, and
/// `zwalk decode` to .npy never needs them) and shared by sibling sessions on other threads.
private final class Fingerprints: @unchecked Sendable {
    let model: String
    let weights: String?
    private var cached: (model: String, weights: String?)?
    private let lock = NSLock()

    init(model: String, weights: String?) { self.model = model; self.weights = weights }

    /// A served model's identity, known from its metadata (`RemoteDecoder.fingerprint`).
    init(served: String) { model = ""; weights = nil; cached = (served, nil) }

    func hashes() throws -> (model: String, weights: String?) {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return c }
        let h = (model: try SHA256.hash(file: model), weights: try weights.map { try SHA256.hash(file: $0) })
        cached = h
        return h
    }
}
