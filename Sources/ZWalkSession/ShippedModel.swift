import Foundation

/// The models that ship with zwalk (`zwalk --model NAME`), and where to find them wherever the
/// binary went: a source checkout, a copied binary, `make install PREFIX=…`, or a data folder the
/// user chose. Each is a decoder ONNX file in `assets/`, with its encoder beside it.
public enum ShippedModel: String, CaseIterable, Sendable {
    /// faces64: procedural cartoon faces, a 16-d Ada-GVAE (assets/README.md).
    case faces
    /// sprites64: one coloured blob on a grey field, a 10-d Ada-GVAE (assets/README.md).
    case sprites

    /// What `zwalk` opens when no model is named; README "Which model zwalk opens" says why.
    public static let standard: ShippedModel = .faces

    public var fileName: String {
        switch self {
        case .faces: return "faces_decoder.onnx"
        case .sprites: return "vae_decoder.onnx"
        }
    }

    /// One line for help texts.
    public var summary: String {
        switch self {
        case .faces: return "procedural cartoon faces, 16-d: head turn, hair colour and length, skin, face width, eye size, background (faces_decoder.onnx)"
        case .sprites: return "one coloured blob on a grey field, 10-d: x, y, size, hue, background (vae_decoder.onnx)"
        }
    }

    /// The file names of every shipped model's decoder and encoder (what `make install` copies).
    public static var allFileNames: [String] {
        allCases.flatMap { [$0.fileName, $0.fileName.replacingOccurrences(of: "_decoder", with: "_encoder")] }
    }

    /// `--model NAME`: a shipped model by name (any case), or an error naming the choices.
    public static func named(_ name: String) throws -> ShippedModel {
        guard let m = ShippedModel(rawValue: name.lowercased()) else {
            throw SessionError.invalidOption("no shipped model is called '\(name)': "
                                             + allCases.map(\.rawValue).joined(separator: " or "))
        }
        return m
    }

    /// The folders searched, in order:
    /// 1. `$ZWALK_ASSETS`, when set (only there: a set variable is a decision);
    /// 2. `assets/` next to the binary, and `../share/zwalk/` (what `make install` lays out);
    /// 3. `$XDG_DATA_HOME/zwalk` (default `~/.local/share/zwalk`), then `/usr/local/share/zwalk`
    ///    and `/usr/share/zwalk`;
    /// 4. `assets/` of the source tree the binary was built in (up to six folders above it).
    public static func searchPath(executable: String, environment: [String: String]) -> [String] {
        if let dir = environment["ZWALK_ASSETS"], !dir.isEmpty { return [dir] }
        let binDir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        var dirs = [binDir.appendingPathComponent("assets").path,
                    binDir.deletingLastPathComponent().appendingPathComponent("share/zwalk").path]
        if let x = environment["XDG_DATA_HOME"], x.hasPrefix("/") {
            dirs.append(x + "/zwalk")
        } else if let h = environment["HOME"], !h.isEmpty {
            dirs.append(h + "/.local/share/zwalk")
        }
        dirs += ["/usr/local/share/zwalk", "/usr/share/zwalk"]
        var up = binDir.deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = up.appendingPathComponent("assets").path
            if !dirs.contains(candidate) { dirs.append(candidate) }
            up.deleteLastPathComponent()
        }
        return dirs
    }

    /// This program's file: Linux names it in /proc/self/exe; argv[0] is only a name when the
    /// binary was found on PATH.
    public static var runningExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// A shipped model's path (the default one's unless named), or an error listing every folder
    /// searched.
    public static func locate(_ model: ShippedModel = standard, executable: String = runningExecutable,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let dirs = searchPath(executable: executable, environment: environment)
        for d in dirs {
            let p = d + "/" + model.fileName
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        throw SessionError.noShippedModel(file: model.fileName, searched: dirs)
    }

    /// Every shipped model that is installed, the default first (where a zwalk picture's model is
    /// looked for).
    public static func installed(executable: String = runningExecutable,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        ([standard] + allCases.filter { $0 != standard }).compactMap {
            try? locate($0, executable: executable, environment: environment)
        }
    }
}
