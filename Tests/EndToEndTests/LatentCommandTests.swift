import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats
import ZWalkImage
import ZWalkLatent

/// The latent toolkit's commands as scripts and papers use them, run as the real executable on
/// the shipped model. Serialized: each run already uses every core of a small machine.
@Suite(.serialized) final class LatentCommandTests {
    /// Directories made by this test; Swift Testing makes one suite instance per test, so deinit
    /// cleans up after each.
    private var scratchDirectories: [String] = []
    deinit { for d in scratchDirectories { try? FileManager.default.removeItem(atPath: d) } }

    static let assets = repoRoot.appendingPathComponent("assets").path
    let vae = LatentCommandTests.assets + "/vae_decoder.onnx"
    let faces = LatentCommandTests.assets + "/faces_decoder.onnx"

    /// `zwalk` with the shipped models found through $ZWALK_ASSETS, wherever the binary was built.
    /// The goldens below are the sprites model's (10-d), so it is named (`--model sprites`, last
    /// so each command line still starts as a user would type it); `model: nil` runs the default
    /// (faces), so "no flags but --out" really means the default model.
    @discardableResult
    func run(_ args: [String], cwd: String? = nil, model: String? = "sprites") throws -> RunResult {
        let named = args.first.map { !$0.hasPrefix("-") } == true && !args.contains("--help") ? model : nil
        return try zwalk(args + (named.map { ["--model", $0] } ?? []), cwd: cwd,
                         environment: ["ZWALK_ASSETS": LatentCommandTests.assets])
    }

    /// A temporary directory, removed when the test ends.
    func scratch() throws -> String {
        let d = try temporaryDirectory()
        scratchDirectories.append(d)
        return d
    }

    func png(_ path: String) throws -> (image: Image, meta: PNGMetadata) {
        let (image, text) = try PNGCodec.read(path: path)
        return (image, PNGMetadata(text: text))
    }

    func figure(_ meta: PNGMetadata) throws -> [String: Any] {
        let obj = try JSONSerialization.jsonObject(with: Data((meta["zwalk.figure"] ?? "").utf8))
        return obj as? [String: Any] ?? [:]
    }

    func sha256(_ path: String) throws -> String {
        let r = try runTool("/usr/bin/sha256sum", [path])
        return String(r.split(separator: " ").first ?? "")
    }

