// update(state, action) → (state, effects): the only place the explorer's state changes. Pure: no
// clock, no files, no terminal; what it needs from outside comes in the action, and what it wants
// done goes out as effects.
import ZWalkLatent

/// The action for a key: whatever the table of the current mode says, nothing else.
public func action(for key: Key, in state: ExplorerState) -> Action? {
    KeyMap.table(for: state.keyMode).action(for: key)
}

public func update(_ state: ExplorerState, _ action: Action) -> (ExplorerState, [Effect]) {
    var s = state
    var fx: [Effect] = []
    if action.isUserInput, var m = s.message { m.age += 1; s.message = m }

    switch action {
    case .start:
        requestDecode(&s, &fx)
        if let src = s.loadingDirections { fx.append(.loadDirections(src, at: s.spec)) }

    case .selectDirection(let d):
        let n = s.directions.count
        guard n > 0 else { break }
        s.selected = ((s.selected + d) % n + n) % n

    case .selectIndex(let i):
        if i >= 0 && i < s.directions.count { s.selected = i }

    case .step(let k):
        step(&s, &fx, by: k)

    case .stepIndex(let i, let k):
        if i >= 0 && i < s.directions.count { s.selected = i; step(&s, &fx, by: k) }

    case .scaleStep(let up):
        let ladder = ExplorerState.stepLadder
        let next = up ? ladder.first { $0 > s.stepSize * 1.0001 } : ladder.last { $0 < s.stepSize * 0.9999 }
        if let n = next { s.stepSize = n }
        say(&s, "step \(formatSigma(s.stepSize))")

    case .resetDirection:
        guard s.selected < s.spec.coefficients.count, s.spec.coefficients[s.selected] != 0 else { break }
        pushUndo(&s)
        s.spec.coefficients[s.selected] = 0
        requestDecode(&s, &fx)

    case .resetAll:
        guard s.spec.coefficients.contains(where: { $0 != 0 }) else { break }
        pushUndo(&s)
        s.spec.coefficients = Array(repeating: 0, count: s.spec.coefficients.count)
        requestDecode(&s, &fx)

    case .nextSample:
        setSeed(&s, &fx, s.spec.base == nil ? s.spec.seed &+ 1 : s.spec.seed)

    case .promptSeed:
        s.mode = .prompt(.seed, text: "")

    case .adjustPsi(let d):
        setPsi(&s, &fx, s.spec.psi + 0.1 * Float(d))

    case .chooseDirections:
        let current = s.chooserSources.firstIndex { $0.description == s.directions.method } ?? 0
        s.mode = .chooser(selected: current)

    case .undo:
        guard let prev = s.undoStack.popLast() else { say(&s, "nothing to undo"); break }
        s.redoStack.append(ExplorerState.Snapshot(spec: s.spec, selected: s.selected))
        restore(&s, &fx, prev)

    case .redo:
        guard let next = s.redoStack.popLast() else { say(&s, "nothing to redo"); break }
        s.undoStack.append(ExplorerState.Snapshot(spec: s.spec, selected: s.selected))
        restore(&s, &fx, next)

    case .cycleBlocks:
        s.blocks = s.blocks.next
        say(&s, "blocks: \(s.blocks.rawValue)")

    case .exportImage:
        return update(s, .command(.export(path: nil, overwrite: false)))

    case .toggleHelp:
        if case .help = s.mode { s.mode = .normal } else { s.mode = .help(scroll: 0) }

    case .openCommandLine:
        s.mode = .prompt(.command, text: "")

    case .dismiss:
        s.mode = .normal
        s.message = nil

    case .pin:
        if s.tiles != nil { pinTile(&s, &fx) } else { pin(&s, &fx) }

    case .unpin:
        unpin(&s, &fx)

    case .enterInterpolate:
        enterInterpolate(&s, &fx)

    case .stepCheckpoint(let d):
        guard s.checkpoints.count > 1 else { say(&s, "no training run: open the explorer with --weights DIR (or a quoted glob)"); break }
        let i = min(max(s.checkpoint + d, 0), s.checkpoints.count - 1)
        guard i != s.checkpoint else { say(&s, d < 0 ? "the first checkpoint" : "the last checkpoint"); break }
        s.checkpoint = i
        say(&s, "checkpoint \(i + 1)/\(s.checkpoints.count): \(s.checkpoints[i])")
        requestDecode(&s, &fx)

    case .movePath(let d):
        guard s.keyMode == .interpolate else { break }
        movePath(&s, &fx, to: s.path.u + d, snap: true)

    case .seekPath(let t):
        guard s.keyMode == .interpolate else { break }
        s.path.playing = false
        movePath(&s, &fx, to: t * Double(s.path.segments(keyframes: s.keyframes.count)), snap: false)

    case .togglePlay:
        guard s.keyMode == .interpolate else { break }
        togglePlay(&s, &fx)

    case .scaleSpeed(let up):
        guard s.keyMode == .interpolate else { break }
        setSpeed(&s, s.path.speed * (up ? 2 : 0.5))

    case .toggleLoop:
        guard s.keyMode == .interpolate else { break }
        s.path.loop.toggle()
        say(&s, s.path.loop ? "loop: the path returns to A" : "open path: it ends at \(Keyframe.letter(s.keyframes.count - 1))")
        movePath(&s, &fx, to: s.path.u, snap: false)

    case .cyclePathMode:
        guard s.keyMode == .interpolate else { break }
        s.path.mode = s.path.mode.next
        say(&s, "\(s.path.mode.rawValue) between keyframes")
        movePath(&s, &fx, to: s.path.u, snap: false)

    case .leaveInterpolate:
        guard s.keyMode == .interpolate else { break }
        leaveInterpolate(&s, &fx)

    case .enterGallery:
        enterGallery(&s, &fx)

    case .promptMark:
        s.mode = .prompt(.mark, text: "")

    case .promptGo:
        if s.marks.isEmpty { warn(&s, "no bookmarks yet: M (or :mark NAME) names the picture"); break }
        s.mode = .prompt(.go, text: "")

    case .labelPicture(let positive):
        guard let name = s.lastLabel else { warn(&s, "name the attribute once with :label NAME + (or -); then . and , label"); break }
        label(&s, &fx, name, positive: positive)

    case .attributeBuilt(let d):
        attributeBuilt(&s, &fx, d)

    case .attributeFailed(let message):
        warn(&s, message)

    case .workbenchFailed(let message):
        warn(&s, "bookmarks and labels are not saved: \(message)")

    case .enterPreview:
        enterPreview(&s, &fx, direction: previewDirection(s))

    case .enterMap:
        enterMap(&s, &fx, x: mapDirections(s)?.x, y: mapDirections(s)?.y)

    case .moveTile(let dx, let dy):
        moveTileCursor(&s, dx: dx, dy: dy)

    case .selectTile(let i):
        if s.tiles?.cursor == i { diveIntoTile(&s, &fx) } else { selectTile(&s, i) }

    case .turnTilePage(let d):
        turnTilePage(&s, &fx, by: d)

    case .scaleTileRange(let up):
        scaleTileRange(&s, &fx, up: up)

    case .diveIntoTile:
        diveIntoTile(&s, &fx)

    case .leaveTiles:
        leaveTiles(&s)

    case .tilesDecoded(let generation, let tiles):
        tilesDecoded(&s, generation: generation, tiles)

    case .tilesFailed(let generation, let message):
        if s.tiles?.generation == generation { warn(&s, "decode failed: \(message)") }

    case .latentRowsLoaded(let rows):
        if rows.asGallery || rows.rows.count > 1 { enterGallery(&s, &fx, file: rows) } else if let z = rows.rows.first {
            s.tiles = nil
            if s.interpolating { leaveInterpolate(&s, &fx) }
            pushUndo(&s)
            s.spec = LatentSpec(seed: s.spec.seed, psi: s.spec.psi, base: z, baseLabel: rows.labels.first ?? rows.path, directions: s.spec.directions)
            requestDecode(&s, &fx)
            recomputeLocalDirections(&s, &fx)
            say(&s, "opened \(rows.labels.first ?? rows.path) (u: back)")
        }

    case .modelSwitched(let name, let shape, let workbench):
        switchModel(&s, &fx, name: name, latentShape: shape, workbench: workbench)

    case .modelOpenFailed(let message):
        warn(&s, message)

    case .latentRowsFailed(let message):
        warn(&s, message)

    case .resized(let size):
        let old = s.screen
        s.screen = size
        // A gallery page fills the screen: a new size makes a new page from the same first tile.
        if var v = s.tiles, v.kind == .gallery, old != size {
            let shape = galleryShape(screen: size, imageAspect: imageAspect(s))
            if shape.cols != v.cols || shape.rows != v.rows { buildGalleryPage(&s, &fx, &v) }
        }

    case .tick(let now):
        tick(&s, &fx, now: now)

    case .geodesicComputed(let g):
        geodesicArrived(&s, &fx, g)

    case .geodesicFailed(let message):
        s.path.geodesicRequested = nil
        warn(&s, message)

    case .redraw:
        fx.append(.redraw)

    case .quit:
        s.quitRequested = true
        fx.append(.quit)

    case .scrollHelp(let d):
        guard case .help(let scroll) = s.mode else { break }
        s.mode = .help(scroll: max(0, scroll + d))

    case .moveChoice(let d):
        guard case .chooser(let sel) = s.mode else { break }
        let n = chooserCount(s)
        s.mode = .chooser(selected: ((sel + d) % n + n) % n)

    case .pickChoice:
        guard case .chooser(let sel) = s.mode else { break }
        pickChoice(&s, &fx, sel)

    case .pickChoiceNumber(let k):
        guard case .chooser = s.mode, k >= 1, k <= chooserCount(s) else { break }
        pickChoice(&s, &fx, k - 1)

    case .typeInPrompt(let c):
        guard case .prompt(let kind, let text) = s.mode, text.unicodeScalars.count < 512 else { break }
        s.mode = .prompt(kind, text: text + String(c))

    case .erasePromptCharacter:
        guard case .prompt(let kind, let text) = s.mode else { break }
        s.mode = text.isEmpty ? .normal : .prompt(kind, text: String(text.dropLast()))

    case .clearPrompt:
        guard case .prompt(let kind, _) = s.mode else { break }
        s.mode = .prompt(kind, text: "")

    case .acceptPrompt:
        guard case .prompt(let kind, let text) = s.mode else { break }
        return acceptPrompt(s, kind, text.trimmingWhitespace())

    case .cancel:
        if s.mode != .normal { s.mode = .normal }

    case .command(let c):
        apply(c, &s, &fx)

    case .frameDecoded(let r, let now):
        // A slower, older request finishing late must not replace a newer picture.
        guard r.request.seq > s.shownSeq || s.shown == nil else { break }
        if s.retryDecodeAt != nil {
            s.retryDecodeAt = nil
            s.message = StatusMessage(text: "decoding again", isWarning: false)
        }
        s.shown = r
        s.shownSeq = max(s.shownSeq, r.request.seq)
        s.frameTimes.append(now)
        s.frameTimes.removeAll { now - $0 > 2 }
        adoptDeferredDirections(&s, &fx)

    case .decodeFailed(let seq, let message, let retryAt):
        s.shownSeq = max(s.shownSeq, seq)
        s.retryDecodeAt = retryAt
        warn(&s, "decode failed: \(message)" + (retryAt == nil ? "" : "; trying again every \(Int(ExplorerState.retrySeconds)) s"))
        adoptDeferredDirections(&s, &fx)

    case .retryDecode(let now):
        // Only once its time has come, and when nothing newer was asked meanwhile: a key press
        // already asked again. The next try is due a period later unless a frame lands first.
        guard let due = s.retryDecodeAt, now >= due, !s.pending else { break }
        s.retryDecodeAt = now + ExplorerState.retrySeconds
        requestDecode(&s, &fx)

    case .directionsLoaded(let d, _):
        if let problem = d.mismatch(latentCount: s.latentCount) { s.loadingDirections = nil; warn(&s, problem); break }
        let walked = s.spec.coefficients.contains { $0 != 0 }
        // Computed on their own thread, the directions may land while keys are still walking
        // the old set: wait for the frame of the walk so far, then go on from its latent.
        if walked && s.pending { s.deferredDirections = d; break }
        adoptDirections(&s, &fx, d, walkedTo: walked ? s.shown?.latent : nil)

    case .directionsFailed(let message):
        s.loadingDirections = nil
        warn(&s, message)

    case .exported(let path):
        say(&s, "wrote \(path)")

    case .exportFailed(let message):
        warn(&s, message)

    case .themeFailed(let message):
        warn(&s, "\(message); the theme stays \(s.theme.name)")

    case .themeLoaded(let theme, let warnings):
        s.theme = theme
        if let w = warnings.first {
            warn(&s, w + (warnings.count > 1 ? " (+\(warnings.count - 1) more)" : ""))
        } else {
            say(&s, "theme \(theme.name)")
        }
    }
    return (s, fx)
}

