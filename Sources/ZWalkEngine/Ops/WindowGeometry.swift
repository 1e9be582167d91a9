/// Sliding-window geometry shared by Conv, ConvTranspose and the pooling operators.
///
/// Every spatial rank (1-D, 2-D, 3-D) is stored as 3-D `(D, H, W)` with leading unit dimensions,
/// so one loop nest serves all ranks and a 1-D convolution is a 2-D one with a 1-row image.
///
/// A window at position `p` with tap `t` reads image coordinate `p·stride − padBegin + t·dilation`
/// along each axis. For Conv and pooling the *image* is the input and the *positions* are the
/// output. ConvTranspose is the adjoint of a Conv, so it uses the same geometry the other way
/// round: its output is the image and its input holds one value per window position.
struct Window: Sendable, Equatable, CustomStringConvertible {
    /// Spatial rank as the model wrote it (1, 2 or 3).
    var rank: Int
    /// Image extent (D, H, W): Conv/pool input, ConvTranspose output.
    var image: [Int]
    /// Number of window positions (D, H, W): Conv/pool output, ConvTranspose input.
    var positions: [Int]
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var padBegin: [Int]
    var padEnd: [Int]

    var imageCount: Int { image[0] * image[1] * image[2] }
    var positionCount: Int { positions[0] * positions[1] * positions[2] }
    var kernelCount: Int { kernel[0] * kernel[1] * kernel[2] }

    /// The model-rank view of a 3-D field (drops the leading unit axes added by `lift`).
    func spatial(_ v: [Int]) -> [Int] { Array(v.suffix(rank)) }

    var description: String {
        "image \(spatial(image)), positions \(spatial(positions)), kernel \(spatial(kernel)), strides \(spatial(stride)), dilations \(spatial(dilation)), pads \(spatial(padBegin) + spatial(padEnd))"
    }

    /// Pads a per-axis list to 3-D with `fill` in front.
    static func lift(_ v: [Int], fill: Int) -> [Int] { [Int](repeating: fill, count: 3 - v.count) + v }

