import Foundation
import Testing
import ZWalkFormats
import ZWalkImage

// What a new user ran into, each as the command they typed (issue "Defects found by using zwalk as
// a new user would"). The explorer's own items are in ZWalkTUITests and ExplorerEndToEndTests.

@Suite struct NewcomerDefectsTests {
    func latentsOf(_ png: String) throws -> [[Float]] {
        try #require(try PNGMetadata(text: PNGCodec.read(path: png).text).latents())
    }

    @Test func attributeDirectionsFromOneExamplePerSide() throws {
        let dir = try temporaryDirectory()
        for s in ["1", "2", "3"] { try zwalk(["sample", "--seed", s, "--out", "s\(s).png"], cwd: dir) }
        for classifier in ["mean-difference", "logistic"] {
            let r = try zwalk(["directions", "--method", "attribute", "--classifier", classifier,
                               "--positive", "s1.png", "--negative", "s2.png", "--out", "\(classifier).npy"], cwd: dir)
            #expect(r.status == 0, "\(classifier): \(r.stderr)")
            let sidecar = try String(contentsOfFile: dir + "/\(classifier).npy.json", encoding: .utf8)
            #expect(!sidecar.contains("inf") && !sidecar.contains("nan"), "\(sidecar)")
        }
        // A repeated list option adds up (and commas work), never keeps only the last.
        let r = try zwalk(["directions", "--method", "attribute", "--positive", "s1.png", "--positive", "s3.png",
                           "--negative", "s2.png,s3.png", "--out", "two.npy"], cwd: dir)
        #expect(r.status == 0 && r.stderr.contains("2 positive vs 2 negative"), "\(r.stderr)")
        let d = try zwalk(["decode", "--latents", "s1.png", "--latents", "s2.png,s3.png", "--out", "three.npy"], cwd: dir)
        #expect(d.status == 0 && d.stderr.contains("[3, 3, 64, 64]"), "\(d.stderr)")
    }

    @Test func interpolationKeepsEveryKeyframe() throws {
        let dir = try temporaryDirectory()
        try zwalk(["sample", "--seed", "2", "--out", "two.png"], cwd: dir)
        let r = try zwalk(["interpolate", "--seeds", "1,2,3", "--steps", "8", "--out", "i.png"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let strip = try latentsOf(dir + "/i.png")
        let two = try latentsOf(dir + "/two.png")[0]
        #expect(strip.count == 8 && strip.contains(two), "seed 2 is not a cell of the strip")
        let figure = try #require(try PNGCodec.read(path: dir + "/i.png").text[PNGMetadata.Key.figure])
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(figure.utf8)) as? [String: Any])
        #expect(fields["keyframe_cells"] as? [Int] == [0, 4, 7], "\(fields)")
    }

    @Test func whatIsNotAModelIsSaidSo() throws {
        let r = try zwalk(["info", repoRoot.appendingPathComponent("README.md").path])
        #expect(r.status == 1 && r.stderr.contains("not an ONNX model (no graph found)"), "\(r.stderr)")
    }

    @Test func aPictureOfAnotherShapeIsNotSquashedSilently() throws {
        let dir = try temporaryDirectory()
        try PNGCodec.write(Image(width: 120, height: 40, channels: 3, fill: [200, 60, 20]), to: dir + "/wide.png", text: [], overwrite: false)
        let stretched = try zwalk(["encode", "--image", "wide.png", "--out", "z.npy"], cwd: dir)
        #expect(stretched.status == 0 && stretched.stderr.contains("warning") && stretched.stderr.contains("120×40"), "\(stretched.stderr)")
        let cropped = try zwalk(["encode", "--image", "wide.png", "--fit", "crop", "--out", "c.npy"], cwd: dir)
        #expect(cropped.status == 0 && !cropped.stderr.contains("warning") && cropped.stderr.contains("centre 40×40"), "\(cropped.stderr)")
    }

    @Test func theExplorerTakesTheCommandsModelOptions() throws {
        let help = try zwalk(["explore", "--help"]).stdout
        for option in ["--weights", "--prior", "--psi", "--output-range", "--latent", "--index", "--export-scale"] {
            #expect(help.contains(option), "zwalk explore --help has no \(option)")
        }
        // Its key list is the key tables' (every mode), not a hand-written line.
        #expect(help.contains("In the direction-set chooser") && help.contains("At a prompt") && help.contains(":export!"), "\(help)")
    }
}
