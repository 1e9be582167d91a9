import Foundation
import ZWalkFormats
import ZWalkImage
import ZWalkLatent
import ZWalkSession
import ZWalkRemote
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

    /// The session for the directions thread: made there on first use.
    private func directionsSession() throws -> ModelSession {
        let s = try forDirections ?? session.sibling()
        forDirections = s
        return s
    }

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

    var modelName: String { session.displayName }
    var latentShape: [Int] { session.latentShape }

    func decode(_ z: [Float]) throws -> Image { try session.image(z) }

    /// A page of tiles, with the checkpoint on screen.
    func decode(batch zs: [[Float]]) throws -> [Image] {
        let s = try session(current)
        return try s.images(try s.decode(zs), scale: 1)
    }

    func latentRows(path: String) throws -> LatentRows {
        let file = try session.readLatents(path)
        let rows = file.rows
        return LatentRows(path: URL(fileURLWithPath: path).lastPathComponent, rows: rows, labels: rows.indices.map { file.label($0) })
    }

    func decode(_ z: [Float], checkpoint: Int) throws -> Image {
        current = checkpoint
        return try session(checkpoint).image(z)
    }

    func sample(seed: UInt32, psi: Float) throws -> [Float] { try session.sample(seed: seed, psi: Double(psi)) }

    func directions(_ source: DirectionSource, at latent: [Float]) throws -> WalkDirections {
        let s = try directionsSession()
        let set = try s.directions(source, at: latent)
        switch source {
        case .file(let p): return WalkDirections(set, method: URL(fileURLWithPath: p).lastPathComponent)
        case .method(let m): return WalkDirections(set, method: m.resolved(latentCount: s.latentCount, weightsReadable: s.remote == nil).title)
        }
    }

    /// On the directions thread, with its own session, like the direction sets.
    func geodesic(keyframes: [[Float]], loop: Bool, perSegment: Int) throws -> [[Float]] {
        let s = try directionsSession()
        return try s.geodesicPoints(keyframes: keyframes, loop: loop, perSegment: perSegment)
    }

    /// The toolkit's set behind walked directions (as loaded, or made from the explorer's axes),
    /// tied to `s` (a checkpoint's session), else to the model's.
    private func directionSet(_ d: WalkDirections, in s: ModelSession? = nil) throws -> DirectionSet {
        try d.set ?? DirectionSet(
            method: d.method, modelSHA256: (s ?? session).fingerprint(), latentShape: session.latentShape,
            vectors: d.vectors, names: d.names, scores: d.scores ?? [Float](repeating: 0, count: d.count), scoreKind: .unknown,
            sigmas: d.sigmas)
    }

    /// `zwalk directions --method attribute` on the labelled latents (mean difference), on the
    /// directions thread.
    func attributeDirection(_ labels: Workbench.LabelSet) throws -> WalkDirections {
        let set = try directionsSession().attributeDirections(positive: labels.positive, negative: labels.negative,
                                                                classifier: .meanDifference, name: labels.name)
        return WalkDirections(set, method: "attribute")
    }

    func export(_ r: ExportRequest) throws {
        let session = try session(r.checkpoint)
        let walked = try directionSet(r.directions, in: session)
        try session.writeFrame(r.frame, latent: r.latent, seed: r.seed, seedIsLatent: r.latentIsSeedSample, psi: Double(r.psi),
                               scale: r.scale, walk: (walked, r.directions.method, r.coefficients), to: r.path, overwrite: r.overwrite)
    }

    /// A gallery, preview or map as the figure its command writes, or an animation as `zwalk
    /// animate` writes it, through the same builders and writers.
    func exportFigure(_ r: FigureExportRequest) throws {
        // The checkpoint on screen decodes the figure.
        let session = try session(current)
        let spec: FigureSpec
        var command = session.decodeCommand(latents: r.path)
        switch r.figure {
        case .samples(let seeds, let rows, let cols, let psi):
            spec = try session.samplesFigure(seeds: seeds, rows: rows, cols: cols, psi: Double(psi))
            command = session.figureCommand("grid", psi: Double(psi), ["--seed", String(seeds.first ?? 0), "--rows", String(rows),
                                                                       "--cols", String(cols), "--out", r.path])
        case .latents(let rows, let cols, let source):
            spec = session.latentsFigure(rows, cols: cols, source: source)
        case .preview(let bases, let labels, let seeds, let dim, let steps, let range):
            let set = try directionSet(r.directions, in: session)
            let b = bases.indices.map { BaseLatent(values: bases[$0], seed: seeds[$0], label: labels[$0]) }
            spec = try session.previewFigure(bases: b, set: set, source: r.directions.source?.spelling ?? r.directions.method,
                                             dim: dim, steps: steps, range: Double(range))
            let all = seeds.compactMap { $0 }
            if all.count == seeds.count, let source = r.directions.source {
                command = session.figureCommand("traverse", psi: Double(r.psi), [
                    "--seeds", all.map(String.init).joined(separator: ","), "--dims", String(dim), "--steps", String(steps),
                    "--range", JSON.number(Double(range)), "--directions", source.spelling, "--out", r.path])
            }
        case .slice(let base, let label, let seed, let x, let y, let steps, let range):
            let set = try directionSet(r.directions, in: session)
            spec = try session.sliceFigure(base: BaseLatent(values: base, seed: seed, label: label), set: set,
                                           source: r.directions.source?.spelling ?? r.directions.method, x: x, y: y, steps: steps,
                                           range: Double(range))
            if let s = seed, let source = r.directions.source {
                command = session.figureCommand("slice", psi: Double(r.psi), [
                    "--seed", String(s), "--dims", "\(x),\(y)", "--steps", String(steps), "--range", JSON.number(Double(range)),
                    "--directions", source.spelling, "--out", r.path])
            }
        case .pathAnimation(let keyframes, let seeds, let mode, let loop, let frames, let fps):
            let m = PathMode(rawValue: mode.rawValue) ?? .slerp
            let source = seeds.map { "seeds " + $0.map(String.init).joined(separator: ",") } ?? "\(keyframes.count) keyframes pinned in the explorer"
            let path = try session.interpolationFigure(keyframes: keyframes, keySeeds: seeds, source: source, mode: m, loop: loop, steps: frames)
            if let seeds = seeds, m != .geodesic {
                command = session.figureCommand("animate", psi: Double(r.psi), ["--seeds", seeds.map(String.init).joined(separator: ","),
                    "--frames", String(frames), "--fps", String(fps)] + (m == .slerp ? [] : ["--mode", m.rawValue])
                    + (loop ? ["--loop"] : []) + ["--out", r.path])
            }
            try session.writeAnimation(path, fps: fps, loop: true, scale: 1, to: r.path, command: command, overwrite: r.overwrite)
            return
        case .sweepAnimation(let base, let label, let seed, let dim, let range, let frames, let fps):
            let set = try directionSet(r.directions, in: session)
            let source = r.directions.source?.spelling ?? r.directions.method
            let sweep = try session.sweepAnimation(base: BaseLatent(values: base, seed: seed, label: label), set: set, source: source,
                                                   dim: dim, range: Double(range), frames: frames)
            if let s = seed, let spelling = r.directions.source?.spelling {
                command = session.figureCommand("animate", psi: Double(r.psi), ["--dim", String(dim), "--directions", spelling,
                    "--seed", String(s), "--range", JSON.number(Double(range)), "--frames", String(frames), "--fps", String(fps),
                    "--out", r.path])
            }
            try session.writeAnimation(sweep, fps: fps, loop: true, scale: 1, to: r.path, command: command, overwrite: r.overwrite)
            return
        }
        try session.write(spec, style: FigureStyle(), to: r.path, command: command, overwrite: r.overwrite)
    }

    /// The strip `zwalk interpolate` writes from these keyframes, through the same figure and writer.
    func exportPath(_ r: PathExportRequest) throws {
        let mode = PathMode(rawValue: r.mode.rawValue) ?? .slerp
        try session(current).writeInterpolation(keyframes: r.keyframes, keySeeds: r.seeds, psi: Double(r.psi), mode: mode, loop: r.loop,
                                       steps: r.steps, to: r.path, overwrite: r.overwrite)
    }
}

