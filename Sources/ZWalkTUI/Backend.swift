// What the explorer needs from the rest of zwalk, as small protocols: the CLI plugs the engine,
// the latent toolkit and the PNG writer in, and the explorer's own tests plug in fakes. All four are
// called from one worker thread only, never concurrently, so implementations need no locking.
import Foundation
import ZWalkImage
import ZWalkLatent

/// Turns a latent into a picture.
public protocol ExplorerDecoder: AnyObject {
    /// Shown in the status line.
    var modelName: String { get }
    /// The latent's shape without the batch axis, e.g. [10] or [4, 8, 8].
    var latentShape: [Int] { get }
    /// z: the flat latent, latentShape's element count.
    func decode(_ z: [Float]) throws -> Image
    /// Several latents at once (a page of tiles): one batched decode where the model allows.
    func decode(batch zs: [[Float]]) throws -> [Image]
    /// The same with the weights of checkpoint `checkpoint` of a training run (ExplorerConfig.checkpoints).
    func decode(_ z: [Float], checkpoint: Int) throws -> Image
}

extension ExplorerDecoder {
    public func decode(batch zs: [[Float]]) throws -> [Image] { try zs.map { try decode($0) } }
    public func decode(_ z: [Float], checkpoint: Int) throws -> Image { try decode(z) }
}

/// Draws the latent of a seed from the model's prior, truncated by ψ.
public protocol ExplorerSampler: AnyObject {
    func sample(seed: UInt32, psi: Float) throws -> [Float]
    /// The latents of a .npy or a zwalk PNG, checked against the model (`:gallery FILE`).
    func latentRows(path: String) throws -> LatentRows
}

extension ExplorerSampler {
    public func latentRows(path: String) throws -> LatentRows {
        throw ExplorerError.terminal("this explorer cannot read latent files")
    }
}

/// Computes or loads a direction set; `latent` is where the walk is now (local directions need it).
/// Called on its own thread, while the decoder decodes: it must not share a model session with it.
public protocol DirectionProvider: AnyObject {
    func directions(_ source: DirectionSource, at latent: [Float]) throws -> WalkDirections
    /// The geodesic through `keyframes` (`zwalk interpolate --mode geodesic`), `perSegment` points
    /// a segment, the keyframe first; on an open path the last keyframe ends it. Called on the
    /// directions thread: it may take many decodes.
    func geodesic(keyframes: [[Float]], loop: Bool, perSegment: Int) throws -> [[Float]]
    /// One direction from labelled latents (the toolkit's attribute method), named as the labels.
    func attributeDirection(_ labels: Workbench.LabelSet) throws -> WalkDirections
}

extension DirectionProvider {
    public func attributeDirection(_ labels: Workbench.LabelSet) throws -> WalkDirections {
        throw ExplorerError.terminal("this explorer cannot build attribute directions")
    }

    public func geodesic(keyframes: [[Float]], loop: Bool, perSegment: Int) throws -> [[Float]] {
        throw ExplorerError.terminal("this explorer cannot compute geodesics")
    }
}

/// Everything an exported PNG should carry to be reproduced.
public struct ExportRequest: Equatable, Sendable {
    public var path: String
    /// false: the write must fail rather than replace an existing file (AtomicFile's no-clobber).
    public var overwrite: Bool
    /// What to write: the decoded picture, already enlarged `scale`× (nearest neighbour).
    public var frame: Image
    /// How many times the decoded picture was enlarged (ExplorerConfig.exportScale); 1: as decoded.
    public var scale: Int = 1
    /// The flat latent that was decoded into `frame`.
    public var latent: [Float]
    public var latentShape: [Int]
    /// The seed the walk started from; nil when the base latent was given directly. `latent` is
    /// the authority: it equals the seed's sample only when `latentIsSeedSample`.
    public var seed: UInt32?
    public var psi: Float
    /// The directions walked and how far along each (σ units).
    public var directions: WalkDirections
    public var coefficients: [Float]
    public var modelName: String
    /// The checkpoint of a training run that decoded `frame` (0 without a run).
    public var checkpoint: Int = 0

    /// True when no direction was walked: `seed` and `psi` alone reproduce `latent`.
    public var latentIsSeedSample: Bool { seed != nil && coefficients.allSatisfy { $0 == 0 } }
}