extension Action {
    /// Actions that come from the person at the keyboard (they age the status message).
    var isUserInput: Bool {
        switch self {
        case .start, .frameDecoded, .decodeFailed, .directionsLoaded, .directionsFailed, .exported, .exportFailed, .themeLoaded, .themeFailed,
             .tick, .geodesicComputed, .geodesicFailed, .tilesDecoded, .tilesFailed, .latentRowsLoaded, .latentRowsFailed, .resized,
             .attributeBuilt, .attributeFailed, .workbenchFailed, .modelSwitched, .modelOpenFailed, .retryDecode:
            return false
        default:
            return true
        }
    }
}

// MARK: - Pieces of update

/// An info message; it does not replace an error still showing (the set that lands just after
/// start would otherwise hide why the theme or the latent was not what was asked for). Esc clears
/// the error, and it fades after a few keys like any message.
func say(_ s: inout ExplorerState, _ text: String) {
    if s.visibleMessage?.isWarning == true { return }
    s.message = StatusMessage(text: text, isWarning: false)
}
func warn(_ s: inout ExplorerState, _ text: String) { s.message = StatusMessage(text: text, isWarning: true) }

func requestDecode(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    s.requestSeq += 1
    // One decode per update is enough: the latest request wins in the worker anyway.
    fx.removeAll { if case .decode = $0 { return true }; return false }
    fx.append(.decode(DecodeRequest(seq: s.requestSeq, spec: s.spec, checkpoint: s.checkpoint)))
}

