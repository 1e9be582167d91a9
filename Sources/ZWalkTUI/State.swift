// The explorer's state: what the picture is made of (seed, ψ, directions and their coefficients),
// what is shown, and the mode of the screen. A plain value, so update() is a pure function of it.
import ZWalkImage

import ZWalkLatent

/// Where a direction set comes from: the toolkit's one type (its spellings, its `auto` rule).
public typealias DirectionSource = ZWalkLatent.DirectionSource

/// A set of directions to walk, in the flat latent (every vector has the latent's element count).
public struct WalkDirections: Equatable, Sendable {
    /// The method's name as shown in the panel title ("per-axis", "SeFa", "PCA", a file name…).
    public var method: String
    public var vectors: [[Float]]
    public var names: [String]
    /// What the method ranks by (eigenvalue, σ, change in the output), shown beside each name.
    public var scores: [Float]?
    /// The length of one σ along each vector, in latent units: a coefficient c moves the latent by
    /// c · sigmas[i] · vectors[i].
    public var sigmas: [Float]
    /// The toolkit's set these came from, when they came from one: exports record it whole (its
    /// score kind, its fingerprint), the same `zwalk.direction` the commands write.
    public var set: DirectionSet?

    /// The directions of a toolkit set, shown under `method`.
    public init(_ set: DirectionSet, method: String) {
        self.init(method: method, vectors: set.vectors, names: set.names, scores: set.scores, sigmas: set.sigmas)
        self.set = set
    }

    /// What the set was computed or loaded as (the worker stamps it); nil for the axes the
    /// explorer starts with and for sets made by hand.
    public var source: DirectionSource? = nil

    public init(method: String, vectors: [[Float]], names: [String]? = nil, scores: [Float]? = nil, sigmas: [Float]? = nil) {
        self.method = method
        self.vectors = vectors
        let n = vectors.count
        let given = names ?? []
        self.names = (0..<n).map { $0 < given.count && !given[$0].isEmpty ? given[$0] : "\(method) \($0)" }
        self.scores = scores.map { s in (0..<n).map { $0 < s.count ? s[$0] : .nan } }
        let sg = sigmas ?? []
        self.sigmas = (0..<n).map { $0 < sg.count && sg[$0].isFinite ? sg[$0] : 1 }
    }

    public var count: Int { vectors.count }

    /// The unit axes of a latent with `count` elements: what the panel walks before a method's
    /// directions arrive.
    public static func axes(count: Int) -> WalkDirections {
        WalkDirections(method: "axes", vectors: (0..<count).map { i in (0..<count).map { $0 == i ? 1 : 0 } },
                       names: (0..<count).map { "z[\($0)]" })
    }

    /// Why these directions do not fit a latent of `latentCount` elements, or nil.
    public func mismatch(latentCount: Int) -> String? {
        for (i, v) in vectors.enumerated() where v.count != latentCount {
            return "direction \(i) of \(method) has \(v.count) elements; the model's latent has \(latentCount)"
        }
        for (i, v) in vectors.enumerated() where v.contains(where: { !$0.isFinite }) {
            return "direction \(i) of \(method) contains NaN or infinity"
        }
        return nil
    }
}

/// Everything the picture is made of. z = (base ?? prior sample of seed, truncated by ψ)
///   + Σ coefficients[i] · directions.sigmas[i] · directions.vectors[i].
public struct LatentSpec: Equatable, Sendable {
    public var seed: UInt32
    public var psi: Float
    /// A latent given directly (opened from a PNG or .npy, or kept when the direction set changed),
    /// replacing the seed's sample.
    public var base: [Float]?
    /// Where a given base came from ("z.npy[0]"), for the status line and export names; nil when
    /// the base is the seed's sample with a walk folded in.
    public var baseLabel: String?
    /// A walk was folded into the base (a direction set changed mid-walk).
    public var baseWalked: Bool
    /// A walk taken in an earlier direction set that the current one cannot express, added to the
    /// base (or the seed's sample) as it is: what an undo snapshot keeps of it (see
    /// SnapshotRebaser), so undoing returns to exactly the picture that was on screen.
    public var offset: [Float]?
    public var directions: WalkDirections
    public var coefficients: [Float]

    public init(seed: UInt32, psi: Float, base: [Float]? = nil, baseLabel: String? = nil, directions: WalkDirections,
                coefficients: [Float]? = nil) {
        self.seed = seed; self.psi = psi; self.base = base; self.directions = directions
        self.baseLabel = base == nil ? nil : (baseLabel ?? "latent")
        self.baseWalked = false
        self.offset = nil
        self.coefficients = coefficients ?? Array(repeating: 0, count: directions.count)
    }