/// The interpolation path of interpolate mode as a strip: what `zwalk interpolate` is asked for.
public struct PathExportRequest: Equatable, Sendable {
    public var path: String
    /// false: the write must fail rather than replace an existing file.
    public var overwrite: Bool
    /// The keyframes' flat latents, A first.
    public var keyframes: [[Float]]
    /// The keyframes' seeds when every keyframe is its seed's sample at the same ψ (`psi`): then
    /// `zwalk interpolate --seeds …` reproduces the strip.
    public var seeds: [UInt32]?
    public var psi: Float
    public var mode: PathInterpolation
    public var loop: Bool
    /// Cells of the strip, keyframes included.
    public var steps: Int

    public init(path: String, overwrite: Bool, keyframes: [[Float]], seeds: [UInt32]?, psi: Float, mode: PathInterpolation,
                loop: Bool, steps: Int) {
        self.path = path; self.overwrite = overwrite; self.keyframes = keyframes; self.seeds = seeds; self.psi = psi
        self.mode = mode; self.loop = loop; self.steps = steps
    }
}

/// A figure to export (a tile view's, an animation), with what the worker must compose to write it.
public struct FigureExport: Equatable, Sendable {
    public enum Figure: Equatable, Sendable {
        /// `zwalk grid --seed S --rows R --cols C` (at ψ).
        case samples(seeds: [UInt32], rows: Int, cols: Int, psi: Float)
        /// `zwalk decode --latents FILE --cols C` of the page's rows.
        case latents(rows: [[Float]], cols: Int, source: String)
        /// `zwalk traverse --seeds … --dims I`: rows = `bases`.
        case preview(bases: [LatentSpec], labels: [String], seeds: [UInt32?], dim: Int, steps: Int, range: Float)
        /// `zwalk slice --dims X,Y`.
        case slice(base: LatentSpec, label: String, seed: UInt32?, x: Int, y: Int, steps: Int, range: Float)
        /// `zwalk animate --seeds …` (or the keyframes' latents) through the keyframes.
        case pathAnimation(keyframes: [[Float]], seeds: [UInt32]?, mode: PathInterpolation, loop: Bool, frames: Int, fps: Int)
        /// `zwalk animate --dim I`: back and forth along one direction around `base`.
        case sweepAnimation(base: LatentSpec, label: String, seed: UInt32?, dim: Int, range: Float, frames: Int, fps: Int)
    }
    public var path: String?
    public var overwrite: Bool
    public var figure: Figure
    public var directions: WalkDirections
    public var psi: Float
}

/// A figure with its latents composed (see FigureExport), for the exporter.
public struct FigureExportRequest: Equatable, Sendable {
    public enum Figure: Equatable, Sendable {
        case samples(seeds: [UInt32], rows: Int, cols: Int, psi: Float)
        case latents(rows: [[Float]], cols: Int, source: String)
        case preview(bases: [[Float]], labels: [String], seeds: [UInt32?], dim: Int, steps: Int, range: Float)
        case slice(base: [Float], label: String, seed: UInt32?, x: Int, y: Int, steps: Int, range: Float)
        case pathAnimation(keyframes: [[Float]], seeds: [UInt32]?, mode: PathInterpolation, loop: Bool, frames: Int, fps: Int)
        case sweepAnimation(base: [Float], label: String, seed: UInt32?, dim: Int, range: Float, frames: Int, fps: Int)
    }
    public var path: String
    public var overwrite: Bool
    public var figure: Figure
    public var directions: WalkDirections
    /// The truncation the samples were drawn at.
    public var psi: Float
}

/// Writes the PNG (with `latent` in its metadata so the picture can be decoded again).
public protocol FrameExporter: AnyObject {
    /// The figure of a gallery, preview or map: the one `zwalk grid`, `zwalk traverse --seeds`,
    /// `zwalk slice` or `zwalk decode` writes for the same latents. On the decode thread.
    func exportFigure(_ request: FigureExportRequest) throws
    func export(_ request: ExportRequest) throws
    /// Decodes and writes the strip of an interpolation path, the same figure (pixels and
    /// metadata) `zwalk interpolate` writes. Called on the decode thread, like `export`.
    func exportPath(_ request: PathExportRequest) throws
}

extension FrameExporter {
    public func exportFigure(_ request: FigureExportRequest) throws {
        throw ExplorerError.terminal("this explorer cannot export figures")
    }

    public func exportPath(_ request: PathExportRequest) throws {
        throw ExplorerError.terminal("this explorer cannot export interpolation strips")
    }
}

/// Everything the explorer works through for one model: what `ModelOpener` hands over when the
/// explorer switches model or weights without leaving.
public struct ExplorerModel: @unchecked Sendable {
    public var name: String
    public var latentShape: [Int]
    public var decoder: ExplorerDecoder
    public var sampler: ExplorerSampler
    public var directions: DirectionProvider
    public var exporter: FrameExporter
    public var store: WorkbenchStore?
    /// The workbench saved for it, to restore.
    public var workbench: Workbench?

