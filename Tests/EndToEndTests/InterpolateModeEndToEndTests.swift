import Foundation
import Testing
import ZWalkImage

// Interpolate mode in a real terminal: pin two seeds, move along the path between them, export the
// strip, and find it is the strip `zwalk interpolate` makes from the same seeds.

extension ExplorerEndToEndTests {
    @Test func interpolateModeMovesAlongThePathAndExportsWhatTheCommandMakes() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir, "--seed 1")
        defer { tmux.close() }

        // A = seed 1, then B = seed 2 once its frame is on screen (p pins the picture shown).
        try tmux.keys("p")
        _ = try tmux.waitFor("A pinned") { $0.contains("pinned A: seed 1") }
        try tmux.keys(":", "seed 2", "Enter")
        _ = try tmux.waitFor("seed 2's frame") { $0.contains("seed 2") && !$0.contains("●") }
        try tmux.keys("p")
        let pinned = try tmux.waitFor("B pinned") { $0.contains("pinned B: seed 2") }
        #expect(pinned.contains("keys A 1 · [B 2]"), "the panel does not list the keyframes:\n\(pinned)")

        // i: the path from A, its keys in the hint bar.
        try tmux.keys("i")
        let atA = try tmux.waitFor("interpolate mode at A") {
            $0.contains("interpolate A→B") && $0.contains("t 0.000") && $0.contains("Path · slerp") && !$0.contains("● ")
        }
        #expect(atA.contains("paused") && atA.contains("Esc walk"), "\(atA)")
        usleep(300_000)
        let pictureAtA = imageRows(try tmux.screen(escapes: true))

        // L: a quarter of the way; the status says so and the picture changes.
        try tmux.keys("L")
        _ = try tmux.waitFor("t 0.250") { $0.contains("t 0.250") }
        usleep(500_000)
        #expect(imageRows(try tmux.screen(escapes: true)) != pictureAtA, "the picture did not move along the path")

        // Space plays: t moves on its own; Space again pauses.
        try tmux.keys("Space")
        _ = try tmux.waitFor("playing, past t 0.250") { $0.contains("playing") && !$0.contains("t 0.250") }
        try tmux.keys("Space")
        _ = try tmux.waitFor("paused") { $0.contains("paused") }

        // :export strip.png 8 writes the strip through the core…
        try tmux.keys(":", "export strip.png 8", "Enter")
        _ = try tmux.waitFor("the strip written") { $0.contains("wrote strip.png") }
        // …the same pixels and metadata (its latents, seeds, steps) as the command's.
        let ref = try zwalk(["interpolate", model, "--seeds", "1,2", "--steps", "8", "--out", "ref.png"], cwd: dir)
        #expect(ref.status == 0, "\(ref.stderr)")
        let (strip, stripText) = try PNGCodec.read(path: dir + "/strip.png")
        let (refImage, refText) = try PNGCodec.read(path: dir + "/ref.png")
        #expect(strip.width == refImage.width && strip.height == refImage.height)
        #expect(strip.toRGB().pixels == refImage.toRGB().pixels, "the explorer's strip has other pixels than zwalk interpolate's")
        typealias Key = PNGMetadata.Key
        #expect(stripText[Key.latents] != nil && stripText[Key.latents] == refText[Key.latents], "other latents")
        for key in Set(refText.keys).union(stripText.keys) where key != Key.command {
            #expect(stripText[key] == refText[key], "\(key): explorer \(stripText[key] ?? "none"), command \(refText[key] ?? "none")")
        }
        // The strip records the command that makes it again.
        #expect(stripText[Key.command]?.contains("interpolate") == true && stripText[Key.command]?.contains("--seeds 1,2") == true,
                "\(stripText[Key.command] ?? "no command")")

        // Esc walks on from the picture on the path; q quits with 0.
        try tmux.keys("Escape")
        let walking = try tmux.waitFor("walking again") { $0.contains("Directions") && !$0.contains("interpolate A→B") }
        #expect(walking.contains("path A→B t"), "the walk does not go on from the path:\n\(walking)")
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }

    /// m m: the geodesic, computed on the directions thread while the keys still move; exported,
    /// it is `zwalk interpolate --mode geodesic`'s strip.
    @Test func interpolateModeComputesTheGeodesicOffTheUIThreadAndExportsTheCommandsStrip() throws {
        let dir = try temporaryDirectory()
        let tmux = try start(dir, "--seed 1")
        defer { tmux.close() }
        try tmux.keys("p")
        _ = try tmux.waitFor("A pinned") { $0.contains("pinned A: seed 1") }
        try tmux.keys(":", "seed 2", "Enter")
        _ = try tmux.waitFor("seed 2's frame") { $0.contains("seed 2") && !$0.contains("●") }
        try tmux.keys("p")
        _ = try tmux.waitFor("B pinned") { $0.contains("pinned B: seed 2") }
        try tmux.keys("i", "m", "m")
        _ = try tmux.waitFor("the geodesic computed", timeout: 60) { $0.contains("Path · geodesic · open") && $0.contains("geodesic ready") }
        try tmux.keys("L")
        _ = try tmux.waitFor("t 0.250 on the geodesic") { $0.contains("t 0.250") && $0.contains("geodesic") }
        try tmux.keys(":", "export geo.png 6", "Enter")
        _ = try tmux.waitFor("the strip written", timeout: 60) { $0.contains("wrote geo.png") }
        let ref = try zwalk(["interpolate", model, "--seeds", "1,2", "--steps", "6", "--mode", "geodesic", "--out", "ref.png"], cwd: dir)
        #expect(ref.status == 0, "\(ref.stderr)")
        let (strip, stripText) = try PNGCodec.read(path: dir + "/geo.png")
        let (refImage, refText) = try PNGCodec.read(path: dir + "/ref.png")
        #expect(strip.toRGB().pixels == refImage.toRGB().pixels, "the explorer's geodesic strip has other pixels than the command's")
        #expect(stripText[PNGMetadata.Key.latents] == refText[PNGMetadata.Key.latents], "other latents")
        #expect(stripText[PNGMetadata.Key.command]?.contains("--mode geodesic") == true)
        try tmux.keys("q")
        #expect(try tmux.exitStatus() == 0)
    }
}
