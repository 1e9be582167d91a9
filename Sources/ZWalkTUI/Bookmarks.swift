// Bookmarks and attribute labels, as pieces of update(): :mark names the picture, :go returns to
// it; :label marks it + or − for an attribute, :attribute turns the labels into a direction (the
// toolkit's attribute method, on the directions thread) added to the panel. All of it, with the
// keyframes and the latent on screen, is the workbench the explorer saves after every change.
import ZWalkLatent

/// The picture on screen as a workbench point: its latent, and its seed when it is that seed's
/// sample at ψ; nil before the first frame.
func currentPoint(_ s: ExplorerState) -> Workbench.Point? {
    guard let shown = s.shown else { return nil }
    let spec = shown.request.spec
    let seeded = spec.base == nil && spec.offset == nil && spec.coefficients.allSatisfy { $0 == 0 }
    return Workbench.Point(latent: shown.latent, seed: seeded ? spec.seed : nil, psi: spec.psi)
}

/// What is saved: the state's bookmarks, labels and keyframes, and the picture on screen.
public func workbench(of s: ExplorerState, fingerprint: String, model: String) -> Workbench {
    var w = Workbench(fingerprint: fingerprint, model: model, latentCount: s.latentCount)
    w.bookmarks = s.marks
    w.labels = s.labelSets
    w.keyframes = s.keyframes.map { Workbench.Point(latent: $0.latent, seed: $0.seed, psi: $0.psi) }
    w.current = currentPoint(s)
    w.directions = (s.loadingDirections ?? s.directions.source)?.spelling
    return w
}

/// Puts a saved workbench into a fresh state: bookmarks, labels, keyframes (the latent on screen
/// is the caller's to restore, as the first decode's base).
public func restore(_ w: Workbench, into s: inout ExplorerState) {
    s.marks = w.bookmarks
    s.labelSets = w.labels
    s.keyframes = w.keyframes.map { Keyframe(latent: $0.latent, seed: $0.seed, psi: $0.psi) }
    s.lastLabel = w.labels.last?.name
}

func mark(_ s: inout ExplorerState, _ fx: inout [Effect], _ name: String) {
    guard let p = currentPoint(s) else { warn(&s, "nothing to bookmark yet: no image has been decoded"); return }
    let replaced = s.marks.contains { $0.name == name }
    s.marks.removeAll { $0.name == name }
    s.marks.append(Workbench.Bookmark(name: name, point: p))
    say(&s, (replaced ? "moved bookmark '\(name)' here" : "bookmarked '\(name)'") + " (:go \(name) returns)")
    fx.append(.saveWorkbench)
}

func unmark(_ s: inout ExplorerState, _ fx: inout [Effect], _ name: String) {
    guard s.marks.contains(where: { $0.name == name }) else { warn(&s, "no bookmark '\(name)' (:marks lists them)"); return }
    s.marks.removeAll { $0.name == name }
    say(&s, "deleted bookmark '\(name)'")
    fx.append(.saveWorkbench)
}

func go(_ s: inout ExplorerState, _ fx: inout [Effect], _ name: String) {
    guard let m = s.marks.first(where: { $0.name == name }) ?? s.marks.first(where: { $0.name.hasPrefix(name) }) else {
        warn(&s, "no bookmark '\(name)'" + (s.marks.isEmpty ? " (:mark NAME makes one)" : "; there are " + markList(s)))
        return
    }
    s.tiles = nil
    if s.interpolating { leaveInterpolate(&s, &fx) }
    pushUndo(&s)
    let p = m.point
    // A seed's sample is drawn again (the same values); anything else is the saved latent.
    s.spec = LatentSpec(seed: p.seed ?? s.spec.seed, psi: p.psi, base: p.seed == nil ? p.latent : nil, baseLabel: "mark \(m.name)",
                        directions: s.spec.directions)
    requestDecode(&s, &fx)
    recomputeLocalDirections(&s, &fx)
    say(&s, "at bookmark '\(m.name)' (u: back)")
}

func markList(_ s: ExplorerState) -> String {
    s.marks.isEmpty ? "no bookmarks" : s.marks.map(\.name).joined(separator: ", ")
}

/// Labels the picture for attribute `name`; a latent labelled again moves to the new side.
func label(_ s: inout ExplorerState, _ fx: inout [Effect], _ name: String, positive: Bool) {
    guard let p = currentPoint(s) else { warn(&s, "nothing to label yet: no image has been decoded"); return }
    var set = s.labelSets.first { $0.name == name } ?? Workbench.LabelSet(name: name)
    set.positive.removeAll { $0 == p.latent }
    set.negative.removeAll { $0 == p.latent }
    if positive { set.positive.append(p.latent) } else { set.negative.append(p.latent) }
    if let i = s.labelSets.firstIndex(where: { $0.name == name }) { s.labelSets[i] = set } else { s.labelSets.append(set) }
    s.lastLabel = name
    let need = max(0, 2 - set.positive.count) + max(0, 2 - set.negative.count)
    say(&s, "\(name): \(set.positive.count) +, \(set.negative.count) −" + (need > 0 ? " (2 of each make a direction)" : " (:attribute \(name) adds its direction)"))
    fx.append(.saveWorkbench)
}

func buildAttribute(_ s: inout ExplorerState, _ fx: inout [Effect], _ name: String) {
    guard let set = s.labelSets.first(where: { $0.name == name }) else {
        warn(&s, "no labels for '\(name)': :label \(name) + (or −) marks the picture")
        return
    }
    guard set.positive.count >= 2, set.negative.count >= 2 else {
        warn(&s, "'\(name)' has \(set.positive.count) + and \(set.negative.count) − labels; its direction needs 2 of each")
        return
    }
    say(&s, "building the direction of '\(name)' from \(set.positive.count) + and \(set.negative.count) − …")
    fx.append(.buildAttribute(set))
}

/// The attribute's direction joins the panel after the set's own (replacing an older one of the
/// same name), selected, the walk going on from the picture on screen.
func attributeBuilt(_ s: inout ExplorerState, _ fx: inout [Effect], _ a: WalkDirections) {
    guard a.count == 1, a.mismatch(latentCount: s.latentCount) == nil else { warn(&s, "the attribute direction does not fit the latent"); return }
    let old = s.directions
    let keep = (0..<old.count).filter { old.names[$0] != a.names[0] }
    var combined = WalkDirections(method: old.method.hasSuffix(" + attributes") ? old.method : old.method + " + attributes",
                                  vectors: keep.map { old.vectors[$0] } + a.vectors, names: keep.map { old.names[$0] } + a.names,
                                  scores: old.scores.map { sc in keep.map { sc[$0] } + [a.scores?.first ?? .nan] },
                                  sigmas: keep.map { old.sigmas[$0] } + a.sigmas)
    // Not the method's own set any more: exports record the vectors, not a command that makes them.
    combined.source = nil
    let walked = s.spec.coefficients.contains { $0 != 0 }
    adoptDirections(&s, &fx, combined, walkedTo: walked ? s.shown?.latent : nil)
    s.selected = combined.count - 1
    say(&s, "added the direction '\(a.names[0])' (\(combined.count) in the panel)")
}
