// The explorer's loop: events → actions → update → effects, then render → draw. This is the thin
// front: every decision is in update(), every pixel in render(), every terminal call in
// CursesTerminal.
import Foundation
import ZWalkEngine
import ZWalkLatent

/// Opens the explorer on the terminal and runs it until the user quits. Returns the process exit
/// status: 0 on quit, 128 + n when ended by signal n (Ctrl-C: 130). Throws ExplorerError when
/// there is no usable terminal (not a tty, unknown TERM), before touching the screen.
public func runExplorer(config: ExplorerConfig, decoder: ExplorerDecoder, sampler: ExplorerSampler,
                        directions: DirectionProvider, exporter: FrameExporter, store initialStore: WorkbenchStore? = nil,
                        opener: ModelOpener? = nil) throws -> Int32 {
    let library = ThemeLibrary(environment: config.environment)
    let (theme, themeWarnings) = library.load(config.theme)
    let output = config.imageOutput ?? ImageOutput(rawValue: config.environment["ZWALK_IMAGE_OUTPUT"] ?? "") ?? .escapes
    let trace = config.environment["ZWALK_UI_TRACE"].flatMap { FileHandle(forWritingAtPath: $0) ?? createTrace($0) }

    let graphics = detectGraphics(config.graphics, environment: config.environment)
    let painter = graphics.proto == .blocks ? nil
        : PixelPainter(proto: graphics.proto, cell: graphics.cell ?? Size(width: 1, height: 1), tmuxPassthrough: graphics.tmuxPassthrough,
                       sixelColors: graphics.sixelColors ?? 256, maxPixels: graphics.sixelMaxPixels)
    let terminal = try CursesTerminal(mouse: config.mouse, imageOutput: output, colourTolerance: config.colourTolerance,
                                      painter: painter, environment: config.environment)
    defer { terminal.close() }

    trace?.write("terminal \(terminal.capabilities) size=\(terminal.size)\n".data(using: .utf8) ?? Data())
    let mode: ColorMode
    switch config.color {
    case .fixed(let m): mode = m
    case .auto: mode = detectColorMode(environment: config.environment, terminfoRGB: terminal.terminfoRGB,
                                       terminfoColors: terminal.hasColors ? terminal.colorCount : 0)
    }
    var state = ExplorerState(modelName: decoder.modelName, latentShape: decoder.latentShape, seed: config.seed,
                              psi: config.psi, base: config.initialLatent, baseLabel: config.initialLatentLabel,
                              blocks: config.blocks, colorMode: mode,
                              dither: config.dither, theme: theme, loading: config.directions)
    state.mouseEnabled = config.mouse
    state.graphics = graphics.proto
    if let w = config.workbench { restore(w, into: &state) }
    state.checkpoints = config.checkpoints
    if let w = themeWarnings.first ?? graphics.note { state.message = StatusMessage(text: w, isWarning: true) }

    var store = initialStore
    var worker = BackendWorker(decoder: decoder, sampler: sampler, provider: directions, exporter: exporter, opener: opener,
                               notify: { [weak terminal] in terminal?.wake() })
    worker.start()
    defer { worker.stop() }

    let cache = ImageCellCache()
    var exitCode: Int32 = 0
    var submitted: [Int: Double] = [:]   // decode seq → when it was asked for, for the trace

    func perform(_ effects: [Effect]) {
        for e in effects {
            switch e {
            case .decode(let r):
                worker.submit(r)
                if trace != nil { submitted[r.seq] = monotonicSeconds() }
            case .loadDirections(let src, let spec):
                worker.submit(.directions(src, spec))
            case .computeGeodesic(let r):
                worker.submit(.geodesic(r))
            case .export(let path, let overwrite, let shown):
                switch exportRequest(path: path, overwrite: overwrite, of: shown, state: state,
                                     directory: config.exportDirectory, scale: config.exportScale) {
                case .success(let request): worker.submit(.export(request))
                case .failure(let problem): dispatch(.exportFailed(problem.message))
                }
            case .exportPath(let e):
                switch pathExportRequest(e, directory: config.exportDirectory) {
                case .success(let request): worker.submit(.exportPath(request))
                case .failure(let problem): dispatch(.exportFailed(problem.message))
                }
            case .decodeTiles(let batch):
                worker.submit(.tiles(batch))
            case .loadLatentRows(let path, let gallery):
                worker.submit(.latentRows(resolveUserPath(path, directory: FileManager.default.currentDirectoryPath), gallery: gallery))
            case .openModel(let path, let weights):
                let cwd = FileManager.default.currentDirectoryPath
                worker.submit(.openModel(path: path.map { resolveUserPath($0, directory: cwd) },
                                         weights: weights.map { resolveUserPath($0, directory: cwd) }))
            case .exportFigure(let e):
                switch exportTarget(path: e.path, overwrite: e.overwrite,
                                    stem: figureExportStem(e), directory: config.exportDirectory, fileManager: .default) {
                case .success(let file): worker.submit(.exportFigure(path: file, e))
                case .failure(let problem): dispatch(.exportFailed(problem.message))
                }
            case .saveWorkbench:
                saveWorkbench()
            case .buildAttribute(let labels):
                worker.submit(.attribute(labels))
            case .loadTheme(let name):
                dispatch(library.action(loading: name))
            case .redraw:
                terminal.invalidate()
            case .quit:
                break
            }
        }
    }

    var saveFailed = false
    /// After every change of bookmarks, labels or keyframes, and at the end: atomic, so a kill
    /// keeps the last save whole. A failure is said once, not on every change.
    func saveWorkbench() {
        guard let store = store else { return }
        do {
            try store.save(workbench(of: state, fingerprint: store.fingerprint, model: store.model))
        } catch {
            if !saveFailed { saveFailed = true; dispatch(.workbenchFailed("\(error)")) }
        }
    }

    func dispatch(_ a: Action) {
        let (s, fx) = update(state, a)
        state = s
        perform(fx)
    }

    dispatch(.resized(terminal.size))
    dispatch(.start)
    if let g = config.startGallery { dispatch(.command(.gallery(g))) }
    var lastShown = 0
    var keyAt: Double? = nil   // when the oldest key not yet drawn was read, for the trace
    while !state.quitRequested {
        let t0 = monotonicSeconds()
        let canvas = render(state, size: terminal.size, cache: cache)
        terminal.draw(canvas)
        if let t = trace {
            let t1 = monotonicSeconds()
            // Where the picture is, so a tool can cut it out of a captured pane (tools/dither_quality.py).
            let image = state.tiles == nil ? computeLayout(size: terminal.size, imageAspect: imageAspect(state)).image : Rect(x: 0, y: 0, width: 0, height: 0)
            var line = "draw size=\(terminal.size) image=\(image.x),\(image.y),\(image.width),\(image.height) mode=\(state.colorMode.rawValue) blocks=\(state.blocks.rawValue) output=\(output.rawValue) render+draw_ms=\(formatFixed((t1 - t0) * 1000, 2)) escape_bytes=\(terminal.lastEscapeBytes) escape_cells=\(terminal.lastEscapeCells) curses_cells=\(terminal.lastCursesCells) graphics_bytes=\(terminal.lastGraphicsBytes)"
            if let p = painter, let g = canvas.graphics.first {
                // Where the pixels are, so a screenshot can be cut to them (tools/xterm_pixels.py).
                let px = p.shownPixels(g)
                let at = p.origin(g)
                line += " picture_px=\(at.x * p.cell.width),\(at.y * p.cell.height),\(px.width),\(px.height) graphics_ms=\(formatFixed(p.lastEncodeMs, 2))"
            }
            // How long a key waited for its answer on screen (a gallery's cursor, a page turn).
            if let k = keyAt { line += " key_to_draw_ms=\(formatFixed((t1 - k) * 1000, 2))" }
            if state.shownSeq != lastShown, let asked = submitted.removeValue(forKey: state.shownSeq) {
                line += " key_to_frame_ms=\(formatFixed((t1 - asked) * 1000, 2)) decode_ms=\(formatFixed(state.shown?.milliseconds ?? 0, 2))"
                submitted = submitted.filter { $0.key > state.shownSeq }
            }
            t.write((line + "\n").data(using: .utf8) ?? Data())
        }
        lastShown = state.shownSeq
        keyAt = nil

        // Playing, the clock ticks about 30 times a second; otherwise only events wake the loop.
        let playing = state.interpolating && state.path.playing
        for event in terminal.waitForEvents(timeoutMs: playing ? 33 : 1000) {
            switch event {
            case .key(let k):
                if keyAt == nil { keyAt = monotonicSeconds() }
                if let a = action(for: k, in: state) { dispatch(a) }
            case .mouse(let m):
                if state.mouseEnabled, let a = mouseAction(m, state: state, size: terminal.size) { dispatch(a) }
            case .resize:
                terminal.refreshSize()
                dispatch(.resized(terminal.size))
            case .terminate(let sig):
                exitCode = 128 + sig
                state.quitRequested = true
            case .suspend:
                terminal.suspend()
            case .continued:
                terminal.refreshSize()
                dispatch(.resized(terminal.size))
                terminal.invalidate()
            case .wake:
                break
            }
            if state.quitRequested { break }
        }
        let now = monotonicSeconds()
        for r in worker.takeResults() {
            switch r {
            case .exported(let p): dispatch(.exported(path: displayPath(p)))
            case .modelOpened(let m):
                // The old model's workbench is saved, its threads finish their call and stop; the
                // new model's take over, and the walk starts again on it.
                saveWorkbench()
                worker.stop()
                worker = BackendWorker(decoder: m.decoder, sampler: m.sampler, provider: m.directions, exporter: m.exporter,
                                       opener: opener, notify: { [weak terminal] in terminal?.wake() })
                worker.start()
                store = m.store
                cache.reset()
                dispatch(.modelSwitched(name: m.name, latentShape: m.latentShape, workbench: m.workbench))
            default:
                if let a = r.action(at: now) { dispatch(a) }
            }
        }
        if state.interpolating && state.path.playing { dispatch(.tick(at: now)) }
        if state.retryDecodeAt != nil { dispatch(.retryDecode(at: now)) }
    }
    saveWorkbench()
    return exitCode
}

