import Foundation

/// Resampling operators: Resize and Upsample (Resize's predecessor, same machinery).
///
/// Resampling is separable: every resized axis gets a table, built at load time, that lists for
/// each output position the input positions it reads and their weights (1 tap for nearest, 2 for
/// linear, 4 for cubic, more for antialiased downscaling). Kernels only gather and blend, one axis
/// at a time; a nearest resize of the two innermost axes (the ×2 upsampling of conv decoders) is a
/// direct gather instead. `resampleNaive` is the reference both paths are tested against.
///
/// Arithmetic follows onnxruntime: source coordinates and output sizes are computed in float32, so
/// `scales = 0.7` on 10 pixels gives 7 (as PyTorch does), not 6. One deliberate difference:
/// align_corners and tf_crop_and_resize use the unrounded target length `scale · length` when
/// scales are given, as the ONNX reference and its backend tests do (onnxruntime rounds it first,
/// which differs only when `scale · length` is not an integer).
enum ResizeOps {
    static let table: [String: OpFactory] = [
        "Resize": resize,
        "Upsample": upsample,
    ]

    // MARK: - resampling model

    enum Interpolation: String, Sendable { case nearest, linear, cubic }

    enum NearestRounding: Sendable {
        case roundPreferFloor, roundPreferCeil, floor, ceil
        /// Resize-10 and Upsample: truncate when upsampling, ceil when downsampling (onnxruntime's
        /// "simple" mode; those opsets name no rounding).
        case simple
    }

    enum CoordinateTransform: String, Sendable, CaseIterable {
        case halfPixel = "half_pixel"
        case halfPixelSymmetric = "half_pixel_symmetric"
        case pytorchHalfPixel = "pytorch_half_pixel"
        case alignCorners = "align_corners"
        case asymmetric
        case tfHalfPixelForNN = "tf_half_pixel_for_nn"
        case tfCropAndResize = "tf_crop_and_resize"
    }

    struct ResampleOptions: Sendable {
        var interpolation: Interpolation = .nearest
        var rounding: NearestRounding = .roundPreferFloor
        var transform: CoordinateTransform = .halfPixel
        var cubicA: Double = -0.75
        var excludeOutside = false
        var antialias = false
    }

    /// How one axis is resampled: output[j] = Σ_k weight[j·taps + k] · input[index[j·taps + k]]
    /// (indices already clamped into the input, which is the spec's edge padding).
    struct AxisResampler: Sendable {
        let axis: Int
        let inSize: Int
        let outSize: Int
        let taps: Int
        let index: [Int]
        let weight: [Float]
        /// Output positions whose source lies outside the input under tf_crop_and_resize: they
        /// take the extrapolation value.
        let outside: [Bool]
        let hasOutside: Bool
    }

    /// A resampling node compiled for one input shape: only the axes that change have a table.
    struct ResamplePlan: Sendable {
        let inShape: [Int]
        let outShape: [Int]
        let axes: [AxisResampler]
        let extrapolation: Float
    }

    enum ResamplePath: Equatable {
        /// Nothing changes: the output views the input.
        case identity
        /// Nearest on (a subset of) the two innermost axes: a row gather; `factor` is set when
        /// columns repeat each input column exactly that many times (×2 upsampling).
        case nearestInner(factor: Int?)
        /// One pass per resized axis through per-plane scratch buffers.
        case separable
    }

