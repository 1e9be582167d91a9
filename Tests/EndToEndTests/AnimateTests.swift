import Foundation
import Testing
import ZWalkImage

/// `zwalk animate` as a user runs it, on the shipped model, read back by PIL (the reader most
/// users' scripts use): frame counts, delays, loop, the metadata, and frame pixels against
/// `zwalk decode` of the same latent. Serialized: each run uses every core of a small machine.
@Suite(.serialized) final class AnimateTests {
    private var scratchDirectories: [String] = []
    deinit { for d in scratchDirectories { try? FileManager.default.removeItem(atPath: d) } }

    static let assets = repoRoot.appendingPathComponent("assets").path
    static let python = ProcessInfo.processInfo.environment["ZWALK_PYTHON"]

    @discardableResult
    func run(_ args: [String], cwd: String) throws -> RunResult {
        try zwalk(args, cwd: cwd, environment: ["ZWALK_ASSETS": AnimateTests.assets])
    }

    func scratch() throws -> String {
        let d = try temporaryDirectory()
        scratchDirectories.append(d)
        return d
    }

    /// Runs a Python script in `cwd` and parses the JSON object it prints.
    func python(_ script: String, cwd: String) throws -> [String: Any] {
        let r = try runProcess(AnimateTests.python ?? "python3", ["-c", script], cwd: cwd, environment: ProcessInfo.processInfo.environment)
        #expect(r.status == 0, "python failed:\n\(r.stderr)")
        return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any] ?? [:]
    }

    /// An APNG of a looped interpolation: PIL sees 12 frames of 100 ms looping forever, the
    /// metadata holds the 12 latents, and frames 0 and 7 are exactly `zwalk decode` of their latents.
    @Test(.enabled(if: AnimateTests.python != nil, "ZWALK_PYTHON (the venv python with pillow and numpy) is not set"))
    func apngPlaysInPILAndItsFramesAreTheDecodedLatents() throws {
        let dir = try scratch()
        let r = try run(["animate", "--seeds", "1,2,3", "--loop", "--frames", "12", "--fps", "10", "--scale", "2",
                         "--out", "a.png", "--latents-out", "z.npy"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let info = try python("""
            import json, numpy as np
            from PIL import Image
            im = Image.open('a.png')
            t = dict(im.text)  # before seeking: PIL's text property seeks itself
            durations = []
            for i in range(im.n_frames):
                im.seek(i); durations.append(im.info.get('duration'))
            z = np.array(json.loads(t['zwalk.latents']), dtype=np.float32)
            for i in (0, 7):
                np.save('z%d.npy' % i, z[i:i + 1])
            print(json.dumps({'format': im.format, 'frames': im.n_frames, 'animated': im.is_animated,
                              'loop': im.info.get('loop'), 'durations': durations, 'rows': len(z),
                              'same_as_latents_out': bool((np.load('z.npy') == z).all()),
                              'figure': json.loads(t['zwalk.figure']), 'command': t['zwalk.command']}))
            """, cwd: dir)
        #expect(info["format"] as? String == "PNG" && info["animated"] as? Bool == true)
        #expect(info["frames"] as? Int == 12 && info["rows"] as? Int == 12)
        #expect(info["loop"] as? Int == 0, "loops forever")
        #expect((info["durations"] as? [Double]) == Array(repeating: 100, count: 12), "\(info["durations"] ?? "none")")
        #expect(info["same_as_latents_out"] as? Bool == true)
        let figure = info["figure"] as? [String: Any] ?? [:]
        #expect(figure["kind"] as? String == "animation" && figure["of"] as? String == "interpolation")
        #expect(figure["frames"] as? Int == 12 && figure["fps"] as? Int == 10 && figure["loop"] as? Bool == true)
        #expect(figure["path_loop"] as? Bool == true)
        #expect((info["command"] as? String)?.hasPrefix("zwalk animate --seeds 1,2,3 --loop") == true)

        for i in [0, 7] {
            let d = try run(["decode", "--latents", "z\(i).npy", "--scale", "2", "--out", "d\(i).png"], cwd: dir)
            #expect(d.status == 0, "\(d.stderr)")
        }
        let pixels = try python("""
            import json, numpy as np
            from PIL import Image
            def frame(i):
                # A fresh Image per frame: PIL 13 fails ('frame sequence errors') seeking an APNG
                # back and forth after loading a frame, its own APNGs included.
                im = Image.open('a.png'); im.seek(i)
                return np.asarray(im.convert('RGB'))
            same = {str(i): bool((frame(i) == np.asarray(Image.open('d%d.png' % i).convert('RGB'))).all()) for i in (0, 7)}
            print(json.dumps({'same': same, 'differ': bool((frame(0) != frame(7)).any())}))
            """, cwd: dir)
        #expect(pixels["same"] as? [String: Bool] == ["0": true, "7": true], "\(pixels)")
        #expect(pixels["differ"] as? Bool == true, "frames 0 and 7 are different pictures")

        // zwalk reads its own APNG back: the 12 latents.
        let again = try run(["decode", "--latents", "a.png", "--out", "all.npy"], cwd: dir)
        #expect(again.status == 0 && again.stderr.contains("12"), "\(again.stderr)")
    }

    /// A GIF of a sweep played once: 8 frames of 50 ms, no loop, the metadata in the comment; the
    /// sweep goes out and back, so frame i and frame 8 − i show the same latent.
    @Test(.enabled(if: AnimateTests.python != nil, "ZWALK_PYTHON (the venv python with pillow and numpy) is not set"))
    func gifSweepPlaysOnceInPILWithItsMetadataInTheComment() throws {
        let dir = try scratch()
        let r = try run(["animate", "--dim", "0", "--directions", "sefa", "--range", "2", "--seed", "7", "--frames", "8",
                         "--fps", "20", "--once", "--out", "s.gif"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        // zwalk reads its own GIF back: the 8 latents of the comment.
        let again = try run(["decode", "--latents", "s.gif", "--out", "all.npy"], cwd: dir)
        #expect(again.status == 0, "\(again.stderr)")
        let info = try python("""
            import json, numpy as np
            from PIL import Image
            im = Image.open('s.gif')
            frames, durations = [], []
            for i in range(im.n_frames):
                im.seek(i); durations.append(im.info.get('duration')); frames.append(np.asarray(im.convert('RGB')).copy())
            meta = dict(line.split('=', 1) for line in im.info['comment'].decode().split('\\n'))
            z = np.array(json.loads(meta['zwalk.latents']), dtype=np.float32)
            print(json.dumps({'format': im.format, 'frames': im.n_frames, 'animated': im.is_animated,
                              'loop': im.info.get('loop'), 'durations': durations, 'rows': len(z),
                              'mirror_latents': all(bool((z[i] == z[8 - i]).all()) for i in range(1, 4)),
                              'mirror_pixels': all(bool((frames[i] == frames[8 - i]).all()) for i in range(1, 4)),
                              'ends_differ': bool((frames[0] != frames[4]).any()),
                              'figure': json.loads(meta['zwalk.figure']), 'steps': json.loads(meta['zwalk.step']),
                              'base_seed': meta.get('zwalk.base_seed'), 'decoded': np.load('all.npy').shape[0]}))
            """, cwd: dir)
        #expect(info["format"] as? String == "GIF" && info["animated"] as? Bool == true)
        #expect(info["frames"] as? Int == 8 && info["rows"] as? Int == 8)
        #expect(info["loop"] == nil || info["loop"] is NSNull, "plays once: no NETSCAPE2.0 loop")
        #expect((info["durations"] as? [Double]) == Array(repeating: 50, count: 8), "\(info["durations"] ?? "none")")
        #expect(info["mirror_latents"] as? Bool == true && info["mirror_pixels"] as? Bool == true)
        #expect(info["ends_differ"] as? Bool == true)
        #expect(info["steps"] as? [Double] == [-2, -1, 0, 1, 2, 1, 0, -1])
        #expect(info["base_seed"] as? String == "7")
        #expect(info["decoded"] as? Int == 8, "zwalk decode --latents s.gif")
        let figure = info["figure"] as? [String: Any] ?? [:]
        #expect(figure["kind"] as? String == "animation" && figure["of"] as? String == "sweep" && figure["loop"] as? Bool == false)
    }

    /// Wrong outputs and contradictory options exit 2 before anything is written; still-image
    /// commands do not take .gif.
    @Test(arguments: [
        (["sample", "--seed", "1", "--out", "s.gif"], ".png, .npy"),
        (["grid", "--out", "g.gif"], ".png, .npy"),
        (["interpolate", "--out", "i.gif"], ".png, .npy"),
        (["animate", "--out", "a.npy"], ".png, .gif"),
        (["animate", "--dim", "0", "--frames", "7", "--out", "a.gif"], "even"),
        (["animate", "--dim", "0", "--seeds", "1,2", "--out", "a.gif"], "--seeds"),
        (["animate", "--seed", "3", "--out", "a.gif"], "--dim"),
        (["animate", "--mode", "geodesic", "--out", "a.gif"], "slerp or lerp"),
        (["animate", "--fps", "60", "--out", "a.gif"], "--fps"),
        (["animate", "--dim", "99", "--directions", "axis", "--out", "a.gif"], "--dim 99"),
    ])
    func refusalsExitTwoAndWriteNothing(_ args: [String], _ mention: String) throws {
        let dir = try scratch()
        let r = try run(args, cwd: dir)
        #expect(r.status == 2 && r.stderr.contains(mention), "\(args): \(r.status) \(r.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir)).isEmpty, "\(args) wrote nothing")
    }

    @Test func anExistingAnimationIsKeptUnlessForced() throws {
        let dir = try scratch()
        #expect(try run(["animate", "--frames", "4", "--out", "a.gif"], cwd: dir).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.gif"))
        let kept = try run(["animate", "--frames", "6", "--out", "a.gif"], cwd: dir)
        #expect(kept.status == 1 && kept.stderr.contains("--force"), "\(kept.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.gif")) == before)
        #expect(try run(["animate", "--frames", "6", "--out", "a.gif", "--force"], cwd: dir).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.gif")) != before)
    }
}
