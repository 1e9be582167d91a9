import Foundation
import Testing

/// Every example in every command's `--help` runs as printed: read from the help text itself,
/// run by bash with `zwalk` on PATH (the binary under test), a fresh HOME, and no ZWALK_ASSETS,
/// so the binary finds the shipped model the way it does for a user.
@Suite(.serialized) struct HelpExamplesTests {
    /// The commands the help examples must cover: without examples a newcomer has nothing to copy.
    static let figureCommands = ["sample", "grid", "traverse", "slice", "interpolate", "decode", "directions", "encode", "animate"]

    /// `explore` is not run: it needs a terminal (its help lists keys, not command lines).
    /// `bench` and `bench-ui` are run: on the shipped model they take a few seconds.
    static let notRun: Set<String> = ["explore"]

    /// The names in the 'commands:' section of `zwalk --help`.
    static func commandNames() throws -> [String] {
        let r = try zwalk(["--help"])
        guard r.status == 0 else { return [] }
        var names: [String] = [], inSection = false
        for line in r.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "commands:" { inSection = true; continue }
            guard inSection else { continue }
            guard line.hasPrefix("  "), let name = line.split(separator: " ").first else { break }
            names.append(String(name))
        }
        return names
    }

    /// The lines of `zwalk NAME --help` that start with whitespace and then `zwalk `.
    static func examples(of name: String) throws -> [String] {
        let r = try zwalk([name, "--help"])
        return r.stdout.split(separator: "\n").compactMap { line in
            let text = line.drop { $0 == " " || $0 == "\t" }
            return text.count < line.count && text.hasPrefix("zwalk ") ? String(text) : nil
        }
    }

    static var commandsToRun: [String] { ((try? commandNames()) ?? []).filter { !notRun.contains($0) } }

    @Test func theFigureCommandsHaveExamples() throws {
        let names = try Self.commandNames()
        for name in Self.figureCommands {
            #expect(names.contains(name), "'zwalk --help' does not list \(name)")
            #expect(try !Self.examples(of: name).isEmpty, "'zwalk \(name) --help' has no example")
        }
    }

    /// One fresh folder per command; its examples run in order, so a later one may use what an
    /// earlier one wrote, but never a file another command's examples made.
    @Test(arguments: commandsToRun)
    func examplesRunAsPrinted(command: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bin = dir + "/bin", home = dir + "/home", work = dir + "/work"
        for d in [bin, home, work] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(atPath: bin + "/zwalk", withDestinationPath: zwalkBinary)
        var env = userEnvironment(home: home)
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        for example in try Self.examples(of: command) {
            let r = try runProcess("/bin/bash", ["-c", example], cwd: work, environment: env)
            #expect(r.status == 0, "zwalk \(command) --help example failed (exit \(r.status)):\n  \(example)\n\(r.stderr)")
        }
    }
}
