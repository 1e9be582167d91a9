// Interpolate mode, as pieces of update(): pinning keyframes, moving and playing along the path
// through them, leaving it. Pure like the rest of update; the path's latent at u is computed here
// (lerp/slerp of a few keyframes is cheap), the picture is decoded by the worker like any other.
import ZWalkLatent

/// The path through the keyframes by lerp or slerp (the geodesic's stand-in until it arrives).
func latentPath(_ s: ExplorerState) -> LatentPath? {
    try? LatentPath(keyframes: s.keyframes.map(\.latent), loop: s.path.loop, mode: s.path.mode == .lerp ? .lerp : .slerp)
}

/// The geodesic the screen may use: computed for these keyframes and this loop.
func currentGeodesic(_ s: ExplorerState) -> GeodesicPath? {
    guard s.path.mode == .geodesic, let g = s.path.geodesic, g.loop == s.path.loop,
          g.keyframes == s.keyframes.map(\.latent) else { return nil }
    return g
}

/// In geodesic mode without a geodesic for the keyframes on the path: asks the directions thread
/// for one (once), the picture following slerp meanwhile.
func requestGeodesicIfNeeded(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard s.path.mode == .geodesic, s.keyframes.count >= 2, currentGeodesic(s) == nil else { return }
    let r = GeodesicRequest(keyframes: s.keyframes.map(\.latent), loop: s.path.loop, perSegment: PathState.geodesicPerSegment)
    guard s.path.geodesicRequested != r else { return }
    s.path.geodesicRequested = r
    say(&s, "computing the geodesic (slerp until it is ready)…")
    fx.append(.computeGeodesic(r))
}

func geodesicArrived(_ s: inout ExplorerState, _ fx: inout [Effect], _ g: GeodesicPath) {
    if let r = s.path.geodesicRequested, r.keyframes == g.keyframes && r.loop == g.loop { s.path.geodesicRequested = nil }
    s.path.geodesic = g
    guard s.interpolating, currentGeodesic(s) != nil else { return }
    say(&s, "geodesic ready")
    movePath(&s, &fx, to: s.path.u, snap: false)
}

/// "A→B": the segment the position is on.
func segmentLabel(_ s: ExplorerState) -> String {
    let n = s.keyframes.count
    guard n >= 2 else { return "" }
    let j = s.path.segment(keyframes: n)
    return Keyframe.letter(j) + "→" + Keyframe.letter((j + 1) % n)
}

func pin(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard let shown = s.shown else { warn(&s, "nothing to pin yet: no image has been decoded"); return }
    let spec = shown.request.spec
    let seeded = spec.base == nil && spec.offset == nil && spec.coefficients.allSatisfy { $0 == 0 }
    s.keyframes.append(Keyframe(latent: shown.latent, seed: seeded ? spec.seed : nil, psi: spec.psi))
    let k = s.keyframes.last!
    let hint = s.keyframes.count >= 2 && !s.interpolating ? " (i interpolates)" : ""
    say(&s, "pinned \(Keyframe.letter(s.keyframes.count - 1)): \(k.label)\(hint)")
    fx.append(.saveWorkbench)
    // On the path, the path has changed: the picture (and a geodesic) follow it.
    if s.interpolating { movePath(&s, &fx, to: s.path.u, snap: false) }
}

func unpin(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard !s.keyframes.isEmpty else { say(&s, "no keyframes to unpin"); return }
    let letter = Keyframe.letter(s.keyframes.count - 1)
    if s.interpolating && s.keyframes.count <= 2 { leaveInterpolate(&s, &fx) }
    s.keyframes.removeLast()
    say(&s, "unpinned \(letter)")
    fx.append(.saveWorkbench)
    if s.interpolating { movePath(&s, &fx, to: s.path.u, snap: false) }
}

func enterInterpolate(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard !s.interpolating else { return }
    guard s.keyframes.count >= 2 else {
        let have = s.keyframes.isEmpty ? "none is pinned" : "only A is pinned"
        warn(&s, "interpolating needs two keyframes and \(have): p pins the picture on screen")
        return
    }
    // Undo after leaving returns to the walk as it was before the path.
    pushUndo(&s)
    s.interpolating = true
    s.path.playing = false
    s.path.lastTick = nil
    s.mode = .normal
    say(&s, "interpolating through \(s.keyframes.count) keyframes: h/l move, Space plays, Esc walks on")
    movePath(&s, &fx, to: 0, snap: false)
}

/// Back to walking from the path's latent on screen (u undoes to the walk before the path).
func leaveInterpolate(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    s.interpolating = false
    s.path.playing = false
    s.path.lastTick = nil
    say(&s, "walking on from \(s.spec.baseDescription) (u: back to before the path)")
    recomputeLocalDirections(&s, &fx)
}

