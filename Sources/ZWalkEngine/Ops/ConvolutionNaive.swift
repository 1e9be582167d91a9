/// Naive references for Conv and ConvTranspose: the definitions written as direct loops, with a
/// bounds test per tap, no precomputed tables, no BLAS. Slow and obviously correct; the tests hold
/// the fast paths in Convolution.swift to these on awkward shapes.
enum ConvolutionNaive {
    /// Conv. x: (N, Cin, D, H, W) as `window.image`, w: (Cout, Cin/g, kD, kH, kW), bias: (Cout).
    /// y: (N, Cout, positions) with
    /// y[n, co, p] = bias[co] + Σ_{ci < Cin/g, t} x[n, g·Cin/g + ci, p·s − padBegin + t·d] · w[co, ci, t]
    /// where g = co / (Cout/g) and taps outside the image read 0.
    static func conv(x: [Float], batch: Int, inChannels cin: Int, weight w: [Float], outChannels cout: Int,
                     bias: [Float]?, groups: Int, window: Window) -> [Float] {
        let (id, ih, iw) = (window.image[0], window.image[1], window.image[2])
        let (od, oh, ow) = (window.positions[0], window.positions[1], window.positions[2])
        let (kd, kh, kw) = (window.kernel[0], window.kernel[1], window.kernel[2])
        let cinG = cin / groups, coutG = cout / groups
        var y = [Float](repeating: 0, count: batch * cout * od * oh * ow)
        for n in 0..<batch {
            for co in 0..<cout {
                let g = co / coutG
                for pz in 0..<od { for py in 0..<oh { for px in 0..<ow {
                    var acc = Double(bias?[co] ?? 0)
                    for ci in 0..<cinG {
                        for tz in 0..<kd { for ty in 0..<kh { for tx in 0..<kw {
                            let z = pz * window.stride[0] - window.padBegin[0] + tz * window.dilation[0]
                            let yy = py * window.stride[1] - window.padBegin[1] + ty * window.dilation[1]
                            let xx = px * window.stride[2] - window.padBegin[2] + tx * window.dilation[2]
                            guard z >= 0, z < id, yy >= 0, yy < ih, xx >= 0, xx < iw else { continue }
                            let c = g * cinG + ci
                            let xv = x[(((n * cin + c) * id + z) * ih + yy) * iw + xx]
                            let wv = w[(((co * cinG + ci) * kd + tz) * kh + ty) * kw + tx]
                            acc += Double(xv) * Double(wv)
                        } } }
                    }
                    y[(((n * cout + co) * od + pz) * oh + py) * ow + px] = Float(acc)
                } } }
            }
        }
        return y
    }

    /// ConvTranspose, the adjoint of `conv` plus a bias. x: (N, Cin, positions),
    /// w: (Cin, Cout/g, kD, kH, kW), bias: (Cout); y: (N, Cout, image) where every input element
    /// scatters x[n, ci, p] · w[ci, co', t] onto y[n, g·Cout/g + co', p·s − padBegin + t·d]
    /// (g = ci / (Cin/g)), dropping targets outside the output.
    static func convTranspose(x: [Float], batch: Int, inChannels cin: Int, weight w: [Float], outChannels cout: Int,
                              bias: [Float]?, groups: Int, window: Window) -> [Float] {
        let (od, oh, ow) = (window.image[0], window.image[1], window.image[2])
        let (id, ih, iw) = (window.positions[0], window.positions[1], window.positions[2])
        let (kd, kh, kw) = (window.kernel[0], window.kernel[1], window.kernel[2])
        let cinG = cin / groups, coutG = cout / groups
        let plane = od * oh * ow
        var acc = [Double](repeating: 0, count: batch * cout * plane)
        for n in 0..<batch {
            for ci in 0..<cin {
                let g = ci / cinG
                for pz in 0..<id { for py in 0..<ih { for px in 0..<iw {
                    let xv = Double(x[(((n * cin + ci) * id + pz) * ih + py) * iw + px])
                    for c in 0..<coutG {
                        for tz in 0..<kd { for ty in 0..<kh { for tx in 0..<kw {
                            let z = pz * window.stride[0] - window.padBegin[0] + tz * window.dilation[0]
                            let yy = py * window.stride[1] - window.padBegin[1] + ty * window.dilation[1]
                            let xx = px * window.stride[2] - window.padBegin[2] + tx * window.dilation[2]
                            guard z >= 0, z < od, yy >= 0, yy < oh, xx >= 0, xx < ow else { continue }
                            let wv = Double(w[(((ci * coutG + c) * kd + tz) * kh + ty) * kw + tx])
                            acc[(((n * cout + g * coutG + c) * od + z) * oh + yy) * ow + xx] += xv * wv
                        } } }
                    }
                } } }
            }
        }
        var y = [Float](repeating: 0, count: acc.count)
        for i in 0..<acc.count { y[i] = Float(acc[i] + Double(bias?[(i / plane) % cout] ?? 0)) }
        return y
    }
}
