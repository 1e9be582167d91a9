import Testing
@testable import ZWalkTUI

@Suite struct CommandTests {
    struct C: Sendable, CustomTestStringConvertible {
        let text: String, want: Command
        var testDescription: String { text }
    }

    @Test(arguments: [
        C(text: ":seed 42", want: .seed(42)),
        C(text: "seed 4294967295", want: .seed(4_294_967_295)),
        C(text: ":export x.png", want: .export(path: "x.png", overwrite: false)),
        C(text: ":export", want: .export(path: nil, overwrite: false)),
        C(text: ":export! out/my picture.png", want: .export(path: "out/my picture.png", overwrite: true)),
        C(text: ":export \"a b.png\"", want: .export(path: "a b.png", overwrite: false)),
        C(text: ":theme light", want: .theme("light")),
        C(text: ":theme ~/t/x.theme", want: .theme("~/t/x.theme")),
        C(text: ":directions sefa", want: .directions(.sefa)),
        C(text: ":directions PCA", want: .directions(.pca)),
        C(text: ":dir local", want: .directions(.local)),
        C(text: ":directions axis", want: .directions(.axis)),
        C(text: ":directions dirs/smile.npy", want: .directions(.file("dirs/smile.npy"))),
        C(text: ":q", want: .quit),
        C(text: "  :quit  ", want: .quit),
        C(text: ":psi 0.7", want: .psi(0.7)),
        C(text: ":step 0.5", want: .stepSize(0.5)),
        C(text: ":blocks sextant", want: .blocks(.sextant)),
        C(text: ":color 256", want: .color(.ansi256)),
        C(text: ":dither diffusion", want: .dither(.diffusion)),
        C(text: ":help", want: .help),
    ])
    func parses(c: C) throws {
        #expect(try CommandParser.parse(c.text).get() == c.want)
    }

    struct E: Sendable, CustomTestStringConvertible {
        let text: String, mentions: String
        var testDescription: String { text }
    }

    @Test(arguments: [
        E(text: ":seed", mentions: "usage: :seed N"),
        E(text: ":seed -1", mentions: "whole number"),
        E(text: ":seed 4294967296", mentions: "whole number"),
        E(text: ":seed abc", mentions: "'abc'"),
        E(text: ":export!", mentions: "needs a path"),
        E(text: ":theme", mentions: "usage: :theme"),
        E(text: ":directions", mentions: "usage: :directions"),
        E(text: ":psi much", mentions: "ψ must be a number"),
        E(text: ":step -1", mentions: "positive"),
        E(text: ":blocks round", mentions: "usage: :blocks"),
        E(text: ":color many", mentions: "usage: :color"),
        E(text: ":frobnicate", mentions: "unknown command ':frobnicate'"),
        E(text: ":", mentions: "empty command"),
    ])
    func rejectsWithAReason(e: E) {
        switch CommandParser.parse(e.text) {
        case .success(let c): Issue.record("'\(e.text)' parsed as \(c)")
        case .failure(let err): #expect(err.message.contains(e.mentions), "\(err.message)")
        }
    }

    @Test func everyCommandInTheTableParses() {
        let examples = ["seed": "seed 1", "export": "export a.png", "w": "w a.png", "export!": "export! a.png", "w!": "w! a.png",
                        "theme": "theme dark", "directions": "directions pca", "dir": "dir pca", "psi": "psi 1",
                        "step": "step 1", "blocks": "blocks half", "color": "color 16", "colour": "colour 16",
                        "dither": "dither none", "help": "help", "q": "q", "quit": "quit", "pin": "pin", "unpin": "unpin",
                        "clear": "clear", "interpolate": "interpolate", "interp": "interp", "play": "play", "speed": "speed 2",
                        "gallery": "gallery", "preview": "preview 1", "map": "map 0 2", "mark": "mark face", "go": "go face",
                        "marks": "marks", "unmark": "unmark face", "label": "label smile +", "attribute": "attribute smile",
                        "anim": "anim a.gif", "anim!": "anim! a.gif",
                        "open": "open z.png", "weights": "weights w.safetensors"]
        for spec in CommandParser.specs {
            for n in spec.names {
                guard let ex = examples[n] else { Issue.record("no example for :\(n)"); continue }
                #expect((try? CommandParser.parse(ex).get()) != nil, ":\(n)")
            }
        }
    }
}
