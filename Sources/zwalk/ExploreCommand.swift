import Foundation
import ZWalkImage
import ZWalkLatent
import ZWalkSession
import ZWalkTUI

// `zwalk [MODEL]`: the terminal explorer, and `zwalk bench-ui`. The explorer's core knows nothing
// of the engine; the model session plugs into its four small protocols here.

/// The session behind the explorer's protocols. Direction sets are computed on a thread of their
/// own while frames decode, so they get a sibling session (same weights and fingerprint, plans of
/// its own), made on first use by that thread so planning it costs the first frame nothing.
/// A training run's other checkpoints are opened on the decode thread when first shown, and kept.
final class ExplorerBackend: ExplorerDecoder, ExplorerSampler, DirectionProvider, FrameExporter {
    let session: ModelSession
    private var forDirections: ModelSession?
    /// The run's weights files (the first is `session`'s), and their sessions once opened.
    private let run: [String]
    private var opened: [Int: ModelSession] = [:]
    /// The checkpoint of the latest decode: what a strip export decodes with.
    private var current = 0

    init(_ session: ModelSession, run: [String] = []) throws {
        try session.requireImageOutput()
        self.session = session
        self.run = run
        opened[0] = session
    }

    /// Checkpoint i's session (the decode thread's).
    private func session(_ i: Int) throws -> ModelSession {
        if let s = opened[i] { return s }
        guard i >= 0 && i < run.count else { return session }
        let s = try session.withWeights(run[i])
        opened[i] = s
        return s
    }

    var modelName: String { session.name }
    var latentShape: [Int] { session.latentShape }

    func decode(_ z: [Float]) throws -> Image { try session.image(z) }

    func decode(_ z: [Float], checkpoint: Int) throws -> Image {
        current = checkpoint
        return try session(checkpoint).image(z)
    }

    func sample(seed: UInt32, psi: Float) throws -> [Float] { try session.sample(seed: seed, psi: Double(psi)) }

    func directions(_ source: DirectionSource, at latent: [Float]) throws -> WalkDirections {
        let s = try forDirections ?? session.sibling()
        forDirections = s
        let set = try s.directions(source, at: latent)
        switch source {
        case .file(let p): return WalkDirections(set, method: URL(fileURLWithPath: p).lastPathComponent)
        case .method(let m): return WalkDirections(set, method: m.resolved(latentCount: s.latentCount).title)
        }
    }

    /// On the directions thread, with its own session, like the direction sets.
    func geodesic(keyframes: [[Float]], loop: Bool, perSegment: Int) throws -> [[Float]] {
        let s = try forDirections ?? session.sibling()
        forDirections = s
        return try s.geodesicPoints(keyframes: keyframes, loop: loop, perSegment: perSegment)
    }

    func export(_ r: ExportRequest) throws {
        let session = try session(r.checkpoint)
        let walked = try r.directions.set ?? (DirectionSet(
            method: r.directions.method, modelSHA256: session.fingerprint(), latentShape: session.latentShape,
            vectors: r.directions.vectors, names: r.directions.names,
            scores: r.directions.scores ?? [Float](repeating: 0, count: r.directions.count), scoreKind: .unknown,
            sigmas: r.directions.sigmas))
        try session.writeFrame(r.frame, latent: r.latent, seed: r.seed, seedIsLatent: r.latentIsSeedSample, psi: Double(r.psi),
                               scale: r.scale, walk: (walked, r.directions.method, r.coefficients), to: r.path, overwrite: r.overwrite)
    }

    /// The strip `zwalk interpolate` writes from these keyframes, through the same figure and writer.
    func exportPath(_ r: PathExportRequest) throws {
        let mode = PathMode(rawValue: r.mode.rawValue) ?? .slerp
        try session(current).writeInterpolation(keyframes: r.keyframes, keySeeds: r.seeds, psi: Double(r.psi), mode: mode, loop: r.loop,
                                       steps: r.steps, to: r.path, overwrite: r.overwrite)
    }
}

