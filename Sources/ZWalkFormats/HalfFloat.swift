/// 16-bit float formats widened to Float32 at load time (the engine computes in float32). Written
/// with bit operations rather than Swift's `Float16`, which is missing on macOS/x86_64; the tests
/// check every one of the 65 536 bit patterns against `Float16` where it exists.
public enum HalfFloat {
    /// IEEE 754 binary16 → binary32, exact: subnormals, ±0, ±inf and NaN (payload kept) included.
    @inline(__always)
    public static func float16ToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        let bits: UInt32
        if exp == 0x1F {
            bits = sign | 0x7F80_0000 | (mant << 13) // inf or NaN
        } else if exp != 0 {
            bits = sign | ((exp + 112) << 23) | (mant << 13) // normal: rebias 15 → 127
        } else if mant == 0 {
            bits = sign // ±0
        } else {
            // Subnormal: value = mant · 2^-24. Normalise so the leading 1 becomes implicit.
            var m = mant
            var e: UInt32 = 113 // the exponent of 2^-14 in float32 bias, before shifting
            while m & 0x400 == 0 { m <<= 1; e -= 1 }
            bits = sign | (e << 23) | ((m & 0x3FF) << 13)
        }
        return Float(bitPattern: bits)
    }

    /// bfloat16 is the top half of a float32: widening is a shift.
    @inline(__always)
    public static func bfloat16ToFloat(_ b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }

    /// Converts `count` little-endian 16-bit values starting at `src` into `dst`.
    static func widen(_ src: UnsafeRawPointer, count: Int, bfloat: Bool, into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let h = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            dst[i] = bfloat ? bfloat16ToFloat(h) : float16ToFloat(h)
        }
    }
}
