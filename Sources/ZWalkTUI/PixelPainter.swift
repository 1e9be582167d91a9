// The bytes that put a canvas's pictures on screen as pixels, after its cells are drawn: each
// picture fitted to its cells (see scaled) and encoded for the protocol. What is on screen is remembered, so a frame only sends what
// changed. No terminal here: the explorer writes the bytes, bench-ui counts them, tests decode them.
import Foundation
import ZWalkEngine
import ZWalkImage

public final class PixelPainter {
    public let proto: GraphicsProtocol
    public let tmuxPassthrough: Bool
    /// One cell in pixels (it changes when the terminal's font does: see resized).
    public private(set) var cell: Size

    private struct Shown: Equatable { var placement: GraphicPlacement; var kittyID: Int }
    private var shown: Shown?
    /// The last encoding, reused when a picture must be drawn again unchanged (sixel and iTerm2
    /// pictures are erased by text written over them).
    private var encoded: (placement: GraphicPlacement, bytes: [UInt8])?

    /// kitty image ids: two, alternated, so a new frame is shown before the old one is deleted
    /// (replacing an image under its own id blanks it while the new one decodes).
    static let kittyIDs = [0x7a_7701, 0x7a_7702]

    /// How long the last frame took to scale and encode, for the trace and bench-ui.
    public private(set) var lastEncodeMs = 0.0

    /// Sixel colour registers the terminal has (XTSMGRAPHICS), at most 256.
    public let sixelColors: Int

    /// The largest sixel picture the terminal takes (XTSMGRAPHICS), nil: no limit known.
    public let maxPixels: Size?

    public init(proto: GraphicsProtocol, cell: Size, tmuxPassthrough: Bool = false, sixelColors: Int = 256, maxPixels: Size? = nil) {
        self.proto = proto; self.cell = cell; self.tmuxPassthrough = tmuxPassthrough; self.maxPixels = maxPixels
        self.sixelColors = max(2, min(256, sixelColors))
    }

    /// The pixel size a picture gets in `rect`: as large as fits, its proportions kept.
    public func pixelSize(of image: Image, in rect: Rect) -> Size {
        var w = rect.width * cell.width, h = rect.height * cell.height
        if let m = maxPixels { w = min(w, m.width); h = min(h, m.height) }
        guard image.width > 0, image.height > 0, w > 0, h > 0 else { return Size(width: 0, height: 0) }
        if w * image.height <= h * image.width {
            return Size(width: w, height: max(1, (w * image.height + image.width / 2) / image.width))
        }
        return Size(width: max(1, (h * image.width + image.height / 2) / image.height), height: h)
    }

    /// The picture as this painter sends it, and how many times sixel enlarges each of its pixels.
    /// Larger than its cells: shrunk to fit them (Pillow's bilinear filter, which averages).
    /// Smaller: kitty and iTerm2 get it as decoded and stretch it over the cells themselves (a few
    /// kilobytes a frame instead of megabytes); sixel cannot stretch, so each decoded pixel becomes
    /// a square of k×k, the largest k that fits: exact pixels, as exports' --scale gives, where a
    /// smoothing filter would only invent blur at many times the bytes.
    public func scaled(_ p: GraphicPlacement) -> (image: Image, scale: Int) {
        let fit = pixelSize(of: p.image, in: p.rect)
        let rgb = p.image.toRGB()
        if fit.width < rgb.width || fit.height < rgb.height { return (rgb.resized(width: fit.width, height: fit.height), 1) }
        return (rgb, sixelFactor(p.image, fit: fit) ?? 1)
    }

    /// The pixels a picture covers on screen: its fitted size, or a sixel picture's k× size.
    public func shownPixels(_ p: GraphicPlacement) -> Size {
        let fit = pixelSize(of: p.image, in: p.rect)
        guard let k = sixelFactor(p.image, fit: fit) else { return fit }
        return Size(width: p.image.width * k, height: p.image.height * k)
    }

    /// Sixel's whole enlargement factor for a picture that fits `fit` at least at its own size;
    /// nil for the other protocols and for pictures that are shrunk.
    private func sixelFactor(_ image: Image, fit: Size) -> Int? {
        guard proto == .sixel, fit.width >= image.width, fit.height >= image.height else { return nil }
        return max(1, min(fit.width / max(1, image.width), fit.height / max(1, image.height)))
    }

    /// The cell the picture's top-left corner goes to: a picture narrower or shorter than its
    /// rectangle (sixel's whole-factor enlargement) is centred in it by whole cells.
    public func origin(_ p: GraphicPlacement) -> Point {
        let s = shownPixels(p)
        let dx = max(0, p.rect.width * cell.width - s.width) / 2 / max(1, cell.width)
        let dy = max(0, p.rect.height * cell.height - s.height) / 2 / max(1, cell.height)
        return Point(x: p.rect.x + dx, y: p.rect.y + dy)
    }