let exploreCommand = Command(
    name: "explore", summary: "Open the terminal explorer (what plain `zwalk [MODEL]` does).",
    positionals: "[MODEL]",
    options: modelOptions + baseLatentOptions + [
        .value("directions", "SET", "auto, axis, sefa, pca, local, or a .npy direction file", default: "auto (\(DirectionMethod.autoRule))"),
        .value("blocks", "STYLE", "half, quadrant or sextant", default: "half"),
        .value("color", "MODE", "auto, truecolor, 256, 16 or mono", default: "auto"),
        .value("dither", "KIND", "none, ordered or diffusion (256 and 16 colours)", default: "ordered"),
        .value("theme", "NAME", "dark, light, high-contrast, mono, a theme in $XDG_CONFIG_HOME/zwalk/themes, or a file", default: "dark"),
        .value("export-dir", "DIR", "where `e` writes zwalk-<seed>-<n>.png (created when missing)", default: "."),
        .value("export-scale", "N", "enlarge exported pictures N× (nearest neighbour)", default: "1"),
        .flag("no-mouse", "do not capture the mouse (leaves the terminal's own selection alone)"),
    ],
    details: explorerKeyHelp()
) { inv in
    var config = ExplorerConfig()
    config.seed = try seedValue(inv)
    config.psi = Float(try inv.double("psi", default: 1))
    if let d = inv.string("directions") { config.directions = DirectionSource.parse(d) }
    config.blocks = try inv.choice("blocks", "half, quadrant or sextant", BlockStyle.init(name:)) ?? config.blocks
    config.color = try inv.choice("color", "auto, truecolor, 256, 16 or mono", ColorChoice.init) ?? config.color
    config.dither = try inv.choice("dither", "none, ordered or diffusion", Dither.init(rawValue:)) ?? config.dither
    if let t = inv.string("theme") { config.theme = t }
    if let e = inv.string("export-dir") {
        try Outputs.createDirectory(e)
        config.exportDirectory = e
    }
    config.exportScale = try boundedInt(inv, "export-scale", default: 1, in: 1...64)
    config.mouse = !inv.flag("no-mouse")
    // Fail on a pipe before loading anything: the message matters more than the model.
    guard isatty(0) != 0, isatty(1) != 0 else { throw ExplorerError.notATerminal }
    let session = try openSession(inv)
    session.progress = nil; session.log = nil // the screen is the explorer's
    let run = try trainingRun(inv) ?? []
    let backend = try ExplorerBackend(session, run: run)
    config.checkpoints = run.map { URL(fileURLWithPath: $0).lastPathComponent }
    if inv.string("latent") != nil {
        let base = try baseLatent(inv, session)
        config.initialLatent = base.values
        config.initialLatentLabel = base.label
    }
    return try runExplorer(config: config, decoder: backend, sampler: backend, directions: backend, exporter: backend)
}

let benchUICommand = Command(
    name: "bench-ui", summary: "Time the explorer without a terminal: key-to-frame time and bytes per frame, per size and colour mode.",
    positionals: "[MODEL]",
    options: [weightsOption,
        .value("frames", "N", "key presses per configuration", default: "60"),
        .value("blocks", "STYLES", "comma-separated block styles to time", default: "half"),
    ],
    details: "Each frame: decode, render to the screen canvas, encode the bytes the terminal would receive (80×24 and 200×60)."
) { inv in
    let backend = try ExplorerBackend(try openSession(inv))
    let frames = try boundedInt(inv, "frames", default: 60, in: 1...100_000)
    let blocks = try (inv.string("blocks") ?? "half").split(separator: ",").map { name -> BlockStyle in
        guard let b = BlockStyle(name: String(name)) else { throw usageError(inv, "--blocks: unknown style '\(name)'") }
        return b
    }
    print(try benchmarkFrames(decoder: backend, sampler: backend, blocks: blocks, frames: frames))
    return 0
}
