import Foundation
import Dispatch

/// Data parallelism for the engine's own loops (BLAS threads itself). Splits `0..<count` into at
/// most `Parallel.threads` contiguous chunks of at least `grain` items; runs inline when small, so
/// tiny tensors pay no dispatch cost.
public enum Parallel {
    nonisolated(unsafe) public static var threads: Int = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 4096, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { body(lo..<hi) }
            }
        }
    }
}

/// Sets the thread count for both OpenBLAS and the engine's own loops.
public func setEngineThreads(_ n: Int) {
    Parallel.threads = max(1, n)
    BLAS.setThreads(n)
}
