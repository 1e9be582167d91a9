import Foundation

/// Shortening a latent path in output space: the discrete path energy
/// E = Σ_{i=0}^{K} ‖f(z_{i+1}) − f(z_i)‖² between fixed ends z_0 = a, z_{K+1} = b is minimised over the
/// K interior points by gradient descent. ∂E/∂z_i = 2·J_iᵀ(2f(z_i) − f(z_{i−1}) − f(z_{i+1})), and
/// each component j of it is a Jacobian-vector product, J_i e_j·r_i, taken by central differences
/// (f(z_i + h e_j) − f(z_i − h e_j)) / 2h.
///
/// Cost per iteration: K·2·latentCount decodes for the gradient plus K for the trial step (and K
/// more for each halving when a step fails to lower E), batched through the decoder in chunks of
/// its `maxBatch`. For the shipped 10-D VAE with K = 8: 168 decodes per iteration.
///
/// Step control: the first step moves the furthest point by `initialStepFraction` of one straight
/// segment; a step that lowers E is kept and the next is 1.5× longer; one that does not is halved
/// (up to 12 times, then the descent stops: it has converged as far as float decodes can tell).
/// So E never increases.
public enum Geodesic {
    public struct Result: Sendable {
        /// K + 2 latents, a and b included.
        public let points: [[Float]]
        public let energyBefore: Double
        public let energyAfter: Double
        public let iterations: Int
        /// Samples decoded in all.
        public let decodes: Int
    }

    public static func shorten(decoder: LatentDecoder, from a: [Float], to b: [Float], interior: Int,
                               iterations: Int = 30, mode: InterpolationMode = .lerp, h: Double = 1e-2,
                               initialStepFraction: Double = 0.05) throws -> Result {
        let d = decoder.latentCount, o = decoder.outputCount
        guard a.count == d, b.count == d else {
            throw LatentError.invalidArgument("geodesic endpoints have \(a.count) and \(b.count) values, the decoder takes \(d)")
        }
        guard interior >= 1 else { throw LatentError.invalidArgument("a geodesic needs at least 1 interior point, got \(interior)") }
        guard iterations >= 0 else { throw LatentError.invalidArgument("iterations must be ≥ 0, got \(iterations)") }
        guard h > 0, h.isFinite else { throw LatentError.invalidArgument("finite-difference step must be > 0, got \(h)") }
        let k = interior
        let startDecodes = decoder.decodedSamples
        var z: [[Float]] = (0...(k + 1)).map { Interpolation.interpolate(a, b, Double($0) / Double(k + 1), mode: mode) }
        z[0] = a; z[k + 1] = b

        // f of every point, ends included; the interior is refreshed after each accepted step.
        var f: [[Float]] = try decodeRows(decoder, z, o)
        func energy(_ f: [[Float]]) -> Double {
            var e = 0.0
            for i in 0...k {
                for t in 0..<o { let diff = Double(f[i + 1][t]) - Double(f[i][t]); e += diff * diff }
            }
            return e
        }
        let before = energy(f)
        var current = before
        var step: Double? = nil
        let segment = Vec.norm(Vec.sub(b, a)) / Double(k + 1)
        var done = 0
        if segment == 0 || before == 0 {
            return Result(points: z, energyBefore: before, energyAfter: before, iterations: 0, decodes: decoder.decodedSamples - startDecodes)
        }
        descent: for _ in 0..<iterations {
            let g = try gradient(decoder, z, f, k: k, h: h)
            let gmax = g.map { Vec.normOf($0) }.max() ?? 0
            guard gmax > 0, gmax.isFinite else { break }
            var eta = step ?? initialStepFraction * segment / gmax
            var halvings = 0
            while true {
                var trial = z
                for i in 1...k { trial[i] = (0..<d).map { Float(Double(z[i][$0]) - eta * g[i - 1][$0]) } }
                let ft = try decodeRows(decoder, Array(trial[1...k]), o)
                var fAll = f
                for i in 1...k { fAll[i] = ft[i - 1] }
                let e = energy(fAll)
                if e < current {
                    z = trial; f = fAll; current = e
                    step = eta * 1.5
                    break
                }
                halvings += 1
                if halvings > 12 { break descent }
                eta *= 0.5
            }
            done += 1
        }
        return Result(points: z, energyBefore: before, energyAfter: current, iterations: done,
                      decodes: decoder.decodedSamples - startDecodes)
    }

    private static func decodeRows(_ decoder: LatentDecoder, _ rows: [[Float]], _ o: Int) throws -> [[Float]] {
        let out = try decoder.decode(rows.flatMap { $0 }, count: rows.count)
        return (0..<rows.count).map { Array(out[($0 * o)..<(($0 + 1) * o)]) }
    }

    /// ∂E/∂z_i for i = 1…K (K rows of latentCount), decoding the ±h perturbations in chunks.
    private static func gradient(_ decoder: LatentDecoder, _ z: [[Float]], _ f: [[Float]], k: Int, h: Double) throws -> [[Double]] {
        let d = decoder.latentCount, o = decoder.outputCount
        var g = [[Double]](repeating: [Double](repeating: 0, count: d), count: k)
        // r_i = 2f_i − f_{i−1} − f_{i+1}: the pull of both neighbours in output space.
        var r = [[Double]](repeating: [Double](repeating: 0, count: o), count: k)
        for i in 1...k {
            for t in 0..<o {
                let twice = 2 * Double(f[i][t])
                r[i - 1][t] = twice - Double(f[i - 1][t]) - Double(f[i + 1][t])
            }
        }
        // Work items (i, j): two decodes each. Chunks of maxBatch/2 items bound memory.
        let items = k * d
        let chunk = max(1, decoder.maxBatch / 2)
        var start = 0
        while start < items {
            let n = min(chunk, items - start)
            var batch: [Float] = []
            batch.reserveCapacity(2 * n * d)
            var taken = [Double](repeating: 0, count: n)
            for q in 0..<n {
                let (i, j) = ((start + q) / d + 1, (start + q) % d)
                var plus = z[i], minus = z[i]
                plus[j] = Float(Double(z[i][j]) + h); minus[j] = Float(Double(z[i][j]) - h)
                taken[q] = Double(plus[j]) - Double(minus[j])
                batch += plus; batch += minus
            }
            let out = try decoder.decode(batch, count: 2 * n)
            for q in 0..<n {
                let (i, j) = ((start + q) / d + 1, (start + q) % d)
                let p = 2 * q * o, m = (2 * q + 1) * o
                var s = 0.0
                for t in 0..<o { s += (Double(out[p + t]) - Double(out[m + t])) * r[i - 1][t] }
                g[i - 1][j] = 2 * s / taken[q]
            }
            start += n
        }
        return g
    }
}

extension Vec {
    static func normOf(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