func pushUndo(_ s: inout ExplorerState) {
    s.undoStack.append(ExplorerState.Snapshot(spec: s.spec, selected: s.selected))
    if s.undoStack.count > ExplorerState.maxUndo { s.undoStack.removeFirst(s.undoStack.count - ExplorerState.maxUndo) }
    s.redoStack.removeAll()
}

/// Undo and redo move the walk (seed, ψ, base, coefficients), never the direction set: every
/// snapshot is kept in the set on screen (see rebase), so its coefficients fit it.
private func restore(_ s: inout ExplorerState, _ fx: inout [Effect], _ snap: ExplorerState.Snapshot) {
    let n = s.spec.directions.count
    let moved = s.spec.seed != snap.spec.seed || s.spec.psi != snap.spec.psi || s.spec.base != snap.spec.base
        || s.spec.offset != snap.spec.offset
    s.spec.seed = snap.spec.seed
    s.spec.psi = snap.spec.psi
    s.spec.base = snap.spec.base
    s.spec.baseLabel = snap.spec.baseLabel
    s.spec.baseWalked = snap.spec.baseWalked
    s.spec.offset = snap.spec.offset
    s.spec.coefficients = snap.spec.coefficients.count == n ? snap.spec.coefficients : Array(repeating: 0, count: n)
    s.selected = min(snap.selected, max(0, n - 1))
    requestDecode(&s, &fx)
    if moved { recomputeLocalDirections(&s, &fx) }
}

