import Foundation

/// Finds the model that ships with zwalk, wherever the binary went: a source checkout, a copied
/// binary, `make install PREFIX=…`, or a data folder the user chose.
public enum ShippedModel {
    public static let fileName = "vae_decoder.onnx"

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

    /// The shipped model's path, or an error listing every folder searched.
    public static func locate(executable: String = runningExecutable,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let dirs = searchPath(executable: executable, environment: environment)
        for d in dirs {
            let p = d + "/" + fileName
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        throw SessionError.noShippedModel(searched: dirs)
    }
}
