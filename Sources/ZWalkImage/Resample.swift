/// Resampling to an arbitrary size, for fitting a user's photo to an encoder's input and for
/// fitting images to a panel.
///
/// The algorithm is Pillow's `Image.resize(size, Image.BILINEAR)`: a separable triangle filter whose
/// support widens with the reduction factor, so downscaling averages over the whole source area
/// (no aliasing) and upscaling interpolates bilinearly. Horizontal pass first, then vertical, each
/// rounded to 8 bits as Pillow does, so `zwalk encode` sees (within ±1) the pixels a PIL notebook
/// would feed the same encoder. Channels are filtered independently (alpha is not premultiplied).
extension Image {
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        let ow = max(newWidth, 1), oh = max(newHeight, 1)
        if ow == width && oh == height { return self }
        guard width > 0, height > 0 else { return Image(width: ow, height: oh, channels: channels, fill: [UInt8](repeating: 0, count: channels)) }
        var current = self
        if ow != width {
            current = current.resampled(axis: .horizontal, to: ow)
        }
        if oh != height {
            current = current.resampled(axis: .vertical, to: oh)
        }
        return current
    }

    private enum Axis { case horizontal, vertical }

    private func resampled(axis: Axis, to outSize: Int) -> Image {
        let inSize = axis == .horizontal ? width : height
        let taps = ResampleTaps(inSize: inSize, outSize: outSize)
        let ow = axis == .horizontal ? outSize : width
        let oh = axis == .horizontal ? height : outSize
        var out = [UInt8](repeating: 0, count: ow * oh * channels)
        var acc = [Float](repeating: 0, count: channels)
        for y in 0..<oh {
            for x in 0..<ow {
                let o = axis == .horizontal ? x : y
                for c in 0..<channels { acc[c] = 0 }
                let first = taps.first[o]
                for k in 0..<taps.count[o] {
                    let w = taps.weights[o * taps.stride + k]
                    let src = axis == .horizontal ? (y * width + first + k) * channels : ((first + k) * width + x) * channels
                    for c in 0..<channels { acc[c] += w * Float(pixels[src + c]) }
                }
                let dst = (y * ow + x) * channels
                for c in 0..<channels {
                    let v = acc[c] + 0.5
                    out[dst + c] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                }
            }
        }
        return Image(width: ow, height: oh, channels: channels, pixels: out)
    }
}

/// For each output position along one axis: the first source index and the normalised filter
/// weights (Pillow's `precompute_coeffs` with the bilinear filter, support 1).
struct ResampleTaps {
    var first: [Int] = []
    var count: [Int] = []
    var weights: [Float] = []
    let stride: Int

    init(inSize: Int, outSize: Int) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 1.0 * filterScale
        stride = Int(support.rounded(.up)) * 2 + 1
        weights = [Float](repeating: 0, count: stride * outSize)
        for o in 0..<outSize {
            let center = (Double(o) + 0.5) * scale
            // Pillow truncates toward zero here; both bounds are ≥ 0 once clamped.
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), inSize)
            let n = max(hi - lo, 0)
            var total = 0.0
            var w = [Double](repeating: 0, count: n)
            for k in 0..<n {
                let t = abs((Double(k + lo) - center + 0.5) / filterScale)
                w[k] = t < 1 ? 1 - t : 0
                total += w[k]
            }
            first.append(lo)
            count.append(n)
            for k in 0..<n { weights[o * stride + k] = total != 0 ? Float(w[k] / total) : 0 }
        }
    }
}
