// The `:` command line. Commands are a table like the keys, so `:help` and the help overlay list
// exactly what the parser accepts.

public enum Command: Equatable, Sendable {
    case seed(UInt32)
    /// nil path: the next free `zwalk-<seed>-<n>.png`.
    case export(path: String?, overwrite: Bool)
    /// `:export PATH N`: the interpolation path as a strip of N cells.
    case exportPath(path: String?, overwrite: Bool, steps: Int)
    case pin
    case unpin
    case clearKeyframes
    case interpolate
    /// Interpolate mode, playing (or paused when it plays).
    case play
    /// Playing speed in segments per second.
    case speed(Double)
    /// A gallery of seeds from the current one, or of a latent file's rows.
    case gallery(String?)
    /// The preview of direction I (nil: the chosen one).
    case preview(Int?)
    /// The map of directions X and Y (nil: the chosen one and the next).
    case map(Int?, Int?)
    /// `:anim PATH [FRAMES]`: the path (interpolating) or a sweep of the direction as an
    /// animated PNG or GIF.
    case anim(path: String, overwrite: Bool, frames: Int?)
    case mark(String)
    /// `:open PATH`: a model (.onnx), or a latent file (a zwalk PNG/GIF, a .npy).
    case open(String)
    /// `:weights PATH|none`: the model open now with other weights (none: its own).
    case weights(String?)
    case unmark(String)
    case go(String)
    case marks
    /// Label the picture as having (true) or lacking (false) the attribute.
    case label(String, Bool)
    /// Build the attribute's direction from its labels and add it to the panel.
    case attribute(String)
    case theme(String)
    case directions(DirectionSource)
    case psi(Float)
    case stepSize(Float)
    case blocks(BlockStyle)
    case color(ColorMode)
    case dither(Dither)
    case help
    case quit
}

public struct CommandSpec: Sendable {
    public let names: [String]
    public let usage: String
    public let description: String
}

public struct CommandError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public enum CommandParser {
    public static let specs: [CommandSpec] = [
        CommandSpec(names: ["seed"], usage: ":seed N", description: "sample the latent of seed N (0…4294967295)"),
        CommandSpec(names: ["export", "w"], usage: ":export [PATH]", description: "write the image as PNG; refuses an existing file"),
        CommandSpec(names: ["export!", "w!"], usage: ":export! PATH", description: "write the image as PNG, replacing PATH"),
        CommandSpec(names: ["export", "w"], usage: ":export PATH N",
                    description: "interpolating: the path as a strip of N cells (default 8), as zwalk interpolate"),
        CommandSpec(names: ["pin"], usage: ":pin", description: "pin the picture as the next keyframe (A, B, C…)"),
        CommandSpec(names: ["unpin"], usage: ":unpin", description: "unpin the last keyframe"),
        CommandSpec(names: ["clear"], usage: ":clear", description: "unpin every keyframe"),
        CommandSpec(names: ["interpolate", "interp"], usage: ":interpolate", description: "interpolate between the keyframes (i)"),
        CommandSpec(names: ["play"], usage: ":play", description: "interpolate and play (again: pause)"),
        CommandSpec(names: ["speed"], usage: ":speed X", description: "playing speed in segments per second"),
        CommandSpec(names: ["gallery"], usage: ":gallery [FILE]", description: "a gallery of samples from this seed, or of a .npy / zwalk PNG's latents"),
        CommandSpec(names: ["preview"], usage: ":preview [I]", description: "direction I (0-based; default the chosen one) on several samples"),
        CommandSpec(names: ["map"], usage: ":map [X Y]", description: "2-D map of directions X and Y (0-based; default the chosen one and the next)"),
        CommandSpec(names: ["anim", "anim!"], usage: ":anim PATH.png|PATH.gif [FRAMES]",
                    description: "animate the path (interpolating) or a ±2σ sweep of the direction, as zwalk animate (! replaces)"),
        CommandSpec(names: ["open"], usage: ":open FILE",
                    description: "a model (.onnx) to explore instead, or a zwalk PNG/GIF or .npy: its latent (several: a gallery)"),
        CommandSpec(names: ["weights"], usage: ":weights FILE|none", description: "the same model with these weights (none: its own), the latent kept"),
        CommandSpec(names: ["mark"], usage: ":mark NAME", description: "bookmark the picture as NAME (saved for this model)"),
        CommandSpec(names: ["go"], usage: ":go NAME", description: "go to bookmark NAME"),
        CommandSpec(names: ["marks"], usage: ":marks", description: "list the bookmarks"),
        CommandSpec(names: ["unmark"], usage: ":unmark NAME", description: "delete bookmark NAME"),
        CommandSpec(names: ["label"], usage: ":label NAME +|-", description: "label the picture as having (+) or lacking (−) attribute NAME"),
        CommandSpec(names: ["attribute"], usage: ":attribute NAME",
                    description: "build NAME's direction from its labels (2+ of each) and add it to the directions"),
        CommandSpec(names: ["theme"], usage: ":theme NAME|FILE", description: "switch theme (dark, light, high-contrast, mono, yours)"),
        CommandSpec(names: ["directions", "dir"], usage: ":directions axis|sefa|pca|local|FILE.npy", description: "choose the direction set"),
        CommandSpec(names: ["psi"], usage: ":psi X", description: "truncation ψ (0…2)"),
        CommandSpec(names: ["step"], usage: ":step X", description: "step size in σ"),
        CommandSpec(names: ["blocks"], usage: ":blocks half|quadrant|sextant", description: "how cells split into pixels"),
        CommandSpec(names: ["color", "colour"], usage: ":color truecolor|256|16|mono", description: "colour mode"),
        CommandSpec(names: ["dither"], usage: ":dither auto|ordered|diffusion|none", description: "dithering in 256/16 colours (auto: none in 256, ordered in 16)"),
        CommandSpec(names: ["help"], usage: ":help", description: "show the help"),
        CommandSpec(names: ["q", "quit"], usage: ":q", description: "quit"),
    ]

