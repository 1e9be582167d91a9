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

/// One strip per row: how many keyframes, open or looped, how many cells, and where the keyframes
/// must land. t is (segment + fraction) / segments. The first row is issue 10's
/// `interpolate --seeds 1,2,3 --steps 8`: uniform t put no cell on seed 2.
struct KeyframeScheduleCase: Sendable, CustomTestStringConvertible {
    let name: String
    let keyframes: Int, loop: Bool, steps: Int
    let keyframeCells: [Int]
    let t: [Double]
    var testDescription: String { name }
}

let keyframeScheduleCases: [KeyframeScheduleCase] = [
    .init(name: "3 keyframes, 8 steps", keyframes: 3, loop: false, steps: 8, keyframeCells: [0, 4, 7],
          t: [0, 0.125, 0.25, 0.375, 0.5, 0.5 + 1.0 / 6, 0.5 + 2.0 / 6, 1]),
    .init(name: "2 keyframes, 7 steps (uniform, as before)", keyframes: 2, loop: false, steps: 7, keyframeCells: [0, 6],
          t: (0..<7).map { Double($0) / 6 }),
    .init(name: "3 keyframes, 3 steps (keyframes only)", keyframes: 3, loop: false, steps: 3, keyframeCells: [0, 1, 2],
          t: [0, 0.5, 1]),
    .init(name: "4 keyframes, 5 steps (one interior, first segment)", keyframes: 4, loop: false, steps: 5,
          keyframeCells: [0, 2, 3, 4], t: [0, 1.0 / 6, 1.0 / 3, 2.0 / 3, 1]),
    .init(name: "loop of 3, 7 steps", keyframes: 3, loop: true, steps: 7, keyframeCells: [0, 3, 5],
          t: [0, 1.0 / 9, 2.0 / 9, 1.0 / 3, 0.5, 2.0 / 3, 5.0 / 6]),
    .init(name: "loop of 2, 2 steps", keyframes: 2, loop: true, steps: 2, keyframeCells: [0, 1], t: [0, 0.5]),
]

@Suite struct KeyframeScheduleTests {
    @Test(arguments: keyframeScheduleCases)
    func keyframesAreCellsBitForBit(_ c: KeyframeScheduleCase) throws {
        let keyframes = try (0..<c.keyframes).map { try InterpolationTests.latent(UInt32(1 + $0), 6) }
        for mode in InterpolationMode.allCases {
            let fig = try Figures.interpolationStrip(keyframes: keyframes, latentShape: [6], steps: c.steps, mode: mode, loop: c.loop)
            #expect(fig.columns == c.steps)
            #expect(fig.keyframeCells == c.keyframeCells, "\(mode)")
            for (k, cell) in fig.keyframeCells.enumerated() {
                #expect(fig.latent(row: 0, column: cell) == keyframes[k], "\(mode): keyframe \(k) at cell \(cell)")
            }
            let t = fig.cells.map { $0.t ?? .nan }
            #expect(zip(t, c.t).allSatisfy { abs($0 - $1) <= 1e-12 } && t.count == c.t.count, "\(mode): t = \(t)")
            #expect(try LatentPath(keyframes: keyframes, loop: c.loop, mode: mode).sample(steps: c.steps)
                    == (0..<c.steps).map { fig.latent(row: 0, column: $0) })
        }
    }

    @Test(arguments: [(3, false, 2), (3, true, 2), (4, true, 3), (2, false, 1)] as [(Int, Bool, Int)])
    func fewerStepsThanKeyframesIsAnError(keyframes: Int, loop: Bool, steps: Int) throws {
        let k = try (0..<keyframes).map { try InterpolationTests.latent(UInt32(1 + $0), 6) }
        do {
            _ = try Figures.interpolationStrip(keyframes: k, latentShape: [6], steps: steps, loop: loop)
            Issue.record("\(steps) steps through \(keyframes) keyframes were accepted")
        } catch let e as LatentError {
            #expect(e.description.contains("\(keyframes) keyframes needs at least \(keyframes) steps"), "\(e)")
            #expect(e.description.contains("got \(steps)"), "\(e)")
        }
    }
}
