import Foundation
import ZWalkEngine
import ZWalkLatent
import ZWalkSession
import ZWalkRemote

// The option groups the commands share, and how each becomes a value of the core: flags in,
// `ModelSession`, `FigureStyle`, `BaseLatent`, `DirectionSource` out. Nothing else happens here.

func usageError(_ inv: Invocation, _ message: String) -> UsageError {
    UsageError(message: "zwalk \(inv.command.name): \(message)")
}

// MARK: The model

let weightsOption = Option.value("weights", "FILE|DIR|'GLOB'",
    "bind these weights onto the model's initializers by name: safetensors or a PyTorch checkpoint (.pt .pth .ckpt .bin); a folder or a quoted glob is a training run, its checkpoints in natural order (grid: one row each; the explorer: < and > move between them)")

/// `--model NAME`: a shipped model by name instead of a MODEL file, or with --server the name
/// the server serves the model under.
let shippedModelOption = Option.value("model", ShippedModel.allCases.map(\.rawValue).joined(separator: "|") + "|NAME",
    "open a shipped model by name instead of a MODEL file (zwalk looks for it as for the default; see zwalk --help); with --server, the served model's name",
    default: "\(ShippedModel.standard.rawValue) when no MODEL is given")

/// A model on an inference server instead of a file: every command that decodes takes these
/// (with --model NAME).
let serverOptions: [Option] = [
    .value("server", "URL", "decode on an inference server speaking the Open Inference Protocol (KServe v2: Triton, KServe, MLServer, Seldon), e.g. http://gpu-box:8000, the model named by --model; MODEL is then not given"),
    .value("model-version", "V", "with --server: the model's version", default: "the server's choice"),
    .value("timeout", "SECONDS", "with --server: how long one request may take before it counts as failed", default: "60"),
]

/// Which model and weights: every command that opens a model takes these.
let modelFileOptions: [Option] = [shippedModelOption, weightsOption] + serverOptions

let modelOptions: [Option] = modelFileOptions + [
    .value("prior", "normal|uniform", "the distribution latents are drawn from", default: "the model's zwalk.prior, else normal"),
    .value("psi", "ψ", "truncation: every latent is scaled by ψ toward the mean 0 (StyleGAN's ψ)", default: "1"),
    .value("output-range", "LO,HI", "the model output values shown as black…white", default: "the model's range (zwalk info)"),
    .value("max-memory", "SIZE", "memory decoding may use (weights, activations, outputs held): 2G, 512M; large batches are decoded in chunks that fit, and what cannot fit is refused before it starts",
           default: "a quarter of physical memory"),
]

/// "LO,HI" with LO < HI, both finite.
func parseRange(_ text: String, option: String, _ inv: Invocation) throws -> (Float, Float) {
    let parts = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, parts[0] < parts[1], parts.allSatisfy({ $0.isFinite }) else {
        throw usageError(inv, "--\(option) must be 'LO,HI' with LO < HI, got '\(text)'")
    }
    return (parts[0], parts[1])
}

/// The checkpoints of a training run when --weights names a folder or a glob (even of one file),
/// else nil.
func trainingRun(_ inv: Invocation) throws -> [String]? {
    guard let spec = inv.string("weights") else { return nil }
    var isDir: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: spec, isDirectory: &isDir)
    guard (exists && isDir.boolValue) || (!exists && spec.contains(where: { "*?[".contains($0) })) else { return nil }
    return try CheckpointRun.files(spec)
}

/// The commands that walk a training run; the others take one weights file.
let runCommands: Set<String> = ["grid", "explore"]

func sessionOptions(_ inv: Invocation) throws -> SessionOptions {
    var weights = inv.string("weights")
    if let run = try trainingRun(inv) {
        guard runCommands.contains(inv.command.name) || run.count == 1 else {
            throw usageError(inv, "--weights \(weights!) names a training run of \(run.count) checkpoints; zwalk grid (a row each) and the explorer walk a run, this command takes one weights file")
        }
        weights = run[0]
    }
    var o = SessionOptions(weights: weights, encoder: inv.string("encoder"))
    o.prior = try inv.choice("prior", PriorKind.allCases.map(\.rawValue).joined(separator: " or ")) { PriorKind(rawValue: $0.lowercased()) }
    o.psi = try inv.double("psi", default: 1)
    guard o.psi.isFinite, o.psi >= 0 else { throw usageError(inv, "--psi must be a finite number ≥ 0, got \(o.psi)") }
    if let r = inv.string("output-range") { o.outputRange = try parseRange(r, option: "output-range", inv) }
    if let m = inv.string("max-memory") {
        guard let bytes = Memory.parse(m) else {
            throw usageError(inv, "--max-memory must be a size such as 2G, 512M or 800K (powers of 1024), got '\(m)'")
        }
        o.memoryBudget = bytes
    }
    return o
}

