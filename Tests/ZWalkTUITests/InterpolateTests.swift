import Testing
import Foundation
import ZWalkLatent
@testable import ZWalkTUI

/// Seed 7 pinned as A, seed 9 as B, each frame decoded: the start of every interpolate test.
func twoKeyframes() -> ExplorerState {
    var s = update(startedState(), .pin).0
    s = decoded(update(s, .command(.seed(9))).0)
    return update(s, .pin).0
}

/// In interpolate mode through A = seed 7 and B = seed 9, at A, its frame decoded.
func interpolating() -> ExplorerState { decoded(press(twoKeyframes(), [.char("i")]).0) }

func sample(_ seed: UInt32) -> [Float] { try! FakeSampler(count: 4).sample(seed: seed, psi: 1) }

/// Close enough for latents computed along two routes (Double inside, Float out).
func near(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 } }

@Suite struct InterpolateTests {
    @Test func pinKeepsTheLatentOnScreenAndItsSeed() {
        let s = twoKeyframes()
        #expect(s.keyframes.map(\.seed) == [7, 9])
        #expect(s.keyframes.map(\.latent) == [sample(7), sample(9)])
        #expect(s.message?.text.contains("pinned B: seed 9") == true)
        // A walked picture is pinned as a latent, without a seed.
        let walked = press(decoded(update(s, .step(1)).0), [.char("p")]).0
        #expect(walked.keyframes.count == 3 && walked.keyframes[2].seed == nil && walked.keyframes[2].label == "latent")
        #expect(walked.keyframes[2].latent == walked.shown?.latent)
        // P unpins the last, :clear all.
        #expect(press(walked, [.char("P")]).0.keyframes.map(\.seed) == [7, 9])
        #expect(update(walked, .command(.clearKeyframes)).0.keyframes.isEmpty)
    }

    @Test func interpolatingNeedsTwoKeyframes() {
        for s in [startedState(), update(startedState(), .pin).0] {
            let (n, fx) = press(s, [.char("i")])
            #expect(!n.interpolating && n.keyMode == .normal && fx.isEmpty)
            #expect(n.message?.isWarning == true && n.message?.text.contains("two keyframes") == true, "\(n.message?.text ?? "")")
        }
    }

    @Test func enteringShowsAAndTheKeysMoveAlongThePath() throws {
        let (s, fx) = press(twoKeyframes(), [.char("i")])
        #expect(s.interpolating && s.keyMode == .interpolate && s.path.u == 0)
        #expect(decodes(fx).last?.spec.base == sample(7))
        // → a 32nd of the segment, by slerp (the default, as in zwalk interpolate).
        let (n, fx2) = press(decoded(s), [.right])
        #expect(n.path.u == 1.0 / 32)
        #expect(near(try #require(decodes(fx2).last?.spec.base), Interpolation.slerp(sample(7), sample(9), 1.0 / 32)))
        // L a quarter, h back a 32nd; there and back again is exactly where it was.
        #expect(press(n, [.char("L"), .char("h")]).0.path.u == 1.0 / 32 + 0.25 - 1.0 / 32)
        #expect(press(n, [.char("l"), .char("h"), .char("h")]).0.path.u == 0)
        // An open path holds at its ends.
        #expect(press(s, [.left, .left]).0.path.u == 0)
        let end = press(s, [.end, .right]).0
        #expect(end.path.u == 1 && end.spec.base == sample(9))
    }

    @Test func aLoopWrapsAndRunsBackToA() {
        let s = press(interpolating(), [.char("o")]).0
        #expect(s.path.loop && s.path.segments(keyframes: 2) == 2)
        let back = press(s, [.left]).0
        #expect(back.path.u == 2 - 1.0 / 32 && segmentLabel(back) == "B→A")
        #expect(near(back.spec.base!, Interpolation.slerp(sample(9), sample(7), 31.0 / 32)))
        #expect(press(back, [.right]).0.path.u == 0)
    }