/// Puts the position at u (wrapped on a loop, held to the ends of an open path; `snap` rounds
/// it to the fine step so stepping there and back returns exactly) and asks for its picture.
func movePath(_ s: inout ExplorerState, _ fx: inout [Effect], to u: Double, snap: Bool) {
    guard let path = latentPath(s) else { return }
    let segs = Double(path.segments)
    var v = snap ? (u / PathState.fineStep).rounded() * PathState.fineStep : u
    if s.path.loop {
        v = v.truncatingRemainder(dividingBy: segs)
        if v < 0 { v += segs }
    } else {
        v = min(segs, max(0, v))
    }
    s.path.u = v
    let t = s.path.t(keyframes: s.keyframes.count)
    requestGeodesicIfNeeded(&s, &fx)
    let z = currentGeodesic(s)?.point(at: v) ?? path.point(at: v)
    s.spec = LatentSpec(seed: s.spec.seed, psi: s.spec.psi, base: z,
                        baseLabel: "path \(segmentLabel(s)) t \(formatFixed(t, 3))", directions: s.spec.directions)
    requestDecode(&s, &fx)
}

func togglePlay(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    s.path.playing.toggle()
    s.path.lastTick = nil
    // Space at the end of an open path plays it again from A.
    if s.path.playing && !s.path.loop && s.path.u >= Double(s.path.segments(keyframes: s.keyframes.count)) {
        movePath(&s, &fx, to: 0, snap: false)
    }
}

func setSpeed(_ s: inout ExplorerState, _ v: Double) {
    let r = PathState.speedRange
    s.path.speed = min(r.upperBound, max(r.lowerBound, v))
    say(&s, "speed \(formatSpeed(s.path.speed))")
}

/// Playing: the position moves by speed × the time since the last tick. A tick while a frame is
/// still decoding waits for it (the time still counts, up to maxTickSeconds), so a slow model
/// plays at its own pace rather than queueing frames.
func tick(_ s: inout ExplorerState, _ fx: inout [Effect], now: Double) {
    guard s.interpolating, s.path.playing else { return }
    guard let last = s.path.lastTick else { s.path.lastTick = now; return }
    guard !s.pending else { return }
    let dt = min(PathState.maxTickSeconds, max(0, now - last))
    s.path.lastTick = now
    let segs = Double(s.path.segments(keyframes: s.keyframes.count))
    let next = s.path.u + dt * s.path.speed
    if !s.path.loop && next >= segs {
        s.path.playing = false
        say(&s, "end of the path (Space plays it again)")
    }
    movePath(&s, &fx, to: next, snap: false)
}

func exportPath(_ s: inout ExplorerState, _ fx: inout [Effect], path: String?, overwrite: Bool, steps: Int) {
    guard s.keyframes.count >= 2 else {
        warn(&s, "a strip needs two keyframes: p pins the picture on screen, i interpolates")
        return
    }
    guard steps >= s.keyframes.count else {
        warn(&s, "a strip through \(s.keyframes.count) keyframes needs at least \(s.keyframes.count) cells (one per keyframe), got \(steps)")
        return
    }
    fx.append(.exportPath(PathExport(path: path, overwrite: overwrite, keyframes: s.keyframes, mode: s.path.mode,
                                     loop: s.path.loop, steps: steps)))
}

/// "0.5 seg/s".
func formatSpeed(_ v: Double) -> String {
    let d = v < 0.1 ? 3 : (v < 1 ? 2 : (v == v.rounded() ? 0 : 2))
    return formatFixed(v, d) + " seg/s"
}

/// `:anim`: interpolating, the path through the keyframes as it runs (mode and loop as set);
/// otherwise back and forth along the direction being walked (a preview's or map's own), ±2σ
/// around the walk. Both are the animations `zwalk animate` writes.
func exportAnimation(_ s: inout ExplorerState, _ fx: inout [Effect], path: String, overwrite: Bool, frames asked: Int?) {
    let fps = PathState.animationFPS
    let figure: FigureExport.Figure
    if s.interpolating {
        let frames = asked ?? PathState.animationFrames
        guard frames >= s.keyframes.count else {
            warn(&s, "an animation through \(s.keyframes.count) keyframes needs at least \(s.keyframes.count) frames, got \(frames)")
            return
        }
        let seeds = s.keyframes.compactMap(\.seed)
        let psi = s.keyframes.first?.psi ?? 1
        let seeded = seeds.count == s.keyframes.count && s.keyframes.allSatisfy { $0.psi == psi }
        figure = .pathAnimation(keyframes: s.keyframes.map(\.latent), seeds: seeded ? seeds : nil, mode: s.path.mode, loop: s.path.loop,
                                frames: frames, fps: fps)
    } else {
        if case .gallery? = s.tiles?.kind { warn(&s, ":anim animates a path (i) or a direction (walking, v, x), not a gallery"); return }
        let origin = s.tiles?.origin ?? s.spec
        var dim = s.selected
        switch s.tiles?.kind {
        case .preview(let d)?: dim = d
        case .map(let x, _)?: dim = x
        default: break
        }
        guard dim < origin.directions.count else { warn(&s, "no direction to animate"); return }
        // A sweep goes there and back: an even number of frames.
        let frames = ((asked ?? PathState.animationFrames) + 1) / 2 * 2
        let seed: UInt32? = origin.base == nil && origin.offset == nil && origin.coefficients.allSatisfy { $0 == 0 } ? origin.seed : nil
        figure = .sweepAnimation(base: origin, label: origin.baseDescription, seed: seed, dim: dim, range: TileView.defaultRange,
                                 frames: frames, fps: fps)
    }
    fx.append(.exportFigure(FigureExport(path: path, overwrite: overwrite, figure: figure, directions: s.spec.directions, psi: s.spec.psi)))
}
