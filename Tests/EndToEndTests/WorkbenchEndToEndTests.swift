import Foundation
import Testing
import ZWalkImage
import TestSupport

// The workbench modes in a real terminal: a gallery, a direction preview and a 2-D map, each
// exported and found equal, pixel for pixel and key for key, to what the command it records
// writes; bookmarks and labels kept in the workbench file across runs and across a kill -9.

extension ExplorerEndToEndTests {
    /// Runs the `zwalk.command` a PNG records, its `--out` pointed at `out`, with the binary under
    /// test as `zwalk`, and compares the two files: pixels and every metadata key but the command.
    func expectRecordedCommandMakesTheSame(_ png: String, dir: String, out: String = "ref.png") throws {
        let (image, text) = try PNGCodec.read(path: png)
        let command = try #require(text[PNGMetadata.Key.command], "\(png) records no command")
        let range = try #require(command.range(of: #"--out ('[^']*'|\S+)$"#, options: .regularExpression), "no --out in \(command)")
        let rerun = command.replacingCharacters(in: range, with: "--out \(out)")
        let binDir = URL(fileURLWithPath: zwalkBinary).deletingLastPathComponent().path
        let r = try runProcess("/bin/bash", ["-c", rerun], cwd: dir,
                               environment: ["PATH": binDir + ":/usr/bin:/bin", "HOME": dir])
        #expect(r.status == 0, "\(rerun): \(r.stderr)")
        let (refImage, refText) = try PNGCodec.read(path: dir + "/" + out)
        #expect(image.width == refImage.width && image.height == refImage.height, "\(rerun)")
        #expect(image.toRGB().pixels == refImage.toRGB().pixels, "\(png) has other pixels than \(rerun)")
        for key in Set(refText.keys).union(text.keys) where key != PNGMetadata.Key.command {
            #expect(text[key] == refText[key], "\(key): explorer \(text[key]?.prefix(120) ?? "none"), command \(refText[key]?.prefix(120) ?? "none")")
        }
    }

    func exported(_ dir: String, prefix: String) throws -> String? {
        try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix(prefix) && $0.hasSuffix(".png") }.map { dir + "/" + $0 }
    }

    @Test func galleryPagesExploresAndExportsTheGridOfItsSeeds() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir, width: 120, height: 36, "--seed 10")
        defer { tmux.close() }
        try tmux.keys("g")
        let page = try tmux.waitFor("a page of decoded samples") { $0.contains("gallery page 1") && $0.contains(" tiles ·") }
        #expect(page.contains("seed 10") && page.contains("seed 11"), "captions:\n\(page)")
        let tiles = page.range(of: #"(\d+) tiles"#, options: .regularExpression).map { Int(page[$0].split(separator: " ")[0]) ?? 0 } ?? 0
        #expect(tiles >= 10, "a 120×36 screen holds a page of tiles:\n\(page)")

        try tmux.keys("e")
        _ = try tmux.waitFor("the page exported") { $0.contains("wrote zwalk-gallery-10-1.png") }
        try expectRecordedCommandMakesTheSame(try #require(try exported(dir, prefix: "zwalk-gallery-10")), dir: dir)

        // n: the next page starts where this one ended; Enter explores the tile under the cursor.
        try tmux.keys("n")
        _ = try tmux.waitFor("page 2") { $0.contains("gallery page 2") && $0.contains(" tiles ·") }
        try tmux.keys("l", "Enter")
        let walking = try tmux.waitFor("walking the chosen sample") { $0.contains("exploring seed") && $0.contains("Directions") }
        #expect(!walking.contains("gallery"), "\(walking)")
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }

    @Test func previewAndMapExportWhatTraverseAndSliceWrite() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir, width: 120, height: 36, "--seed 3")
        defer { tmux.close() }
        try tmux.keys("j", "v")
        let preview = try tmux.waitFor("the preview decoded") { $0.contains("preview") && $0.contains("28 tiles") }
        #expect(preview.contains("seed 4") && preview.contains("+2.00σ"), "\(preview)")
        try tmux.keys("e")
        _ = try tmux.waitFor("the preview exported") { $0.contains("wrote zwalk-preview-") }
        let p = try #require(try exported(dir, prefix: "zwalk-preview-"))
        #expect(try PNGCodec.read(path: p).1[PNGMetadata.Key.command]?.contains("traverse") == true)
        try expectRecordedCommandMakesTheSame(p, dir: dir, out: "ref-preview.png")

        try tmux.keys("x")
        _ = try tmux.waitFor("the map decoded") { $0.contains("map x") && $0.contains("25 tiles") }
        try tmux.keys("+", "e")
        _ = try tmux.waitFor("the map exported") { $0.contains("wrote zwalk-map-") }
        let m = try #require(try exported(dir, prefix: "zwalk-map-"))
        #expect(try PNGCodec.read(path: m).1[PNGMetadata.Key.command]?.contains("slice") == true)
        try expectRecordedCommandMakesTheSame(m, dir: dir, out: "ref-map.png")

        // Esc walks again, from where the views were opened.
        try tmux.keys("Escape")
        _ = try tmux.waitFor("walking") { $0.contains("back to walking seed 3") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }

    @Test func bookmarksLabelsAndTheLastLatentSurviveQuitAndKill() throws {
        let dir = try temporaryDirectory()
        var tmux = try start(dir, "--seed 5")
        try tmux.keys(":", "mark five", "Enter")
        _ = try tmux.waitFor("bookmarked") { $0.contains("bookmarked 'five'") }
        try tmux.keys(":", "label dark +", "Enter")
        _ = try tmux.waitFor("labelled") { $0.contains("dark: 1 +, 0 −") }
        try tmux.keys(":", "seed 9", "Enter", "l", "l")
        // `,` and `.` label the picture on screen: wait until the walk's own is drawn (no ● pending).
        _ = try tmux.waitFor("walked from seed 9") { $0.contains("+0.50σ") && !$0.contains("●") }
        try tmux.keys(",")
        _ = try tmux.waitFor("labelled −") { $0.contains("dark: 1 +, 1 −") }
        let state = dir + "/state/zwalk/workbench"
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(files.count == 1 && files[0].hasSuffix(".json"), "\(files)")
        // kill -9: what was saved (the mark, the labels) stays, whole.
        let pid = try #require(try tmux.programPID())
        kill(pid, SIGKILL)
        _ = try tmux.exitStatus()
        tmux.close()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state + "/" + files[0]))) as? [String: Any]
        #expect((saved?["bookmarks"] as? [Any])?.count == 1 && (saved?["labels"] as? [Any])?.count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state) == files, "a temporary file was left behind")

        // Opened again (no --seed): the last saved latent, the bookmark, the labels.
        try? FileManager.default.removeItem(atPath: dir + "/tmux.sock")
        tmux = try TmuxSession(width: 100, height: 30, command: "\(zwalkBinary) \(model) --color 256 --export-dir \(dir)", cwd: dir)
        defer { tmux.close() }
        // The restored direction set loads on its own thread and announces itself: wait for it, or its
        // message could replace one the keys below wait for.
        _ = try tmux.waitFor("restored", timeout: 60) {
            ($0.contains("+0.50σ") || $0.contains("last session")) && !$0.contains("computing")
        }
        try tmux.keys(":", "marks", "Enter")
        _ = try tmux.waitFor("the bookmark listed") { $0.contains("bookmarks: five") }
        try tmux.keys(":", "go five", "Enter")
        _ = try tmux.waitFor("at the bookmark") { $0.contains("at bookmark 'five'") && $0.contains("seed 5") && !$0.contains("●") }
        try tmux.keys(".")
        _ = try tmux.waitFor("the labels restored") { $0.contains("dark: 1 +, 1 −") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }
}