    @Test func slerpLerpAndGeodesicCycle() {
        let s = press(interpolating(), [.char("m"), .char("L")]).0
        #expect(s.path.mode == .lerp && near(s.spec.base!, Interpolation.lerp(sample(7), sample(9), 0.25)))
        #expect(press(s, [.char("m")]).0.path.mode == .geodesic)
        #expect(press(s, [.char("m"), .char("m")]).0.path.mode == .slerp)
    }

    /// The geodesic is asked of the directions thread once; the picture follows slerp until it
    /// arrives, then the geodesic; a geodesic for other keyframes or another loop is not used.
    @Test func theGeodesicIsComputedOffTheUIThread() {
        let s0 = press(interpolating(), [.char("m")]).0
        let (s, fx) = press(s0, [.char("m")])
        let keys = [sample(7), sample(9)]
        let asked = GeodesicRequest(keyframes: keys, loop: false, perSegment: PathState.geodesicPerSegment)
        #expect(s.path.mode == .geodesic && fx.contains(.computeGeodesic(asked)))
        #expect(s.spec.base == sample(7))
        let (moved, fx2) = press(s, [.char("L")])
        #expect(!fx2.contains { if case .computeGeodesic = $0 { return true }; return false }, "asked twice")
        #expect(near(moved.spec.base!, Interpolation.slerp(sample(7), sample(9), 0.25)), "slerp while it computes")
        #expect(render(moved, size: Size(width: 100, height: 30)).text.contains("Path · geodesic… · open"))
        var quiet = moved
        quiet.message = nil
        #expect(render(quiet, size: Size(width: 140, height: 30)).text.contains("geodesic (computing, slerp)"))
        // It arrives: the picture is the geodesic's point at u (a bent path, to tell it apart).
        let bent: [[Float]] = (0...8).map { k in
            let t = Double(k) / 8
            var z = Interpolation.lerp(sample(7), sample(9), t)
            z[3] += k == 0 || k == 8 ? 0 : 1
            return z
        }
        let g = GeodesicPath(keyframes: keys, loop: false, perSegment: 8, points: bent)
        let (arrived, fx3) = update(decoded(moved), .geodesicComputed(g))
        #expect(decodes(fx3).last?.spec.base == bent[2] && arrived.path.geodesicRequested == nil)
        #expect(g.point(at: 0) == keys[0] && g.point(at: 1) == keys[1] && near(g.point(at: 0.3125), Interpolation.lerp(bent[2], bent[3], 0.5)))
        // Looping needs a geodesic of its own: asked for, slerp meanwhile.
        let (looped, fx4) = press(decoded(arrived), [.char("o")])
        #expect(fx4.contains(.computeGeodesic(GeodesicRequest(keyframes: keys, loop: true, perSegment: 8))))
        #expect(near(looped.spec.base!, Interpolation.slerp(sample(7), sample(9), 0.25)))
        // Exported, the strip is the command's geodesic strip.
        guard case .exportPath(let e)? = press(arrived, [.char("e")]).1.first else { Issue.record("no export"); return }
        #expect(e.mode == .geodesic)
    }

    @Test func theWorkerComputesGeodesicsOnTheDirectionsThread() {
        let provider = FakeProvider()
        let w = BackendWorker(decoder: FakeDecoder(), sampler: FakeSampler(), provider: provider, exporter: FakeExporter(), notify: {})
        w.start(); defer { w.stop() }
        let keys = [sample(7), sample(9)]
        w.submit(.geodesic(GeodesicRequest(keyframes: keys, loop: true, perSegment: 4)))
        let deadline = Date().addingTimeInterval(10)
        var results: [WorkerResult] = []
        while results.isEmpty && Date() < deadline { results += w.takeResults(); usleep(2000) }
        guard case .geodesicComputed(let g)? = results.first.map({ $0.action(at: 0) }) else { Issue.record("\(results)"); return }
        #expect(g.points.count == 8 && g.points[0] == keys[0] && g.points[4] == keys[1] && g.loop)
        #expect(provider.geodesicCalls == 1)
    }