    /// The bytes that bring the screen to `canvas`'s pictures. `erased`: text was written over
    /// some of the picture's cells in this frame (or the screen was cleared), which removes sixel
    /// and iTerm2 pixels there; kitty's images live above the text and survive it.
    public func frame(_ canvas: Canvas, erased: (Rect) -> Bool) -> [UInt8] {
        var out: [UInt8] = []
        let t0 = monotonicSeconds()
        defer { lastEncodeMs = (monotonicSeconds() - t0) * 1000 }
        // One picture in pixels at a time: the walk's (tile views draw with blocks).
        guard let p = canvas.graphics.first, !p.rect.isEmpty else {
            out += clear()
            return out
        }
        let same = shown?.placement == p
        if same && (proto == .kitty || !erased(p.rect)) { return out }
        let bytes: [UInt8]
        if let e = encoded, e.placement == p {
            bytes = e.bytes
        } else {
            bytes = encode(p)
            encoded = (p, bytes)
        }
        guard !bytes.isEmpty else { return out }
        let ids = PixelPainter.kittyIDs
        let id = proto != .kitty ? 0 : (shown?.kittyID == ids[0] ? ids[1] : ids[0])
        let at = origin(p)
        out += GraphicsEncoder.moveTo(x: at.x, y: at.y)
        switch proto {
        case .kitty:
            out += wrap(bytes.withKittyID(id))
            if let old = shown, old.kittyID != id { out += wrap(GraphicsEncoder.kittyDelete(id: old.kittyID)) }
        case .sixel, .iterm:
            out += wrap(bytes)
        case .blocks:
            break
        }
        shown = Shown(placement: p, kittyID: id)
        return out
    }

    /// The bytes that take the picture off the screen (kitty's stays above the text until
    /// deleted; sixel and iTerm2 pixels go with the cells drawn over them).
    public func clear() -> [UInt8] {
        defer { shown = nil }
        guard let s = shown, proto == .kitty else { return [] }
        return wrap(GraphicsEncoder.kittyDelete(id: s.kittyID))
    }

    /// The terminal was resized: its cells may have another pixel size (a font change).
    public func resized(cell newCell: Size?) {
        if let c = newCell, c.width > 0, c.height > 0, c != cell { cell = c; encoded = nil }
    }

    /// After a resize or a repaint from scratch: nothing of ours is on screen any more.
    public func forget() -> [UInt8] {
        let bytes = clear()
        encoded = nil
        return bytes
    }

    private func wrap(_ b: [UInt8]) -> [UInt8] { tmuxPassthrough ? GraphicsEncoder.tmuxPassthrough(b) : b }

    /// The picture's sequence; kitty's with a placeholder id, set when it is sent.
    private func encode(_ p: GraphicPlacement) -> [UInt8] {
        let (image, scale) = scaled(p)
        // The cells kitty and iTerm2 stretch the picture over: its fitted pixel size in cells.
        let fit = pixelSize(of: p.image, in: p.rect)
        let cells = Size(width: max(1, min(p.rect.width, (fit.width + cell.width / 2) / max(1, cell.width))),
                         height: max(1, min(p.rect.height, (fit.height + cell.height / 2) / max(1, cell.height))))
        switch proto {
        case .kitty:
            guard let png = try? PNGCodec.encode(image, text: [], compressionLevel: 1) else { return [] }
            return GraphicsEncoder.kitty(png: png, id: PixelPainter.idPlaceholder, cells: cells)
        case .iterm:
            guard let png = try? PNGCodec.encode(image, text: [], compressionLevel: 1) else { return [] }
            return GraphicsEncoder.iterm(png: png, cells: cells)
        case .sixel:
            return (try? SixelEncoder.encode(image, scale: scale, colors: sixelColors)) ?? []
        case .blocks:
            return []
        }
    }

    /// Stands for the image id in a cached kitty sequence; ten digits like the real ids' width.
    static let idPlaceholder = 9_999_999_999
}

extension Array where Element == UInt8 {
    /// A cached kitty sequence with its placeholder id replaced (it appears once, in the first chunk).
    func withKittyID(_ id: Int) -> [UInt8] {
        let from = Array("i=\(PixelPainter.idPlaceholder),".utf8), to = Array("i=\(id),".utf8)
        guard let r = firstRange(of: from) else { return self }
        var copy = self
        copy.replaceSubrange(r, with: to)
        return copy
    }
}
