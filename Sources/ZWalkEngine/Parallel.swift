import Foundation
import CZWalkKernels

/// Data parallelism for the engine's loops and its BLAS calls (OpenBLAS itself stays on one
/// thread: `BLAS`). Splits `0..<count` into at most `Parallel.threads` contiguous chunks of at
/// least `grain` items and runs them on the engine's pool (`pool.c`: workers that spin briefly
/// between jobs, because waking a sleeping thread costs ~50 µs here); runs inline when small, so
/// tiny tensors pay no dispatch cost.
public enum Parallel {
    nonisolated(unsafe) public static var threads: Int = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 || zk_pool_inside() != 0 {
            // small, or already on one of the loop's threads (a BLAS call inside a parallel loop):
            // the cores are busy, more threads would only take turns
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = Job(count: count, chunks: chunks, body: body)
            let ran = withUnsafeMutablePointer(to: &job) { p in
                zk_pool_run(Int32(threads), chunks, { ctx, c in
                    let job = ctx!.assumingMemoryBound(to: Job.self)
                    let n = job.pointee.count, k = job.pointee.chunks
                    let lo = n * c / k, hi = n * (c + 1) / k
                    if lo < hi { job.pointee.body(lo..<hi) }
                }, p)
            }
            // the pool was busy with another thread's loop: this one runs here, whole
            if ran == 0 { body(0..<count) }
        }
    }

    private struct Job {
        let count: Int, chunks: Int
        let body: (Range<Int>) -> Void
    }
}

/// Sets the thread count of the engine's loops and BLAS calls.
public func setEngineThreads(_ n: Int) {
    Parallel.threads = max(1, n)
}
