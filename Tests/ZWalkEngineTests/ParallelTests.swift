import Foundation
import Testing
@testable import ZWalkEngine

/// The engine's pool (pool.c behind Parallel.forEach): every index once, from any number of
/// threads at once (a caller that finds the pool busy runs its loop itself), nested loops inline.
@Suite struct ParallelTests {
    /// Sums 0..<count through Parallel.forEach, each index counted once.
    static func sum(_ count: Int, grain: Int) -> (sum: Int, visits: Int) {
        let parts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2 * 64)
        defer { parts.deallocate() }
        parts.initialize(repeating: 0)
        let lock = NSLock()
        var slot = 0
        Parallel.forEach(count, grain: grain) { r in
            lock.lock(); let me = slot; slot += 1; lock.unlock()
            var s = 0
            for i in r { s += i }
            parts[2 * me] = s
            parts[2 * me + 1] = r.count
        }
        var sum = 0, visits = 0
        for i in 0..<64 { sum += parts[2 * i]; visits += parts[2 * i + 1] }
        return (sum, visits)
    }

    @Test func everyIndexOnceOverManyJobs() {
        for count in [1, 2, 3, 1000, 100_003] {
            for _ in 0..<200 {
                let r = Self.sum(count, grain: 1)
                #expect(r.visits == count && r.sum == count * (count - 1) / 2, "count \(count)")
            }
        }
    }

    @Test func loopsFromSeveralThreadsAtOnceAllComplete() {
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: 8)
        defer { results.deallocate() }
        results.initialize(repeating: 0)
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            var good = 0
            for _ in 0..<300 {
                let r = Self.sum(5000 + t, grain: 16)
                if r.visits == 5000 + t && r.sum == (5000 + t) * (4999 + t) / 2 { good += 1 }
            }
            results[t] = good
        }
        #expect(Array(results) == Array(repeating: 300, count: 8))
    }

    @Test func aNestedLoopRunsInlineOnItsThread() {
        let outer = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4)
        defer { outer.deallocate() }
        outer.initialize(repeating: 0)
        Parallel.forEach(4, grain: 1) { r in
            for i in r { outer[i] = Self.sum(10_000, grain: 1).sum }
        }
        #expect(Array(outer) == Array(repeating: 10_000 * 9_999 / 2, count: 4))
    }
}
