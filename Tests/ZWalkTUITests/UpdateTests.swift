import Testing
@testable import ZWalkTUI

/// Applies actions in order, collecting every effect.
func run(_ s: ExplorerState, _ actions: [Action]) -> (ExplorerState, [Effect]) {
    var state = s
    var all: [Effect] = []
    for a in actions { let (n, fx) = update(state, a); state = n; all += fx }
    return (state, all)
}

/// Presses keys as the explorer does: each through the table of the mode the screen is in then.
func press(_ s: ExplorerState, _ keys: [Key]) -> (ExplorerState, [Effect]) {
    var state = s
    var all: [Effect] = []
    for k in keys {
        guard let a = action(for: k, in: state) else { continue }
        let (n, fx) = update(state, a); state = n; all += fx
    }
    return (state, all)
}

func typing(_ text: String) -> [Key] { text.unicodeScalars.map { .char($0) } }

func decodes(_ fx: [Effect]) -> [DecodeRequest] { fx.compactMap { if case .decode(let r) = $0 { return r }; return nil } }

@Suite struct UpdateTests {
    @Test func startAsksForAFrameAndTheDirections() {
        let s = ExplorerState(modelName: "m", latentShape: [4], seed: 3, loading: .sefa)
        let (n, fx) = update(s, .start)
        #expect(decodes(fx).map(\.seq) == [1])
        #expect(fx.contains(.loadDirections(.sefa, at: n.spec)))
        #expect(n.pending)
    }

    @Test func stepMovesTheSelectedCoefficientAndRequestsADecode() {
        let s = startedState()
        let (n, fx) = run(s, [.selectDirection(1), .step(1), .step(1), .step(-5)])
        #expect(n.selected == 1)
        #expect(n.spec.coefficients == [0, -0.75, 0, 0])
        #expect(decodes(fx).count == 3)
        #expect(decodes(fx).last?.spec.coefficients == [0, -0.75, 0, 0])
    }

    @Test func stepsClampAtTheLimit() {
        var s = startedState()
        s.stepSize = 2
        let (n, fx) = run(s, Array(repeating: .step(5), count: 3))
        #expect(n.spec.coefficients[0] == ExplorerState.coefficientLimit)
        #expect(decodes(fx).count == 1)   // the later presses change nothing and ask for nothing
        #expect(n.message?.text.contains("limit") == true)
    }

    @Test func stepSizeWalksTheLadder() {
        let s = startedState()
        #expect(run(s, [.scaleStep(up: true)]).0.stepSize == 0.5)
        #expect(run(s, [.scaleStep(up: false), .scaleStep(up: false)]).0.stepSize == 0.05)
        #expect(run(s, Array(repeating: .scaleStep(up: false), count: 9)).0.stepSize == 0.05)
        #expect(run(s, Array(repeating: .scaleStep(up: true), count: 9)).0.stepSize == 2)
    }

    @Test(arguments: [(0, 1, 1), (3, 1, 0), (0, -1, 3), (2, -5, 1), (1, 8, 1)])
    func directionSelectionWraps(start: Int, delta: Int, want: Int) {
        var s = startedState()
        s.selected = start
        #expect(update(s, .selectDirection(delta)).0.selected == want)
    }

    @Test func resetOneAndResetAll() {
        let s = startedState()
        let (walked, _) = run(s, [.step(2), .selectDirection(1), .step(-1)])
        let (one, fx1) = update(walked, .resetDirection)
        #expect(one.spec.coefficients == [0.5, 0, 0, 0])
        #expect(decodes(fx1).count == 1)
        let (all, fx2) = update(walked, .resetAll)
        #expect(all.spec.coefficients == [0, 0, 0, 0])
        #expect(decodes(fx2).count == 1)
        // Resetting what is already zero is not an edit.
        let (same, fx3) = update(all, .resetAll)
        #expect(same.undoStack.count == all.undoStack.count && fx3.isEmpty)
    }