extension ExplorerEndToEndTests {
    /// PIL's view of an animation: frame count, each frame's duration and an md5 of its RGBA pixels.
    func framesSeenByPIL(_ path: String) throws -> String {
        let script = """
        import sys, hashlib
        from PIL import Image, ImageSequence
        im = Image.open(sys.argv[1])
        print(im.n_frames, [(f.info.get('duration'), hashlib.md5(f.convert('RGBA').tobytes()).hexdigest()) for f in ImageSequence.Iterator(im)])
        """
        let r = try runProcess(TmuxSession.python, ["-c", script, path], cwd: NSTemporaryDirectory(), environment: ProcessInfo.processInfo.environment)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    @Test func animFromTheExplorerIsWhatZwalkAnimateWrites() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir, "--seed 1")
        defer { tmux.close() }
        // Walking: a sweep of the chosen direction, as a GIF.
        try tmux.keys(":", "anim sweep.gif 16", "Enter")
        _ = try tmux.waitFor("the sweep written") { $0.contains("wrote sweep.gif") }
        // Interpolating: the path through two pinned seeds, as an animated PNG.
        try tmux.keys("p", ":", "seed 4", "Enter")
        _ = try tmux.waitFor("seed 4") { $0.contains("seed 4") && !$0.contains("●") }
        try tmux.keys("p", "i")
        _ = try tmux.waitFor("interpolating") { $0.contains("interpolate A→B") }
        try tmux.keys(":", "anim path.png 12", "Enter")
        _ = try tmux.waitFor("the path written") { $0.contains("wrote path.png") }

        for (file, frames, verb) in [("sweep.gif", 16, "--dim"), ("path.png", 12, "--seeds 1,4")] {
            let mine = try framesSeenByPIL(dir + "/" + file)
            #expect(mine.hasPrefix("\(frames) "), "\(file): \(mine.prefix(80))")
            let text = file.hasSuffix(".gif") ? try GIF.readText(path: dir + "/" + file) : try PNGCodec.read(path: dir + "/" + file).text
            let command = try #require(text[PNGMetadata.Key.command])
            #expect(command.contains("zwalk animate") && command.contains(verb), "\(command)")
            let ext = (file as NSString).pathExtension
            let range = try #require(command.range(of: #"--out ('[^']*'|\S+)$"#, options: .regularExpression))
            let binDir = URL(fileURLWithPath: zwalkBinary).deletingLastPathComponent().path
            let r = try runProcess("/bin/bash", ["-c", command.replacingCharacters(in: range, with: "--out ref.\(ext)")], cwd: dir,
                                   environment: ["PATH": binDir + ":/usr/bin:/bin", "HOME": dir])
            #expect(r.status == 0, "\(command): \(r.stderr)")
            #expect(try framesSeenByPIL(dir + "/ref.\(ext)") == mine, "\(file): other frames or timing than \(command)")
        }
        try tmux.keys("Escape", "q")
        #expect(try tmux.exitStatus() == 0)
    }
}

