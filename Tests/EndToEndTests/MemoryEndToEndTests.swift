import Foundation
import Testing
import ZWalkEngine
import ZWalkFormats

/// `--max-memory` as a user meets it: many latents decoded within the budget (peak resident memory
/// measured by /usr/bin/time), the output the same as without a budget, and what cannot fit
/// refused before any work.
@Suite(.serialized) final class MemoryEndToEndTests {
    private var scratchDirectories: [String] = []
    deinit { for d in scratchDirectories { try? FileManager.default.removeItem(atPath: d) } }
    static let assets = repoRoot.appendingPathComponent("assets").path

    func scratch() throws -> String {
        let d = try temporaryDirectory()
        scratchDirectories.append(d)
        return d
    }

    /// Runs zwalk on the shipped sprites model (the latents and sizes below are its: 10-d) under
    /// /usr/bin/time and returns its result (stderr without time's line) and its peak resident set
    /// in bytes; nil when there is no /usr/bin/time.
    func runMeasured(_ arguments: [String], cwd: String) throws -> (RunResult, Int?) {
        let args = arguments + ["--model", "sprites"]
        let env = ProcessInfo.processInfo.environment.merging(["ZWALK_ASSETS": MemoryEndToEndTests.assets]) { $1 }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else {
            return (try runProcess(zwalkBinary, args, cwd: cwd, environment: env), nil)
        }
        let r = try runProcess("/usr/bin/time", ["-f", "zwalk-maxrss-kb=%M", zwalkBinary] + args, cwd: cwd, environment: env)
        var lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let i = lines.lastIndex(where: { $0.hasPrefix("zwalk-maxrss-kb=") }), let kb = Int(lines[i].dropFirst(16)) else {
            return (r, nil)
        }
        lines.remove(at: i)
        // time says "Command exited with non-zero status N" before its line.
        lines.removeAll { $0.hasPrefix("Command exited with non-zero status") }
        return (RunResult(status: r.status, stdout: r.stdout, stderr: lines.joined(separator: "\n")), kb * 1024)
    }

    /// 3000 latents (36 MB of decoded outputs) under --max-memory 40M: the .npy streams out in
    /// batches, peak resident memory stays within the budget plus the program's own ~40 MB (`zwalk info`
    /// peaks at 38 MB: the Swift runtime, OpenBLAS, the model as parsed), and the
    /// file holds what a decode without a budget gives (to 1e-6: batches of another size sum in
    /// another order inside OpenBLAS).
    @Test func manyLatentsDecodeWithinASmallBudget() throws {
        let dir = try scratch()
        let z = Tensor(shape: [3000, 10], floats: (0..<30000).map { Float(sin(Double($0))) * 2 })
        try NPY.write(z, to: dir + "/z.npy", overwrite: false)
        let (r, peak) = try runMeasured(["decode", "--latents", "z.npy", "--out", "small.npy", "--max-memory", "40M"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("decoded 3000 latents in") && r.stderr.contains("within a budget of 40 MB; peak resident memory"), "\(r.stderr)")
        let measured = try #require(peak, "no /usr/bin/time to measure the peak resident memory with")
        #expect(measured < (40 + 48) << 20, "peak resident memory \(measured >> 20) MB under --max-memory 40M")
        let (whole, _) = try runMeasured(["decode", "--latents", "z.npy", "--out", "whole.npy"], cwd: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        let small = try NPY.read(path: dir + "/small.npy"), all = try NPY.read(path: dir + "/whole.npy")
        #expect(small.shape == [3000, 3, 64, 64] && all.shape == small.shape)
        let worst = zip(small.floats, all.floats).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "decoded under 40M and without a budget: values differ by up to \(worst)")
    }

    /// A PNG of 3000 cells does not fit 40 MB: refused up front with the estimate, nothing written.
    @Test func aFigureThatCannotFitIsRefusedUpFront() throws {
        let dir = try scratch()
        let z = Tensor(shape: [3000, 10], floats: [Float](repeating: 0.5, count: 30000))
        try NPY.write(z, to: dir + "/z.npy", overwrite: false)
        let (r, _) = try runMeasured(["decode", "--latents", "z.npy", "--out", "big.png", "--max-memory", "40M"], cwd: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("decoding 3000 latent(s) with vae_decoder.onnx needs at least")
                && r.stderr.contains("the pictures 35 MB") && r.stderr.contains("more than the memory budget of 40 MB"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/big.png"))
        let bad = try runMeasured(["decode", "--latents", "z.npy", "--out", "x.npy", "--max-memory", "lots"], cwd: dir).0
        #expect(bad.stderr.contains("--max-memory must be a size such as 2G, 512M or 800K (powers of 1024), got 'lots'"), "\(bad.stderr)")
    }
}
