import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent
import ZWalkTUI

// `zwalk [MODEL]`: the terminal explorer, and `zwalk bench-ui`. The explorer's core knows nothing
// of the engine; this adapter plugs the decoder, the prior, the direction methods and the PNG
// writer into its four small protocols.

final class ExplorerBackend: ExplorerDecoder, ExplorerSampler, DirectionProvider, FrameExporter {
    let generative: GenerativeModel
    /// The same model with a session of its own: direction sets are computed on another thread
    /// while frames decode (plans own their buffers and run on one thread at a time). The weights
    /// are shared, only the plans' buffers are not. Made on first use, by that thread, so that
    /// planning it costs the first frame nothing; only that thread touches it.
    private var forDirections: GenerativeModel?
    let path: String
    private var sha: String?
    private let shaLock = NSLock()

    init(path: String, weights: String?) throws {
        self.path = path
        generative = try openGenerativeModel(path, weights: weights)
        guard generative.description.imageShape != nil else {
            throw ModelError("\(path): the output of one sample has shape \(generative.description.outputShape), not an image (C×H×W with C = 1, 3 or 4)")
        }
    }

    /// sha256 of the model file, computed on first need (direction sets and exports record it;
    /// both threads may ask).
    func fingerprint() throws -> String {
        shaLock.lock(); defer { shaLock.unlock() }
        if let s = sha { return s }
        let s = try SHA256.hash(file: path)
        sha = s
        return s
    }

    var modelName: String { URL(fileURLWithPath: path).lastPathComponent }
    var latentShape: [Int] { generative.description.latentShape }

    private func prior(psi: Float = 1) throws -> Prior {
        try Prior(model: generative.model, kind: nil, latentShape: latentShape, psi: Double(psi))
    }

    func decode(_ z: [Float]) throws -> RGBFrame {
        let image = try Image.fromBatch(try generative.decode(z), index: 0, range: generative.description.outputRange)
        return try RGBFrame(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels)
    }

    func sample(seed: UInt32, psi: Float) throws -> [Float] {
        try prior(psi: psi).sample(seed: seed).floatArray
    }

    func directions(_ source: DirectionSource, at latent: [Float]) throws -> WalkDirections {
        let g = try forDirections ?? GenerativeModel(model: generative.model)
        forDirections = g
        let d = g.description
        let set: DirectionSet
        switch source {
        case .axis:
            // About 4,096 decodes at most: 32 prior samples up to a 127-d latent, fewer above (7
            // for 512-d), so ranking a large model's axes costs seconds of shared cores, not minutes.
            // `zwalk directions --method axis --samples N` ranks with as many samples as asked.
            let samples = max(4, min(32, 4096 / (d.latentCount + 1)))
            set = try Directions.perAxis(decoder: g.decoder, prior: try prior(), modelSHA256: try fingerprint(),
                                         samples: samples,
                                         axisNames: Prior.dimensionNames(of: g.model, latentCount: d.latentCount))
        case .sefa:
            set = try Directions.sefa(session: g.session, latentShape: d.latentShape, modelSHA256: try fingerprint(), prior: try prior())
        case .pca:
            set = try Directions.pca(session: g.session, latentShape: d.latentShape, prior: try prior(), modelSHA256: try fingerprint())
        case .local:
            set = try Directions.local(decoder: g.decoder, at: latent, prior: try prior(), modelSHA256: try fingerprint())
        case .file(let file):
            set = try DirectionSet.load(npyPath: file, expectingModel: try fingerprint(), latentShape: d.latentShape)
        }
        return WalkDirections(method: source.description, vectors: set.vectors, names: set.names,
                              scores: set.scores, sigmas: set.sigmas)
    }

    func export(_ r: ExportRequest) throws {
        var md = PNGMetadata()
        md[PNGMetadata.Key.modelSHA256] = try fingerprint()
        try md.setLatents([r.latent])
        if r.latentIsSeedSample, let s = r.seed { md.setSeeds([Int64(s)]) }
        if !r.coefficients.allSatisfy({ $0 == 0 }) {
            let walked = zip(r.directionNames, r.coefficients).filter { $0.1 != 0 }
            md[PNGMetadata.Key.direction] = "\(r.directionsMethod): " + walked.map { "\($0.0)" }.joined(separator: ", ")
            md[PNGMetadata.Key.step] = walked.map { String(format: "%.3fσ", $0.1) }.joined(separator: ", ")
        }
        md[PNGMetadata.Key.command] = "zwalk decode \(shellQuote(path)) --latents \(shellQuote(r.path)) --out image.png"
        md[PNGMetadata.Key.software] = "zwalk"
        let image = Image(width: r.frame.width, height: r.frame.height, channels: 3, pixels: r.frame.rgb)
        try PNGCodec.write(image, to: r.path, text: md.pairs, overwrite: r.overwrite)
    }
}