/// --server, --model, --model-version and --timeout as a served model's address; nil without
/// --server.
func remoteAddress(_ inv: Invocation) throws -> RemoteAddress? {
    guard let server = inv.string("server") else {
        for o in ["model-version", "timeout"] where inv.string(o) != nil {
            throw usageError(inv, "--\(o) goes with --server URL (a model on an inference server)")
        }
        return nil
    }
    guard let name = inv.string("model"), !name.isEmpty else {
        throw usageError(inv, "--server needs --model NAME: the name the server serves the decoder under (its /v2/models/NAME)")
    }
    if let extra = inv.positionals.first {
        throw usageError(inv, "give a model file or --server URL --model NAME, not both (got '\(extra)')")
    }
    let timeout = try inv.double("timeout", default: 60)
    guard timeout.isFinite, timeout > 0 else { throw usageError(inv, "--timeout must be more than 0 seconds, got \(timeout)") }
    return RemoteAddress(server: server, model: name, version: inv.string("model-version"), timeout: timeout)
}

/// The model file to open: MODEL (positional 0), the shipped model --model names, or the
/// default shipped model.
func modelPath(_ inv: Invocation) throws -> String {
    var shipped = ShippedModel.standard
    if let name = inv.string("model") {
        if let p = inv.positionals.first { throw usageError(inv, "give MODEL or --model, not both (got '\(p)' and --model \(name))") }
        do { shipped = try ShippedModel.named(name) } catch let e as SessionError { throw usageError(inv, "--model: \(e)") }
    }
    return try inv.positionals.first ?? ShippedModel.locate(shipped)
}

/// MODEL (positional 0, default the shipped model), --model's shipped model, or --server's
/// model, opened with the flags, its progress drawn on stderr and its notes printed there.
func openSession(_ inv: Invocation, origin: ExportOrigin? = nil) throws -> ModelSession {
    var options = try sessionOptions(inv)
    let session: ModelSession
    if let address = try remoteAddress(inv) {
        session = try ModelSession(server: address, options: options)
    } else if let origin {
        if options.weights == nil { options.weights = origin.weights }
        session = try origin.open(options: options)
    } else {
        session = try ModelSession(path: try modelPath(inv), options: options)
    }
    if let r = session.weightsReport { note(r) }
    let bar = ProgressBar()
    session.progress = { bar.report($0, $1, $2) }
    session.log = { note($0) }
    return session
}

// MARK: Seeds and numbers

/// A seed as numpy's RandomState accepts it (0…2³²−1).
func seedValue(_ inv: Invocation, _ name: String = "seed", default d: Int = 0) throws -> UInt32 {
    let s = try inv.int(name, default: d)
    guard let v = UInt32(exactly: s) else {
        throw usageError(inv, "--\(name) \(s) is out of range: numpy's RandomState takes seeds 0…4294967295")
    }
    return v
}

/// --seeds (repeatable, comma lists, ranges), or `d` when not given.
func seedList(_ inv: Invocation, _ option: String, default d: String) throws -> [UInt32] {
    do { return try SeedList.parse(inv.list(option).isEmpty ? [d] : inv.list(option)) } catch let e as SessionError {
        throw usageError(inv, "--\(option): \(e)")
    }
}

/// Keyframes from --latents files (their rows, in order) or --seeds, with the seeds and a few
/// words saying where they came from.
func keyframeLatents(_ inv: Invocation, _ session: ModelSession, defaultSeeds: String) throws
    -> (keyframes: [[Float]], seeds: [UInt32]?, source: String) {
    let files = inv.list("latents")
    guard files.isEmpty else {
        if !inv.list("seeds").isEmpty { throw usageError(inv, "give --seeds or --latents, not both") }
        return (try files.flatMap { try readLatents($0, session).rows }, nil,
                "latents of " + files.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))
    }
    let seeds = try seedList(inv, "seeds", default: defaultSeeds)
    return (try seeds.map { try session.sample(seed: $0) }, seeds, "seeds " + seeds.map(String.init).joined(separator: ","))
}

/// An integer option with bounds, named in the message.
func boundedInt(_ inv: Invocation, _ name: String, default d: Int, in range: ClosedRange<Int>) throws -> Int {
    let v = try inv.int(name, default: d)
    guard range.contains(v) else { throw usageError(inv, "--\(name) must be in \(range.lowerBound)…\(range.upperBound), got \(v)") }
    return v
}

/// `--range R`: how far a figure walks either side of the base latent, in σ.
func sigmaRange(_ inv: Invocation) throws -> Double {
    let range = try inv.double("range", default: 3)
    guard range.isFinite, range >= 0 else { throw usageError(inv, "--range must be a finite number ≥ 0 (in σ), got \(range)") }
    return range
}

// MARK: Base latent

