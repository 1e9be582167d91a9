import Testing
import Foundation
import ZWalkImage
import ZWalkLatent
@testable import ZWalkTUI

/// A picture from a function of (x, y), for rendering tests.
func frame(_ w: Int, _ h: Int, _ f: (Int, Int) -> RGB) -> Image {
    var px: [UInt8] = []
    for y in 0..<h { for x in 0..<w { let c = f(x, y); px += [c.r, c.g, c.b] } }
    return Image(width: w, height: h, channels: 3, pixels: px)
}

let red = RGB(255, 0, 0), blue = RGB(0, 0, 255), black = RGB(0, 0, 0), white = RGB(255, 255, 255)

/// A decoder whose picture encodes the latent: the left half's red is z[0], the right half's blue
/// is z[1], so a test can see a step change the image.
final class FakeDecoder: ExplorerDecoder {
    let modelName = "fake"
    let latentShape: [Int]
    let delay: Double
    var calls = 0
    init(latentShape: [Int] = [4], delay: Double = 0) { self.latentShape = latentShape; self.delay = delay }
    func decode(_ z: [Float]) throws -> Image {
        calls += 1
        if delay > 0 { usleep(UInt32(delay * 1e6)) }
        func level(_ v: Float) -> UInt8 { UInt8(max(0, min(255, 128 + 40 * v))) }
        return frame(8, 8) { x, _ in x < 4 ? RGB(level(z[0]), 0, 0) : RGB(0, 0, level(z.count > 1 ? z[1] : 0)) }
    }
}

final class FakeSampler: ExplorerSampler {
    let count: Int
    init(count: Int = 4) { self.count = count }
    /// Deterministic, depends on the seed and scales with ψ.
    func sample(seed: UInt32, psi: Float) throws -> [Float] {
        (0..<count).map { psi * Float((Int(seed) + $0) % 5 - 2) / 2 }
    }
}

final class FakeProvider: DirectionProvider {
    /// Seconds each direction set takes, as per-axis ranking of a large latent does.
    var delay: Double = 0
    init(delay: Double = 0) { self.delay = delay }

    func directions(_ source: DirectionSource, at latent: [Float]) throws -> WalkDirections {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        if case .file(let p) = source { throw CommandError(message: "no such file \(p)") }
        return WalkDirections(method: source.description, vectors: (0..<latent.count).map { i in (0..<latent.count).map { $0 == i ? 1 : 0 } })
    }

    /// A stand-in geodesic: lerp, `perSegment` points a segment.
    var geodesicCalls = 0
    func geodesic(keyframes: [[Float]], loop: Bool, perSegment: Int) throws -> [[Float]] {
        geodesicCalls += 1
        let path = try LatentPath(keyframes: keyframes, loop: loop, mode: .lerp)
        let segments = path.segments
        return try path.sample(steps: segments * perSegment + (loop ? 0 : 1))
    }
}

final class FakeExporter: FrameExporter {
    var requests: [ExportRequest] = []
    var pathRequests: [PathExportRequest] = []
    func export(_ request: ExportRequest) throws { requests.append(request) }
    func exportPath(_ request: PathExportRequest) throws { pathRequests.append(request) }
}

/// A state with a decoded frame in it, as after start-up.
func startedState(_ size: [Int] = [4], colorMode: ColorMode = .truecolor) -> ExplorerState {
    var s = ExplorerState(modelName: "fake", latentShape: size, seed: 7, colorMode: colorMode)
    let (s1, fx) = update(s, .start)
    s = s1
    for case .decode(let r) in fx {
        let z = r.spec.compose(base: try! FakeSampler(count: s.latentCount).sample(seed: r.spec.seed, psi: r.spec.psi))
        let f = try! FakeDecoder(latentShape: size).decode(z)
        s = update(s, .frameDecoded(DecodeResult(request: r, latent: z, frame: f, milliseconds: 3), at: 1)).0
    }
    return s
}

/// The state once the fake backend has decoded the latest request (the spec as it is now).
func decoded(_ state: ExplorerState) -> ExplorerState {
    var s = state
    guard s.pending else { return s }
    let r = DecodeRequest(seq: s.requestSeq, spec: s.spec)
    let base = s.spec.base ?? (try! FakeSampler(count: s.latentCount).sample(seed: s.spec.seed, psi: s.spec.psi))
    let z = s.spec.compose(base: base)
    let f = try! FakeDecoder(latentShape: s.latentShape).decode(z)
    s = update(s, .frameDecoded(DecodeResult(request: r, latent: z, frame: f, milliseconds: 3), at: 2)).0
    return s
}

/// The state once the fake backend has decoded every tile of the tile view on screen.
func tilesDecoded(_ state: ExplorerState) -> ExplorerState {
    guard let v = state.tiles else { return state }
    let sampler = FakeSampler(count: state.latentCount), decoder = FakeDecoder(latentShape: state.latentShape)
    let tiles = v.specs.enumerated().map { i, spec -> DecodedTile in
        let z = spec.compose(base: spec.base ?? (try! sampler.sample(seed: spec.seed, psi: spec.psi)))
        return DecodedTile(index: i, latent: z, image: try! decoder.decode(z))
    }
    return update(state, .tilesDecoded(generation: v.generation, tiles)).0
}
