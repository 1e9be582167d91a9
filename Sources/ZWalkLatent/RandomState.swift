import Foundation

/// An exact re-implementation of `numpy.random.RandomState(seed)` (the legacy generator that GAN
/// repositories use for seeds): MT19937 seeded with `init_genrand`, 53-bit doubles from two 32-bit
/// words, and the legacy polar Box–Muller gaussian with its cached second value. A seed drawn here
/// gives bit-identical doubles to NumPy's, so a latent found in zwalk is the same latent in Python.
///
/// Reference: numpy/random/src/mt19937 (`mt19937_seed`, `mt19937_gen`), numpy/random/src/legacy
/// (`legacy_gauss`, `legacy_double`) and `random_bounded_uint64_fill` (masked rejection for
/// `randint`). Checked against numpy 2.4 by Tests/Fixtures/latent/randomstate_golden.json.
public struct RandomState: Sendable {
    private static let n = 624
    private static let m = 397

    private var key: [UInt32]
    private var pos: Int
    /// The second value of the last polar Box–Muller pair, returned by the next gaussian draw.
    private var gauss: Double?

    /// `RandomState(seed)` for an integer seed; NumPy accepts exactly 0…2³²−1, which `UInt32` is.
    public init(seed: UInt32) {
        // mt19937_seed: key[0] = seed; key[i] = 1812433253 · (key[i−1] ^ (key[i−1] >> 30)) + i.
        var k = [UInt32](repeating: 0, count: RandomState.n)
        var s = seed
        for i in 0..<RandomState.n {
            k[i] = s
            s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
        }
        key = k
        pos = RandomState.n // the first draw regenerates the whole state
        gauss = nil
    }

    /// A seed as the CLI and metadata give it, checked against NumPy's range.
    public init(checkedSeed seed: Int) throws {
        guard let s = UInt32(exactly: seed) else {
            throw LatentError.invalidArgument("seed \(seed) is out of range: numpy's RandomState accepts 0…4294967295")
        }
        self.init(seed: s)
    }

    /// Regenerates the 624 words (mt19937_gen).
    private mutating func generate() {
        let n = RandomState.n, m = RandomState.m
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7fff_ffff, matrixA: UInt32 = 0x9908_b0df
        key.withUnsafeMutableBufferPointer { k in
            for i in 0..<n {
                let y = (k[i] & upper) | (k[(i + 1) % n] & lower)
                k[i] = k[(i + m) % n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : matrixA)
            }
        }
        pos = 0
    }

    /// The next tempered 32-bit word (`mt19937_next32`).
    public mutating func nextUInt32() -> UInt32 {
        if pos == RandomState.n { generate() }
        var y = key[pos]
        pos += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// Two words, high first (`mt19937_next64`).
    public mutating func nextUInt64() -> UInt64 {
        let hi = UInt64(nextUInt32())
        return hi << 32 | UInt64(nextUInt32())
    }

    /// `random_sample()`: a double in [0, 1) from 27 + 26 bits of two words.
    public mutating func randomSample() -> Double {
        let a = nextUInt32() >> 5, b = nextUInt32() >> 6
        return (Double(a) * 67_108_864.0 + Double(b)) / 9_007_199_254_740_992.0
    }

    /// `standard_normal()`: NumPy's legacy polar Box–Muller. Each accepted pair yields two values;
    /// the second is cached and returned by the next call (even after intervening uniform draws,
    /// exactly as NumPy does).
    public mutating func standardNormal() -> Double {
        if let g = gauss {
            gauss = nil
            return g
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2.0 * randomSample() - 1.0
            x2 = 2.0 * randomSample() - 1.0
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1.0 || r2 == 0.0
        let f = (-2.0 * Foundation.log(r2) / r2).squareRoot()
        gauss = f * x1
        return f * x2
    }

    /// `uniform(low, high)` = low + (high − low) · random_sample().
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * randomSample()
    }

    /// `randint(low, high)` (high exclusive, int64 result) with NumPy's legacy masked rejection:
    /// draw a word (or two for ranges beyond 32 bits), mask to the next power of two minus one,
    /// retry while above the range.
    public mutating func randint(_ low: Int64, _ high: Int64) throws -> Int64 {
        guard low < high else { throw LatentError.invalidArgument("randint needs low < high, got \(low) ≥ \(high)") }
        let range = UInt64(bitPattern: high &- low) &- 1 // rng in NumPy: inclusive span
        let offset = UInt64(bitPattern: low)
        if range == 0 { return low }
        var mask = range
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4
        mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32
        var v: UInt64
        if range <= 0xffff_ffff {
            if range == 0xffff_ffff {
                v = UInt64(nextUInt32())
            } else {
                repeat { v = UInt64(nextUInt32() & UInt32(mask)) } while v > range
            }
        } else if range == UInt64.max {
            v = nextUInt64()
        } else {
            repeat { v = nextUInt64() & mask } while v > range
        }
        return Int64(bitPattern: offset &+ v)
    }

    /// `standard_normal(count)` in C order.
    public mutating func standardNormal(count: Int) -> [Double] {
        (0..<max(0, count)).map { _ in standardNormal() }
    }

    /// `random_sample(count)`.
    public mutating func randomSample(count: Int) -> [Double] {
        (0..<max(0, count)).map { _ in randomSample() }
    }
}