/// Local directions belong to the point they were computed at: when the base point moves (a new
/// sample, seed or ψ) they are computed again there. Steps along them do not move the base.
func recomputeLocalDirections(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard let src = s.directions.source, src.dependsOnLatent else { return }
    loadDirections(&s, &fx, src)
}

/// A set that waited for the walk's frame goes in once no frame is outstanding, from the latent
/// on screen.
private func adoptDeferredDirections(_ s: inout ExplorerState, _ fx: inout [Effect]) {
    guard let d = s.deferredDirections, !s.pending else { return }
    s.deferredDirections = nil
    adoptDirections(&s, &fx, d, walkedTo: s.shown?.latent)
}

/// Puts a loaded direction set in place. With a walk on screen (`walkedTo`: its latent), the walk
/// is kept: that latent becomes the base and the new set starts from zero there. The picture does
/// not change, so this is no step of its own in the undo history; the history is rewritten in the
/// new set instead, so that undo walks back through the same pictures.
func adoptDirections(_ s: inout ExplorerState, _ fx: inout [Effect], _ d: WalkDirections, walkedTo latent: [Float]?) {
    s.loadingDirections = nil
    // A preview or a map walks the old set: it closes (a gallery walks none and stays).
    if let v = s.tiles, v.kind != .gallery { s.tiles = nil }
    var rebaser = SnapshotRebaser(from: s.spec.directions, to: d)
    s.undoStack = rebaser.rebase(history: s.undoStack)
    s.redoStack = rebaser.rebase(history: s.redoStack)
    if let z = latent {
        if s.spec.base == nil { s.spec.baseLabel = nil }
        s.spec.base = z
        s.spec.baseWalked = true
        s.spec.offset = nil
    }
    s.spec.directions = d
    s.spec.coefficients = Array(repeating: 0, count: d.count)
    s.selected = 0
    say(&s, "directions: \(d.method), \(d.count)" + (latent != nil ? " (walking on from this latent)" : ""))
    if latent != nil { requestDecode(&s, &fx) }
}

