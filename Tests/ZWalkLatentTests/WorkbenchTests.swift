import Testing
import Foundation
@testable import ZWalkLatent

@Suite struct WorkbenchTests {
    func sample() -> Workbench {
        var w = Workbench(fingerprint: "abc", model: "m.onnx", latentCount: 3)
        w.bookmarks = [.init(name: "smile", point: .init(latent: [0.1, -2.5e-8, 3], seed: 4, psi: 0.7)),
                       .init(name: "odd \"name\"", point: .init(latent: [1, 2, 3], seed: nil, psi: 1))]
        w.labels = [.init(name: "glasses", positive: [[1, 1, 1]], negative: [[0.333333, 0, -1], [2, 2, 2]])]
        w.keyframes = [.init(latent: [Float.pi, 0, 1], seed: nil, psi: 1)]
        w.current = .init(latent: [0, 0, 1e-30], seed: 4_294_967_295, psi: 0.5)
        w.directions = "sefa"
        return w
    }

    func tempPath() -> String {
        NSTemporaryDirectory() + "zwalk-wb-\(UUID().uuidString)/state/w.json"
    }

    @Test func roundTripsExactly() throws {
        let p = tempPath()
        try sample().write(to: p)
        let back = try Workbench.read(path: p, fingerprint: "abc", latentCount: 3)
        #expect(back == sample(), "every float, name, seed and ψ as written")
        #expect(try Workbench.read(path: p + ".none", fingerprint: "abc", latentCount: 3) == nil)
    }

    @Test func refusesAnotherModelsOrABrokenFileNamingIt() throws {
        let p = tempPath()
        try sample().write(to: p)
        #expect(throws: LatentError.self) { try Workbench.read(path: p, fingerprint: "other", latentCount: 3) }
        #expect(throws: LatentError.self) { try Workbench.read(path: p, fingerprint: "abc", latentCount: 4) }
        try Data("{\"format\":\"zwalk-workbench-1\",\"fingerprint\":\"abc\",\"latent_count\":3,\"bookmarks\":[{\"name\":\"x\",\"point\":{\"latent\":[1,2]}}]}".utf8)
            .write(to: URL(fileURLWithPath: p))
        do {
            _ = try Workbench.read(path: p, fingerprint: "abc", latentCount: 3)
            Issue.record("a short latent was accepted")
        } catch {
            #expect("\(error)".contains(p) && "\(error)".contains("bookmark 'x'"))
        }
        try Data("not json".utf8).write(to: URL(fileURLWithPath: p))
        #expect(throws: LatentError.self) { try Workbench.read(path: p, fingerprint: "abc", latentCount: 3) }
    }

    @Test func livesUnderXDGStateHome() {
        #expect(Workbench.defaultPath(fingerprint: "f", environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"]) == "/s/zwalk/workbench/f.json")
        #expect(Workbench.defaultPath(fingerprint: "f", environment: ["HOME": "/h"]) == "/h/.local/state/zwalk/workbench/f.json")
        #expect(Workbench.defaultPath(fingerprint: "f", environment: [:]) == nil)
    }
}