/// The workbench file of the session's model (and weights), under $XDG_STATE_HOME/zwalk.
final class WorkbenchFile: WorkbenchStore {
    let fingerprint: String
    let model: String
    let path: String

    init?(_ session: ModelSession, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        fingerprint = try session.fingerprint()
        model = session.path
        guard let p = Workbench.defaultPath(fingerprint: fingerprint, environment: environment) else { return nil }
        path = p
    }

    func save(_ w: Workbench) throws { try w.write(to: path) }

    /// The saved workbench, nil when there is none; one that cannot be read is set aside with a
    /// warning (renamed .bad), so the explorer starts and the file is not lost.
    func load(latentCount: Int, warn: (String) -> Void) -> Workbench? {
        do { return try Workbench.read(path: path, fingerprint: fingerprint, latentCount: latentCount) } catch {
            warn("warning: \(error); starting without it (kept as \(path).bad)")
            try? FileManager.default.removeItem(atPath: path + ".bad")
            try? FileManager.default.moveItem(atPath: path, toPath: path + ".bad")
            return nil
        }
    }
}

/// `:open MODEL` and `:weights FILE` in the explorer: a new session, backend and workbench, opened
/// on the decode thread while the old model stays on screen. Other weights keep the options the
/// command line gave (prior, ψ, output range); another model starts from its own metadata.
final class ExplorerOpener: ModelOpener {
    private let options: SessionOptions
    private var path: String
    /// The served model being explored, until `:open` opens a file.
    private var remote: RemoteAddress?
    private let workbench: Bool