    @Test func undoAndRedoRestoreThePicture() {
        let s = startedState()
        let (a, _) = run(s, [.step(1), .step(1), .nextSample])
        #expect(a.spec.seed == 8 && a.spec.coefficients[0] == 0.5)
        let (u1, fx) = update(a, .undo)
        #expect(u1.spec.seed == 7 && u1.spec.coefficients[0] == 0.5)
        #expect(decodes(fx).count == 1)
        let (u3, _) = run(u1, [.undo, .undo])
        #expect(u3.spec.coefficients[0] == 0)
        let (u4, _) = update(u3, .undo)
        #expect(u4.message?.text == "nothing to undo")
        let (r, _) = run(u3, [.redo, .redo, .redo])
        #expect(r.spec == a.spec)
        #expect(update(r, .redo).0.message?.text == "nothing to redo")
        // A new edit after undo drops the redo history.
        let (b, _) = run(a, [.undo, .step(1)])
        #expect(b.redoStack.isEmpty)
    }

    @Test func newSampleAndTypedSeed() {
        let s = startedState()
        let (n, fx) = update(s, .nextSample)
        #expect(n.spec.seed == 8 && decodes(fx).count == 1)
        let (p, _) = press(s, [.char("s"), .char("4"), .char("2"), .enter])
        #expect(p.spec.seed == 42 && p.mode == .normal)
        let (bad, fxBad) = press(s, [.char("s"), .char("x"), .enter])
        #expect(bad.spec.seed == 7 && decodes(fxBad).isEmpty && bad.message?.isWarning == true)
        // The seed wraps rather than traps at the top of UInt32.
        let (top, _) = run(s, [.command(.seed(UInt32.max)), .nextSample])
        #expect(top.spec.seed == 0)
    }

    @Test(arguments: [(1.0 as Float, 1, 1.1 as Float), (1, -1, 0.9), (2, 1, 2), (0, -1, 0), (0.05, -1, 0)])
    func psiStepsAndClamps(from: Float, d: Int, want: Float) {
        var s = startedState()
        s.spec.psi = from
        #expect(update(s, .adjustPsi(d)).0.spec.psi == want)
    }

    @Test func psiCommandClampsAndLoadedLatentIgnoresPsi() {
        let s = startedState()
        #expect(update(s, .command(.psi(7))).0.spec.psi == 2)
        #expect(update(s, .command(.psi(-3))).0.spec.psi == 0)
        var given = s
        given.spec.base = [1, 2, 3, 4]
        let (n, fx) = update(given, .adjustPsi(1))
        #expect(n.spec.psi == s.spec.psi && fx.isEmpty && n.message?.isWarning == true)
    }

    @Test func staleFramesDoNotReplaceNewerOnes() {
        let s = startedState()
        let (a, fx) = run(s, [.step(1), .step(1)])
        let reqs = decodes(fx)
        let f = frame(2, 2) { _, _ in red }
        let newer = DecodeResult(request: reqs[1], latent: [0, 0, 0, 0], frame: f, milliseconds: 1)
        let older = DecodeResult(request: reqs[0], latent: [1, 1, 1, 1], frame: f, milliseconds: 1)
        let (b, _) = run(a, [.frameDecoded(newer, at: 2), .frameDecoded(older, at: 3)])
        #expect(b.shown == newer && !b.pending)
    }

    @Test func frameRateComesFromArrivalTimes() {
        var s = startedState()
        s.frameTimes = []
        let f = frame(2, 2) { _, _ in red }
        for i in 0..<11 {
            s.requestSeq += 1
            let r = DecodeRequest(seq: s.requestSeq, spec: s.spec)
            s = update(s, .frameDecoded(DecodeResult(request: r, latent: [], frame: f, milliseconds: 1), at: 10 + Double(i) * 0.05)).0
        }
        #expect(abs((s.framesPerSecond ?? 0) - 20) < 1e-6)
    }

