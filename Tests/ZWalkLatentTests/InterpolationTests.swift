import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkLatent

@Suite struct InterpolationTests {
    static func latent(_ seed: UInt32, _ n: Int = 16) throws -> [Float] {
        try Prior(latentShape: [n]).sample(seed: seed).floatArray
    }

    /// slerp between latents of equal norm stays on that sphere; endpoints are exact.
    @Test(arguments: [(0, 1), (2, 3), (42, 43), (7, 7000)] as [(UInt32, UInt32)])
    func slerpKeepsTheNormAndTheEndpoints(s1: UInt32, s2: UInt32) throws {
        let a = try Self.latent(s1)
        let raw = try Self.latent(s2)
        let scale = Float(Vec.norm(a) / Vec.norm(raw))
        let b = raw.map { $0 * scale }
        #expect(Interpolation.slerp(a, b, 0) == a)
        #expect(Interpolation.slerp(a, b, 1) == b)
        let target = Vec.norm(a)
        for i in 0...20 {
            let t = Double(i) / 20
            let n = Vec.norm(Interpolation.slerp(a, b, t))
            #expect(abs(n - target) <= 1e-5 * target, "t = \(t): ‖z‖ = \(n), want \(target)")
        }
        // Lerp cuts the corner: its midpoint is shorter.
        #expect(Vec.norm(Interpolation.lerp(a, b, 0.5)) < target)
    }

    @Test func slerpOfOrthogonalUnitVectorsIsTheArc() {
        let m = Interpolation.slerp([1, 0, 0], [0, 1, 0], 0.5)
        let h = Float(0.5.squareRoot())
        #expect(abs(m[0] - h) < 1e-6 && abs(m[1] - h) < 1e-6 && m[2] == 0)
        let third = Interpolation.slerp([1, 0], [0, 1], 1.0 / 3)
        #expect(abs(third[0] - Float(cos(Double.pi / 6))) < 1e-6 && abs(third[1] - 0.5) < 1e-6)
    }

    /// Parallel, antiparallel and zero latents make sin Ω vanish: slerp must fall back to lerp.
    @Test(arguments: [
        ([1, 2, 3], [2, 4, 6]),
        ([1, 2, 3], [-1, -2, -3]),
        ([0, 0, 0], [1, 1, 1]),
        ([1, 0, 0], [1, 1e-8, 0]),
    ] as [([Float], [Float])])
    func nearlyParallelFallsBackToLerp(a: [Float], b: [Float]) {
        for t in [0.25, 0.5, 0.9] {
            let s = Interpolation.slerp(a, b, t), l = Interpolation.lerp(a, b, t)
            #expect(s == l, "t = \(t): slerp \(s) vs lerp \(l)")
            #expect(s.allSatisfy { $0.isFinite })
        }
    }

    @Test func lerpEndpointsAndMidpoint() {
        let a: [Float] = [0.1, -3, 7.25], b: [Float] = [0.3, 1, -7.25]
        #expect(Interpolation.lerp(a, b, 0) == a && Interpolation.lerp(a, b, 1) == b)
        #expect(Interpolation.lerp(a, b, 0.5) == [0.2, -1, 0])
    }

    @Test(arguments: InterpolationMode.allCases)
    func openPathHitsEveryKeyframe(mode: InterpolationMode) throws {
        let k = try (0..<3).map { try Self.latent(UInt32(10 + $0), 4) }
        let path = try LatentPath(keyframes: k, loop: false, mode: mode)
        let pts = try path.sample(steps: 5)
        #expect(pts.count == 5)
        #expect(pts[0] == k[0] && pts[2] == k[1] && pts[4] == k[2])
        #expect(pts[1] == Interpolation.interpolate(k[0], k[1], 0.5, mode: mode))
        #expect(pts[3] == Interpolation.interpolate(k[1], k[2], 0.5, mode: mode))
    }

    @Test func loopReturnsTowardTheStartWithoutRepeatingIt() throws {
        let k = try (0..<3).map { try Self.latent(UInt32(20 + $0), 4) }
        let pts = try LatentPath(keyframes: k, loop: true, mode: .lerp).sample(steps: 6)
        #expect(pts.count == 6)
        #expect(pts[0] == k[0] && pts[2] == k[1] && pts[4] == k[2])
        #expect(pts[5] == Interpolation.lerp(k[2], k[0], 0.5), "the last segment closes the loop")
    }

    @Test func pathArgumentsAreChecked() throws {
        #expect(throws: LatentError.self) { _ = try LatentPath(keyframes: [[1, 2]]) }
        #expect(throws: LatentError.self) { _ = try LatentPath(keyframes: [[1, 2], [1, 2, 3]]) }
        #expect(throws: LatentError.self) { _ = try LatentPath(keyframes: [[1, 2], [3, 4]]).sample(steps: 1) }
    }
}