    @Test func playingAdvancesWithTheClockAndWaitsForFrames() {
        var s = press(interpolating(), [.char(" ")]).0
        #expect(s.path.playing)
        s = update(s, .tick(at: 10)).0            // the first tick only starts the clock
        #expect(s.path.u == 0 && s.path.lastTick == 10)
        var (n, fx) = update(s, .tick(at: 10.1))
        #expect(abs(n.path.u - 0.1 * s.path.speed) < 1e-9 && decodes(fx).count == 1)
        // While that frame decodes, ticks wait; then the time since counts, at most 0.2 s.
        let waiting = update(n, .tick(at: 10.2))
        #expect(waiting.0 == n && waiting.1.isEmpty)
        (n, fx) = update(decoded(n), .tick(at: 15))
        #expect(abs(n.path.u - (0.1 + PathState.maxTickSeconds) * s.path.speed) < 1e-9)
        // + doubles the speed, - halves it, :speed sets it.
        #expect(press(n, [.char("+")]).0.path.speed == 2 * s.path.speed)
        #expect(press(n, [.char("-")]).0.path.speed == s.path.speed / 2)
        #expect(update(n, .command(.speed(3))).0.path.speed == 3)
        // Paused, ticks do nothing.
        let paused = press(n, [.char(" ")]).0
        #expect(!paused.path.playing && update(paused, .tick(at: 20)).0 == paused)
    }

    @Test func playingStopsAtTheEndOfAnOpenPathAndWrapsALoop() {
        var s = press(interpolating(), [.char(" ")]).0
        s.path.u = 0.95
        s = update(s, .tick(at: 1)).0
        var open = decoded(update(s, .tick(at: 1.2)).0)
        #expect(open.path.u == 1 && !open.path.playing && open.message?.text.contains("end of the path") == true)
        // Space at the end plays again from A.
        open = press(open, [.char(" ")]).0
        #expect(open.path.playing && open.path.u == 0)

        var loop = decoded(press(s, [.char("o")]).0)
        loop.path.u = 1.95
        let wrapped = update(loop, .tick(at: 1.2)).0
        #expect(wrapped.path.playing && abs(wrapped.path.u - 0.05) < 1e-9 && segmentLabel(wrapped) == "A→B")
    }

    @Test func escWalksOnFromThePathAndUndoReturns() {
        let s = decoded(press(interpolating(), [.char("L")]).0)
        let atPath = s.spec.base
        let (n, _) = press(s, [.escape])
        #expect(!n.interpolating && n.keyMode == .normal && n.spec.base == atPath)
        #expect(n.spec.baseDescription == "path A→B t 0.250")
        // Walking goes on from there; u returns to the walk before the path (seed 9).
        let walked = press(n, [.char("l")]).0
        #expect(walked.spec.base == atPath && walked.spec.coefficients[0] == 0.25)
        let undone = press(n, [.char("u")]).0
        #expect(undone.spec.base == nil && undone.spec.seed == 9)
        // Unpinning below two keyframes leaves the mode too.
        #expect(!press(s, [.char("P")]).0.interpolating)
    }