    public init(name: String, latentShape: [Int], decoder: ExplorerDecoder, sampler: ExplorerSampler, directions: DirectionProvider,
                exporter: FrameExporter, store: WorkbenchStore?, workbench: Workbench?) {
        self.name = name; self.latentShape = latentShape; self.decoder = decoder; self.sampler = sampler
        self.directions = directions; self.exporter = exporter; self.store = store; self.workbench = workbench
    }
}

/// Opens models for `:open` and `:weights`. Called on the decode thread (loading takes a while);
/// the explorer keeps working on the old model until the new one is ready.
public protocol ModelOpener: AnyObject {
    /// `path` nil: the model open now; `weights` nil: none (the graph's own).
    func open(path: String?, weights: String?) throws -> ExplorerModel
}

/// Where the workbench (bookmarks, labels, keyframes, the latent on screen) is kept for this model.
public protocol WorkbenchStore: AnyObject {
    var fingerprint: String { get }
    var model: String { get }
    func save(_ w: Workbench) throws
}

/// How the picture's cells reach the terminal.
public enum ImageOutput: String, Sendable {
    /// Our own SGR escape sequences with our own diff (no colour pairs at all).
    case escapes
    /// ncurses colour pairs (alloc_pair) and mvwadd_wch; truecolor cells still go as escapes
    /// unless the terminfo entry is a direct-colour one.
    case curses
}

public struct ExplorerConfig: Sendable {
    public var seed: UInt32 = 0
    public var psi: Float = 1
    /// Start from this latent instead of the seed's sample (a PNG's metadata, an .npy).
    public var initialLatent: [Float]? = nil
    /// What the status line and export names call `initialLatent` ("z.npy[0]", "walk.png");
    /// nil: "latent".
    public var initialLatentLabel: String? = nil
    public var directions: DirectionSource = .default
    public var blocks: BlockStyle = .half
    /// Pixels (kitty, sixel, iTerm2) where the terminal shows them, else blocks.
    public var graphics: GraphicsChoice = .auto
    public var color: ColorChoice = .auto
    public var dither: Dither = .auto
    /// A built-in name, a user theme's name, or a path to a .theme file.
    public var theme: String = Theme.defaultName
    public var mouse: Bool = true
    /// Where `e` writes `zwalk-<seed>-<n>.png` (`zwalk-<label>-<n>.png` from a given latent) and
    /// where relative `:export` paths go. `e` creates it when it does not exist.
    public var exportDirectory: String = FileManager.default.currentDirectoryPath
    /// Exported pictures are enlarged this many times, each pixel a block (pixel art stays crisp).
    public var exportScale: Int = 1
    /// The workbench saved for this model, restored at start (bookmarks, labels, keyframes).
    public var workbench: Workbench? = nil
    /// Start on a gallery of this latent file's rows (`zwalk grid.png`).
    public var startGallery: String? = nil
    /// A training run's checkpoints by file name, in order (`<` `>` move between them); empty
    /// without a run. The decoder decodes with `decode(_:checkpoint:)`.
    public var checkpoints: [String] = []
    /// Read for COLORTERM, TERM, XDG_CONFIG_HOME, HOME, ZWALK_IMAGE_OUTPUT and ZWALK_UI_TRACE.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// nil: $ZWALK_IMAGE_OUTPUT, else `.escapes`.
    public var imageOutput: ImageOutput? = nil
    /// 24-bit colours on screen may be this many levels (of 255) off the frame before a cell is
    /// resent; 0 sends every change. See FrameEncoder.
    public var colourTolerance: Int = ExplorerConfig.defaultColourTolerance
    public static let defaultColourTolerance = 3

    public init() {}
}

public enum ExplorerError: Error, CustomStringConvertible, Equatable {
    case notATerminal
    case unknownTerminal(String)
    case terminal(String)

    static let headless = "the headless commands work without one: zwalk sample, zwalk grid, zwalk traverse, zwalk interpolate (zwalk --help)"

    public var description: String {
        switch self {
        case .notATerminal:
            return "the explorer needs a terminal, but stdin or stdout is not one (piped or redirected); " + ExplorerError.headless
        case .unknownTerminal(let t):
            let which = t.isEmpty ? "TERM is not set" : "the terminal type '\(t)' (TERM) is unknown to ncurses"
            return "\(which); set TERM to a type this system knows (e.g. TERM=xterm-256color), or use " + ExplorerError.headless
        case .terminal(let s):
            return s
        }
    }
}