/// A tile view's export name: zwalk-gallery-<first seed>-<n>.png, zwalk-preview-…, zwalk-map-….
func figureExportStem(_ e: FigureExport) -> String {
    switch e.figure {
    case .samples(let seeds, _, _, _): return "gallery-\(seeds.first ?? 0)"
    case .latents: return "gallery"
    case .preview(let bases, _, _, let dim, _, _): return "preview-\(bases.first?.seed ?? 0)-dir\(dim)"
    case .slice(let base, _, _, let x, let y, _, _): return "map-\(base.seed)-dir\(x)-\(y)"
    case .pathAnimation: return "anim-path"
    case .sweepAnimation(let base, _, _, let dim, _, _, _): return "anim-\(base.seed)-dir\(dim)"
    }
}

/// A path the user typed at the command line: `~/` is home, a relative path is from `directory`.
func resolveUserPath(_ path: String, directory: String) -> String {
    if path.hasPrefix("~/"), let h = ProcessInfo.processInfo.environment["HOME"] { return h + path.dropFirst() }
    if path.hasPrefix("/") { return path }
    return (directory.hasSuffix("/") ? directory : directory + "/") + path
}

/// Why an export was not even tried.
struct ExportProblem: Error, Equatable {
    let message: String
}

/// What `e` or `:export` in interpolate mode hands the exporter: the strip's file as for a
/// picture (see exportRequest; `e` takes the next free `zwalk-path-<seeds>-<n>.png`), the seeds
/// when every keyframe is its seed's sample at one ψ.
func pathExportRequest(_ e: PathExport, directory: String,
                       fileManager fm: FileManager = .default) -> Result<PathExportRequest, ExportProblem> {
    let seeds = e.keyframes.compactMap(\.seed)
    let psi = e.keyframes.first?.psi ?? 1
    let seeded = seeds.count == e.keyframes.count && e.keyframes.allSatisfy { $0.psi == psi }
    let stem = seeded ? "path-" + seeds.prefix(8).map(String.init).joined(separator: "-") : "path"
    return exportTarget(path: e.path, overwrite: e.overwrite, stem: stem, directory: directory, fileManager: fm).map { file in
        PathExportRequest(path: file, overwrite: e.overwrite, keyframes: e.keyframes.map(\.latent), seeds: seeded ? seeds : nil,
                          psi: psi, mode: e.mode, loop: e.loop, steps: e.steps)
    }
}