/// Writes undo snapshots taken in one direction set in another, keeping each snapshot's latent
/// exactly: no walk stays no walk; a walk from a given base is folded into the base; a walk from
/// the seed's sample is carried over direction by direction where the new set has the same
/// direction (the ranked per-axis set holds the axes the explorer starts with), and otherwise
/// kept as a plain offset from the sample (the sample itself is the worker's to draw).
struct SnapshotRebaser {
    let old: WalkDirections
    let new: WalkDirections
    /// Old direction index → (new index, factor on the coefficient), nil when new lacks it.
    private var found: [Int: (Int, Float)?] = [:]

    init(from old: WalkDirections, to new: WalkDirections) { self.old = old; self.new = new }

    mutating func rebase(history: [ExplorerState.Snapshot]) -> [ExplorerState.Snapshot] {
        history.map { rebase($0) }
    }

    mutating func rebase(_ snap: ExplorerState.Snapshot) -> ExplorerState.Snapshot {
        var spec = snap.spec
        let walked = spec.coefficients.indices.filter { spec.coefficients[$0] != 0 }
        var coefficients = [Float](repeating: 0, count: new.count)
        if let b = spec.base {
            if !walked.isEmpty || spec.offset != nil {
                spec.base = spec.compose(base: b)
                spec.baseWalked = true
                spec.offset = nil
            }
        } else if !walked.isEmpty {
            let mapped = walked.compactMap { i in counterpart(of: i).map { (i, $0.0, $0.1) } }
            if mapped.count == walked.count {
                for (i, j, factor) in mapped { coefficients[j] += spec.coefficients[i] * factor }
            } else {
                // compose with a zero base is the walk itself (plus any earlier offset).
                spec.offset = spec.compose(base: [Float](repeating: 0, count: old.vectors.first?.count ?? 0))
            }
        }
        spec.directions = new
        spec.coefficients = coefficients
        let selected = counterpart(of: snap.selected)?.0 ?? 0
        return ExplorerState.Snapshot(spec: spec, selected: selected)
    }

    /// The new direction along the same line as old direction i, and what a coefficient of i is
    /// in it: c·σ·v = c'·σ'·v' with v' = ±(|v'|/|v|)·v.
    private mutating func counterpart(of i: Int) -> (Int, Float)? {
        if let f = found[i] { return f }
        var result: (Int, Float)? = nil
        if i < old.count {
            let v = old.vectors[i]
            let nv = norm(v)
            for (j, w) in new.vectors.enumerated() where nv > 0 && w.count == v.count {
                let nw = norm(w)
                guard nw > 0 else { continue }
                var dot: Float = 0
                for k in 0..<v.count { dot += v[k] * w[k] }
                if abs(dot) >= (1 - 1e-5) * nv * nw {
                    result = (j, (dot < 0 ? -1 : 1) * old.sigmas[i] * nv / (new.sigmas[j] * nw))
                    break
                }
            }
        }
        found[i] = result
        return result
    }

    private func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}