    init(options: SessionOptions, path: String, remote: RemoteAddress?, workbench: Bool) {
        self.options = options; self.path = path; self.remote = remote; self.workbench = workbench
    }

    func open(path newPath: String?, weights: String?) throws -> ExplorerModel {
        var o = newPath == nil ? options : SessionOptions()
        o.weights = weights
        let session: ModelSession
        if newPath == nil, let remote {
            session = try ModelSession(server: remote, options: o)
        } else {
            session = try ModelSession(path: newPath ?? path, options: o)
            remote = nil
        }
        let backend = try ExplorerBackend(session)
        let store = workbench ? try WorkbenchFile(session) : nil
        // A workbench that cannot be read is set aside; the screen is the explorer's, so no note.
        let saved = store?.load(latentCount: session.latentCount) { _ in }
        if let p = newPath { path = p }
        let name = session.displayName + (weights.map { " + " + URL(fileURLWithPath: $0).lastPathComponent } ?? "")
        return ExplorerModel(name: name, latentShape: session.latentShape, decoder: backend, sampler: backend, directions: backend,
                             exporter: backend, store: store, workbench: saved)
    }
}

let exploreCommand = Command(
    name: "explore", summary: "Open the terminal explorer (what plain `zwalk [MODEL]` does).",
    positionals: "[MODEL]",
    options: modelOptions + baseLatentOptions + [
        .value("directions", "SET", "auto, axis, sefa, pca, local, or a .npy direction file", default: "auto (\(DirectionMethod.autoRule))"),
        .value("graphics", "KIND", "auto, kitty, sixel, iterm or blocks: how the picture is drawn (auto asks the terminal)", default: "auto"),
        .value("blocks", "STYLE", "half, quadrant or sextant", default: "half"),
        .value("color", "MODE", "auto, truecolor, 256, 16 or mono", default: "auto"),
        .value("dither", "KIND", "auto, none, ordered or diffusion (256 and 16 colours)", default: "auto: none in 256 colours, ordered in 16"),
        .value("theme", "NAME", "dark, light, high-contrast, mono, a theme in $XDG_CONFIG_HOME/zwalk/themes, or a file", default: "dark"),
        .value("export-dir", "DIR", "where `e` writes zwalk-<seed>-<n>.png (created when missing)", default: "."),
        .value("export-scale", "N", "enlarge exported pictures N× (nearest neighbour)", default: "1"),
        .flag("no-mouse", "do not capture the mouse (leaves the terminal's own selection alone)"),
        .flag("no-workbench", "neither restore nor save bookmarks, labels, keyframes and the last latent"),
    ],
    details: explorerKeyHelp()
) { inv in
    var config = ExplorerConfig()
    config.seed = try seedValue(inv)
    config.psi = Float(try inv.double("psi", default: 1))
    // `zwalk exported.png`: the model that made it (found by its sha256), its latent, its directions.
    let picture = inv.positionals.first.flatMap { ExportOrigin.isPicture($0) ? $0 : nil }
    let origin = try picture.map { try ExportOrigin(picture: $0) }
    if let d = inv.string("directions") ?? origin?.directions { config.directions = DirectionSource.parse(d) }
    config.blocks = try inv.choice("blocks", "half, quadrant or sextant", BlockStyle.init(name:)) ?? config.blocks
    config.graphics = try inv.choice("graphics", "auto, kitty, sixel, iterm or blocks", GraphicsChoice.init(name:)) ?? config.graphics
    config.color = try inv.choice("color", "auto, truecolor, 256, 16 or mono", ColorChoice.init) ?? config.color
    config.dither = try inv.choice("dither", "auto, none, ordered or diffusion", Dither.init(rawValue:)) ?? config.dither
    if let t = inv.string("theme") { config.theme = t }
    if let e = inv.string("export-dir") {
        try Outputs.createDirectory(e)
        config.exportDirectory = e
    }
    config.exportScale = try boundedInt(inv, "export-scale", default: 1, in: 1...64)
    config.mouse = !inv.flag("no-mouse")
    // Fail on a pipe before loading anything: the message matters more than the model.
    guard isatty(0) != 0, isatty(1) != 0 else { throw ExplorerError.notATerminal }
    if picture != nil && inv.string("latent") != nil { throw usageError(inv, "a picture given as MODEL is the latent: drop --latent") }
    let session = try openSession(inv, origin: origin)
    session.progress = nil; session.log = nil // the screen is the explorer's
    let run = try trainingRun(inv) ?? []
    let backend = try ExplorerBackend(session, run: run)
    config.checkpoints = run.map { URL(fileURLWithPath: $0).lastPathComponent }
    let store = inv.flag("no-workbench") ? nil : try WorkbenchFile(session)
    config.workbench = store?.load(latentCount: session.latentCount) { note($0) }
    // The direction set of the last run, unless one was asked for.
    if inv.string("directions") == nil && origin == nil, let d = config.workbench?.directions { config.directions = DirectionSource.parse(d) }
    if let p = picture {
        let file = try readLatents(p, session)
        if file.rows.count == 1 {
            config.initialLatent = try file.row(0)
            config.initialLatentLabel = file.label(0)
        } else {
            config.startGallery = p
        }
    } else if inv.string("latent") != nil {
        let base = try baseLatent(inv, session)
        config.initialLatent = base.values
        config.initialLatentLabel = base.label
    } else if inv.string("seed") == nil, let current = config.workbench?.current {
        // Where the last run left off, unless a seed or a latent was asked for.
        if let seed = current.seed {
            config.seed = seed
            config.psi = current.psi
        } else {
            config.initialLatent = current.latent
            config.initialLatentLabel = "last session"
        }
    }
    let opener = ExplorerOpener(options: session.options, path: session.path, remote: session.remote?.address,
                                workbench: !inv.flag("no-workbench"))
    return try runExplorer(config: config, decoder: backend, sampler: backend, directions: backend, exporter: backend, store: store,
                           opener: opener)
}

