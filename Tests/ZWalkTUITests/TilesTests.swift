import Testing
import Foundation
import ZWalkImage
import ZWalkLatent
@testable import ZWalkTUI

/// The gallery, the direction preview and the map: which latents their tiles hold, how the keys
/// move over them, what Enter dives into, what `e` asks the exporter for.
@Suite struct TilesTests {
    func started(screen: Size = Size(width: 100, height: 30)) -> ExplorerState {
        var s = startedState()
        s = update(s, .resized(screen)).0
        return s
    }

    func batch(_ fx: [Effect]) -> TileBatch? {
        for case .decodeTiles(let b) in fx { return b }
        return nil
    }

    @Test func galleryIsAPageOfConsecutiveSeedsFillingTheScreenAndPagesOn() throws {
        let (s, fx) = update(started(), .enterGallery)
        let v = try #require(s.tiles)
        #expect(v.kind == .gallery && s.keyMode == .tiles)
        #expect(v.cols * v.rows == v.count && v.count >= 6, "a 100×30 screen holds a page of several tiles")
        #expect(v.specs.map(\.seed) == (0..<UInt32(v.count)).map { 7 + $0 }, "from the walk's seed on")
        #expect(v.specs.allSatisfy { $0.base == nil && $0.coefficients.allSatisfy { $0 == 0 } }, "unwalked samples")
        #expect(batch(fx)?.specs == v.specs && batch(fx)?.generation == v.generation)
        // Every tile fits on the screen.
        let g = tileGeometry(cols: v.cols, rows: v.rows, pane: tilePane(size: s.screen), imageAspect: Size(width: 8, height: 8))
        #expect(g.tiles.count == v.count && g.captions.allSatisfy { $0.maxY <= s.screen.height - 2 && $0.maxX <= 100 })

        let (p2, fx2) = update(s, .turnTilePage(1))
        #expect(p2.tiles?.specs.first?.seed == 7 + UInt32(v.count))
        #expect(batch(fx2)?.generation == p2.tiles?.generation && p2.tiles!.generation > v.generation)
        let (back, _) = update(p2, .turnTilePage(-1))
        #expect(back.tiles?.specs.map(\.seed) == v.specs.map(\.seed))
        #expect(update(s, .turnTilePage(-1)).0.tiles?.specs == v.specs, "no page before the first")
    }

    @Test func tilesOfAnOlderPageAreDropped() throws {
        let s = update(started(), .enterGallery).0
        let old = s.tiles!.generation
        let turned = update(s, .turnTilePage(1)).0
        let stale = DecodedTile(index: 0, latent: [0, 0, 0, 0], image: frame(8, 8) { _, _ in red })
        let after = update(turned, .tilesDecoded(generation: old, [stale])).0
        #expect(after.tiles?.images.allSatisfy { $0 == nil } == true)
        let fresh = update(turned, .tilesDecoded(generation: turned.tiles!.generation, [stale])).0
        #expect(fresh.tiles?.images[0] != nil && fresh.tiles?.decoded == 1)
    }

    @Test func cursorMovesWithinTheGridAndEnterExploresTheTile() throws {
        var s = tilesDecoded(update(started(), .enterGallery).0)
        let v = s.tiles!
        s = update(s, .moveTile(dx: -1, dy: -1)).0
        #expect(s.tiles?.cursor == 0, "held at the corner")
        s = update(update(s, .moveTile(dx: 1, dy: 0)).0, .moveTile(dx: 0, dy: 1)).0
        #expect(s.tiles?.cursor == v.cols + 1)
        let (n, fx) = update(s, .diveIntoTile)
        #expect(n.tiles == nil && n.keyMode == .normal)
        #expect(n.spec.seed == v.specs[v.cols + 1].seed && n.spec.base == nil)
        #expect(fx.contains { if case .decode = $0 { return true }; return false })
        #expect(update(n, .undo).0.spec.seed == 7, "u goes back to the walk before")
    }