    @Test func decodeFailureIsShownAndClearsPending() {
        let (a, fx) = update(startedState(), .step(1))
        let (b, _) = update(a, .decodeFailed(seq: decodes(fx)[0].seq, message: "node 'conv1' (Conv): bad", retryAt: nil))
        #expect(!b.pending && b.message?.isWarning == true && b.message?.text.contains("conv1") == true)
    }

    @Test func exportNeedsAFrameAndCarriesTheShownOne() {
        let fresh = ExplorerState(modelName: "m", latentShape: [4])
        let (n, fx) = update(fresh, .exportImage)
        #expect(fx.isEmpty && n.message?.isWarning == true)
        let s = startedState()
        #expect(update(s, .exportImage).1 == [.export(path: nil, overwrite: false, of: s.shown!)])
        let (_, fx2) = press(s, [.char(":")] + typing("export! a.png") + [.enter])
        #expect(fx2 == [.export(path: "a.png", overwrite: true, of: s.shown!)])
    }

    @Test func exportResultsReachTheStatusLine() {
        let s = startedState()
        #expect(update(s, .exported(path: "zwalk-7-1.png")).0.message == StatusMessage(text: "wrote zwalk-7-1.png", isWarning: false))
        #expect(update(s, .exportFailed("x.png exists")).0.message?.isWarning == true)
    }

    @Test func commandLineTypingAndErrors() {
        let s = startedState()
        let (t, _) = press(s, [.char(":")] + typing("theme light"))
        #expect(t.mode == .prompt(.command, text: "theme light"))
        let (done, fx) = press(t, [.enter])
        #expect(done.mode == .normal && fx == [.loadTheme("light")])
        let (bs, _) = press(t, [.backspace, .backspace])
        #expect(bs.mode == .prompt(.command, text: "theme lig"))
        let (esc, fxEsc) = press(t, [.escape])
        #expect(esc.mode == .normal && fxEsc.isEmpty)
        let (bad, _) = press(s, [.char(":"), .char("x"), .enter])
        #expect(bad.message?.text.contains("unknown command") == true)
        let (quit, fxq) = press(s, [.char(":"), .char("q"), .enter])
        #expect(quit.quitRequested && fxq == [.quit])
    }

    @Test func chooserPicksASetOrAsksForAFile() {
        let s = startedState()
        let (c, _) = press(s, [.char("d"), .down, .enter])
        #expect(c.mode == .normal && c.loadingDirections == .sefa)
        let (d, fx) = press(s, [.char("d"), .char("3")])
        #expect(fx == [.loadDirections(.pca, at: s.spec)] && d.loadingDirections == .pca)
        let (f, _) = press(s, [.char("d"), .up])
        #expect(f.mode == .chooser(selected: 4))      // wraps to "file…"
        let (p, _) = press(f, [.enter])
        #expect(p.mode == .prompt(.directionsFile, text: ""))
        let (q, fxq) = press(p, [.char("a"), .enter])
        #expect(fxq == [.loadDirections(.file("a"), at: q.spec)])
        let (closed, _) = press(s, [.char("d"), .escape])
        #expect(closed.mode == .normal)
    }