let benchUICommand = Command(
    name: "bench-ui", summary: "Time the explorer without a terminal: key-to-frame time and bytes per frame, per size and colour mode.",
    positionals: "[MODEL]",
    options: modelFileOptions + [
        .value("frames", "N", "key presses per configuration", default: "60"),
        .value("blocks", "STYLES", "comma-separated block styles to time", default: "half"),
        .value("graphics", "KINDS", "also time the picture in pixels: comma-separated kitty, sixel, iterm", default: "none"),
        .value("cell", "WxH", "with --graphics: one cell's size in pixels", default: "10x20"),
    ],
    details: "Each frame: decode, render to the screen canvas, encode the bytes the terminal would receive (80×24 and 200×60)."
) { inv in
    let backend = try ExplorerBackend(try openSession(inv))
    let frames = try boundedInt(inv, "frames", default: 60, in: 1...100_000)
    let blocks = try (inv.string("blocks") ?? "half").split(separator: ",").map { name -> BlockStyle in
        guard let b = BlockStyle(name: String(name)) else { throw usageError(inv, "--blocks: unknown style '\(name)'") }
        return b
    }
    let graphics = try (inv.string("graphics") ?? "").split(separator: ",").map { name -> GraphicsProtocol in
        guard let g = GraphicsProtocol(rawValue: String(name)), g != .blocks else {
            throw usageError(inv, "--graphics: '\(name)' is not a pixel protocol: kitty, sixel or iterm (blocks are always timed)")
        }
        return g
    }
    let cellText = inv.string("cell") ?? "10x20"
    let cellParts = cellText.split(separator: "x").compactMap { Int($0) }
    guard cellParts.count == 2, (1...200).contains(cellParts[0]), (1...400).contains(cellParts[1]) else {
        throw usageError(inv, "--cell: '\(cellText)' is not WxH in pixels, e.g. 10x20")
    }
    print(try benchmarkFrames(decoder: backend, sampler: backend, blocks: blocks, graphics: graphics,
                              cellPixels: Size(width: cellParts[0], height: cellParts[1]), frames: frames))
    return 0
}