    @Test func aClickSelectsATileAndASecondClickExploresIt() throws {
        let s = tilesDecoded(update(started(), .enterGallery).0)
        let v = s.tiles!
        let g = tileGeometry(cols: v.cols, rows: v.rows, pane: tilePane(size: s.screen), imageAspect: tileAspect(s))
        let r = g.tiles[2]
        let click = MouseEvent(x: r.x + 1, y: r.y + 1, kind: .press)
        let a = try #require(mouseAction(click, state: s, size: s.screen))
        #expect(a == .selectTile(2))
        let selected = update(s, a).0
        #expect(selected.tiles?.cursor == 2)
        let explored = update(selected, try #require(mouseAction(click, state: selected, size: s.screen))).0
        #expect(explored.tiles == nil && explored.spec.seed == v.specs[2].seed)
    }

    @Test func previewWalksTheDirectionOnTheWalkAndTheNextSeeds() throws {
        var s = started()
        s = update(update(s, .selectDirection(1)).0, .step(2)).0   // direction 1 at +0.5σ
        let (p, fx) = update(s, .enterPreview)
        let v = try #require(p.tiles)
        #expect(v.kind == .preview(direction: 1) && v.cols == TileView.previewSteps && v.rows == TileView.previewSamples)
        let steps = Figures.steps(columns: v.cols, range: Double(v.range)).map(Float.init)
        for c in 0..<v.cols {
            #expect(v.specs[c].seed == 7 && v.specs[c].coefficients[1] == 0.5 + steps[c], "row 0: the walk, stepped")
            #expect(v.specs[v.cols + c].seed == 8 && v.specs[v.cols + c].coefficients == [0, steps[c], 0, 0], "row 1: seed 8, unwalked")
        }
        #expect(v.cursor == v.cols / 2, "the cursor starts on the walk itself")
        #expect(batch(fx) != nil)
        // e: zwalk traverse --seeds … of the bases, the walk first.
        let (_, efx) = update(p, .exportImage)
        guard case .exportFigure(let e)? = efx.first else { Issue.record("no export"); return }
        guard case .preview(let bases, _, let seeds, let dim, let n, let range) = e.figure else { Issue.record("not a preview"); return }
        #expect(dim == 1 && n == v.cols && range == v.range)
        #expect(bases[0].coefficients == [0, 0.5, 0, 0] && bases[1].coefficients == [0, 0, 0, 0] && bases[1].seed == 8)
        #expect(seeds == [nil, 8, 9, 10], "the walked latent has no seed that reproduces it")
        // n: the next direction; +: a wider range.
        #expect(update(p, .turnTilePage(1)).0.tiles?.kind == .preview(direction: 2))
        #expect(update(p, .scaleTileRange(up: true)).0.tiles!.range > v.range)
    }

    @Test func mapCentreIsTheWalkAndTopRowIsPlusRange() throws {
        let s = started()
        let (m, _) = update(s, .enterMap)
        let v = try #require(m.tiles)
        #expect(v.kind == .map(x: 0, y: 1))
        let centre = (v.rows / 2) * v.cols + v.cols / 2
        #expect(v.cursor == centre && v.specs[centre] == s.spec)
        #expect(v.specs[0].coefficients[0] == -v.range && v.specs[0].coefficients[1] == v.range, "top left: x −range, y +range")
        var dived = update(update(tilesDecoded(m), .moveTile(dx: 1, dy: -1)).0, .diveIntoTile).0
        dived = decoded(dived)
        #expect(dived.spec.coefficients[0] == v.range / 2 && dived.spec.coefficients[1] == v.range / 2)
        let (_, efx) = update(m, .exportImage)
        guard case .exportFigure(let e)? = efx.first, case .slice(let base, _, let seed, 0, 1, let n, _) = e.figure else {
            Issue.record("no slice export"); return
        }
        #expect(base == s.spec && seed == 7 && n == v.cols)
        // A map needs two directions of the set.
        #expect(update(s, .command(.map(2, 2))).0.tiles == nil)
    }

    @Test func pinningATileMakesAKeyframeOfItsLatent() throws {
        var s = update(started(), .enterGallery).0
        #expect(update(s, .pin).0.keyframes.isEmpty, "not before it is decoded")
        s = tilesDecoded(s)
        s = update(update(s, .pin).0, .moveTile(dx: 1, dy: 0)).0
        let (two, fx) = update(s, .pin)
        #expect(two.keyframes.map(\.seed) == [7, 8])
        #expect(two.keyframes[1].latent == two.tiles!.latents[1])
        #expect(fx.contains(.saveWorkbench))
    }

    @Test func aNewDirectionSetClosesAPreviewButNotAGallery() throws {
        let s = update(started(), .enterPreview).0
        let d = WalkDirections(method: "pca", vectors: [[1, 0, 0, 0], [0, 1, 0, 0]])
        #expect(update(s, .directionsLoaded(d, origin: nil)).0.tiles == nil)
        let g = update(started(), .enterGallery).0
        #expect(update(g, .directionsLoaded(d, origin: nil)).0.tiles?.kind == .gallery)
    }

    @Test func tilesRenderAtEverySize() {
        let s = tilesDecoded(update(started(), .enterPreview).0)
        for size in [Size(width: 1, height: 1), Size(width: 10, height: 3), Size(width: 40, height: 12), Size(width: 200, height: 60)] {
            let c = render(s, size: size)
            #expect(c.width == size.width && c.height == size.height)
        }
        let text = render(s, size: Size(width: 120, height: 40)).text
        #expect(text.contains("preview") && text.contains("seed 8"))
    }
}

/// Bookmarks, labels and the attribute direction they build.
@Suite struct BookmarkTests {
    @Test func markAndGoReturnToTheSameLatent() throws {
        var s = startedState()
        let (marked, fx) = update(s, .command(.mark("start")))
        #expect(marked.marks.map(\.name) == ["start"] && marked.marks[0].point.seed == 7)
        #expect(fx.contains(.saveWorkbench))
        s = decoded(update(update(marked, .step(4)).0, .command(.mark("walked"))).0)
        s = update(s, .command(.mark("walked"))).0
        #expect(s.marks.count == 2 && s.marks[1].point.seed == nil, "a walked latent has no seed")
        s = decoded(update(s, .command(.seed(100))).0)
        s = decoded(update(s, .command(.go("walked"))).0)
        #expect(s.shown?.latent == s.marks[1].point.latent)
        s = decoded(update(s, .command(.go("sta"))).0)
        #expect(s.spec.seed == 7 && s.spec.base == nil, "a unique prefix is enough; a seed's sample is drawn again")
        #expect(update(s, .command(.go("nope"))).0.visibleMessage?.isWarning == true)
        #expect(update(s, .command(.unmark("start"))).0.marks.map(\.name) == ["walked"])
    }