private func step(_ s: inout ExplorerState, _ fx: inout [Effect], by k: Int) {
    guard s.selected < s.spec.coefficients.count else { warn(&s, "no directions to step"); return }
    let lim = ExplorerState.coefficientLimit
    let old = s.spec.coefficients[s.selected]
    // Rounded to 1e-4 σ so that stepping there and back returns exactly to where it was.
    let new = (min(lim, max(-lim, old + Float(k) * s.stepSize)) * 10_000).rounded() / 10_000
    guard new != old else { say(&s, "\(s.directions.names[s.selected]) is at the ±\(formatSigma(lim)) limit"); return }
    pushUndo(&s)
    s.spec.coefficients[s.selected] = new
    requestDecode(&s, &fx)
}

private func setSeed(_ s: inout ExplorerState, _ fx: inout [Effect], _ seed: UInt32) {
    pushUndo(&s)
    s.spec.seed = seed
    s.spec.base = nil
    s.spec.baseLabel = nil
    s.spec.baseWalked = false
    s.spec.offset = nil
    requestDecode(&s, &fx)
    recomputeLocalDirections(&s, &fx)
}

private func setPsi(_ s: inout ExplorerState, _ fx: inout [Effect], _ value: Float) {
    let r = ExplorerState.psiRange
    let v = (min(r.upperBound, max(r.lowerBound, value)) * 100).rounded() / 100
    if s.spec.base != nil {
        warn(&s, "ψ truncates seeded samples; this latent was given directly (r or :seed N samples again)")
        return
    }
    guard v != s.spec.psi else { say(&s, "ψ \(formatFixed(v, 2)) (range \(formatFixed(r.lowerBound, 0))…\(formatFixed(r.upperBound, 0)))"); return }
    pushUndo(&s)
    s.spec.psi = v
    say(&s, "ψ \(formatFixed(v, 2))")
    requestDecode(&s, &fx)
    recomputeLocalDirections(&s, &fx)
}

private func loadDirections(_ s: inout ExplorerState, _ fx: inout [Effect], _ src: DirectionSource) {
    s.loadingDirections = src
    say(&s, "computing \(src) directions…")
    fx.append(.loadDirections(src, at: s.spec))
}

private func apply(_ c: Command, _ s: inout ExplorerState, _ fx: inout [Effect]) {
    switch c {
    case .seed(let n):
        s.tiles = nil
        if s.interpolating { leaveInterpolate(&s, &fx) }
        setSeed(&s, &fx, n)
    case .psi(let v):
        if s.interpolating { leaveInterpolate(&s, &fx) }
        setPsi(&s, &fx, v)
    case .stepSize(let v):
        s.stepSize = min(v, ExplorerState.coefficientLimit)
        say(&s, "step \(formatSigma(s.stepSize))")
    case .export(let path, let overwrite):
        if s.tiles != nil { exportTiles(&s, &fx, path: path, overwrite: overwrite); return }
        if s.interpolating { exportPath(&s, &fx, path: path, overwrite: overwrite, steps: PathState.defaultExportSteps); return }
        guard let shown = s.shown else { warn(&s, "nothing to export yet: no image has been decoded"); return }
        fx.append(.export(path: path, overwrite: overwrite, of: shown))
    case .exportPath(let path, let overwrite, let steps):
        exportPath(&s, &fx, path: path, overwrite: overwrite, steps: steps)
    case .pin: if s.tiles != nil { pinTile(&s, &fx) } else { pin(&s, &fx) }
    case .unpin: unpin(&s, &fx)
    case .clearKeyframes:
        let n = s.keyframes.count
        if s.interpolating { leaveInterpolate(&s, &fx) }
        s.keyframes.removeAll()
        fx.append(.saveWorkbench)
        say(&s, n == 0 ? "no keyframes to clear" : "cleared \(n) keyframe\(n == 1 ? "" : "s")")
    case .interpolate: enterInterpolate(&s, &fx)
    case .play:
        if !s.interpolating { enterInterpolate(&s, &fx) }
        if s.interpolating { togglePlay(&s, &fx) }
    case .speed(let v): setSpeed(&s, v)
    case .anim(let path, let overwrite, let frames): exportAnimation(&s, &fx, path: path, overwrite: overwrite, frames: frames)
    case .mark(let name): mark(&s, &fx, name)
    case .unmark(let name): unmark(&s, &fx, name)
    case .go(let name): go(&s, &fx, name)
    case .marks: say(&s, "bookmarks: " + markList(s))
    case .label(let name, let positive): label(&s, &fx, name, positive: positive)
    case .attribute(let name): buildAttribute(&s, &fx, name)
    case .gallery(let file):
        if let f = file { fx.append(.loadLatentRows(f, gallery: true)); say(&s, "reading \(f)…") } else { enterGallery(&s, &fx) }
    case .open(let path):
        if path.lowercased().hasSuffix(".onnx") {
            fx.append(.openModel(path: path, weights: nil))
            say(&s, "opening \(path)…")
        } else {
            fx.append(.loadLatentRows(path, gallery: false))
            say(&s, "reading \(path)…")
        }
    case .weights(let w):
        fx.append(.openModel(path: nil, weights: w))
        say(&s, w.map { "binding \($0)…" } ?? "back to the model's own weights…")
    case .preview(let d): enterPreview(&s, &fx, direction: d ?? previewDirection(s))
    case .map(let x, let y):
        if let x = x, let y = y { enterMap(&s, &fx, x: x, y: y) } else { enterMap(&s, &fx, x: mapDirections(s)?.x, y: mapDirections(s)?.y) }
    case .theme(let name): fx.append(.loadTheme(name))
    case .directions(let src): loadDirections(&s, &fx, src)
    case .blocks(let b):
        s.blocks = b
        say(&s, "blocks: \(b.rawValue)")
    case .color(let m):
        s.colorMode = m
        say(&s, "colour: \(m.rawValue)")
    case .dither(let d):
        s.dither = d
        say(&s, "dither: \(d.rawValue)")
    case .help: s.mode = .help(scroll: 0)
    case .quit:
        s.quitRequested = true
        fx.append(.quit)
    }
}