    @Test func loadedDirectionsReplaceTheSetAndKeepTheWalk() {
        let s = startedState()
        let d = WalkDirections(method: "SeFa", vectors: [[0, 0, 0, 1], [0, 0, 1, 0]], scores: [3, 1])
        // Nothing walked yet: the picture stays, no decode.
        let (a, fxA) = update(s, .directionsLoaded(d, origin: [9, 9, 9, 9]))
        #expect(a.directions == d && a.spec.base == nil && decodes(fxA).isEmpty && a.spec.coefficients == [0, 0])
        // Walked, the walk's frame still decoding: the set waits for that frame, then the walk goes
        // on from the frame's latent (not from where the directions were computed).
        let (w, fxW) = update(s, .step(2))
        let (b, fxB) = update(w, .directionsLoaded(d, origin: [9, 9, 9, 9]))
        #expect(b.directions == w.directions && b.spec == w.spec && decodes(fxB).isEmpty && b.deferredDirections == d)
        let walkedTo: [Float] = [1, 2, 3, 4]
        let request = decodes(fxW)[0]
        let frame = DecodeResult(request: request, latent: walkedTo, frame: try! FakeDecoder().decode(walkedTo), milliseconds: 1)
        let (c, fxC) = update(b, .frameDecoded(frame, at: 3))
        #expect(c.directions == d && c.spec.base == walkedTo && c.spec.coefficients == [0, 0] && c.deferredDirections == nil)
        #expect(decodes(fxC).count == 1 && c.message?.text.contains("walking on") == true)
        // Undo takes the step back, in the new set (the set itself is never undone).
        let undone = update(c, .undo).0
        #expect(undone.directions == d && undone.spec.base == nil && undone.spec.coefficients == [0, 0])
        // Walked, frame on screen: adopted at once, from the latent on screen.
        let (e, _) = update(c, .step(1))
        var shownNow = e
        shownNow.shownSeq = shownNow.requestSeq
        shownNow.shown = DecodeResult(request: decodes(update(c, .step(1)).1)[0], latent: [5, 5, 5, 5],
                                      frame: frame.frame, milliseconds: 1)
        let (f, _) = update(shownNow, .directionsLoaded(d, origin: [9, 9, 9, 9]))
        #expect(f.spec.base == [5, 5, 5, 5] && f.spec.coefficients == [0, 0])
    }