/// What `e` or `:export` hands the exporter: where (see below) and the picture on screen, enlarged
/// `scale`× so the backend only writes it. `e` (no path) takes the next free
/// `zwalk-<seed>-<n>.png` (`zwalk-<label>-<n>.png` from a given latent) in the export directory;
/// a relative path is taken from the export directory. The export directory is made when an
/// export goes into it; any other missing directory is reported, not made (a typo in a path
/// should not grow a tree). An existing file is only replaced with `overwrite` (`:export!`).
func exportRequest(path: String?, overwrite: Bool, of shown: DecodeResult, state: ExplorerState, directory: String,
                   scale: Int, fileManager fm: FileManager = .default) -> Result<ExportRequest, ExportProblem> {
    let spec = shown.request.spec
    return exportTarget(path: path, overwrite: overwrite, stem: spec.exportStem, directory: directory, fileManager: fm).map { file in
        let factor = max(1, scale)
        return ExportRequest(
            path: file, overwrite: overwrite, frame: shown.frame.scaled(by: factor), scale: factor, latent: shown.latent,
            latentShape: state.latentShape, seed: spec.base == nil && spec.offset == nil ? spec.seed : nil, psi: spec.psi,
            directions: spec.directions, coefficients: spec.coefficients, modelName: state.modelName,
            checkpoint: shown.request.checkpoint)
    }
}

