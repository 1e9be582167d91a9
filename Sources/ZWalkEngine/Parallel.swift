import Foundation
import Dispatch

/// Data parallelism for the engine's loops and its BLAS calls (OpenBLAS itself stays on one
/// thread: `BLAS`). Splits `0..<count` into at most `Parallel.threads` contiguous chunks of at
/// least `grain` items; runs inline when small, so tiny tensors pay no dispatch cost.
public enum Parallel {
    nonisolated(unsafe) public static var threads: Int = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 || pthread_getspecific(insideKey) != nil {
            // small, or already on one of the loop's threads (a BLAS call inside a parallel loop):
            // the cores are busy, more threads would only take turns
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                guard lo < hi else { return }
                let outer = pthread_getspecific(insideKey)
                pthread_setspecific(insideKey, UnsafeRawPointer(bitPattern: 1))
                body(lo..<hi)
                pthread_setspecific(insideKey, outer)
            }
        }
    }

    /// Set (non-nil) on a thread while it runs a chunk of a parallel loop.
    private static let insideKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// Sets the thread count of the engine's loops and BLAS calls.
public func setEngineThreads(_ n: Int) {
    Parallel.threads = max(1, n)
}
