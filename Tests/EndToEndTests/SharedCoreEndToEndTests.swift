import Foundation
import Testing
import TestSupport
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

// The explorer and the commands open a model through one core: the same weights give the same
// fingerprint, the same direction sets are accepted, and their PNGs carry the same keys in the
// same format, so a picture found in the explorer is reproduced by a command.

extension ExplorerEndToEndTests {
    @Test func explorerWithWeightsExportsWhatTheCommandsReproduce() throws {
        let dir = try temporaryDirectory()
        let weights = dir + "/w.safetensors"
        try writeScaledWeights(of: model, by: 0.8, to: weights)
        // A direction set made by the command line with these weights…
        let made = try zwalk(["directions", model, "--weights", weights, "--method", "sefa", "--count", "4", "--out", "d.npy"], cwd: dir)
        #expect(made.status == 0, "\(made.stderr)")

        // …is accepted by the explorer opened with the same weights (it names the set in its panel).
        let tmux = try start(dir, "--weights \(weights) --directions d.npy --seed 5", directions: "d.npy")
        defer { tmux.close() }
        let screen = try tmux.waitFor("the set from d.npy") { $0.contains("d.npy") }
        #expect(!screen.contains("cannot"), "the explorer refused the set:\n\(screen)")
        try tmux.keys("l", "l", "j", "h")
        _ = try tmux.waitFor("a step back on the second direction") { $0.contains("−0.25σ") }
        usleep(300_000)
        try tmux.keys("e")
        _ = try tmux.waitFor("the export message") { $0.contains(".png") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)

        let pngs = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".png") }
        let exported = dir + "/" + (try #require(pngs.first, "no PNG exported"))
        let (image, text) = try PNGCodec.read(path: exported)
        typealias Key = PNGMetadata.Key
        // The fingerprint includes the weights, as the commands record it.
        #expect(text[Key.modelSHA256] == (try SHA256.hash(file: model)))
        #expect(text[Key.weightsSHA256] == (try SHA256.hash(file: weights)))
        // zwalk.direction and zwalk.step are JSON, as in the commands' figures: the walked rows of
        // the set with their vectors, and how far along each.
        let directionText = try #require(text[Key.direction]), stepText = try #require(text[Key.step])
        let direction = try #require(try JSONSerialization.jsonObject(with: Data(directionText.utf8)) as? [String: Any])
        let rows = try #require(direction["rows"] as? [[String: Any]])
        #expect(rows.compactMap { $0["index"] as? Int } == [0, 1] && rows.allSatisfy { ($0["vector"] as? [Double])?.count == 10 })
        let steps = try #require(try JSONSerialization.jsonObject(with: Data(stepText.utf8)) as? [Double])
        #expect(steps.count == 2 && steps[0] > 0 && steps[1] < 0, "steps: \(steps)")

        // The same keys in the same format as a command's PNG: every key is a documented one, and
        // those a one-picture command writes are all there.
        _ = try zwalk(["sample", model, "--weights", weights, "--seed", "5", "--out", "cmd.png"], cwd: dir)
        let commandKeys = Set(try PNGCodec.read(path: dir + "/cmd.png").text.keys)
        let documented = Set(Key.all.map(\.key))
        #expect(Set(text.keys).isSubset(of: documented), "undocumented: \(Set(text.keys).subtracting(documented))")
        #expect(commandKeys.subtracting([Key.seeds]).isSubset(of: Set(text.keys)), "missing: \(commandKeys.subtracting(text.keys))")

        // `zwalk decode --weights … --latents that.png` reproduces its pixels…
        let again = try zwalk(["decode", model, "--weights", weights, "--latents", exported, "--out", "again.png"], cwd: dir)
        #expect(again.status == 0 && !again.stderr.contains("warning"), "\(again.stderr)")
        #expect(try PNGCodec.read(path: dir + "/again.png").image.toRGB().pixels == image.toRGB().pixels,
                "decoding the exported latent with the same weights gives another picture")
        // …and so does the command the PNG records, run as written.
        let recorded = try #require(text[Key.command])
        #expect(recorded.contains("--weights"), "\(recorded)")
        let bin = dir + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/zwalk", withDestinationPath: zwalkBinary)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", recorded]
        shell.currentDirectoryURL = URL(fileURLWithPath: dir)
        shell.environment = ProcessInfo.processInfo.environment.merging(["PATH": bin + ":/usr/bin:/bin"]) { $1 }
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0, "'\(recorded)' failed")
        #expect(try PNGCodec.read(path: dir + "/image.png").image.toRGB().pixels == image.toRGB().pixels)

        // Without the weights, the explorer's latent is still read, with a warning naming them.
        let plain = try zwalk(["decode", model, "--latents", exported, "--out", "plain.png"], cwd: dir)
        #expect(plain.status == 0 && plain.stderr.contains("warning") && plain.stderr.contains("weights"), "\(plain.stderr)")
    }
}