    /// Positions `p` (along `axis`) whose tap `t` lands inside the image: `lo..<hi`, possibly empty.
    /// Precomputed at load time so that kernels never test bounds per element.
    func validPositions(axis: Int, tap t: Int) -> Range<Int> {
        let s = stride[axis], off = padBegin[axis] - t * dilation[axis]
        let lo = max(0, Window.ceilDiv(off, s))
        let hi = min(positions[axis], Window.ceilDiv(image[axis] + off, s))
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// Taps `t` of the window at position `p` (along `axis`) that land inside the image.
    func validTaps(axis: Int, position p: Int) -> Range<Int> {
        let d = dilation[axis], start = p * stride[axis] - padBegin[axis]
        let lo = max(0, Window.ceilDiv(-start, d))
        let hi = min(kernel[axis], Window.ceilDiv(image[axis] - start, d))
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// ⌈a / b⌉ for b > 0 and any sign of a.
    static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
    /// ⌊a / b⌋ for b > 0 and any sign of a.
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

/// ONNX's `auto_pad` attribute.
enum AutoPad: String, Sendable {
    case notSet = "NOTSET", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER", valid = "VALID"
}

/// The window attributes common to Conv, ConvTranspose and pooling, read and validated once.
struct WindowAttributes: Sendable {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padBegin: [Int]
    var padEnd: [Int]
    var autoPad: AutoPad
    /// True when the node wrote a non-zero `pads` attribute.
    var explicitPads: Bool

    /// The largest kernel size, stride, dilation or pad accepted: 2³¹. No real model comes near it,
    /// and with every factor below it the window arithmetic (extent = (k − 1)·d + 1, n + pads,
    /// s·(n − 1)) stays far inside Int64, where values at the Int64 extremes used to trap.
    static let limit = 1 << 31

    /// Reads `strides`, `dilations`, `pads` and `auto_pad` for `rank` spatial axes around a kernel
    /// shape the caller determined (from the weight or `kernel_shape`).
    init(_ ctx: OpContext, rank: Int, kernel: [Int], allowDilations: Bool = true) throws {
        func list(_ name: String, count: Int, default d: Int, min lo: Int) throws -> [Int] {
            guard let v = try ctx.ints(name) else { return [Int](repeating: d, count: count) }
            guard v.count == count else {
                throw ctx.error("attribute '\(name)' has \(v.count) value(s), expected \(count) for \(rank) spatial axes")
            }
            if let bad = v.first(where: { $0 < lo }) {
                throw ctx.error("attribute '\(name)' has value \(bad); every value must be at least \(lo)")
            }
            if let bad = v.first(where: { $0 > Self.limit }) {
                throw ctx.error("attribute '\(name)' has value \(bad); values above \(Self.limit) are refused (the window arithmetic would overflow)")
            }
            return v
        }
        guard kernel.count == rank, kernel.allSatisfy({ $0 >= 1 && $0 <= Self.limit }) else {
            throw ctx.error("kernel shape \(kernel) is invalid for \(rank) spatial axes")
        }
        self.kernel = kernel
        strides = try list("strides", count: rank, default: 1, min: 1)
        dilations = try list("dilations", count: rank, default: 1, min: 1)
        if !allowDilations && dilations.contains(where: { $0 != 1 }) {
            throw ctx.error("dilations \(dilations) are not supported at opset \(ctx.opset)")
        }
        let pads = try list("pads", count: 2 * rank, default: 0, min: 0)
        padBegin = Array(pads[0..<rank])
        padEnd = Array(pads[rank...])
        explicitPads = pads.contains { $0 != 0 }
        let ap = try ctx.string("auto_pad", "NOTSET")
        guard let a = AutoPad(rawValue: ap.isEmpty ? "NOTSET" : ap) else {
            throw ctx.error("auto_pad '\(ap)' is not supported (NOTSET, SAME_UPPER, SAME_LOWER, VALID)")
        }
        autoPad = a
        if autoPad != .notSet && explicitPads {
            throw ctx.error("attribute 'pads' \(pads) cannot be used together with auto_pad=\(ap)")
        }
    }

    /// The geometry of a Conv or pooling window over an input of spatial size `input` (model
    /// rank). `ceilMode` (pooling) rounds the output size up, dropping a last window that would
    /// start in the end padding, as onnxruntime and PyTorch do.
    func forward(_ ctx: OpContext, input: [Int], ceilMode: Bool = false) throws -> Window {
        let rank = kernel.count
        var out = [Int](repeating: 0, count: rank)
        var pb = padBegin, pe = padEnd
        for i in 0..<rank {
            let ext = (kernel[i] - 1) * dilations[i] + 1, s = strides[i], n = input[i]
            switch autoPad {
            case .sameUpper, .sameLower:
                // Output ceil(n / s); the padding it needs is split, the odd one out at the end
                // for SAME_UPPER and at the beginning for SAME_LOWER.
                out[i] = (n + s - 1) / s
                let total = max(0, (out[i] - 1) * s + ext - n)
                pb[i] = autoPad == .sameUpper ? total / 2 : total - total / 2
                pe[i] = total - pb[i]
            case .valid, .notSet:
                if autoPad == .valid { pb[i] = 0; pe[i] = 0 }
                let span = n + pb[i] + pe[i] - ext
                guard span >= 0 else {
                    throw ctx.error("the window (extent \(ext) along spatial axis \(i)) is larger than the padded input (\(n) + pads \(pb[i]), \(pe[i]))")
                }
                out[i] = (ceilMode ? Window.ceilDiv(span, s) : span / s) + 1
                if ceilMode && (out[i] - 1) * s >= n + pb[i] { out[i] -= 1 }
            }
        }
        return Window(rank: rank, image: Window.lift(input, fill: 1), positions: Window.lift(out, fill: 1),
                      kernel: Window.lift(kernel, fill: 1), stride: Window.lift(strides, fill: 1),
                      dilation: Window.lift(dilations, fill: 1), padBegin: Window.lift(pb, fill: 0),
                      padEnd: Window.lift(pe, fill: 0))
    }

    /// The geometry of a ConvTranspose over an input of spatial size `input`, following the ONNX
    /// spec as onnxruntime implements it:
    /// - `output_shape` given: total padding `stride·(in−1) + output_padding + extent − out`,
    ///   clamped at 0 (extra outputs at the end then receive only the bias); the larger half goes
    ///   to the end for SAME_UPPER and to the beginning otherwise. `pads` are ignored.
    /// - SAME_UPPER/SAME_LOWER without `output_shape`: output `in·stride`, padding split as above.
    /// - otherwise: output `stride·(in−1) + output_padding + extent − padBegin − padEnd`.
    func transposed(_ ctx: OpContext, input: [Int], outputPadding: [Int], outputShape: [Int]?) throws -> Window {
        let rank = kernel.count
        var out = [Int](repeating: 0, count: rank)
        var pb = padBegin, pe = padEnd
        for i in 0..<rank {
            let ext = (kernel[i] - 1) * dilations[i] + 1, s = strides[i], n = input[i]
            let full = s * (n - 1) + outputPadding[i] + ext
            if let os = outputShape {
                guard os[i] >= 1 else { throw ctx.error("output_shape \(os) must be positive") }
                // onnxruntime rejects an output_shape that an input one step larger would produce.
                guard os[i] - full < s else {
                    throw ctx.error("output_shape \(os) is inconsistent with the input: spatial axis \(i) can be at most \(full + s - 1) for input size \(n), kernel extent \(ext), stride \(s)")
                }
                out[i] = os[i]
            } else if autoPad == .sameUpper || autoPad == .sameLower {
                out[i] = n * s
            }
            if outputShape != nil || autoPad == .sameUpper || autoPad == .sameLower {
                let total = max(0, full - out[i])
                pb[i] = autoPad == .sameUpper ? total / 2 : total - total / 2
                pe[i] = total - pb[i]
            } else {
                if autoPad == .valid { pb[i] = 0; pe[i] = 0 }
                out[i] = full - pb[i] - pe[i]
                guard out[i] >= 1 else {
                    throw ctx.error("pads \(padBegin + padEnd) leave no output along spatial axis \(i) (full size \(full))")
                }
            }
        }
        return Window(rank: rank, image: Window.lift(out, fill: 1), positions: Window.lift(input, fill: 1),
                      kernel: Window.lift(kernel, fill: 1), stride: Window.lift(strides, fill: 1),
                      dilation: Window.lift(dilations, fill: 1), padBegin: Window.lift(pb, fill: 0),
                      padEnd: Window.lift(pe, fill: 0))
    }
}