    /// The ranked per-axis set: the latent's axes in another order, named, with scores and σs.
    static let ranked = WalkDirections(method: "per-axis", vectors: [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0]],
                                       names: ["size", "slant", "width", "ink"], scores: [4, 3, 2, 1], sigmas: [1, 2, 1, 1])

    /// Issue 10 #8: on the shipped model `l l u u u` turned the ranked, named set back into the
    /// unranked axes it replaced, while the status line still said per-axis.
    @Test func undoRestoresTheWalkAndNeverTheDirectionSet() {
        let s = update(startedState(), .directionsLoaded(Self.ranked, origin: nil)).0
        #expect(s.directions == Self.ranked)
        let (n, _) = press(s, [.char("l"), .char("l"), .char("u"), .char("u"), .char("u")])
        #expect(n.directions == Self.ranked, "undo replaced the set: \(n.directions.method) \(n.directions.names)")
        #expect(n.spec.coefficients == [0, 0, 0, 0] && n.spec == s.spec)
        #expect(n.message?.text == "nothing to undo")
        let (r, _) = press(n, [.ctrl("r"), .ctrl("r")])
        #expect(r.directions == Self.ranked && r.spec.coefficients == [0.5, 0, 0, 0])
    }

    /// Steps taken on the axes before the ranked set lands are undone in the ranked set: each
    /// step's position is the same latent, written in the new set's coefficients.
    @Test func undoAfterASetLandsWalksBackInTheNewSet() {
        let s = startedState()
        let (w, fx) = press(s, [.char("l"), .char("l")])           // z[0] at +0.50σ, still decoding
        let (waiting, _) = update(w, .directionsLoaded(Self.ranked, origin: nil))
        let r = decodes(fx).last!
        let z = r.spec.compose(base: try! FakeSampler().sample(seed: 7, psi: 1))
        let (adopted, _) = update(waiting, .frameDecoded(DecodeResult(request: r, latent: z, frame: try! FakeDecoder().decode(z), milliseconds: 1), at: 2))
        #expect(adopted.directions == Self.ranked && adopted.spec.base == z)
        let (u1, _) = update(adopted, .undo)
        // z[0] is the ranked set's second direction ("slant"), whose σ is 2: +0.25 axis σ = +0.125.
        #expect(u1.directions == Self.ranked && u1.spec.base == nil && u1.spec.coefficients == [0, 0.125, 0, 0])
        #expect(u1.spec.compose(base: [0, 0, 0, 0]) == [0.25, 0, 0, 0])
        let (u2, _) = update(u1, .undo)
        #expect(u2.directions == Self.ranked && u2.spec.coefficients == [0, 0, 0, 0] && u2.spec.base == nil)
        #expect(update(u2, .undo).0.message?.text == "nothing to undo")
    }

    /// A walk the new set has no direction for is undone to exactly the picture it was: kept as
    /// an offset from the seed's sample, while the set on screen stays the new one.
    @Test func undoKeepsAWalkTheNewSetCannotExpress() {
        let sefa = WalkDirections(method: "SeFa", vectors: [[0, 0, 0, 1], [0, 0, 1, 0]])
        let s = startedState()
        let sample = try! FakeSampler().sample(seed: 7, psi: 1)
        let (w, fx) = press(s, [.char("l"), .char("l")])
        let r = decodes(fx).last!
        let z = r.spec.compose(base: sample)
        let (waiting, _) = update(w, .directionsLoaded(sefa, origin: nil))
        let (adopted, _) = update(waiting, .frameDecoded(DecodeResult(request: r, latent: z, frame: try! FakeDecoder().decode(z), milliseconds: 1), at: 2))
        #expect(adopted.directions == sefa && adopted.spec.base == z)
        let (u1, fx1) = update(adopted, .undo)
        #expect(u1.directions == sefa && u1.spec.coefficients == [0, 0] && u1.spec.base == nil)
        #expect(decodes(fx1).last?.spec.compose(base: sample) == [sample[0] + 0.25, sample[1], sample[2], sample[3]])
        #expect(u1.spec.baseDescription == "seed 7 + walk")
        let (u2, _) = update(u1, .undo)
        #expect(u2.directions == sefa && u2.spec.compose(base: sample) == sample && u2.spec.baseDescription == "seed 7")
        // Walking on from the offset adds to it; a new seed starts clean.
        let (on, _) = press(u1, [.char("l")])
        #expect(on.spec.compose(base: sample) == [sample[0] + 0.25, sample[1], sample[2], sample[3] + 0.25])   // SeFa 0 is z[3]
        #expect(update(u1, .command(.seed(3))).0.spec.offset == nil)
    }

    @Test func directionsOfTheWrongSizeAreRefused() {
        let s = startedState()
        let d = WalkDirections(method: "file", vectors: [[1, 0, 0]])
        let (n, _) = update(s, .directionsLoaded(d, origin: nil))
        #expect(n.directions == s.directions && n.message?.isWarning == true)
        #expect(n.message?.text.contains("3 elements") == true && n.message?.text.contains("has 4") == true)
    }

    @Test func helpTogglesAndScrolls() {
        let s = startedState()
        let (h, _) = press(s, [.char("?"), .down, .down, .up])
        #expect(h.mode == .help(scroll: 1))
        #expect(press(h, [.char("?")]).0.mode == .normal)
        #expect(press(h, [.escape]).0.mode == .normal)
    }

    @Test func blocksAndColourSwitch() {
        let s = startedState()
        #expect(run(s, [.cycleBlocks]).0.blocks == .quadrant)
        #expect(run(s, [.cycleBlocks, .cycleBlocks, .cycleBlocks]).0.blocks == .half)
        #expect(update(s, .command(.color(.ansi16))).0.colorMode == .ansi16)
    }

    @Test func messagesFadeAfterSomeKeys() {
        var s = update(startedState(), .exported(path: "a.png")).0
        #expect(s.visibleMessage != nil)
        for _ in 0..<StatusMessage.lifetime { s = update(s, .selectDirection(1)).0 }
        #expect(s.visibleMessage == nil)
    }

    /// Issue 10 #11: an error shown right after start (a theme that could not be read) was
    /// overwritten at once by the info "directions: per-axis". Errors win over info messages
    /// while they show; Esc clears them, and a later error still replaces an earlier one.
    @Test func anInfoMessageDoesNotReplaceAnError() {
        var s = ExplorerState(modelName: "m", latentShape: [4], seed: 7, loading: .axis)
        s.message = StatusMessage(text: "theme file x.theme cannot be read; using dark", isWarning: true)
        s = update(s, .start).0
        let (landed, _) = update(s, .directionsLoaded(UpdateTests.ranked, origin: nil))
        #expect(landed.directions == UpdateTests.ranked)
        #expect(landed.message?.text == "theme file x.theme cannot be read; using dark" && landed.message?.isWarning == true)
        let (stepped, _) = run(landed, [.scaleStep(up: true)])
        #expect(stepped.message?.isWarning == true)
        let (newer, _) = update(stepped, .exportFailed("not overwritten, exists: a.png"))
        #expect(newer.message?.text.contains("a.png") == true)
        let (cleared, _) = press(newer, [.escape, .char("+")])
        #expect(cleared.message == StatusMessage(text: "step 1σ", isWarning: false))
        // Once the error has faded, info shows again.
        var faded = stepped
        for _ in 0..<StatusMessage.lifetime { faded = update(faded, .selectDirection(1)).0 }
        #expect(update(faded, .exported(path: "b.png")).0.visibleMessage?.text == "wrote b.png")
    }

    @Test func composeAddsScaledDirections() {
        let d = WalkDirections(method: "m", vectors: [[1, 0], [0, 1]], sigmas: [2, 0.5])
        let spec = LatentSpec(seed: 0, psi: 1, directions: d, coefficients: [1.5, -2])
        #expect(spec.compose(base: [10, 10]) == [13, 9])
    }

    @Test func exportNamesSkipExistingFiles() {
        let existing: Set<String> = ["out/zwalk-42-1.png", "out/zwalk-42-2.png"]
        #expect(nextFreeExportPath(directory: "out", stem: "42") { existing.contains($0) } == "out/zwalk-42-3.png")
        #expect(nextFreeExportPath(directory: "out/", stem: "5") { existing.contains($0) } == "out/zwalk-5-1.png")
        #expect(resolveExportPath("pics/a", directory: "/w") == "/w/pics/a.png")
        #expect(resolveExportPath("/abs/b.png", directory: "/w") == "/abs/b.png")
    }

    /// README: `e` writes zwalk-<seed>-<n>.png. A walk folded into the base when a direction set
    /// landed mid-walk used to make it zwalk-latent-<n>.png; a given latent is named by its label.
    @Test func exportNamesFollowTheSeedOrTheLatentsLabel() {
        let s = startedState()
        #expect(s.spec.exportStem == "7")
        let (w, fx) = press(s, [.char("l")])
        let r = decodes(fx)[0]
        let (waiting, _) = update(w, .directionsLoaded(UpdateTests.ranked, origin: nil))
        let (folded, _) = update(waiting, .frameDecoded(DecodeResult(request: r, latent: [1, 2, 3, 4], frame: s.shown!.frame, milliseconds: 1), at: 2))
        #expect(folded.spec.base != nil && folded.spec.exportStem == "7")
        #expect(statusFields(folded, compact: false).contains("seed 7 + walk"))

        let given = ExplorerState(modelName: "m", latentShape: [4], base: [1, 2, 3, 4], baseLabel: "z.npy[0]")
        #expect(given.spec.exportStem == "z.npy-0")
        #expect(statusFields(given, compact: false).first == "z.npy[0]")
        #expect(ExplorerState(modelName: "m", latentShape: [4], base: [1, 2, 3, 4]).spec.exportStem == "latent")
        #expect(ExplorerState(modelName: "m", latentShape: [4], base: [1, 2, 3, 4], baseLabel: "../a b/ü.png").spec.exportStem == "a-b-.png")
        // A new seed names the file by the seed again.
        #expect(update(given, .command(.seed(9))).0.spec.exportStem == "9")
    }

    /// The status line names where a given latent came from (it used to say "seed 0 + walk").
    @Test func theStatusLineNamesAGivenLatent() {
        var s = ExplorerState(modelName: "m", latentShape: [4], base: [1, 2, 3, 4], baseLabel: "walk.png")
        s = update(s, .start).0
        let line = render(s, size: Size(width: 100, height: 30)).lines[28]
        #expect(line.contains("walk.png") && !line.contains("seed 0"), "\(line)")
        let (w, _) = press(s, [.char("l")])
        var shown = w
        shown.shown = DecodeResult(request: DecodeRequest(seq: w.requestSeq, spec: w.spec), latent: [2, 2, 3, 4],
                                   frame: frame(2, 2) { _, _ in red }, milliseconds: 1)
        shown.shownSeq = w.requestSeq
        let (adopted, _) = update(shown, .directionsLoaded(UpdateTests.ranked, origin: nil))
        #expect(adopted.spec.baseDescription == "walk.png + walk" && adopted.spec.exportStem == "walk.png")
    }

    /// Local directions belong to the point: a new sample, seed or ψ computes them again there.
    @Test func localDirectionsAreRecomputedWhenThePointMoves() {
        var local = WalkDirections(method: "local", vectors: WalkDirections.axes(count: 4).vectors)
        local.source = .local
        let s = update(startedState(), .directionsLoaded(local, origin: nil)).0
        for keys: [Key] in [[.char("r")], [.char("]")], [.char("s"), .char("3"), .enter], [.char("r"), .char("u")]] {
            let (n, fx) = press(s, keys)
            let asked = fx.compactMap { e -> LatentSpec? in if case .loadDirections(.local, let at) = e { return at }; return nil }
            #expect(asked.last?.seed == n.spec.seed && asked.last?.psi == n.spec.psi, "\(keys.map(\.label))")
            #expect(n.loadingDirections == .local)
        }
        // Steps walk along them without recomputing; other sets stay when the point moves.
        #expect(press(s, [.char("l")]).1.allSatisfy { if case .loadDirections = $0 { return false }; return true })
        var sefa = local; sefa.source = .sefa; sefa.method = "SeFa"
        let t = update(startedState(), .directionsLoaded(sefa, origin: nil)).0
        #expect(press(t, [.char("r")]).1.allSatisfy { if case .loadDirections = $0 { return false }; return true })
    }

    @Test func mouseClicksChooseAndWheelSteps() {
        let s = startedState()
        let size = Size(width: 100, height: 30)
        let layout = computeLayout(size: size, imageAspect: imageAspect(s))
        let list = layout.directionList!
        #expect(mouseAction(MouseEvent(x: list.x + 3, y: list.y + 2, kind: .press), state: s, size: size) == .selectIndex(2))
        #expect(mouseAction(MouseEvent(x: list.x + 3, y: list.y + 1, kind: .wheelUp), state: s, size: size) == .stepIndex(1, by: 1))
        #expect(mouseAction(MouseEvent(x: 2, y: 2, kind: .wheelDown), state: s, size: size) == .step(-1))
        #expect(mouseAction(MouseEvent(x: 2, y: 2, kind: .press), state: s, size: size) == nil)
        // Below the last direction is not a direction.
        #expect(mouseAction(MouseEvent(x: list.x + 3, y: list.y + 10, kind: .press), state: s, size: size) == nil)
        let (stepped, _) = update(s, .stepIndex(3, by: -1))
        #expect(stepped.selected == 3 && stepped.spec.coefficients[3] == -0.25)
    }
}

@Suite struct PathTests {
    @Test func displayPathIsRelativeInsideTheWorkingDirectory() {
        #expect(displayPath("/w/out/a.png", cwd: "/w") == "out/a.png")
        #expect(displayPath("/w/a.png", cwd: "/w/") == "a.png")
        #expect(displayPath("/other/a.png", cwd: "/w") == "/other/a.png")
        #expect(displayPath("/wx/a.png", cwd: "/w") == "/wx/a.png")
    }
}