extension ExplorerEndToEndTests {
    /// The picture's rows without the panel beside them (its values change with the walk).
    func pictureRows(_ tmux: TmuxSession) throws -> [String] {
        imageRows(try tmux.screen(escapes: true)).map { String($0.prefix { $0 != "│" && $0 != "╭" && $0 != "╰" }) }
    }

    @Test func openAndWeightsSwitchWithoutLeaving() throws {
        let dir = try temporaryDirectory()
        try writeScaledWeights(of: model, by: 0.8, to: dir + "/w.safetensors")
        let tmux = try start(dir, "--seed 2")
        defer { tmux.close() }
        try tmux.keys("l", "l")
        _ = try tmux.waitFor("the walk's frame") { $0.contains("+0.50σ") && !$0.contains("●") }
        try tmux.keys("e")
        _ = try tmux.waitFor("an export to open later") { $0.contains("wrote zwalk-") }
        let png = try #require(try exported(dir, prefix: "zwalk-"))
        usleep(300_000)
        let original = try pictureRows(tmux)

        // Other weights: the same latent, another picture; then the model's own weights again.
        // The "opened …" message gives way to the direction set's within a second, and a loaded
        // machine can poll past it: the status line's model name and the kept latent stay.
        try tmux.keys(":", "weights w.safetensors", "Enter")
        _ = try tmux.waitFor("the weights bound") {
            $0.contains("opened vae_decoder.onnx + w.safetensors (the latent kept)")
                || $0.contains("kept latent · vae_decoder.onnx + w.safetensors ·")
        }
        usleep(500_000)
        #expect(try pictureRows(tmux) != original, "other weights drew the same picture")
        try tmux.keys(":", "weights none", "Enter")
        _ = try tmux.waitFor("the own weights") {
            $0.contains("opened vae_decoder.onnx (the latent kept)")
                || ($0.contains("kept latent · vae_decoder.onnx ·") && !$0.contains("w.safetensors"))
        }
        usleep(500_000)
        #expect(try pictureRows(tmux) == original, "the model's own weights, the same latent: the same picture")

        // :open of a PNG goes to its latent; a missing model is a message, not an exit.
        try tmux.keys(":", "seed 30", "Enter")
        _ = try tmux.waitFor("seed 30") { $0.contains("seed 30") }
        try tmux.keys(":", "open \((png as NSString).lastPathComponent)", "Enter")
        _ = try tmux.waitFor("the PNG's latent") { $0.contains("opened zwalk-") }
        usleep(500_000)
        #expect(try pictureRows(tmux) == original, "the PNG's latent draws the exported picture")
        try tmux.keys(":", "open nowhere.onnx", "Enter")
        _ = try tmux.waitFor("a clear error") { $0.contains("cannot open") && $0.contains("nowhere.onnx") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }
}

extension ExplorerEndToEndTests {
    @Test func aPictureGivenAsTheModelOpensItsModelAtItsLatent() throws {
        let dir = try temporaryDirectory()
        let made = try zwalk(["traverse", model, "--directions", "sefa", "--dims", "1", "--steps", "3", "--out", "t.png"], cwd: dir)
        #expect(made.status == 0, "\(made.stderr)")
        let one = try zwalk(["sample", model, "--seed", "12", "--out", "one.png"], cwd: dir)
        #expect(one.status == 0, "\(one.stderr)")
        // One latent: the walk starts at it, with the directions the picture walked.
        var tmux = try TmuxSession(width: 100, height: 30, command: "\(zwalkBinary) one.png --color 256", cwd: dir)
        _ = try tmux.waitFor("the picture's latent", timeout: 60) { $0.contains("one.png[0]") && $0.contains("vae_decoder.onnx") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
        tmux.close()
        // Several: a gallery of them; the SeFa set the traversal walked is loaded.
        try? FileManager.default.removeItem(atPath: dir + "/tmux.sock")
        tmux = try TmuxSession(width: 100, height: 30, command: "\(zwalkBinary) t.png --color 256", cwd: dir)
        defer { tmux.close() }
        _ = try tmux.waitFor("a gallery of its cells", timeout: 60) { $0.contains("gallery t.png") && $0.contains("3 tiles") }
        try tmux.keys("Escape")
        _ = try tmux.waitFor("the directions it walked") { $0.contains("Directions · SeFa") }
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
        // A picture zwalk did not write is told so.
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: dir + "/x.png"))
        let bad = try zwalk(["x.png"], cwd: dir)
        #expect(bad.status != 0 && bad.stderr.contains("x.png"), "\(bad.stderr)")
    }
}
