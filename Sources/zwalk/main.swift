import Foundation
import ZWalkEngine
import ZWalkLatent
import ZWalkSession

// zwalk's entry point: parse the command, call into the library, turn errors into one clear
// line on stderr and an exit status (0 ok, 1 failed, 2 usage).

let commands: [Command] = [
    exploreCommand, benchUICommand,
    infoCommand, decodeCommand, benchCommand, opsCommand,
    sampleCommand, gridCommand, traverseCommand, interpolateCommand, sliceCommand, directionsCommand, encodeCommand,
    animateCommand,
]

func topLevelHelp() -> String {
    var s = """
    zwalk — explore the latent space of a generative image model, in the terminal.

    usage: zwalk [MODEL.onnx] [options]      open the explorer (default: a shipped model, below)
           zwalk COMMAND [args] [options]    run a command without a terminal
           zwalk [COMMAND] --server URL --model NAME …
                                             the same on a model an inference server runs
                                             (Open Inference Protocol: Triton, KServe, MLServer)

    shipped models, for --model NAME in place of MODEL.onnx (any command):

    """
    for m in ShippedModel.allCases {
        s += "  " + m.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + m.summary
            + (m == ShippedModel.standard ? ", the default" : "") + "\n"
    }
    s += "\ncommands:\n"
    let width = commands.map(\.name.count).max() ?? 8
    for c in commands { s += "  " + c.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + c.summary + "\n" }
    s += "\n'zwalk COMMAND --help' shows a command's options."
    return s
}

func runMain(_ args: [String]) -> Int32 {
    if args.first == "--help" || args.first == "-h" || args.first == "help" {
        print(topLevelHelp()); return 0
    }
    // `zwalk`, `zwalk MODEL.onnx`, `zwalk --seed 3`: the explorer. `zwalk COMMAND …`: a command.
    var args = args
    if let first = args.first, !first.hasPrefix("-"), !commands.contains(where: { $0.name == first }),
       !first.contains("."), !first.contains("/"), !FileManager.default.fileExists(atPath: first) {
        note("zwalk: '\(first)' is neither a command nor a model file; see 'zwalk --help'")
        return 2
    }
    if args.first.map({ name in !commands.contains { $0.name == name } }) ?? true {
        args.insert(exploreCommand.name, at: 0)
    }
    let name = args[0]
    let command = commands.first { $0.name == name }!
    let rest = Array(args.dropFirst())
    if rest.contains("--help") || rest.contains("-h") { print(command.help); return 0 }
    do {
        let inv = try Invocation(command: command, arguments: rest)
        return try command.run(inv)
    } catch let e as UsageError {
        note(e.message); return 2
    } catch let e as SessionError {
        // A value the user gave that the core refused (an output name, a direction method): usage.
        switch e {
        case .invalidOption, .unknownOutputKind: note("zwalk \(name): \(e)"); return 2
        default: note("zwalk \(name): \(e)\(hint(for: e))"); return 1
        }
    } catch {
        note("zwalk \(name): \(error)\(hint(for: error))"); return 1
    }
}

/// The library's errors name no flags; the command line adds the one that helps.
func hint(for error: Error) -> String {
    switch error {
    case FileWriteError.exists: return " (pass --force to overwrite)"
    case LatentError.mismatchedDirections: return "; pass --trust-directions to use it anyway"
    case LatentError.unsupportedModel(let m) where m.contains("zwalk.prior"): return "; pass --prior"
    case SessionError.noEncoder: return "; pass --encoder FILE.onnx"
    default: return ""
    }
}

let status = runMain(Array(CommandLine.arguments.dropFirst()))
// _exit, not exit: exit runs the libraries' destructors, and OpenBLAS's joins its worker threads,
// which deadlocks when another thread is inside an OpenBLAS call at that moment (the explorer
// quitting while its directions thread ranks the axes hung there). Everything zwalk writes is
// closed by now (files are renamed into place); only stdio buffers remain, so flush them.
fflush(nil)
_exit(status)
