/// What a plan holds in memory, in bytes. `total` is what decoding one batch with the plan costs
/// besides the model's weights (which every plan shares).
public struct PlanMemory: Sendable, Equatable {
    /// Run-time values (activations), in buffers shared by values whose lives do not overlap.
    public var arena = 0
    /// The graph inputs, and values no step writes (zero-filled outputs of kernel-less nodes).
    public var inputs = 0
    /// Values folded from constants at load time (per plan, as shape arithmetic depends on the batch).
    public var constants = 0
    /// Kernels' own scratch (im2col columns, packed weights).
    public var scratch = 0

    public init() {}

    public var total: Int { arena + inputs + constants + scratch }
}

/// Where a plan's run-time values live. Each value is written by one step and read until its last
/// reader; values whose lives do not overlap share a buffer. A step's outputs never share with its
/// inputs (a value is freed only after its last reader has run), so kernels need not care. Values
/// are placed in step order, each in the smallest free buffer that holds it, else the largest free
/// buffer grown to fit, else a new buffer — greedy best fit, which for a decoder's chain of layers
/// leaves about two of its widest activations.
struct ArenaLayout {
    private var bytes: [Int] = []
    private var written: [Int] = []
    private var lastRead: [Int] = []
    /// Value → the buffer it was placed in (after `place`).
    private(set) var bufferOf: [Int] = []
    /// Bytes of each buffer (after `place`).
    private(set) var capacities: [Int] = []
    /// Slot → its value, element type and shape (views of a value share it).
    private(set) var slots: [Int: (value: Int, dtype: DType, shape: [Int])] = [:]
    /// Slots whose buffer later values may take: they cannot be read after a run.
    private(set) var reusedSlots: Set<Int> = []

    /// A new value of `bytes` written by `step`; returns its index.
    mutating func add(bytes n: Int, step: Int) -> Int {
        bytes.append(n); written.append(step); lastRead.append(step)
        return bytes.count - 1
    }

    mutating func read(_ value: Int, step: Int) { lastRead[value] = max(lastRead[value], step) }

    /// The value outlives every step (a graph output, a tapped value).
    mutating func keep(_ value: Int) { lastRead[value] = .max }

    /// Assigns every value a buffer; `slots` says which slot holds which value.
    mutating func place(_ slots: [Int: (value: Int, dtype: DType, shape: [Int])]) {
        self.slots = slots
        bufferOf = Array(repeating: -1, count: bytes.count)
        let last = (written + lastRead.filter { $0 != .max }).max() ?? -1
        guard last >= 0 else { return }
        var writtenAt = Array(repeating: [Int](), count: last + 1), freedAt = writtenAt
        for v in bytes.indices {
            writtenAt[written[v]].append(v)
            if lastRead[v] != .max { freedAt[lastRead[v]].append(v) }
        }
        var free: [Int] = []
        for step in 0...last {
            for v in writtenAt[step] {
                let need = bytes[v]
                let fits = free.indices.filter { capacities[free[$0]] >= need }
                let pick = fits.min { capacities[free[$0]] < capacities[free[$1]] }
                    ?? free.indices.max { capacities[free[$0]] < capacities[free[$1]] }
                if let i = pick {
                    bufferOf[v] = free.remove(at: i)
                    capacities[bufferOf[v]] = max(capacities[bufferOf[v]], need)
                } else {
                    capacities.append(need)
                    bufferOf[v] = capacities.count - 1
                }
            }
            free += freedAt[step].map { bufferOf[$0] }
        }
        reusedSlots = Set(slots.filter { lastRead[$0.value.value] != .max }.keys)
    }
}
