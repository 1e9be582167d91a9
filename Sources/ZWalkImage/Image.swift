import ZWalkEngine

/// An 8-bit image: row-major, channels interleaved (`pixels[(y * width + x) * channels + c]`),
/// 1 channel (gray), 3 (RGB) or 4 (RGBA). A value type, so a decoded frame handed to the TUI or
/// a PNG writer can never change under them.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    /// `pixels` must hold `width * height * channels` bytes and `channels` be 1, 3 or 4: a caller's
    /// programming error otherwise (images made from user data come from `fromBatch` or
    /// `PNGCodec`, which validate and throw).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && [1, 3, 4].contains(channels), "bad image geometry \(width)x\(height)x\(channels)")
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)x\(height)x\(channels) image")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A solid image; `fill` holds one pixel (`channels` bytes).
    public init(width: Int, height: Int, channels: Int, fill: [UInt8]) {
        precondition(fill.count == channels, "fill colour has \(fill.count) components for \(channels) channels")
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        if channels == 1 {
            pixels = [UInt8](repeating: fill[0], count: width * height)
        } else {
            for i in 0..<(width * height) {
                for c in 0..<channels { pixels[i * channels + c] = fill[c] }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// From a decoder output slice laid out (C, H, W): C = 1 gives gray, 3 RGB, 4 RGBA (alpha kept).
    /// Values map linearly from `range` to 0…255, clamped, rounded half up (torchvision's
    /// `save_image` does `mul(255).add(0.5).clamp(0, 255)` on (0,1) data, the same mapping);
    /// NaN becomes 0. `chw` must hold `channels * height * width` values (`fromBatch` checks).
    public init(chw: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int, range: (Float, Float)) {
        precondition([1, 3, 4].contains(channels), "image tensors have 1, 3 or 4 channels, not \(channels)")
        precondition(chw.count == channels * height * width, "\(chw.count) values for (\(channels), \(height), \(width))")
        let plane = height * width
        var pixels = [UInt8](repeating: 0, count: plane * channels)
        let map = ValueMap(range: range)
        for c in 0..<channels {
            for i in 0..<plane { pixels[i * channels + c] = map.byte(chw[c * plane + i]) }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Image `index` of a decoder's batch output. Accepted layouts:
    /// - (N, C, H, W) with C = 1, 3 or 4;
    /// - (N, H, W): gray;
    /// - (N, D): a flattened square image, D = S² (gray) or 3·S² (RGB, channel-major), as MLP
    ///   decoders for MNIST-like data emit.
    public static func fromBatch(_ t: Tensor, index: Int, range: (Float, Float)) throws -> Image {
        guard t.dtype == .float32 else {
            throw ImageError.notImageLike(shape: t.shape, reason: "its element type is \(t.dtype), not float32")
        }
        guard let n = t.shape.first else {
            throw ImageError.notImageLike(shape: t.shape, reason: "a scalar has no batch axis")
        }
        guard index >= 0, index < n else {
            throw ImageError.notImageLike(shape: t.shape, reason: "batch index \(index) is outside 0..<\(n)")
        }
        let (c, h, w): (Int, Int, Int)
        switch t.shape.count {
        case 4:
            (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
            guard [1, 3, 4].contains(c) else {
                let hint = [1, 3, 4].contains(t.shape[3]) ? " (it looks channels-last; zwalk expects (N, C, H, W))" : ""
                throw ImageError.notImageLike(shape: t.shape, reason: "axis 1 has \(c) channels, not 1, 3 or 4\(hint)")
            }
        case 3:
            (c, h, w) = (1, t.shape[1], t.shape[2])
        case 2:
            let d = t.shape[1]
            if let s = exactSquareRoot(d) {
                (c, h, w) = (1, s, s)
            } else if d % 3 == 0, let s = exactSquareRoot(d / 3) {
                (c, h, w) = (3, s, s)
            } else {
                throw ImageError.notImageLike(shape: t.shape, reason: "\(d) values per sample are neither S² (gray) nor 3·S² (RGB)")
            }
        default:
            throw ImageError.notImageLike(shape: t.shape, reason: "rank \(t.shape.count) is not (N, C, H, W), (N, H, W) or (N, H·W)")
        }
        guard h > 0, w > 0 else { throw ImageError.notImageLike(shape: t.shape, reason: "the image has no pixels") }
        let per = c * h * w
        let start = index * per
        let values = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(t.floats)[start..<(start + per)])
        return Image(chw: values, channels: c, height: h, width: w, range: range)
    }

    /// Nearest-neighbour upsampling by an integer factor (`--scale N`): every pixel becomes an
    /// N×N block, so pixel art stays crisp. Factors below 2 return the image unchanged.
    public func scaled(by factor: Int) -> Image {
        guard factor > 1 else { return self }
        let ow = width * factor, oh = height * factor
        var out = [UInt8](repeating: 0, count: ow * oh * channels)
        let rowBytes = ow * channels
        for y in 0..<height {
            let dst = y * factor * rowBytes
            for x in 0..<width {
                let src = (y * width + x) * channels
                for k in 0..<factor {
                    let o = dst + (x * factor + k) * channels
                    for c in 0..<channels { out[o + c] = pixels[src + c] }
                }
            }
            // The other factor−1 rows of the block repeat the row just written.
            for k in 1..<factor {
                let rowStart = dst + k * rowBytes
                for i in 0..<rowBytes { out[rowStart + i] = out[dst + i] }
            }
        }
        return Image(width: ow, height: oh, channels: channels, pixels: out)
    }

    /// The region (x, y, width, height), clamped to the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        let x0 = max(0, min(x, width - 1)), y0 = max(0, min(y, height - 1))
        let cw = max(1, min(w, width - x0)), ch = max(1, min(h, height - y0))
        var out = [UInt8]()
        out.reserveCapacity(cw * ch * channels)
        for row in y0..<(y0 + ch) {
            let start = (row * width + x0) * channels
            out += pixels[start..<(start + cw * channels)]
        }
        return Image(width: cw, height: ch, channels: channels, pixels: out)
    }

    /// Gray and RGB as RGB; RGBA loses its alpha (as PIL's `convert("RGB")` does), which is what an
    /// encoder that takes RGB wants.
    public func toRGB() -> Image {
        switch channels {
        case 3: return self
        case 1:
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                let v = pixels[i]
                out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
            }
            return Image(width: width, height: height, channels: 3, pixels: out)
        default:
            var out = [UInt8](repeating: 0, count: width * height * 3)
            for i in 0..<(width * height) {
                out[3 * i] = pixels[4 * i]; out[3 * i + 1] = pixels[4 * i + 1]; out[3 * i + 2] = pixels[4 * i + 2]
            }
            return Image(width: width, height: height, channels: 3, pixels: out)
        }
    }

    /// Luma with PIL's `convert("L")` weights and rounding (ITU-R 601-2:
    /// (19595·R + 38470·G + 7471·B + 0x8000) >> 16), so an encoder fed from zwalk sees the same
    /// gray image as one fed from a PIL notebook. Alpha is dropped.
    public func toGray() -> Image {
        guard channels != 1 else { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            out[i] = RGBColor.luma(RGBColor(pixels[i * channels], pixels[i * channels + 1], pixels[i * channels + 2]))
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }

    /// This image with `channels` channels (1, 3 or 4): gray via `toGray`, RGB via `toRGB`, RGBA by
    /// adding an opaque alpha.
    public func converted(channels target: Int) throws -> Image {
        switch target {
        case channels: return self
        case 1: return toGray()
        case 3: return toRGB()
        case 4:
            let rgb = toRGB()
            var out = [UInt8](repeating: 255, count: width * height * 4)
            for i in 0..<(width * height) {
                out[4 * i] = rgb.pixels[3 * i]; out[4 * i + 1] = rgb.pixels[3 * i + 1]; out[4 * i + 2] = rgb.pixels[3 * i + 2]
            }
            return Image(width: width, height: height, channels: 4, pixels: out)
        default:
            throw ImageError.unsupportedChannels(target)
        }
    }

    /// The inverse of `init(chw:)`: (C, H, W) floats with 0…255 mapped linearly onto `range`, for
    /// feeding an encoder.
    public func toCHWFloats(range: (Float, Float)) -> [Float] {
        let plane = width * height
        var out = [Float](repeating: 0, count: plane * channels)
        let (lo, hi) = range
        let step = (hi - lo) / 255
        for c in 0..<channels {
            for i in 0..<plane { out[c * plane + i] = lo + Float(pixels[i * channels + c]) * step }
        }
        return out
    }

    /// The pixel at (x, y) (`channels` bytes); for tests and the TUI's inspector.
    public func pixel(x: Int, y: Int) -> ArraySlice<UInt8> {
        let o = (y * width + x) * channels
        return pixels[o..<(o + channels)]
    }
}

/// Image-level failures outside PNG files: tensors that are not images, grid layouts that do not
/// fit their cells.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    case notImageLike(shape: [Int], reason: String)
    case unsupportedChannels(Int)
    case invalidGrid(String)
    case tooLarge(String)

    public var description: String {
        switch self {
        case .notImageLike(let shape, let reason):
            return "decoder output of shape \(shape) is not an image: \(reason)"
        case .unsupportedChannels(let c):
            return "images have 1 (gray), 3 (RGB) or 4 (RGBA) channels, not \(c)"
        case .invalidGrid(let s), .tooLarge(let s):
            return s
        }
    }
}

/// A colour for backgrounds, frames and labels.
public struct RGBColor: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    public init(gray v: UInt8) { self.init(v, v, v) }

    public static let black = RGBColor(0, 0, 0)
    public static let white = RGBColor(255, 255, 255)
    /// The frame around a traversal grid's unmodified sample: a red that stands out against faces,
    /// digits and most natural images.
    public static let highlight = RGBColor(230, 40, 40)

    public var isGray: Bool { r == g && g == b }

    /// PIL's luma of a colour (see `Image.toGray`).
    public static func luma(_ c: RGBColor) -> UInt8 {
        let r = UInt32(c.r), g = UInt32(c.g), b = UInt32(c.b)
        let sum: UInt32 = 19595 * r + 38470 * g + 7471 * b + 0x8000
        return UInt8(sum >> 16)
    }
}

/// The linear map from a model's output range to bytes.
struct ValueMap {
    let lo: Float, scale: Float

    init(range: (Float, Float)) {
        lo = range.0
        let span = range.1 - range.0
        scale = span != 0 ? 255 / span : 0
    }

    @inline(__always) func byte(_ v: Float) -> UInt8 {
        let x = (v - lo) * scale
        // `!(x > 0)` also catches NaN.
        if !(x > 0) { return 0 }
        if x >= 255 { return 255 }
        return UInt8(x + 0.5)
    }
}

/// √n when n is a positive perfect square.
private func exactSquareRoot(_ n: Int) -> Int? {
    guard n > 0 else { return nil }
    var s = Int(Double(n).squareRoot().rounded())
    while s * s > n { s -= 1 }
    while (s + 1) * (s + 1) <= n { s += 1 }
    return s * s == n ? s : nil
}