    /// The status line's name for the base: "seed 7", "seed 7 + walk", "z.npy[0]", "z.npy[0] + walk".
    public var baseDescription: String {
        guard base != nil else { return offset == nil ? "seed \(seed)" : "seed \(seed) + walk" }
        guard let label = baseLabel else { return "seed \(seed) + walk" }
        return baseWalked ? label + " + walk" : label
    }

    /// The middle of an export's file name: the seed the picture was walked from, else the given
    /// latent's label made safe for a file name ("z.npy[0]" → "z.npy-0").
    public var exportStem: String {
        guard base != nil, let label = baseLabel else { return String(seed) }
        var out = ""
        for ch in label.unicodeScalars {
            let ok = ("a"..."z").contains(ch) || ("A"..."Z").contains(ch) || ("0"..."9").contains(ch) || ch == "." || ch == "_" || ch == "-"
            if ok { out.unicodeScalars.append(ch) } else if !out.hasSuffix("-") { out += "-" }
        }
        while let f = out.first, f == "-" || f == "." { out.removeFirst() }
        while let l = out.last, l == "-" || l == "." { out.removeLast() }
        return out.isEmpty ? "latent" : String(out.prefix(64))
    }

    /// Adds the walked directions (and an earlier set's walk, `offset`) to a base latent.
    public func compose(base b: [Float]) -> [Float] {
        var z = b
        if let o = offset { for k in 0..<min(z.count, o.count) { z[k] += o[k] } }
        for (i, c) in coefficients.enumerated() where c != 0 && i < directions.count {
            let v = directions.vectors[i]
            let scale = c * directions.sigmas[i]
            for k in 0..<min(z.count, v.count) { z[k] += scale * v[k] }
        }
        return z
    }
}

public struct DecodeRequest: Equatable, Sendable {
    /// Increases with every request: a result older than the one shown is dropped.
    public var seq: Int
    public var spec: LatentSpec
    /// Which checkpoint of a training run decodes it (0 without a run).
    public var checkpoint: Int = 0
}

public struct DecodeResult: Equatable, Sendable {
    public var request: DecodeRequest
    /// The latent that was decoded (flat).
    public var latent: [Float]
    public var frame: Image
    public var milliseconds: Double

    public init(request: DecodeRequest, latent: [Float], frame: Image, milliseconds: Double) {
        self.request = request; self.latent = latent; self.frame = frame; self.milliseconds = milliseconds
    }
}

public enum PromptKind: Equatable, Sendable {
    case command
    case seed
    case directionsFile
    case mark
    case go

    var label: String {
        switch self {
        case .command: return ":"
        case .seed: return "seed: "
        case .directionsFile: return "directions file (.npy): "
        case .mark: return "bookmark name: "
        case .go: return "go to bookmark: "
        }
    }
}

/// A latent pinned as a keyframe of the interpolation path (p): what was on screen.
public struct Keyframe: Equatable, Sendable {
    public var latent: [Float]
    /// The seed whose sample (at `psi`) the latent is, when it is one: unwalked, not given.
    public var seed: UInt32?
    public var psi: Float

    public init(latent: [Float], seed: UInt32?, psi: Float) { self.latent = latent; self.seed = seed; self.psi = psi }

    /// "seed 7" or "latent".
    public var label: String { seed.map { "seed \($0)" } ?? "latent" }

    /// A, B, … Z, then K27, K28, …
    public static func letter(_ i: Int) -> String {
        i >= 0 && i < 26 ? String(Character(Unicode.Scalar(UInt8(65 + i)))) : "K\(i + 1)"
    }
}

/// How the path runs between keyframes: as `zwalk interpolate --mode`.
public enum PathInterpolation: String, CaseIterable, Sendable {
    case slerp, lerp
    /// The path shortened in output space (computed on the directions thread; slerp until then).
    case geodesic

    public var next: PathInterpolation { self == .slerp ? .lerp : (self == .lerp ? .geodesic : .slerp) }
}

/// A geodesic through keyframes, sampled at `perSegment` points a segment (the keyframe first):
/// what the directions thread computed, for the keyframes and loop it was asked for.
public struct GeodesicPath: Equatable, Sendable {
    public var keyframes: [[Float]]
    public var loop: Bool
    public var perSegment: Int
    /// segments × perSegment points, plus the last keyframe on an open path.
    public var points: [[Float]]

    public init(keyframes: [[Float]], loop: Bool, perSegment: Int, points: [[Float]]) {
        self.keyframes = keyframes; self.loop = loop; self.perSegment = perSegment; self.points = points
    }