/// The chooser's entries: the methods, then "file…".
private func chooserCount(_ s: ExplorerState) -> Int { s.chooserSources.count + 1 }

private func pickChoice(_ s: inout ExplorerState, _ fx: inout [Effect], _ i: Int) {
    if i == s.chooserSources.count {
        s.mode = .prompt(.directionsFile, text: "")
    } else {
        s.mode = .normal
        loadDirections(&s, &fx, s.chooserSources[i])
    }
}

/// Enter at a prompt: the prompt closes and what was typed is acted on.
private func acceptPrompt(_ state: ExplorerState, _ kind: PromptKind, _ t: String) -> (ExplorerState, [Effect]) {
    var s = state
    s.mode = .normal
    guard !t.isEmpty else { return (s, []) }
    switch kind {
    case .command:
        switch CommandParser.parse(t) {
        case .success(let c): return update(s, .command(c))
        case .failure(let e): warn(&s, e.message)
        }
    case .seed:
        guard let n = UInt32(t) else { warn(&s, "seed must be a whole number 0…4294967295, got '\(t)'"); break }
        return update(s, .command(.seed(n)))
    case .directionsFile:
        return update(s, .command(.directions(.file(t))))
    case .mark:
        return update(s, .command(.mark(t)))
    case .go:
        return update(s, .command(.go(t)))
    }
    return (s, [])
}

// MARK: - Mouse

/// What a mouse event does: a click on a direction's row chooses it, the wheel steps the direction
/// under the pointer (or the chosen one elsewhere). Any click closes the help.
public func mouseAction(_ e: MouseEvent, state: ExplorerState, size: Size) -> Action? {
    if case .help = state.mode { return e.kind == .press ? .toggleHelp : nil }
    guard case .normal = state.mode, !state.interpolating else { return nil }
    if let v = state.tiles {
        switch e.kind {
        case .press:
            let g = tileGeometry(cols: v.cols, rows: v.rows, pane: tilePane(size: size), imageAspect: tileAspect(state))
            for (i, r) in g.tiles.enumerated() where i < v.count {
                if r.contains(x: e.x, y: e.y) || g.captions[i].contains(x: e.x, y: e.y) { return .selectTile(i) }
            }
            return nil
        case .wheelUp: return .turnTilePage(-1)
        case .wheelDown: return .turnTilePage(1)
        }
    }
    let layout = computeLayout(size: size, imageAspect: imageAspect(state))
    var row: Int? = nil
    if let list = directionRows(layout, state), list.contains(x: e.x, y: e.y) {
        let window = listWindow(count: state.directions.count, selected: state.selected, rows: list.height)
        let i = window.lowerBound + (e.y - list.y)
        if window.contains(i) { row = i }
    }
    switch e.kind {
    case .press: return row.map { .selectIndex($0) }
    case .wheelUp: return row.map { .stepIndex($0, by: 1) } ?? .step(1)
    case .wheelDown: return row.map { .stepIndex($0, by: -1) } ?? .step(-1)
    }
}

