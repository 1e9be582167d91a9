// Activations over whole buffers, eight lanes at a time. A decoder's output Sigmoid and its
// hidden Tanh/Relu layers touch every pixel of every image; calling scalar libm (or a closure)
// per element made them a third of the shipped model's run time. The functions here are written
// against SIMD8<Float>, which LLVM lowers to SSE/AVX registers, and use no libm calls and no
// per-lane FMA (which the baseline x86-64 target would turn into library calls).
//
// exp: range reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so r is exact to
// float precision), a degree-5 minimax polynomial for e^r (the classic Cephes expf
// coefficients), and 2^n built in the exponent bits. Relative error ≤ 2 ulp over the float range;
// tests sweep it against libm.

/// Buffer-wide activations. `x` and `y` may be the same buffer.
public enum VectorMath {
    typealias V = SIMD8<Float>

    @inline(__always) static func exp(_ x: V) -> V {
        // e^x overflows above `high` and is below the smallest normal float under `low`. Clamped
        // by compare-and-select: pointwiseMin/Max (and so clamped) are lowered lane by lane.
        let high = V(repeating: 88.72283), low = V(repeating: -87.33654)
        var xc = x
        xc.replace(with: high, where: x .> high)
        xc.replace(with: low, where: x .< low)
        // n = round(x / ln2), by the 1.5·2^23 trick: adding it leaves n in the low mantissa bits.
        let magic = V(repeating: 12_582_912)
        let shifted = xc * V(repeating: 1.442695041) + magic
        let n = shifted - magic
        var r = xc - n * V(repeating: 0.693359375)
        r = r - n * V(repeating: -2.12194440e-4)
        let r2 = r * r
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + V(repeating: 1.3981999507e-3)
        p = p * r + V(repeating: 8.3334519073e-3)
        p = p * r + V(repeating: 4.1665795894e-2)
        p = p * r + V(repeating: 1.6666665459e-1)
        p = p * r + V(repeating: 5.0000001201e-1)
        let er = p * r2 + r + V(repeating: 1)
        // 2^n: n + 127 in the exponent field. n is in [-126, 128]; 2^128 is split as 2·2^127.
        let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let half = bits &>> 1
        let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: V.self)
        let scaleB = unsafeBitCast((bits &- half &+ 127) &<< 23, to: V.self)
        var result = er * scaleA * scaleB
        result.replace(with: V(repeating: .infinity), where: x .> high)
        result.replace(with: V(repeating: 0), where: x .< low)
        result.replace(with: x, where: x .!= x)   // NaN stays NaN
        return result
    }

    /// 1 / (1 + e^-x), through e^-|x| so that nothing overflows: for x < 0 it is e^x / (1 + e^x).
    @inline(__always) static func sigmoid(_ x: V) -> V {
        let negAbs = x.replacing(with: -x, where: x .> V(repeating: 0))
        let e = exp(negAbs)
        let positive = V(repeating: 1) / (V(repeating: 1) + e)
        var result = positive.replacing(with: e * positive, where: x .< V(repeating: 0))
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// Small |x|: an odd polynomial (Cephes tanhf), which keeps the relative accuracy near 0;
    /// otherwise 1 − 2 / (e^{2|x|} + 1) with the sign of x.
    @inline(__always) static func tanh(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< V(repeating: 0))
        let s = x * x
        var p = V(repeating: -5.70498872745e-3)
        p = p * s + V(repeating: 2.06390887954e-2)
        p = p * s + V(repeating: -5.37397155531e-2)
        p = p * s + V(repeating: 1.33314422036e-1)
        p = p * s + V(repeating: -3.33332819422e-1)
        let small = p * s * x + x
        let e = exp(a + a)
        var large = V(repeating: 1) - V(repeating: 2) / (e + V(repeating: 1))
        large.replace(with: -large, where: x .< V(repeating: 0))
        var result = large.replacing(with: small, where: a .< V(repeating: 0.625))
        result.replace(with: x, where: x .!= x)
        return result
    }

    @inline(__always) static func relu(_ x: V) -> V {
        // NaN compares false and is kept, as Swift.max(x, 0) keeps it.
        x.replacing(with: V(repeating: 0), where: x .< V(repeating: 0))
    }

    /// Applies `f` over n floats: whole vectors, then the tail through one padded vector, so every
    /// element goes through the same arithmetic.
    @inline(__always) static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                                      _ f: (V) -> V) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: f(v), as: V.self)
            i += 8
        }
        if i < n {
            var v = V(repeating: 0)
            for j in 0..<(n - i) { v[j] = x[i + j] }
            let r = f(v)
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    @Sendable public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) { map(x, y, n, exp) }
    @Sendable public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) { map(x, y, n, sigmoid) }
    @Sendable public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) { map(x, y, n, tanh) }
    @Sendable public static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) { map(x, y, n, relu) }
}
