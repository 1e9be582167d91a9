import Foundation
import Testing
import ZWalkImage

// "Never lose the user's work", and never leave half of it behind: a kill -9 at any moment of a
// large write leaves either no file or the whole file, and no temporary file.

@Suite struct KillTests {
    @Test func aKilledWriteLeavesNothingBehind() throws {
        let dir = try temporaryDirectory()
        // Points spread over the run: during the decodes, the PNG encoding and the write itself.
        let delays: [Double] = [0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.7, 2.0]
        for (i, delay) in delays.enumerated() {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: zwalkBinary)
            p.arguments = ["grid", "--rows", "24", "--cols", "24", "--scale", "3", "--out", "big-\(i).png"]
            p.currentDirectoryURL = URL(fileURLWithPath: dir)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(delay * 1e6))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let left = try FileManager.default.contentsOfDirectory(atPath: dir)
            #expect(!left.contains { $0.hasPrefix(".") || $0.contains("tmp") }, "after a kill at \(delay) s: \(left)")
            if left.contains("big-\(i).png") {
                // Whatever has the name is the whole picture.
                let image = try PNGCodec.read(path: dir + "/big-\(i).png").image
                #expect(image.width == 24 * 64 * 3 + 25 * 2 && image.height == image.width, "a partial big-\(i).png")
            }
        }
    }
}
