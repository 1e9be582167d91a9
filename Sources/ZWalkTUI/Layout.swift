// Where things go on a screen of a given size. The picture gets as much room as possible; the
// directions panel, the status line and the hint bar are dropped, in that order, as the terminal
// shrinks, and nothing here fails at any size down to 0×0.

public struct ScreenLayout: Equatable, Sendable {
    /// The area the picture is centred in.
    public var imagePane: Rect
    /// The picture's cells (aspect kept), inside imagePane.
    public var image: Rect
    /// The directions panel with its border; nil when there is no room.
    public var panel: Rect?
    /// Inside the panel: one row per visible direction.
    public var directionList: Rect?
    /// Inside the panel: the step size and position line.
    public var panelFooter: Rect?
    public var status: Rect?
    public var hints: Rect?
}

/// The panel needs this much width beside a picture that is still worth looking at.
public let minimumPanelScreen = Size(width: 64, height: 10)

public func computeLayout(size: Size, imageAspect: Size) -> ScreenLayout {
    let w = max(0, size.width), h = max(0, size.height)
    var hintRow: Rect? = nil, statusRow: Rect? = nil
    var bodyHeight = h
    if h >= 5 { hintRow = Rect(x: 0, y: h - 1, width: w, height: 1); bodyHeight -= 1 }
    if h >= 3 { statusRow = Rect(x: 0, y: bodyHeight - 1, width: w, height: 1); bodyHeight -= 1 }

    var panel: Rect? = nil, list: Rect? = nil, footer: Rect? = nil
    var paneWidth = w
    if w >= minimumPanelScreen.width && h >= minimumPanelScreen.height {
        var pw = min(48, max(28, w / 3))
        // A picture limited by the height leaves columns beside it: the panel takes them (keeping
        // a column of margin each side of the picture, up to 64 wide) so that direction names
        // need not be cut. The picture keeps its size.
        let besidePanel = ImageRenderer.fit(imageWidth: imageAspect.width, imageHeight: imageAspect.height,
                                            in: Size(width: w - pw - 1, height: bodyHeight))
        pw += max(0, min(w - pw - 1 - besidePanel.width - 2, 64 - pw))
        let p = Rect(x: w - pw, y: 0, width: pw, height: bodyHeight)
        panel = p
        paneWidth = w - pw - 1
        let inner = p.inset(1)
        if inner.height >= 2 {
            list = Rect(x: inner.x, y: inner.y, width: inner.width, height: inner.height - 1)
            footer = Rect(x: inner.x, y: inner.maxY - 1, width: inner.width, height: 1)
        } else {
            list = inner
        }
    }
    let pane = Rect(x: 0, y: 0, width: paneWidth, height: bodyHeight)
    let fit = ImageRenderer.fit(imageWidth: imageAspect.width, imageHeight: imageAspect.height,
                                in: Size(width: pane.width, height: pane.height))
    let image = Rect(x: pane.x + (pane.width - fit.width) / 2, y: pane.y + (pane.height - fit.height) / 2,
                     width: fit.width, height: fit.height)
    return ScreenLayout(imagePane: pane, image: image, panel: panel, directionList: list, panelFooter: footer,
                        status: statusRow, hints: hintRow)
}

/// The picture's proportions: the shown frame's, or square before the first frame arrives.
public func imageAspect(_ state: ExplorerState) -> Size {
    if let f = state.shown?.frame { return Size(width: f.width, height: f.height) }
    return Size(width: 1, height: 1)
}

/// Which directions are listed when there are more than rows: a window that keeps the chosen one
/// in view, centred where possible.
public func listWindow(count: Int, selected: Int, rows: Int) -> Range<Int> {
    guard count > 0, rows > 0 else { return 0..<0 }
    if count <= rows { return 0..<count }
    let start = min(max(0, selected - rows / 2), count - rows)
    return start..<(start + rows)
}