/// The file an export goes to (see exportRequest), or why it cannot go anywhere.
func exportTarget(path: String?, overwrite: Bool, stem: String, directory: String,
                  fileManager fm: FileManager) -> Result<String, ExportProblem> {
    let target = path.map { resolveExportPath($0, directory: directory) }
    if target == nil || !isAbsolute(path!) {
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                return .failure(ExportProblem(message: "cannot export: the export directory \(displayPath(directory)) is a file"))
            }
        } else {
            if let reason = makeDirectories(directory) {
                return .failure(ExportProblem(message: "cannot create the export directory \(displayPath(directory)): \(reason)"))
            }
        }
    }
    let file = target ?? nextFreeExportPath(directory: directory, stem: stem) { fm.fileExists(atPath: $0) }
    let parent = (file as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    guard parent.isEmpty || (fm.fileExists(atPath: parent, isDirectory: &isDirectory) && isDirectory.boolValue) else {
        return .failure(ExportProblem(message: "cannot write \(displayPath(file)): no directory \(displayPath(parent))"))
    }
    if !overwrite && fm.fileExists(atPath: file) { return .failure(ExportProblem(message: overwriteRefusal(file))) }
    return .success(file)
}

private func isAbsolute(_ p: String) -> Bool { p.hasPrefix("/") || p.hasPrefix("~/") }

/// A relative path is taken from the export directory; `~/` is the home directory; `.png` is
/// added when the name ends in neither .png nor .gif (an animation may be a GIF).
func resolveExportPath(_ path: String, directory: String) -> String {
    var q = resolveUserPath(path, directory: directory)
    if !q.lowercased().hasSuffix(".png") && !q.lowercased().hasSuffix(".gif") { q += ".png" }
    return q
}

/// `mkdir -p`: nil when the directory is there, else the system's reason ("Not a directory",
/// "Permission denied"). Foundation's createDirectory on Linux only says "The operation could
/// not be completed".
func makeDirectories(_ path: String) -> String? {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part + "/"
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return String(cString: strerror(errno)) }
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
        return String(cString: strerror(ENOTDIR))
    }
    return nil
}

/// A path as the status line shows it: relative to the working directory when inside it.
/// The status line's answer to an export that would replace a file. The verdict comes first: a
/// long path is cut at the right edge of the status line.
func overwriteRefusal(_ path: String) -> String {
    "not overwritten, exists: \(displayPath(path)) (:export! PATH replaces a file)"
}

func displayPath(_ p: String, cwd: String = FileManager.default.currentDirectoryPath) -> String {
    let dir = cwd.hasSuffix("/") ? cwd : cwd + "/"
    return p.hasPrefix(dir) ? String(p.dropFirst(dir.count)) : p
}

private func createTrace(_ path: String) -> FileHandle? {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    return FileHandle(forWritingAtPath: path)
}
