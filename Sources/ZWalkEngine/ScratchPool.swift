import Foundation

/// Working memory that kernels need only while they run (Winograd's per-thread V and M), shared
/// by every kernel of every plan instead of owned by each: a decoder with a dozen Winograd
/// convolutions holds one set of buffers per thread, not one per node. Buffers are taken for one
/// run and given back; a run that finds none large enough allocates its own, and the pool keeps
/// the largest few.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()

    private let lock = NSLock()
    private var free: [Scratch] = []

    /// Calls `body` with `count` buffers of at least `floats` floats each (their contents are
    /// whatever the last user left).
    func withBuffers<R>(count: Int, floats: Int, _ body: ([UnsafeMutablePointer<Float>]) -> R) -> R {
        var taken: [Scratch] = []
        lock.lock()
        var i = 0
        while taken.count < count && i < free.count {
            if free[i].count >= floats { taken.append(free.remove(at: i)) } else { i += 1 }
        }
        lock.unlock()
        while taken.count < count { taken.append(Scratch(floats)) }
        defer {
            lock.lock()
            free.append(contentsOf: taken)
            free.sort { $0.count > $1.count }
            if free.count > 2 * Parallel.threads { free.removeLast(free.count - 2 * Parallel.threads) }
            lock.unlock()
        }
        return body(taken.map(\.pointer))
    }
}