    /// The float32 source coordinate of output position `j` (onnxruntime's expressions).
    /// - outputWidth: the unrounded target length (`scale · inSize` when scales were given).
    @inline(__always)
    static func sourceCoordinate(_ j: Int, _ t: CoordinateTransform, scale: Float, inSize: Int, outSize: Int,
                                 outputWidth: Float, roi: (Float, Float)) -> Float {
        let y = Float(j), lin = Float(inSize)
        switch t {
        case .halfPixel:
            return (y + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            // Centres the (possibly truncated) output on the input.
            let adjustment = Float(outSize) / outputWidth
            let offset = lin / 2 * (1 - adjustment)
            return offset + (y + 0.5) / scale - 0.5
        case .pytorchHalfPixel:
            return outSize > 1 ? (y + 0.5) / scale - 0.5 : 0
        case .alignCorners:
            return outputWidth == 1 ? 0 : y * (lin - 1) / (outputWidth - 1)
        case .asymmetric:
            return y / scale
        case .tfHalfPixelForNN:
            return (y + 0.5) / scale
        case .tfCropAndResize:
            return outputWidth > 1
                ? roi.0 * (lin - 1) + y * (roi.1 - roi.0) * (lin - 1) / (outputWidth - 1)
                : 0.5 * (roi.0 + roi.1) * (lin - 1)
        }
    }

    /// The input position nearest mode reads for source coordinate `x` (before clamping).
    @inline(__always)
    static func nearestIndex(_ x: Float, _ rounding: NearestRounding, downsampling: Bool) -> Int {
        let fl = x.rounded(.down)
        let frac = x - fl
        let i = Int(fl)
        if frac == 0 { return i }
        switch rounding {
        case .roundPreferFloor: return frac <= 0.5 ? i : i + 1
        case .roundPreferCeil: return frac < 0.5 ? i : i + 1
        case .floor: return i
        case .ceil: return i + 1
        case .simple: return downsampling ? i + 1 : (x < 0 ? i + 1 : i) // truncation toward zero
        }
    }

    /// Keys' cubic convolution kernel with parameter a (|x| < 2).
    @inline(__always)
    static func cubicKernel(_ x: Double, _ a: Double) -> Double {
        let x = abs(x), x2 = x * x, x3 = x2 * x
        if x <= 1 { return (a + 2) * x3 - (a + 3) * x2 + 1 }
        if x < 2 { return a * x3 - 5 * a * x2 + 8 * a * x - 4 * a }
        return 0
    }

    /// Interpolation weights for the taps around a source coordinate whose distance past its
    /// left neighbour is `ratio` ∈ (0, 1] (the ONNX reference's convention).
    static func interpolationWeights(ratio r: Double, scale: Float, _ o: ResampleOptions) -> [Double] {
        // Antialiasing stretches the filter by 1/scale, only when downscaling.
        let s = Double(min(scale, 1))
        func normalized(_ c: [Double]) -> [Double] {
            let sum = c.reduce(0, +)
            return sum == 0 ? c : c.map { $0 / sum }
        }
        switch (o.interpolation, o.antialias) {
        case (.linear, false):
            return [1 - r, r]
        case (.linear, true):
            let start = Int((-1 / s).rounded(.down)) + 1
            let footprint = 2 - 2 * start
            return normalized((0..<footprint).map { k in max(0, min(1, 1 - abs((Double(start + k) - r) * s))) })
        case (.cubic, false):
            let a = o.cubicA
            return [cubicKernel(r + 1, a), cubicKernel(r, a), cubicKernel(1 - r, a), cubicKernel(2 - r, a)]
        case (.cubic, true):
            let start = Int((-2 / s).rounded(.down)) + 1
            return normalized((start..<(2 - start)).map { i in cubicKernel(s * (Double(i) - r), o.cubicA) })
        case (.nearest, _):
            return [1]
        }
    }

    static func axisResampler(axis: Int, inSize: Int, outSize: Int, scale: Float, outputWidth: Float,
                              roi: (Float, Float), _ o: ResampleOptions) -> AxisResampler {
        let last = inSize - 1
        var index: [Int] = [], weight: [Float] = []
        var outside = [Bool](repeating: false, count: outSize)
        var taps = 1
        // Far-away coordinates only ever clamp to an edge; bounding them keeps Int(x) defined.
        let bound = Float(inSize) + 1e6
        for j in 0..<outSize {
            var x = sourceCoordinate(j, o.transform, scale: scale, inSize: inSize, outSize: outSize,
                                     outputWidth: outputWidth, roi: roi)
            if o.transform == .tfCropAndResize && (x < 0 || x > Float(last)) { outside[j] = true }
            x = x.isNaN ? 0 : min(max(x, -bound), bound)
            if o.interpolation == .nearest {
                index.append(min(max(nearestIndex(x, o.rounding, downsampling: scale < 1), 0), last))
                weight.append(1)
                continue
            }
            let fl = x.rounded(.down)
            let frac = Double(x - fl)
            var c = interpolationWeights(ratio: frac == 0 ? 1 : frac, scale: scale, o)
            let n = c.count
            taps = n
            // The n taps closest to x, ties to the left (the reference's neighbour rule).
            let offset = n % 2 == 0 ? (frac == 0 ? -(n / 2) : -(n / 2) + 1)
                                    : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1)
            let start = Int(fl) + offset
            if o.excludeOutside {
                for k in 0..<n where start + k < 0 || start + k > last { c[k] = 0 }
                let sum = c.reduce(0, +)
                if sum != 0 { c = c.map { $0 / sum } }
            }
            for k in 0..<n {
                index.append(min(max(start + k, 0), last))
                weight.append(Float(c[k]))
            }
        }
        return AxisResampler(axis: axis, inSize: inSize, outSize: outSize, taps: taps, index: index,
                             weight: weight, outside: outside, hasOutside: outside.contains(true))
    }