    @Test func labelsNeedTwoOfEachThenBuildADirectionAddedToThePanel() throws {
        var s = startedState()
        #expect(update(s, .labelPicture(true)).0.visibleMessage?.isWarning == true, ". before :label names an attribute")
        s = update(s, .command(.label("bright", true))).0
        #expect(s.labelSets == [Workbench.LabelSet(name: "bright", positive: [s.shown!.latent])] && s.lastLabel == "bright")
        let (early, efx) = update(s, .command(.attribute("bright")))
        #expect(efx.isEmpty && early.visibleMessage?.isWarning == true)
        for seed: UInt32 in [8, 9, 10] {
            s = decoded(update(s, .command(.seed(seed))).0)
            s = update(s, .labelPicture(seed != 8)).0
        }
        s = decoded(update(s, .command(.seed(11))).0)
        s = update(s, .labelPicture(false)).0
        let set = try #require(s.labelSets.first)
        #expect(set.positive.count == 3 && set.negative.count == 2)
        // Labelling the same latent again moves it to the other side.
        s = update(s, .labelPicture(true)).0
        #expect(s.labelSets[0].positive.count == 4 && s.labelSets[0].negative.count == 1)
        s = update(s, .labelPicture(false)).0
        let (_, fx) = update(s, .command(.attribute("bright")))
        #expect(fx == [.buildAttribute(s.labelSets[0])])
        let before = s.directions.count
        let a = WalkDirections(method: "attribute", vectors: [[0.5, 0.5, 0.5, 0.5]], names: ["bright"])
        let added = update(s, .attributeBuilt(a)).0
        #expect(added.directions.count == before + 1 && added.directions.names.last == "bright")
        #expect(added.selected == before && added.directions.source == nil)
        #expect(update(added, .attributeBuilt(a)).0.directions.count == before + 1, "built again, it replaces itself")
    }