let baseLatentOptions: [Option] = [
    .value("seed", "S", "draw the base latent as numpy.random.RandomState(S).standard_normal(latent shape)", default: "0"),
    .value("latent", "FILE", "use a latent from a .npy (one latent or rows) or a PNG written by zwalk instead of --seed"),
    .value("index", "I", "which row of --latent to use", default: "0"),
]

func baseLatent(_ inv: Invocation, _ session: ModelSession) throws -> BaseLatent {
    guard let path = inv.string("latent") else { return try session.base(seed: seedValue(inv)) }
    if inv.string("seed") != nil { throw usageError(inv, "give --seed or --latent, not both") }
    return try session.base(file: readLatents(path, session), index: inv.int("index", default: 0))
}

/// A latent file, its warning (a PNG of another model) said once.
func readLatents(_ path: String, _ session: ModelSession) throws -> LatentFile {
    let file = try session.readLatents(path)
    if let w = file.warning { note("warning: \(w)") }
    return file
}

// MARK: Directions

let directionSourceOptions: [Option] = [
    .value("directions", "auto|axis|sefa|pca|local|FILE.npy",
           "the directions: computed now by method (see 'zwalk directions --help'), or a set saved by 'zwalk directions'",
           default: "auto (\(DirectionMethod.autoRule))"),
    .value("samples", "N", "axis: prior samples the axes are ranked over; pca: samples whose activations are analysed",
           default: "32 for axis (fewer above 127 dims), 2048 for pca"),
    .value("node", "NAME", "pca: the value whose activations are analysed", default: "the first layer's output"),
    .flag("trust-directions", "accept a direction file made for another model, or a bare .npy without its .json sidecar"),
]

func directionRequest(_ inv: Invocation, seed: UInt32 = 0, count: Int? = nil) throws -> DirectionRequest {
    DirectionRequest(seed: seed, count: count, samples: inv.string("samples") == nil ? nil : try inv.int("samples", default: 0),
                     node: inv.string("node"), sefaNormalize: inv.flag("sefa-normalize"), trustFile: inv.flag("trust-directions"))
}

/// --directions for traverse and slice: a method computed at the base latent (its ranking samples
/// from seed 0, so a traversal's rows do not depend on its --seed), or a saved set.
func walkDirections(_ inv: Invocation, _ session: ModelSession, base: BaseLatent) throws -> (DirectionSet, String) {
    let spelling = inv.string("directions") ?? DirectionSource.default.spelling
    return (try session.directions(DirectionSource.parse(spelling), at: base.values, directionRequest(inv)), spelling)
}

// MARK: Figures and outputs

let figureStyleOptions: [Option] = [
    .value("scale", "N", "enlarge every sample N× (nearest neighbour, so pixels stay crisp)", default: "1"),
    .value("padding", "P", "pixels around and between cells", default: "2"),
    .flag("labels", "label rows and columns (seeds, direction names, steps in σ)"),
]

func figureStyle(_ inv: Invocation) throws -> FigureStyle {
    FigureStyle(scale: try boundedInt(inv, "scale", default: 1, in: 1...64),
                padding: try boundedInt(inv, "padding", default: 2, in: 0...256), labels: inv.flag("labels"))
}

let outputOptions: [Option] = [
    .flag("force", "overwrite existing output files"),
    .value("latents-out", "Z.npy", "also save the latents of every cell, row-major, as (N, latent…) float32"),
]

/// The command line that reproduces this run: `zwalk` and the arguments as given, shell-quoted.
/// The program's own path is left out so the text is the same whichever build ran it.
func reproducingCommand() -> String {
    (["zwalk"] + CommandLine.arguments.dropFirst().map(shellQuote)).joined(separator: " ")
}

/// A figure to --out (.png or .npy) and --latents-out, with what was written said on stderr;
/// `rowSessions` decode a row each (a training run).
func writeFigure(_ spec: FigureSpec, _ session: ModelSession, _ inv: Invocation, out: String, rowSessions: [ModelSession]? = nil) throws {
    note(try session.write(spec, style: figureStyle(inv), to: out, latentsOut: inv.string("latents-out"),
                           command: reproducingCommand(), overwrite: inv.flag("force"), rowSessions: rowSessions))
}

/// The run's checkpoints as sessions, the first being `session` (opened on it), each binding said.
func runSessions(_ run: [String], _ session: ModelSession) throws -> [ModelSession] {
    try [session] + run.dropFirst().map { file in
        let s = try session.withWeights(file)
        if let r = s.weightsReport { note(r) }
        return s
    }
}

/// Refuses a bad --out before the work: an unknown extension, or (untemplated) an existing file.
func precheckOutput(_ out: String, _ inv: Invocation, allowed: [OutputKind] = OutputKind.stills, templated: Bool = false) throws {
    _ = try OutputKind(path: out, allowed: allowed)
    if !templated && !inv.flag("force") && FileManager.default.fileExists(atPath: out) {
        throw FileWriteError.exists(out)
    }
}