    /// The latent at u (in segments): linear between the two computed points around it.
    public func point(at u: Double) -> [Float] {
        let x = u * Double(perSegment)
        let count = points.count
        guard count >= 2 else { return points.first ?? [] }
        var i = Int(x.rounded(.down))
        let last = loop ? count : count - 1
        if i >= last { i = last - 1 }
        i = max(0, i)
        let f = x - Double(i)
        return Interpolation.lerp(points[i], points[(i + 1) % count], max(0, min(1, f)))
    }
}

/// What the directions thread is asked to shorten.
public struct GeodesicRequest: Equatable, Sendable {
    public var keyframes: [[Float]]
    public var loop: Bool
    public var perSegment: Int
}

/// Where interpolate mode is along the path through the keyframes, and how it moves. Kept when
/// the mode is left, so loop, mode and speed stay as they were set.
public struct PathState: Equatable, Sendable {
    /// The position in segments: 0…segments (segment ⌊u⌋ at fraction u − ⌊u⌋).
    public var u: Double = 0
    public var loop = false
    public var mode: PathInterpolation = .slerp
    /// The geodesic for the keyframes and loop it was computed for (used when they still match).
    public var geodesic: GeodesicPath? = nil
    /// The geodesic asked of the directions thread and not yet back.
    public var geodesicRequested: GeodesicRequest? = nil
    public var playing = false
    /// Segments per second while playing.
    public var speed: Double = 0.5
    /// When the last tick of playing was (seconds); nil until the first tick after Space.
    public var lastTick: Double? = nil

    public init() {}

    /// ←/→ move a 32nd of a segment, H/L a quarter.
    public static let fineStep = 1.0 / 32
    public static let coarseStep = 0.25
    public static let speedRange: ClosedRange<Double> = 1.0 / 64...16
    /// A tick moves at most this many seconds' worth: a slow model plays slowly rather than jump.
    public static let maxTickSeconds = 0.2
    public static let defaultExportSteps = 8
    /// `:anim` without a frame count, and its rate (zwalk animate's defaults).
    public static let animationFrames = 24
    public static let animationFPS = 12
    /// Points a segment of the geodesic shown on screen (the strip's own is computed for its cells).
    public static let geodesicPerSegment = 8

    /// Segments of a path through `keyframes` keyframes.
    public func segments(keyframes n: Int) -> Int { max(1, loop ? n : n - 1) }

    /// The position along the whole path, 0…1 (a loop: 0…1 where 1 is A again).
    public func t(keyframes n: Int) -> Double { u / Double(segments(keyframes: n)) }

    /// The segment u is on (the last one at the open path's end).
    public func segment(keyframes n: Int) -> Int { min(Int(u.rounded(.down)), segments(keyframes: n) - 1) }
}

public enum Mode: Equatable, Sendable {
    case normal
    case help(scroll: Int)
    case prompt(PromptKind, text: String)
    case chooser(selected: Int)
}

public struct StatusMessage: Equatable, Sendable {
    public var text: String
    public var isWarning: Bool
    /// Key presses since it was set; it fades after a few so old news does not linger.
    public var age: Int = 0
    public static let lifetime = 8
}

/// What update() asks the outside world to do.
public enum Effect: Equatable, Sendable {
    case decode(DecodeRequest)
    case loadDirections(DirectionSource, at: LatentSpec)
    /// path nil: the next free `zwalk-<seed>-<n>.png` in the export directory.
    case export(path: String?, overwrite: Bool, of: DecodeResult)
    /// The geodesic through the keyframes, on the directions thread.
    case computeGeodesic(GeodesicRequest)
    /// The interpolation path as a strip PNG (the figure `zwalk interpolate` writes); path nil:
    /// the next free `zwalk-path-<seeds>-<n>.png` in the export directory.
    case exportPath(PathExport)
    /// Decode a tile view's tiles (a newer generation replaces what is left of an older one).
    case decodeTiles(TileBatch)
    /// Read the rows of a latent file for a gallery (`:gallery FILE`).
    case loadLatentRows(String, gallery: Bool)
    /// Open another model, or the same with other weights, without leaving (:open, :weights).
    case openModel(path: String?, weights: String?)
    /// The figure of the tile view (see FigureExport).
    case exportFigure(FigureExport)
    /// Save bookmarks, labels, keyframes and the latent on screen (the workbench file).
    case saveWorkbench
    /// Build the attribute direction of these labels on the directions thread.
    case buildAttribute(Workbench.LabelSet)
    case loadTheme(String)
    case redraw
    case quit
}

/// What `:export` in interpolate mode asks for: the keyframes and how the path runs through them.
public struct PathExport: Equatable, Sendable {
    public var path: String?
    public var overwrite: Bool
    public var keyframes: [Keyframe]
    public var mode: PathInterpolation
    public var loop: Bool
    public var steps: Int
}