    @Test func aWorkbenchRestoresMarksLabelsAndKeyframes() {
        var s = startedState()
        s = update(update(s, .command(.mark("a"))).0, .command(.label("x", true))).0
        s = update(s, .pin).0
        let w = workbench(of: s, fingerprint: "f", model: "m.onnx")
        #expect(w.current?.seed == 7 && w.bookmarks.count == 1 && w.labels.count == 1 && w.keyframes.count == 1)
        let sefa = update(s, .command(.directions(.sefa))).0
        #expect(workbench(of: sefa, fingerprint: "f", model: "m").directions == "sefa", "the set being loaded is the one to restore")
        var fresh = ExplorerState(modelName: "fake", latentShape: [4])
        restore(w, into: &fresh)
        #expect(fresh.marks == s.marks && fresh.labelSets == s.labelSets && fresh.keyframes == s.keyframes && fresh.lastLabel == "x")
    }
}

/// `:anim`: a sweep while walking, the path while interpolating.
@Suite struct AnimationCommandTests {
    @Test func walkingAnimatesASweepOfTheChosenDirection() throws {
        var s = startedState()
        s = update(s, .selectDirection(2)).0
        let (_, fx) = update(s, .command(.anim(path: "a.gif", overwrite: false, frames: 15)))
        guard case .exportFigure(let e)? = fx.first, case .sweepAnimation(let base, _, let seed, let dim, let range, let frames, let fps) = e.figure else {
            Issue.record("no sweep: \(fx)"); return
        }
        #expect(base == s.spec && seed == 7 && dim == 2 && range == TileView.defaultRange)
        #expect(frames == 16 && fps == PathState.animationFPS, "a sweep goes there and back: an even frame count")
        #expect(e.path == "a.gif" && !e.overwrite)
        let g = update(s, .enterGallery).0
        let (gs, gfx) = update(g, .command(.anim(path: "a.gif", overwrite: false, frames: nil)))
        #expect(gfx.isEmpty && gs.visibleMessage?.isWarning == true, "a gallery has nothing to animate")
    }

    @Test func interpolatingAnimatesThePath() throws {
        var s = startedState()
        s = update(s, .pin).0
        s = decoded(update(s, .command(.seed(9))).0)
        s = update(update(s, .pin).0, .enterInterpolate).0
        s = update(s, .toggleLoop).0
        let (_, fx) = update(s, .command(.anim(path: "p.png", overwrite: true, frames: nil)))
        guard case .exportFigure(let e)? = fx.first, case .pathAnimation(let keys, let seeds, let mode, let loop, let frames, _) = e.figure else {
            Issue.record("no path animation: \(fx)"); return
        }
        #expect(keys == s.keyframes.map(\.latent) && seeds == [7, 9] && mode == .slerp && loop && frames == PathState.animationFrames)
        #expect(e.overwrite)
        let (few, ffx) = update(s, .command(.anim(path: "p.png", overwrite: false, frames: 1)))
        #expect(ffx.isEmpty || few.visibleMessage?.isWarning == true)
    }

    @Test func parsesFramesAndTheBang() throws {
        #expect(try CommandParser.parse("anim x.gif 30").get() == .anim(path: "x.gif", overwrite: false, frames: 30))
        #expect(try CommandParser.parse("anim! 'my walk.png'").get() == .anim(path: "my walk.png", overwrite: true, frames: nil))
        #expect((try? CommandParser.parse("anim").get()) == nil)
        #expect((try? CommandParser.parse("anim x.gif 1").get()) == nil)
    }
}