    func runTool(_ tool: String, _ args: [String], cwd: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: o, as: UTF8.self)
    }

    /// The pixels of cell (row, col) of a grid figure.
    func cell(_ image: Image, row: Int, col: Int, rows: Int, cols: Int, size: Int, padding: Int = 2) throws -> Image {
        let g = try GridGeometry(cellWidth: size, cellHeight: size, layout: GridLayout(rows: rows, cols: cols, padding: padding))
        let (x0, y0) = g.cellOrigin(row: row, col: col)
        var px: [UInt8] = []
        for y in y0..<(y0 + size) { for x in x0..<(x0 + size) { px += image.pixel(x: x, y: y) } }
        return Image(width: size, height: size, channels: image.channels, pixels: px)
    }

    static let commands = ["sample", "grid", "traverse", "interpolate", "slice", "directions", "encode"]

    // MARK: help

    @Test(arguments: commands + ["decode"])
    func everyCommandHasHelp(_ name: String) throws {
        let top = try run(["--help"])
        #expect(top.status == 0 && top.stdout.contains("  \(name) "), "top-level help lacks \(name)")
        let r = try run([name, "--help"])
        #expect(r.status == 0 && r.stdout.contains("usage: zwalk \(name)") && r.stdout.contains("--out"), "\(name) --help: \(r.stdout)")
    }

    // MARK: defaults

    /// Each command with nothing but --out (encode also needs the picture to encode).
    @Test(arguments: [
        ("sample", "out.png"), ("grid", "out.png"), ("traverse", "out.png"), ("interpolate", "out.png"),
        ("slice", "out.png"), ("directions", "out.npy"),
    ])
    func runsOnTheShippedModelWithOnlyOut(_ name: String, _ file: String) throws {
        let dir = try scratch()
        let r = try run([name, "--out", file], cwd: dir, model: nil)
        #expect(r.status == 0, "\(name): \(r.stderr)")
        let path = dir + "/" + file
        if file.hasSuffix(".png") {
            let (image, meta) = try png(path)
            #expect(image.width >= 64 && image.height >= 64)
            #expect(meta[PNGMetadata.Key.software] == "zwalk")
            #expect(meta[PNGMetadata.Key.command] == "zwalk \(name) --out \(file)")
            #expect(meta[PNGMetadata.Key.modelSHA256] == (try sha256(faces)))
            let latents = try meta.latents() ?? []
            let fig = try figure(meta)
            #expect(!latents.isEmpty && latents.allSatisfy { $0.count == 16 })
            #expect(latents.count == (fig["rows"] as? Int ?? 0) * (fig["cols"] as? Int ?? 0), "\(name): \(fig)")
        } else {
            let t = try NPY.read(path: path)
            #expect(t.shape == [16, 16])
            let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + ".json"))) as? [String: Any]
            #expect(sidecar?["model_sha256"] as? String == (try sha256(faces)))
            // Axis directions print each axis's name: the model's zwalk.dim_names, else z[i].
            let names = Prior.dimensionNames(of: try ONNXLoader.load(path: faces), latentCount: 16) ?? (0..<16).map { "z[\($0)]" }
            #expect(names.allSatisfy { r.stdout.contains($0) }, "axis directions should name \(names): \(r.stdout)")
        }
    }

    @Test func encodeMapsAPictureToALatentAndBack() throws {
        let dir = try scratch()
        #expect(try run(["sample", "--seed", "4", "--out", "s.png"], cwd: dir).status == 0)
        let r = try run(["encode", "--image", "s.png", "--out", "z.npy", "--reconstruction", "back.png"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let z = try NPY.read(path: dir + "/z.npy")
        #expect(z.shape == [1, 10] && z.floatArray.allSatisfy { $0.isFinite })
        // stdout is the latent as JSON, the same values as the file.
        let printed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [Double] ?? []
        #expect(printed.map(Float.init) == z.floatArray)
        let (_, meta) = try png(dir + "/back.png")
        #expect(try meta.latents() == [z.floatArray])
        // An explicit encoder that is not an image model is refused with its name.
        let bad = try run(["encode", "--image", "s.png", "--out", "z2.npy", "--encoder", vae], cwd: dir)
        #expect(bad.status == 1 && bad.stderr.contains("vae_decoder.onnx"), "\(bad.stderr)")
    }

    // MARK: determinism and overwriting

    /// The same command in two directories writes the same bytes (no timestamps, no randomness).
    @Test(arguments: [
        ["sample", "--seed", "3", "--out", "o.png"],
        ["grid", "--rows", "2", "--cols", "3", "--labels", "--out", "o.png"],
        ["traverse", "--directions", "sefa", "--count", "2", "--steps", "3", "--labels", "--out", "o.png"],
        ["interpolate", "--seeds", "1,2,3", "--steps", "5", "--loop", "--out", "o.png"],
        ["interpolate", "--jdiagram", "--steps", "3", "--out", "o.png"],
        ["slice", "--directions", "pca", "--samples", "64", "--steps", "3", "--out", "o.png"],
        ["directions", "--method", "sefa", "--out", "o.npy"],
    ])
    func sameCommandSameBytes(_ args: [String]) throws {
        let a = try scratch(), b = try scratch()
        let out = args.last!
        for d in [a, b] {
            let r = try run(args, cwd: d)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let files = out.hasSuffix(".npy") ? [out, out + ".json"] : [out]
        for f in files {
            let x = try Data(contentsOf: URL(fileURLWithPath: a + "/" + f)), y = try Data(contentsOf: URL(fileURLWithPath: b + "/" + f))
            #expect(x == y && !x.isEmpty, "\(args): \(f) differs between two runs")
        }
    }

    @Test(arguments: [
        ["sample", "--out", "o.png"],
        ["grid", "--rows", "1", "--cols", "2", "--out", "o.png"],
        ["traverse", "--directions", "sefa", "--count", "1", "--steps", "3", "--out", "o.png"],
        ["interpolate", "--steps", "2", "--out", "o.png"],
        ["slice", "--directions", "sefa", "--steps", "3", "--out", "o.png"],
        ["directions", "--method", "sefa", "--out", "o.png.npy"],
    ])
    func refusesToOverwriteWithoutForce(_ args: [String]) throws {
        let dir = try scratch()
        let out = dir + "/" + args.last!
        try Data("precious".utf8).write(to: URL(fileURLWithPath: out))
        let r = try run(args, cwd: dir)
        #expect(r.status == 1 && r.stderr.contains("already exists") && r.stderr.contains("--force"), "\(args): \(r.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "precious")
        let forced = try run(args + ["--force"], cwd: dir)
        #expect(forced.status == 0, "\(args) --force: \(forced.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) != Data("precious".utf8))
    }

    @Test func severalOutputsAreCheckedBeforeAnyIsWritten() throws {
        let dir = try scratch()
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/s-2.png"))
        let r = try run(["sample", "--count", "3", "--out", "s-{seed}.png"], cwd: dir)
        #expect(r.status == 1 && r.stderr.contains("s-2.png"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/s-0.png"))
        let ok = try run(["sample", "--count", "3", "--seed", "5", "--out", "s-{seed}.png"], cwd: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        for s in 5...7 { #expect(try png(dir + "/s-\(s).png").meta.seeds() == [Int64(s)]) }
    }

    // MARK: seeds and latents

    /// `--seed 7` is numpy.random.RandomState(7).standard_normal(10) (golden values from numpy),
    /// and the PNG's metadata, --latents-out and a decode of the PNG agree.
    @Test func seedIsNumpysAndTheMetadataLatentDecodesBack() throws {
        let dir = try scratch()
        let r = try run(["sample", "--seed", "7", "--out", "a.png", "--latents-out", "z.npy"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let numpy: [Float] = [1.6905257, -0.46593738, 0.032820165, 0.40751627, -0.788923, 0.002065573, -0.0008903859,
                              -1.7547243, 1.017658, 0.6004985]
        let (a, meta) = try png(dir + "/a.png")
        #expect(try meta.latents() == [numpy])
        #expect(try meta.seeds() == [7])
        #expect(try NPY.read(path: dir + "/z.npy").floatArray == numpy)
        let d = try run(["decode", "--latents", "a.png", "--out", "b.png"], cwd: dir)
        #expect(d.status == 0, "\(d.stderr)")
        let (b, bmeta) = try png(dir + "/b.png")
        #expect(a.pixels == b.pixels && a.width == b.width)
        #expect(try bmeta.latents() == [numpy])
        // And to .npy, the same values as decoding the latents file.
        #expect(try run(["decode", "--latents", "a.png", "--out", "a.npy"], cwd: dir).status == 0)
        #expect(try run(["decode", "--latents", "z.npy", "--out", "z-out.npy"], cwd: dir).status == 0)
        #expect(try NPY.read(path: dir + "/a.npy").floatArray == NPY.read(path: dir + "/z-out.npy").floatArray)
    }

    /// --prior and --psi draw what numpy draws (goldens: RandomState(7).uniform(-1, 1, 10) and
    /// float32(0.5 · RandomState(7).standard_normal(10))).
    @Test(arguments: [
        (["--prior", "uniform"], [Float(-0.84738344), 0.5598376, -0.12318154, 0.44693035, 0.95597905, 0.076991744, 0.0022409274,
                                  -0.8558977, -0.46312204, -0.00023499836]),
        (["--psi", "0.5"], [Float(0.8452628), -0.23296869, 0.016410083, 0.20375814, -0.3944615, 0.0010327864, -0.00044519294,
                            -0.87736213, 0.508829, 0.30024925]),
    ])
    func priorFlagsDrawWhatNumpyDraws(_ flags: [String], _ numpy: [Float]) throws {
        let dir = try scratch()
        let r = try run(["sample", "--seed", "7", "--out", "a.png"] + flags, cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try png(dir + "/a.png").meta.latents() == [numpy], "\(flags)")
    }

    /// Every cell of a traversal grid equals the individual decode of its latent, and the framed
    /// middle column is the unmodified sample of the seed.
    @Test func traversalCellsEqualIndividualDecodes() throws {
        let dir = try scratch()
        let r = try run(["traverse", "--seed", "11", "--directions", "sefa", "--count", "2", "--steps", "3", "--range", "2",
                         "--out", "t.png"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let (t, meta) = try png(dir + "/t.png")
        let latents = try meta.latents() ?? []
        #expect(latents.count == 6)
        #expect(meta[PNGMetadata.Key.step] == "[-2,0,2]")
        #expect(try figure(meta)["reference_column"] as? Int == 1)
        #expect(try run(["sample", "--seed", "11", "--out", "base.png"], cwd: dir).status == 0)
        let (base, baseMeta) = try png(dir + "/base.png")
        for (i, z) in latents.enumerated() {
            let (row, col) = (i / 3, i % 3)
            try NPY.write(Tensor(shape: [1, 10], floats: z), to: dir + "/z\(i).npy", overwrite: false)
            let d = try run(["decode", "--latents", "z\(i).npy", "--out", "c\(i).png"], cwd: dir)
            #expect(d.status == 0, "\(d.stderr)")
            let single = try png(dir + "/c\(i).png").image
            let got = try cell(t, row: row, col: col, rows: 2, cols: 3, size: 64)
            #expect(got.pixels == single.pixels, "cell (\(row), \(col)) differs from its individual decode")
            if col == 1 {
                #expect(try [z] == baseMeta.latents(), "the middle column holds seed 11's latent")
                #expect(got.pixels == base.pixels)
            } else {
                #expect(got.pixels != base.pixels, "a ±2σ step changes the picture")
            }
        }
        // Decoding the figure's metadata as a whole puts every cell on the same pixels.
        #expect(try run(["decode", "--latents", "t.png", "--out", "again.png"], cwd: dir).status == 0)
        let again = try png(dir + "/again.png").image
        #expect(again.width == t.width && again.height == t.height)
        for i in 0..<6 {
            #expect(try cell(again, row: i / 3, col: i % 3, rows: 2, cols: 3, size: 64).pixels
                    == cell(t, row: i / 3, col: i % 3, rows: 2, cols: 3, size: 64).pixels)
        }
    }

    @Test func gridCellsAreConsecutiveSeeds() throws {
        let dir = try scratch()
        #expect(try run(["grid", "--rows", "2", "--cols", "2", "--seed", "40", "--scale", "2", "--out", "g.png"], cwd: dir).status == 0)
        #expect(try run(["sample", "--seed", "42", "--scale", "2", "--out", "s.png"], cwd: dir).status == 0)
        let (g, meta) = try png(dir + "/g.png")
        #expect(try meta.seeds() == [40, 41, 42, 43])
        #expect(g.width == 2 * 128 + 3 * 2)
        let s = try png(dir + "/s.png")
        #expect(try cell(g, row: 1, col: 0, rows: 2, cols: 2, size: 128).pixels == s.image.pixels)
        #expect(try meta.latents()?[2] == s.meta.latents()?[0])
    }

    @Test func interpolationEndsOnItsKeyframesAndWritesFrames() throws {
        let dir = try scratch()
        #expect(try run(["sample", "--seeds", "2,9", "--out", "k-{seed}.png"], cwd: dir).status == 0)
        let a = try png(dir + "/k-2.png").meta.latents()?[0], b = try png(dir + "/k-9.png").meta.latents()?[0]
        for mode in ["slerp", "lerp"] {
            let r = try run(["interpolate", "--seeds", "2,9", "--steps", "4", "--mode", mode, "--out", "\(mode).png"], cwd: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let z = try png(dir + "/\(mode).png").meta.latents() ?? []
            #expect(z.count == 4 && z.first == a && z.last == b, "\(mode)")
        }
        let f = try run(["interpolate", "--seeds", "2,9", "--steps", "3", "--out", "f-{step}.png"], cwd: dir)
        #expect(f.status == 0, "\(f.stderr)")
        let frames = try (0..<3).map { try png(dir + "/f-\($0).png") }
        #expect(try frames[0].meta.latents() == [a!] && frames[2].meta.latents() == [b!])
        #expect(frames[1].meta[PNGMetadata.Key.step] == "0.5")
        // J-diagram: A, B and C land on their corners.
        #expect(try run(["interpolate", "--jdiagram", "--seeds", "2,9,5", "--steps", "3", "--out", "j.png"], cwd: dir).status == 0)
        #expect(try run(["sample", "--seed", "5", "--out", "c.png"], cwd: dir).status == 0)
        let j = try png(dir + "/j.png").meta.latents() ?? []
        #expect(j.count == 9 && j[0] == a && j[2] == b)
        #expect(try j[6] == png(dir + "/c.png").meta.latents()?[0])
    }

    @Test func geodesicShortensThePathAndSaysSo() throws {
        let dir = try scratch()
        let r = try run(["interpolate", "--mode", "geodesic", "--seeds", "0,1", "--steps", "3", "--iterations", "2", "--out", "g.png"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("path energy"), "\(r.stderr)")
        let fig = try figure(png(dir + "/g.png").meta)
        let before = fig["energy_before"] as? Double ?? 0, after = fig["energy_after"] as? Double ?? .infinity
        #expect(before > 0 && after <= before, "\(fig)")
    }

    // MARK: directions

    @Test func directionMethodsWriteRankedSetsWithSidecars() throws {
        let dir = try scratch()
        for (method, extra) in [("sefa", [String]()), ("pca", ["--samples", "64"]), ("local", ["--seed", "3"]),
                                ("axis", ["--samples", "2", "--count", "4"])] {
            let r = try run(["directions", "--method", method, "--out", "\(method).npy"] + extra, cwd: dir)
            #expect(r.status == 0, "\(method): \(r.stderr)")
            #expect(r.stdout.hasPrefix("rank"), "\(method) prints a ranked table: \(r.stdout)")
            let t = try NPY.read(path: dir + "/\(method).npy")
            #expect(t.shape == [method == "axis" ? 4 : 10, 10], "\(method)")
            // Rows are unit vectors.
            for row in 0..<t.shape[0] {
                let norm = (0..<10).reduce(0.0) { $0 + Double(t.floats[row * 10 + $1] * t.floats[row * 10 + $1]) }
                #expect(abs(norm - 1) < 1e-5, "\(method) row \(row) has norm² \(norm)")
            }
        }
        // Attribute vectors from labelled latents (a .npy and a zwalk PNG).
        #expect(try run(["sample", "--seeds", "0-3", "--out", "pos.npy", "--latents-out", "pos-z.npy"], cwd: dir).status == 0)
        #expect(try run(["grid", "--rows", "1", "--cols", "3", "--seed", "20", "--out", "neg.png"], cwd: dir).status == 0)
        let a = try run(["directions", "--method", "attribute", "--positive", "pos-z.npy", "--negative", "neg.png",
                         "--name", "smile", "--out", "attr.npy"], cwd: dir)
        #expect(a.status == 0 && a.stdout.contains("smile"), "\(a.stderr)")
        // A saved set drives a traversal.
        let t = try run(["traverse", "--directions", "attr.npy", "--steps", "3", "--out", "t.png"], cwd: dir)
        #expect(t.status == 0, "\(t.stderr)")
        #expect(try png(dir + "/t.png").meta[PNGMetadata.Key.direction]?.contains("\"name\":\"smile\"") == true)
    }

    @Test func aDirectionFileForAnotherModelIsRefused() throws {
        let dir = try scratch()
        #expect(try run(["directions", "--method", "sefa", "--out", "d.npy"], cwd: dir).status == 0)
        let sidecar = dir + "/d.npy.json"
        let text = try String(contentsOfFile: sidecar, encoding: .utf8)
        let sha = try sha256(vae)
        try text.replacingOccurrences(of: sha, with: String(repeating: "ab", count: 32))
            .write(toFile: sidecar, atomically: true, encoding: .utf8)
        let r = try run(["traverse", "--directions", "d.npy", "--steps", "3", "--out", "t.png"], cwd: dir)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("d.npy") && r.stderr.contains(String(repeating: "ab", count: 32)) && r.stderr.contains(sha), "\(r.stderr)")
        #expect(r.stderr.contains("--trust-directions"), "the hint names this command's flag: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/t.png"))
        let trusted = try run(["traverse", "--directions", "d.npy", "--trust-directions", "--count", "1", "--steps", "3", "--out", "t.png"], cwd: dir)
        #expect(trusted.status == 0, "\(trusted.stderr)")
        // A bare .npy (no sidecar) is refused too.
        try FileManager.default.removeItem(atPath: sidecar)
        let bare = try run(["slice", "--directions", "d.npy", "--steps", "3", "--out", "s.png"], cwd: dir)
        #expect(bare.status == 1 && bare.stderr.contains("no sidecar"), "\(bare.stderr)")
    }

    // MARK: errors

    @Test(arguments: [
        ([7], "shape [7]"),
        ([2, 3, 4], "shape [2, 3, 4]"),
        ([2, 5], "shape [2, 5]"), // 10 values, but two rows of 5
    ])
    func wrongShapedLatentNamesTheFile(_ shape: [Int], _ mention: String) throws {
        let dir = try scratch()
        try NPY.write(Tensor(shape: shape), to: dir + "/bad.npy", overwrite: false)
        for cmd in [["traverse", "--directions", "sefa"], ["slice", "--directions", "sefa"], ["interpolate", "--latents", "bad.npy"]] {
            let args = cmd.first == "interpolate" ? cmd : cmd + ["--latent", "bad.npy"]
            let r = try run(args + ["--out", "o.png"], cwd: dir)
            #expect(r.status == 1, "\(cmd): \(r.stderr)")
            #expect(r.stderr.contains("bad.npy") && r.stderr.contains(mention) && r.stderr.contains("10 values"), "\(cmd): \(r.stderr)")
        }
        // A PNG without zwalk metadata is not a latent either.
        try PNGCodec.write(Image(width: 2, height: 2, channels: 1, fill: [0]), to: dir + "/plain.png", text: [], overwrite: false)
        let p = try run(["decode", "--latents", "plain.png", "--out", "x.png"], cwd: dir)
        #expect(p.status == 1 && p.stderr.contains("plain.png") && p.stderr.contains("zwalk.latents"), "\(p.stderr)")
    }

    @Test(arguments: [
        (["sample", "--count", "3", "--out", "x.png"], "{seed}"),
        (["sample", "--seed", "-1", "--out", "x.png"], "4294967295"),
        (["sample", "--out", "x.jpg"], "must end in .png, .npy"),
        // A .jpg is refused with the known kinds, never written as a NumPy file under that name.
        (["decode", "--latents", "z.npy", "--out", "x.jpg"], "must end in .png, .npy"),
        (["traverse", "--directions", "nonsense", "--out", "x.png"], "neither a direction method"),
        // A repeated option is an error, never a silent choice of the last.
        (["grid", "--rows", "2", "--rows", "3", "--out", "x.png"], "--rows is given twice"),
        (["interpolate", "--mode", "cubic", "--out", "x.png"], "--mode"),
        (["interpolate", "--jdiagram", "--seeds", "1,2", "--out", "x.png"], "three keyframes"),
        (["slice", "--dims", "1,1", "--out", "x.png"], "two different"),
        (["directions", "--method", "magic", "--out", "x.npy"], "--method"),
        (["directions", "--method", "attribute", "--out", "x.npy"], "--positive"),
        (["grid", "--rows", "0", "--out", "x.png"], "--rows"),
    ])
    func usageErrorsExitTwoWithAMessage(_ args: [String], _ mention: String) throws {
        let dir = try scratch()
        let r = try run(args, cwd: dir)
        #expect(r.status == 2 && r.stderr.contains(mention), "\(args): \(r.status) \(r.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir)).isEmpty, "\(args) wrote nothing")
    }

    /// `zwalk encode` of an odd-sized RGBA picture gives the latent onnxruntime gives for the same
    /// picture prepared by PIL (convert("RGB"), resize bilinear, /255): the whole path from PNG to mu.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ZWALK_PYTHON"] != nil,
                   "ZWALK_PYTHON (the venv python with pillow, numpy and onnxruntime) is not set"))
    func encodeMatchesOnnxruntimeOnAPILPreparedPicture() throws {
        let python = ProcessInfo.processInfo.environment["ZWALK_PYTHON"] ?? "python3"
        let dir = try scratch()
        // A 48×40 RGBA picture: a disc on a gradient.
        var px: [UInt8] = []
        for y in 0..<40 {
            for x in 0..<48 {
                let inside = (x - 20) * (x - 20) + (y - 22) * (y - 22) < 120
                px += inside ? [230, 40, 60, 255] : [UInt8(60 + x), UInt8(70 + y), 90, 255]
            }
        }
        try PNGCodec.write(Image(width: 48, height: 40, channels: 4, pixels: px), to: dir + "/in.png", text: [], overwrite: false)
        let r = try run(["encode", "--image", "in.png", "--out", "z.npy"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let script = """
        import numpy as np, onnxruntime as ort
        from PIL import Image
        im = Image.open('in.png').convert('RGB').resize((64, 64), Image.BILINEAR)
        x = (np.asarray(im, dtype=np.float32) / 255).transpose(2, 0, 1)[None]
        mu = ort.InferenceSession('\(LatentCommandTests.assets)/vae_encoder.onnx').run(None, {'image': x})[0]
        z = np.load('z.npy')
        print(float(np.abs(mu - z).max()), float(np.abs(mu).max()))
        """
        let out = try runTool(python, ["-c", script], cwd: dir).split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(out.count == 2, "python printed \(out)")
        // zwalk's resize is Pillow's bilinear filter, so the inputs agree and mu differs by float
        // round-off only (measured 8e-7 on this picture).
        #expect((out.first ?? 1) < 1e-4 && (out.last ?? 0) > 0, "max |Δmu| \(out)")
    }

    // MARK: PIL

    /// Python's PIL reads the PNG and its metadata: the latents parse as JSON to the same floats.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ZWALK_PYTHON"] != nil,
                   "ZWALK_PYTHON (the venv python with pillow and numpy) is not set"))
    func pilReadsTheMetadata() throws {
        let python = ProcessInfo.processInfo.environment["ZWALK_PYTHON"] ?? "python3"
        let dir = try scratch()
        #expect(try run(["traverse", "--seed", "2", "--directions", "sefa", "--count", "2", "--steps", "3", "--labels",
                         "--out", "t.png", "--latents-out", "z.npy"], cwd: dir).status == 0)
        let script = """
        import json, sys, numpy as np
        from PIL import Image
        im = Image.open('t.png'); im.load()
        t = im.text
        z = np.array(json.loads(t['zwalk.latents']), dtype=np.float32)
        ref = np.load('z.npy').reshape(z.shape)
        base = np.float32(np.random.RandomState(2).standard_normal(10))
        fig = json.loads(t['zwalk.figure'])
        print(json.dumps({'mode': im.mode, 'size': im.size, 'equal': bool((z == ref).all()),
                          'base': bool((z[fig['reference_column']] == base).all()), 'command': t['zwalk.command'],
                          'sha': t['zwalk.model_sha256'], 'steps': json.loads(t['zwalk.step'])}))
        """
        let out = try runTool(python, ["-c", script], cwd: dir)
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] ?? [:]
        #expect(obj["mode"] as? String == "RGB", "\(out)")
        #expect(obj["equal"] as? Bool == true && obj["base"] as? Bool == true, "\(out)")
        #expect(obj["sha"] as? String == (try sha256(vae)))
        #expect((obj["command"] as? String)?.hasPrefix("zwalk traverse --seed 2") == true)
        #expect(obj["steps"] as? [Double] == [-3, 0, 3])
    }
}