/// The latent to start from: `--latent` (.npy row 0, or a zwalk PNG's metadata), else the seed's.
func initialLatent(_ file: String?, count: Int) throws -> [Float]? {
    guard let file else { return nil }
    let z: [Float]
    if file.lowercased().hasSuffix(".png") {
        let (_, text) = try PNGCodec.read(path: file)
        guard let rows = try PNGMetadata(text: text).latents(), let first = rows.first else {
            throw ModelError("\(file): this PNG carries no zwalk.latents metadata (only PNGs written by zwalk do)")
        }
        z = first
    } else {
        let t = try NPY.read(path: file)
        guard t.dtype == .float32, t.count >= count, t.count % count == 0 else {
            throw ModelError("\(file): shape \(t.shape) does not hold latents of \(count) values")
        }
        z = Array(t.floats.prefix(count))
    }
    guard z.count == count else { throw ModelError("\(file): the latent has \(z.count) values, the model wants \(count)") }
    return z
}

let exploreOptions: [Option] = modelOptions + [
    .value("seed", "S", "start from numpy.random.RandomState(S).standard_normal(latent shape)", default: "0"),
    .value("psi", "ψ", "truncation: z = ψ·z", default: "1"),
    .value("latent", "FILE", "start from this latent instead: a .npy (first row) or a PNG written by zwalk"),
    .value("directions", "SET", "axis, sefa, pca, local, or a .npy direction file", default: "axis"),
    .value("blocks", "STYLE", "half, quadrant or sextant", default: "half"),
    .value("color", "MODE", "auto, truecolor, 256, 16 or mono", default: "auto"),
    .value("dither", "KIND", "none, ordered or diffusion (256 and 16 colours)", default: "ordered"),
    .value("theme", "NAME", "dark, light, high-contrast, mono, a theme in $XDG_CONFIG_HOME/zwalk/themes, or a file", default: "dark"),
    .value("export-dir", "DIR", "where `e` writes zwalk-<seed>-<n>.png", default: "."),
    .flag("no-mouse", "do not capture the mouse (leaves the terminal's own selection alone)"),
]

let exploreCommand = Command(
    name: "explore", summary: "Open the terminal explorer (what plain `zwalk [MODEL]` does).",
    positionals: "[MODEL]", options: exploreOptions,
    details: "Keys: j/k choose a direction, h/l step it, r new sample, e export PNG, ? help, q quit."
) { inv in
    var config = ExplorerConfig()
    let seed = try inv.int("seed", default: 0)
    guard seed >= 0, seed <= Int(UInt32.max) else { throw UsageError(message: "--seed must be in 0…4294967295, got \(seed)") }
    config.seed = UInt32(seed)
    config.psi = Float(try inv.double("psi", default: 1))
    if let d = inv.string("directions") { config.directions = DirectionSource.parse(d) }
    if let b = inv.string("blocks") {
        guard let style = BlockStyle(name: b) else { throw UsageError(message: "--blocks must be half, quadrant or sextant, got '\(b)'") }
        config.blocks = style
    }
    if let c = inv.string("color") {
        guard let choice = ColorChoice(c) else { throw UsageError(message: "--color must be auto, truecolor, 256, 16 or mono, got '\(c)'") }
        config.color = choice
    }
    if let d = inv.string("dither") {
        guard let dither = Dither(rawValue: d) else { throw UsageError(message: "--dither must be none, ordered or diffusion, got '\(d)'") }
        config.dither = dither
    }
    if let t = inv.string("theme") { config.theme = t }
    if let e = inv.string("export-dir") { config.exportDirectory = e }
    config.mouse = !inv.flag("no-mouse")
    // Fail on a pipe before loading anything: the message matters more than the model.
    guard isatty(0) != 0, isatty(1) != 0 else { throw ExplorerError.notATerminal }
    let backend = try ExplorerBackend(path: try inv.positional(0, "MODEL", fallback: defaultModelPath()), weights: inv.string("weights"))
    config.initialLatent = try initialLatent(inv.string("latent"), count: backend.generative.description.latentCount)
    return try runExplorer(config: config, decoder: backend, sampler: backend, directions: backend, exporter: backend)
}

let benchUICommand = Command(
    name: "bench-ui", summary: "Time the explorer without a terminal: key-to-frame time and bytes per frame, per size and colour mode.",
    positionals: "[MODEL]",
    options: modelOptions + [
        .value("frames", "N", "key presses per configuration", default: "60"),
        .value("blocks", "STYLES", "comma-separated block styles to time", default: "half"),
    ],
    details: "Each frame: decode, render to the screen canvas, encode the bytes the terminal would receive (80×24 and 200×60)."
) { inv in
    let backend = try ExplorerBackend(path: try inv.positional(0, "MODEL", fallback: defaultModelPath()), weights: inv.string("weights"))
    let frames = try inv.int("frames", default: 60)
    guard frames >= 1 else { throw UsageError(message: "--frames must be ≥ 1") }
    let blocks = try (inv.string("blocks") ?? "half").split(separator: ",").map { name -> BlockStyle in
        guard let b = BlockStyle(name: String(name)) else { throw UsageError(message: "--blocks: unknown style '\(name)'") }
        return b
    }
    print(try benchmarkFrames(decoder: backend, sampler: backend, blocks: blocks, frames: frames))
    return 0
}