    public static func parse(_ input: String) -> Result<Command, CommandError> {
        var line = Substring(input).drop { $0 == " " || $0 == "\t" }
        if line.hasPrefix(":") { line = line.dropFirst() }
        let trimmed = line.trimmingWhitespace()
        guard !trimmed.isEmpty else { return .failure(CommandError(message: "empty command (try :help)")) }
        let name: String, arg: String
        if let sp = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) {
            name = String(trimmed[..<sp]).lowercased()
            arg = unquote(String(trimmed[sp...]).trimmingWhitespace())
        } else {
            name = trimmed.lowercased(); arg = ""
        }
        func usage(_ n: String) -> CommandError {
            let u = specs.first { $0.names.contains(n) }?.usage ?? ":\(n)"
            return CommandError(message: "usage: \(u)")
        }
        switch name {
        case "q", "quit", "q!", "exit":
            return .success(.quit)
        case "help", "h":
            return .success(.help)
        case "seed":
            guard !arg.isEmpty else { return .failure(usage("seed")) }
            guard let s = UInt32(arg) else {
                return .failure(CommandError(message: "seed must be a whole number 0…4294967295, got '\(arg)'"))
            }
            return .success(.seed(s))
        case "export", "w", "export!", "w!":
            let overwrite = name.hasSuffix("!")
            // A last word that is a number is the strip's cell count: `:export strip.png 8`.
            if let sp = arg.lastIndex(where: { $0 == " " || $0 == "\t" }), let n = Int(arg[arg.index(after: sp)...]) {
                guard (2...4096).contains(n) else { return .failure(CommandError(message: "a strip has 2…4096 cells, got \(n)")) }
                return .success(.exportPath(path: unquote(String(arg[..<sp]).trimmingWhitespace()), overwrite: overwrite, steps: n))
            }
            guard !overwrite || !arg.isEmpty else { return .failure(CommandError(message: ":export! needs a path (it replaces that file)")) }
            return .success(.export(path: arg.isEmpty ? nil : arg, overwrite: overwrite))
        case "pin": return .success(.pin)
        case "unpin": return .success(.unpin)
        case "clear": return .success(.clearKeyframes)
        case "interpolate", "interp": return .success(.interpolate)
        case "play": return .success(.play)
        case "speed":
            guard let v = Double(arg), v.isFinite, v > 0 else {
                return .failure(CommandError(message: "speed must be a positive number of segments per second, got '\(arg)'"))
            }
            return .success(.speed(v))
        case "gallery":
            return .success(.gallery(arg.isEmpty ? nil : arg))
        case "preview":
            guard !arg.isEmpty else { return .success(.preview(nil)) }
            guard let i = Int(arg), i >= 0 else { return .failure(CommandError(message: "usage: :preview [I], I a direction number from 0, got '\(arg)'")) }
            return .success(.preview(i))
        case "map":
            let words = arg.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            guard !words.isEmpty else { return .success(.map(nil, nil)) }
            guard words.count == 2, let x = Int(words[0]), let y = Int(words[1]), x >= 0, y >= 0 else {
                return .failure(CommandError(message: "usage: :map [X Y], two direction numbers from 0, got '\(arg)'"))
            }
            return .success(.map(x, y))
        case "anim", "anim!":
            var path = arg
            var frames: Int? = nil
            if let sp = arg.lastIndex(where: { $0 == " " || $0 == "\t" }), let n = Int(arg[arg.index(after: sp)...]) {
                guard (2...4096).contains(n) else { return .failure(CommandError(message: "an animation has 2…4096 frames, got \(n)")) }
                frames = n
                path = unquote(String(arg[..<sp]).trimmingWhitespace())
            }
            guard !path.isEmpty else { return .failure(usage("anim")) }
            return .success(.anim(path: path, overwrite: name.hasSuffix("!"), frames: frames))
        case "open":
            guard !arg.isEmpty else { return .failure(usage("open")) }
            return .success(.open(arg))
        case "weights":
            guard !arg.isEmpty else { return .failure(usage("weights")) }
            return .success(.weights(arg.lowercased() == "none" ? nil : arg))
        case "mark", "unmark", "go", "attribute":
            guard !arg.isEmpty else { return .failure(usage(name)) }
            guard arg.unicodeScalars.count <= 64, !arg.unicodeScalars.contains(where: { $0.value < 32 }) else {
                return .failure(CommandError(message: "a name is 1…64 printable characters"))
            }
            switch name {
            case "mark": return .success(.mark(arg))
            case "unmark": return .success(.unmark(arg))
            case "go": return .success(.go(arg))
            default: return .success(.attribute(arg))
            }
        case "marks":
            return .success(.marks)
        case "label":
            let words = arg.split(separator: " ").map(String.init)
            guard words.count >= 2, let sign = words.last, sign == "+" || sign == "-" || sign == "−" else { return .failure(usage("label")) }
            return .success(.label(words.dropLast().joined(separator: " "), sign == "+"))
        case "theme":
            guard !arg.isEmpty else { return .failure(usage("theme")) }
            return .success(.theme(arg))
        case "directions", "dir":
            guard !arg.isEmpty else { return .failure(usage("directions")) }
            return .success(.directions(DirectionSource.parse(arg)))
        case "psi", "ψ":
            guard let v = Float(arg), v.isFinite else { return .failure(CommandError(message: "ψ must be a number in 0…2, got '\(arg)'")) }
            return .success(.psi(v))
        case "step":
            guard let v = Float(arg), v.isFinite, v > 0 else {
                return .failure(CommandError(message: "step must be a positive number of σ, got '\(arg)'"))
            }
            return .success(.stepSize(v))
        case "blocks":
            guard let b = BlockStyle(name: arg) else { return .failure(usage("blocks")) }
            return .success(.blocks(b))
        case "color", "colour":
            guard case .fixed(let m)? = ColorChoice(arg) else { return .failure(usage("color")) }
            return .success(.color(m))
        case "dither":
            guard let d = Dither(rawValue: arg.lowercased()) else { return .failure(usage("dither")) }
            return .success(.dither(d))
        default:
            return .failure(CommandError(message: "unknown command ':\(name)' (try :help)"))
        }
    }

    private static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == s.last, f == "\"" || f == "'" { return String(s.dropFirst().dropLast()) }
        return s
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