    @Test func exportInInterpolateModeWritesThePath() {
        let s = interpolating()
        let (_, fx) = update(s, .command(.exportPath(path: "strip.png", overwrite: false, steps: 8)))
        #expect(fx == [.exportPath(PathExport(path: "strip.png", overwrite: false, keyframes: s.keyframes, mode: .slerp,
                                              loop: false, steps: 8))])
        // e and a plain :export take 8 cells, with the mode and loop as set.
        let (_, efx) = press(press(s, [.char("o"), .char("m")]).0, [.char("e")])
        #expect(efx == [.exportPath(PathExport(path: nil, overwrite: false, keyframes: s.keyframes, mode: .lerp, loop: true, steps: 8))])
        // Fewer cells than keyframes is refused with a reason.
        let three = decoded(press(press(s, [.escape]).0, [.char("p")]).0)
        let (n, none) = update(three, .command(.exportPath(path: "s.png", overwrite: false, steps: 2)))
        #expect(none.isEmpty && n.message?.text.contains("at least 3 cells") == true)
        // Walking, :export writes the picture.
        guard case .export? = update(press(s, [.escape]).0, .command(.export(path: "a.png", overwrite: false))).1.first else {
            Issue.record("walking, :export does not export the picture"); return
        }
    }

    @Test func exportCommandTakesACellCount() throws {
        #expect(try CommandParser.parse("export strip.png 8").get() == .exportPath(path: "strip.png", overwrite: false, steps: 8))
        #expect(try CommandParser.parse("export! 'my strip.png' 12").get() == .exportPath(path: "my strip.png", overwrite: true, steps: 12))
        #expect(try CommandParser.parse("export strip.png").get() == .export(path: "strip.png", overwrite: false))
        #expect(try CommandParser.parse("speed 0.25").get() == .speed(0.25))
        for bad in ["export s.png 1", "speed 0", "speed fast"] {
            #expect((try? CommandParser.parse(bad).get()) == nil, "\(bad)")
        }
    }

    @Test func theScreenShowsThePathAndTheKeyframes() {
        let s = decoded(press(interpolating(), [.char("L")]).0)
        let text = render(s, size: Size(width: 100, height: 30)).text
        #expect(text.contains("interpolate A→B") && text.contains("t 0.250") && text.contains("paused"), "\(text)")
        #expect(text.contains("Path · slerp · open (2)") && text.contains("▸ A  seed 7") && text.contains("→ B  seed 9"))
        #expect(text.contains("Space play") && text.contains("Esc walk"), "the hint bar is interpolate mode's")
        // Walking, the panel's last row lists the keyframes, the one on screen bracketed.
        let walking = render(twoKeyframes(), size: Size(width: 100, height: 30)).text
        #expect(walking.contains("keys A 7 · [B 9]"), "\(walking)")
    }

    @Test func pathExportsGoToTheExportDirectoryWithTheirSeeds() throws {
        let dir = NSTemporaryDirectory() + "zwalk-path-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = interpolating()
        let e = PathExport(path: nil, overwrite: false, keyframes: s.keyframes, mode: .slerp, loop: false, steps: 8)
        guard case .success(let r) = pathExportRequest(e, directory: dir) else { Issue.record("refused"); return }
        #expect(r.path == dir + "/zwalk-path-7-9-1.png" && r.seeds == [7, 9] && r.keyframes == s.keyframes.map(\.latent))
        var unseeded = e
        unseeded.keyframes[1].seed = nil
        unseeded.path = "strip"
        guard case .success(let u) = pathExportRequest(unseeded, directory: dir) else { Issue.record("refused"); return }
        #expect(u.seeds == nil && u.path == dir + "/strip.png")

        // On the worker's decode thread, through the exporter.
        let ex = FakeExporter()
        let w = BackendWorker(decoder: FakeDecoder(), sampler: FakeSampler(), provider: FakeProvider(), exporter: ex, notify: {})
        w.start(); defer { w.stop() }
        w.submit(.exportPath(r))
        let deadline = Date().addingTimeInterval(10)
        var results: [WorkerResult] = []
        while results.isEmpty && Date() < deadline { results += w.takeResults(); usleep(2000) }
        #expect(results.first.map { $0.action(at: 0) } == .exported(path: r.path))
        #expect(ex.pathRequests == [r])
    }
}

extension InterpolateTests {
    /// p on the path pins the picture there as C; the path now runs through it and the picture
    /// stays put, with the position kept (now on a path of two segments).
    @Test func pinningOnThePathExtendsIt() {
        let s = decoded(press(interpolating(), [.char("L")]).0)
        let (n, fx) = press(s, [.char("p")])
        #expect(n.interpolating && n.keyframes.count == 3 && n.keyframes[2].seed == nil)
        #expect(n.keyframes[2].latent == s.shown?.latent && n.path.u == 0.25 && decodes(fx).count == 1)
        #expect(n.path.t(keyframes: 3) == 0.125)
    }
}
