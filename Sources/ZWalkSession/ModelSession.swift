import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

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

    public init(weights: String? = nil, prior: PriorKind? = nil, psi: Double = 1, outputRange: (Float, Float)? = nil,
                encoder: String? = nil) {
        self.weights = weights; self.prior = prior; self.psi = psi; self.outputRange = outputRange; self.encoder = encoder
    }
}

/// One model opened for exploring: the graph with its weights, a decoder over one inference
/// session, the fingerprint that every PNG and direction set records, the prior that seeds map
/// through, and the output range that maps outputs to pixels. Every front end (the commands, the
/// explorer) works through this object.
///
/// Not reentrant: one thread decodes at a time. A second thread (the explorer's directions) takes
/// a `sibling()`: the same weights and fingerprint, plans and buffers of its own.
public final class ModelSession: @unchecked Sendable {
    public let path: String
    public let options: SessionOptions
    public let generative: GenerativeModel
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
        if let r = options.outputRange, !(r.0 < r.1 && r.0.isFinite && r.1.isFinite) {
            throw SessionError.invalidOption("the output range must be LO,HI with LO < HI, got \(r.0),\(r.1)")
        }
        guard options.psi.isFinite, options.psi >= 0 else {
            throw SessionError.invalidOption("ψ must be a finite number ≥ 0, got \(options.psi)")
        }
        self.path = path
        self.options = options
        generative = try GenerativeModel(model: model)
        bindReport = report
        weightsReport = report.map { "bound \($0)" }
        fingerprints = Fingerprints(model: path, weights: options.weights)
    }

    private init(sharing other: ModelSession) throws {
        path = other.path
        options = other.options
        generative = try GenerativeModel(model: other.generative.model)
        weightsReport = other.weightsReport
        bindReport = other.bindReport
        fingerprints = other.fingerprints
    }

    /// The same model with plans of its own, for another thread; weights and hashes are shared.
    public func sibling() throws -> ModelSession { try ModelSession(sharing: self) }

    // MARK: What the model is

    public var description: ModelDescription { generative.description }
    public var latentShape: [Int] { description.latentShape }
    public var latentCount: Int { description.latentCount }
    public var decoder: LatentDecoder { generative.decoder }
    public var name: String { URL(fileURLWithPath: path).lastPathComponent }

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
        try Prior(model: generative.model, kind: options.prior, latentShape: latentShape, psi: psi ?? options.psi)
    }

    /// numpy.random.RandomState(seed).standard_normal(latent shape)·ψ (or uniform), flat.
    public func sample(seed: UInt32, psi: Double? = nil) throws -> [Float] {
        try prior(psi: psi).sample(seed: seed).floatArray
    }

    /// Rows of latents from a file: a .npy or a PNG written by zwalk (see `LatentFile`).
    public func readLatents(_ path: String) throws -> LatentFile { try LatentFile(path: path, session: self) }

    // MARK: Decoding

    /// Decodes latent rows in chunks of the decoder's batch; `progress` hears the rows done so far.
    /// Returns the raw outputs, (count, outputShape…).
    public func decode(_ latents: [[Float]], progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        let d = decoder
        if let bad = latents.firstIndex(where: { $0.count != d.latentCount }) {
            throw SessionError.shapeMismatch("latent \(bad) has \(latents[bad].count) values, \(name) takes \(d.latentCount)")
        }
        var out: [Float] = []
        out.reserveCapacity(latents.count * d.outputCount)
        var start = 0
        while start < latents.count {
            let n = min(d.maxBatch, latents.count - start)
            out += try d.decode(latents[start..<(start + n)].flatMap { $0 }, count: n)
            start += n
            progress?(start, latents.count)
        }
        return Tensor(shape: [latents.count] + d.outputShape, floats: out)
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

    func hashes() throws -> (model: String, weights: String?) {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return c }
        let h = (model: try SHA256.hash(file: model), weights: try weights.map { try SHA256.hash(file: $0) })
        cached = h
        return h
    }
}