// MARK: - Export names

/// `zwalk-<stem>-<n>.png` with the smallest n ≥ 1 that `exists` says is free; the stem is the
/// seed, or the given latent's label (LatentSpec.exportStem). Existence is re-checked by the
/// no-clobber write.
public func nextFreeExportPath(directory: String, stem: String, exists: (String) -> Bool) -> String {
    let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    var n = 1
    while true {
        let p = (dir.isEmpty ? "" : dir + "/") + "zwalk-\(stem)-\(n).png"
        if !exists(p) || n >= 1_000_000 { return p }
        n += 1
    }
}

// MARK: - Number formatting (locale-free, so the screen never shows "0,50")

func formatFixed(_ v: Float, _ decimals: Int) -> String { formatFixed(Double(v), decimals) }

func formatFixed(_ v: Double, _ decimals: Int) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    var p = 1.0
    for _ in 0..<decimals { p *= 10 }
    let scaled = (abs(v) * p).rounded()
    let neg = v < 0 && scaled != 0
    let whole = Int(scaled / p)
    var out = (neg ? "-" : "") + String(whole)
    if decimals > 0 {
        let frac = Int(scaled - Double(whole) * p)
        var f = String(frac)
        while f.count < decimals { f = "0" + f }
        out += "." + f
    }
    return out
}

func formatSigma(_ v: Float) -> String {
    let d = abs(v) < 0.1 && v != 0 ? 2 : (v == v.rounded() ? 0 : 2)
    return formatFixed(v, d) + "σ"
}

/// "+1.25σ", "−0.50σ", " 0.00σ".
func formatSigned(_ v: Float) -> String {
    let body = formatFixed(abs(v), 2)
    if v > 0.00001 { return "+" + body + "σ" }
    if v < -0.00001 { return "−" + body + "σ" }
    return " " + body + "σ"
}

/// Three significant digits, for scores.
func formatScore(_ v: Float) -> String {
    guard v.isFinite else { return "–" }
    let a = abs(Double(v))
    if a == 0 { return "0" }
    if a >= 1000 || a < 0.001 {
        var e = 0, m = a
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        return (v < 0 ? "-" : "") + formatFixed(m, 1) + "e" + String(e)
    }
    let d = a >= 100 ? 0 : (a >= 10 ? 1 : (a >= 1 ? 2 : 3))
    return formatFixed(Double(v), d)
}

// MARK: - Another model

/// The walk starts again on the model just opened: its name, latent and (saved) workbench; the
/// settings of the screen stay. The latent on screen is kept when the new model takes one of the
/// same size (other weights of the same model, a training run's next checkpoint): the same
/// sample, seen by the new weights.
func switchModel(_ s: inout ExplorerState, _ fx: inout [Effect], name: String, latentShape: [Int], workbench: Workbench?) {
    var n = ExplorerState(modelName: name, latentShape: latentShape, seed: s.spec.seed, psi: s.spec.psi, blocks: s.blocks,
                          colorMode: s.colorMode, dither: s.dither, theme: s.theme, loading: s.directions.source ?? .default)
    n.screen = s.screen
    n.mouseEnabled = s.mouseEnabled
    n.tileGeneration = s.tileGeneration
    // Frames of the old model still on their way are older than anything asked of the new one.
    n.requestSeq = s.requestSeq
    n.shownSeq = s.requestSeq
    if let w = workbench { restore(w, into: &n) }
    var kept = ""
    if n.latentCount == s.latentCount, let shown = s.shown {
        let spec = shown.request.spec
        if spec.base == nil && spec.offset == nil && spec.coefficients.allSatisfy({ $0 == 0 }) {
            kept = " (seed \(spec.seed) kept)"
        } else {
            n.spec = LatentSpec(seed: spec.seed, psi: spec.psi, base: shown.latent, baseLabel: "kept latent", directions: n.spec.directions)
            kept = " (the latent kept)"
        }
    }
    s = n
    say(&s, "opened \(name)" + kept)
    requestDecode(&s, &fx)
    if let src = s.loadingDirections { fx.append(.loadDirections(src, at: s.spec)) }
}
