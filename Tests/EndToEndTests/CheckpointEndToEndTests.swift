import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent
import TestSupport

/// PyTorch checkpoints through the release binary: --weights FILE on a command, and a training run
/// (--weights DIR or a glob) as a grid with a row per checkpoint.
@Suite struct CheckpointEndToEndTests {
    let dir = repoRoot.appendingPathComponent("Tests/Fixtures/checkpoints").path
    var model: String { dir + "/decoder.onnx" }
    let run = ["epoch_1.pth", "epoch_2.pth", "epoch_10.pth"]

    @Test func decodeWithACheckpointMatchesOnnxruntime() throws {
        let out = try temporaryDirectory() + "/y.npy"
        let r = try zwalk(["decode", model, "--weights", dir + "/vae_lightning.ckpt", "--latents", dir + "/z.npy", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("bound 8 initializer(s) from vae_lightning.ckpt (6 by name suffix, 2 by BatchNorm fold); 32 tensor(s) in the file unused"))
        let c = compare(try NPY.read(path: out), try NPY.read(path: dir + "/expected/vae_lightning.ckpt.npy"), rtol: 0, atol: 1e-5)
        #expect(c.ok, "\(c)")
    }

    @Test func aGridOfATrainingRunHasARowPerCheckpointInNaturalOrder() throws {
        let tmp = try temporaryDirectory()
        let r = try zwalk(["grid", model, "--weights", dir + "/run", "--seed", "3", "--cols", "2", "--out", tmp + "/run.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let grid = try NPY.read(path: tmp + "/run.npy")
        #expect(grid.shape == [6, 3, 8, 8])
        // Row r is what `zwalk sample` makes of seeds 3, 4 with that checkpoint alone.
        for (row, file) in run.enumerated() {
            let s = try zwalk(["sample", model, "--weights", dir + "/run/" + file, "--seed", "3", "--count", "2", "--out", tmp + "/\(file).npy"])
            #expect(s.status == 0, "\(s.stderr)")
            let want = try NPY.read(path: tmp + "/\(file).npy").floatArray
            #expect(Array(grid.floatArray[(row * want.count)..<((row + 1) * want.count)]) == want, "row \(row) is not \(file)")
        }
        // A quoted glob is the same run; the PNG lists the checkpoints and their sha256.
        let g = try zwalk(["grid", model, "--weights", dir + "/run/*.pth", "--cols", "3", "--labels", "--out", tmp + "/run.png"])
        #expect(g.status == 0 && g.stderr.contains("checkpoints, 3×3 cells"), "\(g.stderr)")
        let (_, text) = try PNGCodec.read(path: tmp + "/run.png")
        let figure = text[PNGMetadata.Key.figure] ?? ""
        #expect(figure.contains(#""checkpoints":["epoch_1.pth","epoch_2.pth","epoch_10.pth"]"#), "\(figure)")
        let sha = try SHA256.hash(file: dir + "/run/epoch_10.pth")
        #expect(figure.contains(sha))
        #expect(text[PNGMetadata.Key.command]?.contains("--weights") == true)
    }

    @Test func wrongInputsAreClearErrors() throws {
        let tmp = try temporaryDirectory()
        let rows = try zwalk(["grid", model, "--weights", dir + "/run", "--rows", "2", "--out", tmp + "/a.png"])
        #expect(rows.status == 2 && rows.stderr.contains("the rows are its 3 checkpoint(s)"), "\(rows.stderr)")
        let sample = try zwalk(["sample", model, "--weights", dir + "/run", "--out", tmp + "/b.png"])
        #expect(sample.status == 2 && sample.stderr.contains("names a training run of 3 checkpoints"), "\(sample.stderr)")
        let evil = try zwalk(["info", model, "--weights", dir + "/evil.pt"])
        #expect(evil.status == 1 && evil.stderr.contains("refuses global 'posix.system'"), "\(evil.stderr)")
        let none = try zwalk(["grid", model, "--weights", tmp + "/nothing/*.pt", "--out", tmp + "/c.png"])
        #expect(none.status == 2 && none.stderr.contains("no file matches the pattern"), "\(none.stderr)")
        let info = try zwalk(["info", model, "--weights", dir + "/vae_full.pth"])
        #expect(info.status == 0 && info.stdout.contains("onnx::Conv_25 ← decoder.conv.weight (BatchNorm folded into the convolution)"), "\(info.stdout)")
        #expect(info.stdout.contains("skipped      4 tensor(s) of the file the graph does not use: encoder.* 4"))
    }

    /// The explorer on a run: > and < move between checkpoints with the same latent; an export
    /// records the checkpoint on screen, and decodes again with it.
    @Test func theExplorerWalksTheRunKeepingTheLatent() throws {
        let tmp = try temporaryDirectory()
        let tmux = try TmuxSession(width: 100, height: 30,
                                   command: "\(zwalkBinary) \(model) --weights \(dir)/run --seed 3 --color 256 --export-dir \(tmp)", cwd: tmp)
        defer { tmux.close() }
        _ = try tmux.waitFor("the first checkpoint's frame", timeout: 60) { $0.contains("epoch_1.pth 1/3") && $0.contains("▀") && $0.contains("ms") }
        try tmux.keys("<")
        _ = try tmux.waitFor("the first checkpoint, still") { $0.contains("the first checkpoint") }
        try tmux.keys(">")
        _ = try tmux.waitFor("the second checkpoint") { $0.contains("epoch_2.pth 2/3") }
        try tmux.keys(">", ">")
        _ = try tmux.waitFor("the last checkpoint") { $0.contains("epoch_10.pth 3/3") && $0.contains("the last checkpoint") }
        usleep(300_000)
        try tmux.keys("e")
        _ = try tmux.waitFor("the export message") { $0.contains(".png") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
        let png = tmp + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: tmp).first { $0.hasSuffix(".png") }))
        let (image, text) = try PNGCodec.read(path: png)
        #expect(text[PNGMetadata.Key.weightsSHA256] == (try SHA256.hash(file: dir + "/run/epoch_10.pth")))
        #expect(text[PNGMetadata.Key.seeds] == "[3]")
        let again = try zwalk(["decode", model, "--weights", dir + "/run/epoch_10.pth", "--latents", png, "--out", tmp + "/again.png"])
        #expect(again.status == 0 && !again.stderr.contains("warning"), "\(again.stderr)")
        #expect(try PNGCodec.read(path: tmp + "/again.png").image.toRGB().pixels == image.toRGB().pixels)
    }
}