public struct ExplorerState: Equatable, Sendable {
    public var modelName: String
    public var latentShape: [Int]

    public var spec: LatentSpec
    public var selected: Int = 0
    public var stepSize: Float = 0.25

    public var undoStack: [Snapshot] = []
    public var redoStack: [Snapshot] = []

    public var blocks: BlockStyle
    public var colorMode: ColorMode
    public var dither: Dither
    public var theme: Theme
    /// How the terminal draws the walk's picture: blocks, or pixels (render() then leaves its
    /// cells blank and hands the picture over in Canvas.graphics).
    public var graphics: GraphicsProtocol = .blocks
    public var mode: Mode = .normal
    public var mouseEnabled: Bool = true

    /// The direction set asked for at start or being computed now.
    public var loadingDirections: DirectionSource?
    /// A set that arrived while the walk's frame was still decoding: it is adopted when that
    /// frame arrives, so the walk goes on from exactly the latent on screen.
    public var deferredDirections: WalkDirections?
    public var chooserSources: [DirectionSource] = DirectionSource.methods

    public var requestSeq: Int = 0
    public var shown: DecodeResult?
    public var shownSeq: Int = 0
    /// When to ask again for a frame whose decode failed for a reason that may pass (a served
    /// model's server away); nil otherwise.
    public var retryDecodeAt: Double?
    /// Seconds between such tries.
    public static let retrySeconds = 2.0
    /// When recent frames arrived (seconds), for the frame rate.
    public var frameTimes: [Double] = []

    public var message: StatusMessage?
    public var quitRequested = false

    /// Pinned keyframes A, B, C… (p), the path interpolate mode runs through.
    public var keyframes: [Keyframe] = []
    public var path = PathState()
    /// In interpolate mode (i): the picture is the path's latent at `path.u`.
    public var interpolating = false
    /// A gallery, preview or map on screen instead of the one picture.
    public var tiles: TileView? = nil
    public var tileGeneration = 0
    /// The terminal's size as last reported (`.resized`): a gallery page fills it.
    public var screen = Size(width: 80, height: 24)
    /// Named latents (:mark, :go), saved with the workbench.
    public var marks: [Workbench.Bookmark] = []
    /// Latents labelled per attribute (:label), saved with the workbench.
    public var labelSets: [Workbench.LabelSet] = []
    /// The attribute `.` and `,` label (the last one named in :label).
    public var lastLabel: String? = nil
    /// A training run's checkpoints (their file names; empty without a run) and the one decoding.
    public var checkpoints: [String] = []
    public var checkpoint = 0

    public struct Snapshot: Equatable, Sendable {
        public var spec: LatentSpec
        public var selected: Int
    }

    public static let maxUndo = 500
    public static let psiRange: ClosedRange<Float> = 0...2
    public static let coefficientLimit: Float = 10
    public static let stepLadder: [Float] = [0.05, 0.1, 0.25, 0.5, 1, 2]

    public init(modelName: String, latentShape: [Int], seed: UInt32 = 0, psi: Float = 1, base: [Float]? = nil,
                baseLabel: String? = nil, blocks: BlockStyle = .half, colorMode: ColorMode = .truecolor, dither: Dither = .auto,
                theme: Theme = .defaultTheme, directions: WalkDirections? = nil, loading: DirectionSource? = nil) {
        self.modelName = modelName
        self.latentShape = latentShape
        let count = latentShape.reduce(1, *)
        self.spec = LatentSpec(seed: seed, psi: min(max(psi, Self.psiRange.lowerBound), Self.psiRange.upperBound),
                               base: base, baseLabel: baseLabel, directions: directions ?? .axes(count: count))
        self.blocks = blocks
        self.colorMode = colorMode
        self.dither = dither
        self.theme = theme
        self.loadingDirections = loading
    }

    public var latentCount: Int { latentShape.reduce(1, *) }

    /// The table that answers keys now: an overlay's or the prompt's, else interpolate mode's or
    /// walking's.
    public var keyMode: KeyMode {
        guard mode == .normal else { return mode.keyMode }
        return tiles != nil ? .tiles : (interpolating ? .interpolate : .normal)
    }
    public var pending: Bool { requestSeq > shownSeq }
    public var directions: WalkDirections { spec.directions }

    /// Frames per second over the last two seconds of arrivals; nil until two frames arrived.
    public var framesPerSecond: Double? {
        guard frameTimes.count >= 2, let first = frameTimes.first, let last = frameTimes.last, last > first else { return nil }
        return Double(frameTimes.count - 1) / (last - first)
    }

    public var visibleMessage: StatusMessage? {
        guard let m = message, m.age < StatusMessage.lifetime else { return nil }
        return m
    }
}
