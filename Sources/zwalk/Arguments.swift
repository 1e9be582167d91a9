import Foundation

/// A command of the `zwalk` executable: its options are data, so `--help`, parsing and error
/// messages all come from the same table.
struct Command {
    let name: String
    let summary: String
    /// Positional arguments as shown in the usage line, e.g. "MODEL".
    let positionals: String
    let options: [Option]
    /// Extra help text after the options (examples, notes).
    var details: String = ""
    let run: (Invocation) throws -> Int32

    var usage: String {
        let opts = options.isEmpty ? "" : " [options]"
        return "zwalk \(name)\(positionals.isEmpty ? "" : " " + positionals)\(opts)"
    }

    var help: String {
        var s = "\(summary)\n\nusage: \(usage)\n"
        if !options.isEmpty {
            s += "\noptions:\n"
            let rows = options.map { o -> (String, String) in
                let left = "  --\(o.name)" + (o.valueName.map { " \($0)" } ?? "")
                let def = o.defaultText.map { " (default: \($0))" } ?? ""
                return (left, o.help + def)
            } + [("  -h, --help", "show this help")]
            let width = min(30, rows.map(\.0.count).max() ?? 0)
            for (l, r) in rows {
                s += l.padding(toLength: max(width, l.count), withPad: " ", startingAt: 0) + "  " + r + "\n"
            }
        }
        if !details.isEmpty { s += "\n" + details + "\n" }
        return s
    }
}

struct Option {
    let name: String
    /// nil for a flag.
    let valueName: String?
    let help: String
    var defaultText: String? = nil
    /// Given more than once, the values add up (`--positive a.png --positive b.png`); any other
    /// option given twice is an error, never a silent choice of the last.
    var repeatable = false

    static func flag(_ name: String, _ help: String) -> Option { Option(name: name, valueName: nil, help: help) }
    static func value(_ name: String, _ valueName: String, _ help: String, default d: String? = nil) -> Option {
        Option(name: name, valueName: valueName, help: help, defaultText: d)
    }
    /// A list option: repeatable, and each value may itself be a comma-separated list.
    static func list(_ name: String, _ valueName: String, _ help: String, default d: String? = nil) -> Option {
        Option(name: name, valueName: valueName, help: help + " (repeatable, or comma-separated)", defaultText: d, repeatable: true)
    }
}

struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Parsed arguments of one command, with typed accessors that produce messages naming the option.
struct Invocation {
    let command: Command
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    init(command: Command, arguments: [String]) throws {
        self.command = command
        var i = 0
        var onlyPositionals = false
        while i < arguments.count {
            let a = arguments[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" { positionals.append(a); continue }
            if a == "--" { onlyPositionals = true; continue }
            var name = String(a.drop(while: { $0 == "-" }))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let opt = command.options.first(where: { $0.name == name }) else {
                let close = command.options.map(\.name).filter { $0.hasPrefix(String(name.prefix(3))) }
                let hint = close.isEmpty ? "" : " (did you mean --\(close[0])?)"
                throw UsageError(message: "zwalk \(command.name): unknown option '\(a)'\(hint); see 'zwalk \(command.name) --help'")
            }
            guard opt.repeatable || (values[name] == nil && !flags.contains(name)) else {
                throw UsageError(message: "zwalk \(command.name): --\(name) is given twice; give it once")
            }
            if opt.valueName == nil {
                guard inline == nil else { throw UsageError(message: "zwalk \(command.name): --\(name) takes no value") }
                flags.insert(name)
            } else if let v = inline {
                values[name, default: []].append(v)
            } else {
                guard i < arguments.count else {
                    throw UsageError(message: "zwalk \(command.name): --\(name) needs a value (\(opt.valueName!))")
                }
                values[name, default: []].append(arguments[i])
                i += 1
            }
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func string(_ name: String) -> String? { values[name]?.last }

    /// Every value of a list option, commas split: `--positive a.png,b.png --positive c.png`.
    func list(_ name: String) -> [String] {
        (values[name] ?? []).flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func int(_ name: String, default d: Int) throws -> Int {
        guard let s = string(name) else { return d }
        guard let v = Int(s) else { throw UsageError(message: "--\(name) must be an integer, got '\(s)'") }
        return v
    }

    func double(_ name: String, default d: Double) throws -> Double {
        guard let s = string(name) else { return d }
        guard let v = Double(s) else { throw UsageError(message: "--\(name) must be a number, got '\(s)'") }
        return v
    }

    /// A comma-separated list of integers ("1,64").
    func ints(_ name: String, default d: [Int]) throws -> [Int] {
        guard let s = string(name) else { return d }
        let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw UsageError(message: "--\(name) must be a comma-separated list of integers, got '\(s)'")
        }
        return parts.map { $0! }
    }

    /// A value from a fixed set: `make` reads the text, `choices` names the set in the error.
    func choice<T>(_ name: String, _ choices: String, _ make: (String) -> T?) throws -> T? {
        guard let s = string(name) else { return nil }
        guard let v = make(s) else { throw UsageError(message: "zwalk \(command.name): --\(name) must be \(choices), got '\(s)'") }
        return v
    }

    func required(_ name: String) throws -> String {
        guard let v = string(name) else { throw UsageError(message: "zwalk \(command.name): --\(name) is required; see 'zwalk \(command.name) --help'") }
        return v
    }

    /// Positional argument `i`, or `fallback` when absent (nil fallback: required).
    func positional(_ i: Int, _ what: String, fallback: String? = nil) throws -> String {
        if i < positionals.count { return positionals[i] }
        if let f = fallback { return f }
        throw UsageError(message: "zwalk \(command.name): missing \(what); usage: \(command.usage)")
    }
}

/// Messages for people go to stderr; stdout carries only the command's data.
func note(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

var stderrIsTerminal: Bool { isatty(2) != 0 }

/// The session's progress reports drawn as a bar on stderr, only when stderr is a terminal.
final class ProgressBar {
    private var lastDraw = Date.distantPast

    func report(_ label: String, _ done: Int, _ total: Int) {
        guard stderrIsTerminal, Date().timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
        lastDraw = Date()
        let width = 30, filled = min(width, width * done / max(total, 1))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write("\r\(label) \(bar) \(done)/\(total)\(done >= total ? "\n" : "")".data(using: .utf8)!)
    }
}