    // MARK: - Resize and Upsample: attributes → ResamplePlan

    static let resize: OpFactory = { ctx in try resamplePlan(ctx, resizeSetup(ctx)) }
    static let upsample: OpFactory = { ctx in try resamplePlan(ctx, upsampleSetup(ctx)) }

    static func interpolation(_ ctx: OpContext, allowed: [Interpolation]) throws -> Interpolation {
        let m = try ctx.string("mode", "nearest")
        guard let mode = Interpolation(rawValue: m), allowed.contains(mode) else {
            throw ctx.error("mode '\(m)' is not supported (\(allowed.map(\.rawValue).joined(separator: ", ")))")
        }
        return mode
    }

    static func resizeSetup(_ ctx: OpContext) throws -> ResamplePlan {
        let x = try ctx.input(0)
        guard x.dtype == .float32 else { throw ctx.error("resizing \(x.dtype) tensors is not supported (float only)") }
        let rank = x.rank
        guard rank >= 1 else { throw ctx.error("input X must have rank ≥ 1, got a scalar") }
        var o = ResampleOptions()
        var axes = Array(0..<rank)
        var policy = "stretch"
        var extrapolation: Float = 0
        var roi: [Float]? = nil, scales: [Float]? = nil, sizes: [Int]? = nil
        if ctx.opset < 11 {
            // Resize-10: (X, scales), asymmetric coordinates, nearest rounds like Upsample.
            o.interpolation = try interpolation(ctx, allowed: [.nearest, .linear])
            o.transform = .asymmetric
            o.rounding = .simple
            guard let s = try ctx.presentConstant(1) else { throw ctx.error("input 1 (scales) is required") }
            scales = s.dtype == .float32 ? Array(s.floats) : s.ints.map { Float($0) }
        } else {
            o.interpolation = try interpolation(ctx, allowed: [.nearest, .linear, .cubic])
            let t = try ctx.string("coordinate_transformation_mode", "half_pixel")
            guard let transform = CoordinateTransform(rawValue: t) else {
                throw ctx.error("coordinate_transformation_mode '\(t)' is not supported (\(CoordinateTransform.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            o.transform = transform
            let nm = try ctx.string("nearest_mode", "round_prefer_floor")
            switch nm {
            case "round_prefer_floor": o.rounding = .roundPreferFloor
            case "round_prefer_ceil": o.rounding = .roundPreferCeil
            case "floor": o.rounding = .floor
            case "ceil": o.rounding = .ceil
            default: throw ctx.error("nearest_mode '\(nm)' is not supported (round_prefer_floor, round_prefer_ceil, floor, ceil)")
            }
            o.cubicA = Double(try ctx.float("cubic_coeff_a", -0.75))
            o.excludeOutside = try ctx.int("exclude_outside", 0) != 0
            extrapolation = try ctx.float("extrapolation_value", 0)
            if ctx.opset >= 18 {
                o.antialias = try ctx.int("antialias", 0) != 0
                if let a = try ctx.ints("axes") {
                    axes = try a.map { try ctx.axis($0, rank: rank) }
                    guard Set(axes).count == axes.count else { throw ctx.error("axes \(a) repeat an axis") }
                }
                policy = try ctx.string("keep_aspect_ratio_policy", "stretch")
                guard ["stretch", "not_larger", "not_smaller"].contains(policy) else {
                    throw ctx.error("keep_aspect_ratio_policy '\(policy)' is not supported (stretch, not_larger, not_smaller)")
                }
            } else {
                for name in ["antialias", "axes", "keep_aspect_ratio_policy"] where ctx.has(name) {
                    throw ctx.error("attribute '\(name)' needs opset 18, but the model imports opset \(ctx.opset)")
                }
            }
            if o.transform == .tfCropAndResize {
                guard let r = try ctx.presentConstant(1) else {
                    throw ctx.error("coordinate_transformation_mode 'tf_crop_and_resize' needs input 1 (roi)")
                }
                roi = r.dtype == .float32 ? Array(r.floats) : r.ints.map { Float($0) }
            }
            if let s = try ctx.presentConstant(2) { scales = s.dtype == .float32 ? Array(s.floats) : s.ints.map { Float($0) } }
            if let s = try ctx.presentConstant(3) {
                guard s.dtype != .float32 else { throw ctx.error("input 3 (sizes) must be int64, got float") }
                sizes = s.ints.map { Int($0) }
            }
        }

        var outShape = x.shape
        var scale = [Float](repeating: 1, count: rank)
        var outputWidth = x.shape.map { Float($0) }
        switch (scales, sizes) {
        case (.some, .some):
            throw ctx.error("both scales and sizes are given; exactly one of them must be")
        case (nil, nil):
            throw ctx.error("neither scales nor sizes is given; one of them is required")
        case (let s?, nil):
            guard s.count == axes.count else {
                throw ctx.error("scales has \(s.count) value(s) but the input has \(axes.count) axis/axes to resize")
            }
            for (i, a) in axes.enumerated() {
                guard s[i] > 0, s[i].isFinite else { throw ctx.error("scales[\(i)] = \(s[i]) must be a positive number") }
                scale[a] = s[i]
                outputWidth[a] = s[i] * Float(x.shape[a])
                let w = outputWidth[a].rounded(.down)
                guard w < 1e12 else { throw ctx.error("scales[\(i)] = \(s[i]) makes axis \(a) absurdly large") }
                outShape[a] = Int(w)
            }
        case (nil, let z?):
            guard z.count == axes.count else {
                throw ctx.error("sizes has \(z.count) value(s) but the input has \(axes.count) axis/axes to resize")
            }
            for (i, a) in axes.enumerated() {
                guard z[i] >= 0 else { throw ctx.error("sizes[\(i)] = \(z[i]) is negative") }
                guard x.shape[a] > 0 else { throw ctx.error("cannot resize axis \(a), which is empty") }
            }
            if policy == "stretch" {
                for (i, a) in axes.enumerated() {
                    outShape[a] = z[i]
                    scale[a] = Float(z[i]) / Float(x.shape[a])
                    outputWidth[a] = Float(z[i])
                }
            } else {
                // One scale for every resized axis, so the aspect ratio is kept.
                let ratios = axes.enumerated().map { Float(z[$0.offset]) / Float(x.shape[$0.element]) }
                guard let common = policy == "not_larger" ? ratios.min() : ratios.max() else {
                    throw ctx.error("keep_aspect_ratio_policy '\(policy)' needs at least one axis to resize")
                }
                for a in axes {
                    scale[a] = common
                    outputWidth[a] = common * Float(x.shape[a])
                    let w = (outputWidth[a] + 0.5).rounded(.down)
                    guard w < 1e12 else { throw ctx.error("sizes make axis \(a) absurdly large") }
                    outShape[a] = Int(w)
                }
            }
        }
        _ = try ctx.checkedCount(outShape)

        var roiOf = [(Float, Float)](repeating: (0, 1), count: rank)
        if let r = roi {
            guard r.count == 2 * axes.count else {
                throw ctx.error("roi has \(r.count) value(s); tf_crop_and_resize needs 2 × \(axes.count) (starts, then ends)")
            }
            for (i, a) in axes.enumerated() { roiOf[a] = (r[i], r[axes.count + i]) }
        }
        var tables: [AxisResampler] = []
        for a in axes.sorted() {
            let identity = outShape[a] == x.shape[a] && scale[a] == 1 && roiOf[a] == (0, 1)
            if identity { continue }
            guard x.shape[a] > 0 || outShape[a] == 0 else { throw ctx.error("cannot resize axis \(a), which is empty") }
            if o.antialias && o.interpolation != .nearest && scale[a] < 1 {
                // The filter widens by 1/scale: a table of outSize × taps entries.
                let support = o.interpolation == .cubic ? 4.0 : 2.0
                let taps = support / Double(scale[a]) + 2
                guard taps * Double(outShape[a]) <= 1e8 else {
                    throw ctx.error("antialiasing a \(x.shape[a]) → \(outShape[a]) resize of axis \(a) needs a filter of ~\(Int(min(taps, 1e15))) taps, which is not supported")
                }
            }
            tables.append(axisResampler(axis: a, inSize: x.shape[a], outSize: outShape[a], scale: scale[a],
                                        outputWidth: outputWidth[a], roi: roiOf[a], o))
        }
        return ResamplePlan(inShape: x.shape, outShape: outShape, axes: tables, extrapolation: extrapolation)
    }

    /// Upsample-7 (scales attribute) and Upsample-9 (scales input): asymmetric coordinates.
    static func upsampleSetup(_ ctx: OpContext) throws -> ResamplePlan {
        let x = try ctx.input(0)
        guard x.dtype == .float32 else { throw ctx.error("upsampling \(x.dtype) tensors is not supported (float only)") }
        guard ctx.opset >= 7 else {
            throw ctx.error("Upsample-\(ctx.opset) (experimental height_scale/width_scale) is not supported; re-export with opset ≥ 9")
        }
        var o = ResampleOptions()
        o.interpolation = try interpolation(ctx, allowed: [.nearest, .linear])
        o.transform = .asymmetric
        o.rounding = .simple
        let scales: [Float]
        if ctx.opset < 9 {
            guard let s = try ctx.floats("scales") else { throw ctx.error("attribute 'scales' is required") }
            scales = s
        } else {
            guard let s = try ctx.presentConstant(1) else { throw ctx.error("input 1 (scales) is required") }
            scales = s.dtype == .float32 ? Array(s.floats) : s.ints.map { Float($0) }
        }
        guard scales.count == x.rank else {
            throw ctx.error("scales has \(scales.count) value(s) but the input has rank \(x.rank)")
        }
        var outShape = x.shape
        for (a, s) in scales.enumerated() {
            guard s >= 1, s.isFinite else { throw ctx.error("scales[\(a)] = \(s): Upsample needs scales ≥ 1") }
            let w = s * Float(x.shape[a])
            guard w < 1e12 else { throw ctx.error("scales[\(a)] = \(s) makes axis \(a) absurdly large") }
            outShape[a] = Int(w.rounded(.down))
        }
        _ = try ctx.checkedCount(outShape)
        var tables: [AxisResampler] = []
        for (a, s) in scales.enumerated() where s != 1 && x.shape[a] > 0 {
            tables.append(axisResampler(axis: a, inSize: x.shape[a], outSize: outShape[a], scale: s,
                                        outputWidth: s * Float(x.shape[a]), roi: (0, 1), o))
        }
        return ResamplePlan(inShape: x.shape, outShape: outShape, axes: tables, extrapolation: 0)
    }

    // MARK: - resampling kernels

    static func path(_ p: ResamplePlan) -> ResamplePath {
        if p.axes.isEmpty { return .identity }
        let r = p.inShape.count
        let inner = p.axes.allSatisfy { $0.axis >= r - 2 && $0.taps == 1 && !$0.hasOutside }
        guard inner else { return .separable }
        let w = p.inShape[r - 1], ow = p.outShape[r - 1]
        guard let cols = p.axes.first(where: { $0.axis == r - 1 }) else { return .nearestInner(factor: 1) }
        if w > 0, ow % w == 0 {
            let f = ow / w
            if (0..<ow).allSatisfy({ cols.index[$0] == $0 / f }) { return .nearestInner(factor: f) }
        }
        return .nearestInner(factor: nil)
    }

    static func resamplePlan(_ ctx: OpContext, _ p: ResamplePlan) throws -> KernelPlan {
        let out = [OutputSpec(shape: p.outShape)]
        switch path(p) {
        case .identity:
            return KernelPlan(outputs: out, kernel: nil, aliases: [0: 0])
        case .nearestInner(let factor):
            let r = p.inShape.count
            let h = r >= 2 ? p.inShape[r - 2] : 1, w = p.inShape[r - 1]
            let rows = p.axes.first(where: { $0.axis == r - 2 && r >= 2 })?.index ?? Array(0..<h)
            let cols = p.axes.first(where: { $0.axis == r - 1 })?.index ?? Array(0..<w)
            let planes = r >= 2 ? p.inShape[..<(r - 2)].reduce(1, *) : 1
            return KernelPlan(outputs: out, kernel: ClosureKernel { ins, outs in
                // x: (P, H, W) → y: (P, OH, OW)
                nearestInner(ins[0]!.floats.baseAddress!, outs[0].floats.baseAddress!, planes: planes,
                             inH: h, inW: w, rows: rows, cols: cols, factor: factor)
            })
        case .separable:
            let s = separableSchedule(p)
            let fill = p.extrapolation
            return KernelPlan(outputs: out, kernel: ClosureKernel { ins, outs in
                runSeparable(s, ins[0]!.floats.baseAddress!, outs[0].floats.baseAddress!, fill: fill)
            })
        }
    }

    /// y[p, oh, :] = x[p, rows[oh], cols[:]]: consecutive output rows that read the same input row
    /// are copied from the previous output row.
    static func nearestInner(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int,
                             inH: Int, inW: Int, rows: [Int], cols: [Int], factor: Int?) {
        let outH = rows.count, outW = cols.count
        guard outW > 0 else { return }
        rows.withUnsafeBufferPointer { rowsB in
            cols.withUnsafeBufferPointer { colsB in
                let rowIdx = rowsB.baseAddress!, colIdx = colsB.baseAddress!
                Parallel.forEach(planes * outH, grain: max(1, 16384 / outW)) { range in
                    var previousSource = -1
                    for r in range {
                        let p = r / outH, oh = r - p * outH
                        let source = p * inH + rowIdx[oh]
                        let d = y + r * outW
                        if source == previousSource {
                            d.update(from: d - outW, count: outW)
                            continue
                        }
                        previousSource = source
                        let s = x + source * inW
                        switch factor {
                        case 1?:
                            d.update(from: s, count: outW)
                        case 2?:
                            for i in 0..<inW { let v = s[i]; d[2 * i] = v; d[2 * i + 1] = v }
                        case let f?:
                            for i in 0..<inW { let v = s[i]; for k in 0..<f { d[i * f + k] = v } }
                        case nil:
                            for j in 0..<outW { d[j] = s[colIdx[j]] }
                        }
                    }
                }
            }
        }
    }

    /// One pass along one axis of a plane whose current shape is (outer, axis, inner).
    struct ResamplePass: Sendable {
        let table: AxisResampler
        let outer: Int
        let inner: Int
    }

    struct SeparableSchedule: Sendable {
        let planes: Int
        let planeIn: Int
        let planeOut: Int
        let passes: [ResamplePass]
        /// Floats of the largest intermediate (0 with a single pass).
        let scratch: Int
    }

    /// Planes are the leading axes no table touches; each is resampled independently, axis by
    /// axis. Shrinking axes go first (less work for the later passes); among equal ratios the
    /// innermost goes first, so that the strided gather runs on the smaller tensor and the later
    /// passes blend whole contiguous rows.
    static func separableSchedule(_ p: ResamplePlan) -> SeparableSchedule {
        let a0 = p.axes.map(\.axis).min() ?? 0
        let planes = p.inShape[..<a0].reduce(1, *)
        var cur = Array(p.inShape[a0...])
        let order = p.axes.sorted {
            let ra = Double($0.outSize) / Double(max($0.inSize, 1)), rb = Double($1.outSize) / Double(max($1.inSize, 1))
            return ra != rb ? ra < rb : $0.axis > $1.axis
        }
        var passes: [ResamplePass] = []
        var scratch = 0
        for (k, t) in order.enumerated() {
            let d = t.axis - a0
            passes.append(ResamplePass(table: t, outer: cur[..<d].reduce(1, *), inner: cur[(d + 1)...].reduce(1, *)))
            cur[d] = t.outSize
            if k < order.count - 1 { scratch = max(scratch, cur.reduce(1, *)) }
        }
        return SeparableSchedule(planes: planes, planeIn: p.inShape[a0...].reduce(1, *),
                                 planeOut: p.outShape[a0...].reduce(1, *), passes: passes, scratch: scratch)
    }

    static func runSeparable(_ s: SeparableSchedule, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, fill: Float) {
        guard s.planeOut > 0 else { return }
        let buffers = s.passes.count > 2 ? 2 : 1
        Parallel.forEach(s.planes, grain: max(1, 8192 / s.planeOut)) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, s.scratch * buffers))
            defer { scratch.deallocate() }
            for plane in range {
                var src = x + plane * s.planeIn
                for (k, pass) in s.passes.enumerated() {
                    let dst = k == s.passes.count - 1 ? y + plane * s.planeOut : scratch + (k % 2) * s.scratch
                    runPass(pass, src, dst, fill: fill)
                    src = UnsafePointer(dst)
                }
            }
        }
    }

    // src: (outer, inSize, inner) → dst: (outer, outSize, inner). Index arithmetic wraps (&+, &*):
    // every offset is bounded by tensor sizes checked at load time, and overflow traps would
    // keep the loops scalar.
    @inline(__always)
    static func runPass(_ p: ResamplePass, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, fill: Float) {
        let t = p.table, n = t.taps, inner = p.inner, inSize = t.inSize, outSize = t.outSize
        t.index.withUnsafeBufferPointer { ib in
            t.weight.withUnsafeBufferPointer { wb in
                let idx = ib.baseAddress!, w = wb.baseAddress!
                for o in 0..<p.outer {
                    let s = src + o &* inSize &* inner, d = dst + o &* outSize &* inner
                    if inner == 1 {
                        // Resampling the innermost axis: a gather per output element.
                        switch n {
                        case 1:
                            for j in 0..<outSize { d[j] = s[idx[j]] }
                        case 2:
                            var k = 0
                            for j in 0..<outSize {
                                d[j] = w[k] * s[idx[k]] + w[k &+ 1] * s[idx[k &+ 1]]
                                k = k &+ 2
                            }
                        default:
                            var k = 0
                            for j in 0..<outSize {
                                var acc: Float = 0
                                for _ in 0..<n { acc += w[k] * s[idx[k]]; k = k &+ 1 }
                                d[j] = acc
                            }
                        }
                    } else {
                        // An outer axis: blend whole contiguous rows of `inner` values.
                        for j in 0..<outSize {
                            let dj = d + j &* inner
                            let base = j &* n
                            switch n {
                            case 1:
                                dj.update(from: s + idx[j] &* inner, count: inner)
                            case 2:
                                blend2(dj, s + idx[base] &* inner, w[base], s + idx[base &+ 1] &* inner, w[base &+ 1], inner)
                            default:
                                let s0 = s + idx[base] &* inner, w0 = w[base]
                                for i in 0..<inner { dj[i] = w0 * s0[i] }
                                for k in base &+ 1..<base &+ n {
                                    let sk = s + idx[k] &* inner, wk = w[k]
                                    for i in 0..<inner { dj[i] += wk * sk[i] }
                                }
                            }
                        }
                    }
                    if t.hasOutside {
                        for j in 0..<outSize where t.outside[j] { (d + j &* inner).update(repeating: fill, count: inner) }
                    }
                }
            }
        }
    }

    /// d = w0·a + w1·b over `count` floats, eight lanes at a time.
    @inline(__always)
    static func blend2(_ d: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ w0: Float,
                       _ b: UnsafePointer<Float>, _ w1: Float, _ count: Int) {
        var i = 0
        let v0 = SIMD8<Float>(repeating: w0), v1 = SIMD8<Float>(repeating: w1)
        while i &+ 8 <= count {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(d + i).storeBytes(of: v0 * x + v1 * y, as: SIMD8<Float>.self)
            i = i &+ 8
        }
        while i < count { d[i] = w0 * a[i] + w1 * b[i]; i = i &+ 1 }
    }

    /// The reference the fast paths are tested against: every output element computed directly as
    /// the tensor-product sum over all resized axes' taps, in Double.
    static func resampleNaive(_ p: ResamplePlan, _ x: Tensor) -> Tensor {
        let y = Tensor(shape: p.outShape)
        let r = p.outShape.count
        let inStrides = Shape.strides(p.inShape)
        var byAxis = [AxisResampler?](repeating: nil, count: r)
        for t in p.axes { byAxis[t.axis] = t }
        let xs = x.floats, ys = y.floats
        var coord = [Int](repeating: 0, count: r)
        for flat in 0..<y.count {
            var rem = flat
            for d in stride(from: r - 1, through: 0, by: -1) { coord[d] = rem % p.outShape[d]; rem /= p.outShape[d] }
            if (0..<r).contains(where: { byAxis[$0]?.outside[coord[$0]] ?? false }) {
                ys[flat] = p.extrapolation
                continue
            }
            var acc = 0.0
            func visit(_ d: Int, _ offset: Int, _ weight: Double) {
                if d == r { acc += weight * Double(xs[offset]); return }
                guard let t = byAxis[d] else { visit(d + 1, offset + coord[d] * inStrides[d], weight); return }
                for k in coord[d] * t.taps..<(coord[d] + 1) * t.taps {
                    visit(d + 1, offset + t.index[k] * inStrides[d], weight * Double(t.weight[k]))
                }
            }
            visit(0, 0, 1)
            ys[flat] = Float(acc)
        }
        return y
    }
}
