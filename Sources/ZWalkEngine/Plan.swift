import Foundation

/// An execution plan: a model compiled for one batch size. Built once at load (topological order,
/// every shape inferred, constant sub-graphs folded, every buffer allocated), then run many times.
/// A plan owns its buffers and is not reentrant: one thread runs it at a time.
///
/// Values computed at run time share a few arena buffers: a value's buffer is free for another once
/// its last reader has run (graph outputs and the values a plan was asked to keep stay whole), so
/// a decoder's memory is its widest layers, not the sum of all of them (`memory`).
public final class Plan: @unchecked Sendable {
    struct Step {
        let kernel: Kernel
        let inputs: [Int?]
        let outputs: [Int]
        let node: Node
        /// Activation nodes fused into this step (applied in its kernel's output pass).
        let fused: [Node]
    }

    public let batch: Int
    public let inputNames: [String]
    public let inputShapes: [[Int]]
    public let outputNames: [String]
    public let outputShapes: [[Int]]
    /// Multiply-adds per run of the BLAS-backed ops, times two (for GFLOP/s figures).
    public let flops: Double
    /// Node names in execution order with their output shapes (for `zwalk info` and for taps).
    public let schedule: [(node: Node, outputShapes: [[Int]])]

    let steps: [Step]
    var slots: [Tensor?]
    /// When set, every run adds each step's wall time to it (`zwalk bench --profile`).
    public var profile: PlanProfile?
    let inputSlots: [Int]
    let outputSlots: [Int]
    let slotByName: [String: Int]
    /// Slots whose buffer later steps reuse: their values are gone after a run (not tappable).
    let reusedSlots: Set<Int>
    /// What the plan holds in memory.
    public let memory: PlanMemory

    init(batch: Int, steps: [Step], slots: [Tensor?], inputSlots: [Int], inputNames: [String],
         outputSlots: [Int], outputNames: [String], slotByName: [String: Int], flops: Double,
         schedule: [(node: Node, outputShapes: [[Int]])], reusedSlots: Set<Int>, memory: PlanMemory) {
        self.batch = batch; self.steps = steps; self.slots = slots
        self.inputSlots = inputSlots; self.inputNames = inputNames
        self.outputSlots = outputSlots; self.outputNames = outputNames
        self.slotByName = slotByName; self.flops = flops; self.schedule = schedule
        self.reusedSlots = reusedSlots; self.memory = memory
        self.inputShapes = inputSlots.map { slots[$0]!.shape }
        self.outputShapes = outputSlots.map { slots[$0]!.shape }
    }

    /// Runs the plan. Inputs are in `inputNames` order and must have the planned shapes; outputs
    /// are fresh copies (the plan's own buffers are overwritten by the next run).
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        try runBorrowing(inputs).map { $0.copy() }
    }

    /// Runs the plan and also returns copies of the named intermediate values (`taps`), after the
    /// outputs. Used by PCA directions to read a hidden layer's activations.
    public func run(_ inputs: [Tensor], taps: [String]) throws -> [Tensor] {
        try runBorrowing(inputs, taps: taps).map { $0.copy() }
    }

    /// Runs the plan and returns its own output (then tap) buffers without copying: they are
    /// valid until the next run. For callers that copy the values out anyway, and for benchmarks
    /// (copying a 16 MB batch output costs more than some whole layers).
    public func runBorrowing(_ inputs: [Tensor], taps: [String] = []) throws -> [Tensor] {
        guard inputs.count == inputSlots.count else {
            throw EngineError.invalidInput("the model takes \(inputSlots.count) input(s) (\(inputNames.joined(separator: ", "))), got \(inputs.count)")
        }
        for (i, t) in inputs.enumerated() {
            let want = slots[inputSlots[i]]!
            guard t.shape == want.shape else {
                throw EngineError.invalidInput("input '\(inputNames[i])' must have shape \(want.shape), got \(t.shape)")
            }
            guard t.dtype == want.dtype else {
                throw EngineError.invalidInput("input '\(inputNames[i])' must be \(want.dtype), got \(t.dtype)")
            }
            want.assign(from: t)
        }
        for (index, step) in steps.enumerated() {
            let ins = step.inputs.map { $0.flatMap { slots[$0] } }
            let outs = step.outputs.map { slots[$0]! }
            let started = profile == nil ? 0 : monotonicSeconds()
            do {
                try step.kernel.run(inputs: ins, outputs: outs)
            } catch let e as EngineError {
                throw e
            } catch {
                throw EngineError.invalidNode(node: step.node.displayName, op: step.node.opType, reason: "\(error)")
            }
            profile?.seconds[index] += monotonicSeconds() - started
        }
        profile?.runs += 1
        var result = outputSlots.map { slots[$0]! }
        for name in taps {
            guard let s = slotByName[name], let t = slots[s] else {
                throw EngineError.invalidInput("no value named '\(name)' in the model")
            }
            guard !reusedSlots.contains(s) else {
                throw EngineError.invalidInput("value '\(name)' shares its buffer with later layers; plan with keeping: [\"\(name)\"] to read it")
            }
            result.append(t)
        }
        return result
    }

    /// Starts a fresh per-step profile of the following runs.
    public func startProfiling() -> PlanProfile {
        let p = PlanProfile(nodes: steps.map(\.node), fused: steps.map(\.fused),
                            outputShapes: steps.map { $0.outputs.map { slots[$0]!.shape } })
        profile = p
        return p
    }

    /// The shape a named value has in this plan, if it exists.
    public func shape(of name: String) -> [Int]? { slotByName[name].flatMap { slots[$0]?.shape } }
}

/// Wall time per executed node, summed over `runs` runs of a plan. Constant-folded nodes and
/// views made at planning time cost nothing at run time and do not appear.
public final class PlanProfile {
    public let nodes: [Node]
    /// The activation nodes fused into each step (their time is the step's).
    public let fused: [[Node]]
    public let outputShapes: [[[Int]]]
    public internal(set) var seconds: [Double]
    public internal(set) var runs = 0

    init(nodes: [Node], fused: [[Node]], outputShapes: [[[Int]]]) {
        self.nodes = nodes
        self.fused = fused
        self.outputShapes = outputShapes
        seconds = Array(repeating: 0, count: nodes.count)
    }

    /// Each step's operator with the activations fused into it ("Gemm+LeakyRelu").
    public var labels: [String] { zip(nodes, fused).map { ([$0] + $1).map(\.opType).joined(separator: "+") } }

    /// Mean seconds per run of each node.
    public var perRun: [Double] { seconds.map { $0 / Double(max(runs, 1)) } }

    /// Mean seconds per run summed by operator type, largest first.
    public var byOperator: [(op: String, seconds: Double, nodes: Int)] {
        var total: [String: (Double, Int)] = [:]
        for (label, s) in zip(labels, perRun) {
            let t = total[label] ?? (0, 0)
            total[label] = (t.0 + s, t.1 + 1)
        }
        return total.map { (op: $0.key, seconds: $0.value.0, nodes: $0.value.1) }.sorted { $0.seconds > $1.seconds }
    }
}

/// Builds plans from a model. Validation that does not depend on the batch size (unsupported
/// operators, cycles, missing values) happens in `init`, so a bad model fails at load time.
public final class Planner: @unchecked Sendable {
    public let model: Model
    let order: [Node]

    public init(model: Model) throws {
        self.model = model
        let g = model.graph
        // Unsupported operators first, all of them in one message.
        var missing: [EngineError.UnsupportedOperator] = []
        for n in g.nodes where OperatorRegistry.factory(op: n.opType, domain: n.domain) == nil {
            missing.append(.init(op: n.opType, domain: n.domain, opset: model.opset(for: n.domain), node: n.displayName))
        }
        if !missing.isEmpty { throw EngineError.unsupportedOperators(missing) }
        order = try Planner.topologicalOrder(g)
    }

    /// Kahn's algorithm; a value that nothing produces is reported with the node that wants it,
    /// and a cycle is reported with the nodes on it.
    static func topologicalOrder(_ g: Graph) throws -> [Node] {
        var producer: [String: Int] = [:]
        for (i, n) in g.nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || g.initializers[o] != nil {
                    throw EngineError.invalidGraph("value '\(o)' is produced twice (second time by node '\(n.displayName)')")
                }
                producer[o] = i
            }
        }
        let available = Set(g.inputs.map(\.name)).union(g.initializers.keys)
        var pending = [Int](repeating: 0, count: g.nodes.count)
        var consumers: [[Int]] = Array(repeating: [], count: g.nodes.count)
        for (i, n) in g.nodes.enumerated() {
            for name in Set(n.inputs) where !name.isEmpty {
                if let p = producer[name] {
                    pending[i] += 1
                    consumers[p].append(i)
                } else if !available.contains(name) {
                    throw EngineError.invalidGraph("node '\(n.displayName)' (\(n.opType)) reads '\(name)', which is neither a graph input, an initializer nor any node's output")
                }
            }
        }
        var ready = (0..<g.nodes.count).filter { pending[$0] == 0 }
        var order: [Node] = []
        order.reserveCapacity(g.nodes.count)
        var head = 0
        while head < ready.count {
            let i = ready[head]; head += 1
            order.append(g.nodes[i])
            for c in consumers[i] {
                pending[c] -= 1
                if pending[c] == 0 { ready.append(c) }
            }
        }
        if order.count < g.nodes.count {
            let stuck = (0..<g.nodes.count).filter { pending[$0] > 0 }.prefix(5).map { g.nodes[$0].displayName }
            throw EngineError.invalidGraph("the graph has a cycle through node(s) \(stuck.map { "'\($0)'" }.joined(separator: ", "))")
        }
        for o in g.outputs where producer[o.name] == nil && !available.contains(o.name) {
            throw EngineError.invalidGraph("graph output '\(o.name)' is not produced by any node")
        }
        return order
    }

    /// Plans the model with every symbolic dimension of the graph inputs' first axis set to
    /// `batch`; other symbolic dimensions come from `dims` (by name) or are an error. The values
    /// named in `keeping` keep their own buffers, so `Plan.run(_:taps:)` can read them.
    public func plan(batch: Int, dims: [String: Int] = [:], keeping: Set<String> = []) throws -> Plan {
        let c = try compile(batch: batch, dims: dims, keeping: keeping)
        var slots = c.slots
        let arena = c.arena.capacities.map { Tensor(dtype: .float32, shape: [($0 + 3) / 4]) }
        for (slot, v) in c.arena.slots {
            slots[slot] = Tensor(storage: arena[c.arena.bufferOf[v.value]], dtype: v.dtype, shape: v.shape)
        }
        return Plan(batch: batch, steps: c.steps.map { .init(kernel: $0.kernel, inputs: $0.inputs, outputs: $0.outputs, node: $0.node, fused: $0.fused) },
                    slots: slots, inputSlots: c.inputSlots, inputNames: c.inputNames,
                    outputSlots: c.outputSlots, outputNames: model.graph.outputs.map(\.name), slotByName: c.slotByName,
                    flops: c.flops, schedule: c.schedule, reusedSlots: c.arena.reusedSlots.union(c.fusedAway), memory: c.memory)
    }

    /// What a plan for `batch` would hold in memory, without allocating its activations: how large
    /// a batch fits a budget is asked of the plan itself, not guessed. Remembered per batch:
    /// compiling builds every kernel (Winograd's filters transformed, weights packed), and the
    /// budget's bisection asks for several batches on every decode — the explorer's every frame.
    public func memory(batch: Int, dims: [String: Int] = [:]) throws -> PlanMemory {
        guard dims.isEmpty else { return try compile(batch: batch, dims: dims, keeping: []).memory }
        memoryLock.lock()
        let known = memoryByBatch[batch]
        memoryLock.unlock()
        if let known { return known }
        let m = try compile(batch: batch, dims: dims, keeping: []).memory
        memoryLock.lock(); memoryByBatch[batch] = m; memoryLock.unlock()
        return m
    }
    private var memoryByBatch: [Int: PlanMemory] = [:]
    private let memoryLock = NSLock()

    /// A plan before its arena exists: steps, the slots known at load time (initializers, folded
    /// constants, inputs, views of those), and where every run-time value will live.
    private struct Compiled {
        var steps: [(kernel: Kernel, inputs: [Int?], outputs: [Int], node: Node, fused: [Node])] = []
        var slots: [Tensor?] = []
        var slotByName: [String: Int] = [:]
        var inputSlots: [Int] = [], inputNames: [String] = []
        var outputSlots: [Int] = []
        var flops = 0.0
        var schedule: [(node: Node, outputShapes: [[Int]])] = []
        var arena = ArenaLayout()
        var memory = PlanMemory()
        /// Values an activation fused into their producer overwrote (not tappable).
        var fusedAway: Set<Int> = []
    }

    /// Plans compiled so far (tests check that a decode under a budget compiles none once warm).
    public private(set) var compilations = 0

    private func compile(batch: Int, dims: [String: Int], keeping: Set<String>) throws -> Compiled {
        memoryLock.lock(); compilations += 1; memoryLock.unlock()
        guard batch >= 1 else { throw EngineError.invalidInput("batch size must be at least 1, got \(batch)") }
        let g = model.graph
        var c = Compiled()
        var known: [PlannedValue] = []
        /// Run-time values that go to the arena: slot → (value, dtype, shape); views share the value.
        var deferred: [Int: (value: Int, dtype: DType, shape: [Int])] = [:]
        // How many nodes read each value, and the values that must stay as computed: an activation
        // is fused into its producer only when it is the sole reader of a value nobody else sees.
        var readers: [String: Int] = [:]
        for n in g.nodes { for name in n.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        let visible = Set(g.outputs.map(\.name)).union(keeping)
        // The slots that hold the last step's (single) output: its own, then those of the nodes
        // fused into it. Only a value there can be taken over by a node that follows.
        var lastStepValue: Set<Int> = []
        /// Fuses `ctx.node` into the last step when it is an activation or a residual Add the
        /// step's kernel can apply in its output pass, reading a value only it reads; returns the
        /// arena value the node's output then shares.
        func fuseIntoLastStep(_ ctx: OpContext, _ kp: KernelPlan, _ inSlots: [Int?]) throws -> Int? {
            let node = ctx.node
            guard let last = c.steps.indices.last, node.outputs.count == 1, kp.outputs.count == 1 else { return nil }
            // The input the last step computed: only this node reads it, and nobody sees it.
            func takes(_ i: Int) -> Int? {
                guard i < inSlots.count, let s = inSlots[i], lastStepValue.contains(s), let d = deferred[s],
                      readers[node.inputs[i]] == 1, !visible.contains(node.inputs[i]) else { return nil }
                return d.value
            }
            if let act = try FusedActivation(ctx) {
                guard let v = takes(0), let k = c.steps[last].kernel as? ActivationFusing, k.fuse(act) else { return nil }
                c.fusedAway.formUnion(lastStepValue)
                return v
            }
            guard node.opType == "Add", node.domain.isEmpty || node.domain == "ai.onnx", inSlots.count == 2,
                  let k = c.steps[last].kernel as? ResidualFusing else { return nil }
            for (mine, other) in [(0, 1), (1, 0)] {
                guard let v = takes(mine), let skip = inSlots[other], !lastStepValue.contains(skip),
                      let a = ctx.inputs[mine], let b = ctx.inputs[other], a.dtype == .float32, b.dtype == .float32,
                      a.shape == kp.outputs[0].shape, b.shape == a.shape else { continue }
                guard let index = k.fuseResidual(after: c.steps[last].inputs.count) else { return nil }
                while c.steps[last].inputs.count < index { c.steps[last].inputs.append(nil) }
                c.steps[last].inputs.append(skip)
                if let d = deferred[skip] { c.arena.read(d.value, step: last) }
                c.fusedAway.formUnion(lastStepValue)
                return v
            }
            return nil
        }
        /// Output i's name, or a private one for an output the exporter left unnamed.
        func slotName(_ node: Node, _ i: Int) -> String {
            node.outputs[i].isEmpty ? "\u{0}\(node.displayName)#\(i)" : node.outputs[i]
        }
        func newSlot(_ name: String, _ v: PlannedValue, _ t: Tensor?) -> Int {
            c.slots.append(t); known.append(v)
            c.slotByName[name] = c.slots.count - 1
            return c.slots.count - 1
        }
        let folding = BatchNormFolding.fold(order, initializers: g.initializers, readers: readers, visible: visible,
                                            opset: model.opset(for:))
        for (name, t) in g.initializers {
            _ = newSlot(name, PlannedValue(dtype: t.dtype, shape: t.shape, constant: t), t)
        }
        for vi in g.runtimeInputs {
            guard let dtype = vi.dtype else {
                throw EngineError.invalidGraph("graph input '\(vi.name)' has element type \(vi.elementType), which the engine does not support")
            }
            guard let ds = vi.dims else {
                throw EngineError.invalidGraph("graph input '\(vi.name)' has no declared shape")
            }
            var shape: [Int] = []
            for (axis, d) in ds.enumerated() {
                switch d {
                case .fixed(let n) where n >= 0: shape.append(n) // 0 is a real (empty) dimension
                case _ where axis == 0: shape.append(batch) // dynamic (symbolic or unset) batch axis
                case .symbolic(let s) where dims[s] != nil: shape.append(dims[s]!)
                default:
                    throw EngineError.invalidGraph("graph input '\(vi.name)' has an unknown dimension '\(d)' at axis \(axis); only the batch axis may be dynamic")
                }
            }
            c.memory.inputs += try Shape.count(shape) * dtype.byteSize
            let t = Tensor(dtype: dtype, shape: shape)
            c.inputSlots.append(newSlot(vi.name, PlannedValue(dtype: dtype, shape: shape), t))
            c.inputNames.append(vi.name)
        }

        for node in folding.order {
            // A folded convolution's weight and bias are made here, when it is planned.
            let fold = node.inputs.count == 3 ? folding.folds[node.inputs[1]] : nil
            if let fold {
                let w = BatchNormFolding.weight(fold, initializers: g.initializers)
                let b = Tensor(shape: [fold.bias.count], floats: fold.bias)
                _ = newSlot(node.inputs[1], PlannedValue(dtype: .float32, shape: w.shape, constant: w), w)
                _ = newSlot(node.inputs[2], PlannedValue(dtype: .float32, shape: b.shape, constant: b), b)
            }
            let opset = model.opset(for: node.domain)
            let ins: [PlannedValue?] = node.inputs.map { $0.isEmpty ? nil : c.slotByName[$0].map { known[$0] } }
            let inSlots: [Int?] = node.inputs.map { $0.isEmpty ? nil : c.slotByName[$0] }
            let ctx = OpContext(node: node, opset: opset, inputs: ins)
            let factory = OperatorRegistry.factory(op: node.opType, domain: node.domain)!
            let kp = try factory(ctx)
            if kp.kernel != nil, kp.aliases.isEmpty, let fused = try fuseIntoLastStep(ctx, kp, inSlots) {
                let spec = kp.outputs[0]
                let out = newSlot(slotName(node, 0), PlannedValue(dtype: spec.dtype, shape: spec.shape), nil)
                deferred[out] = (fused, spec.dtype, spec.shape)
                c.steps[c.steps.count - 1].fused.append(node)
                lastStepValue.insert(out)
                c.schedule.append((node, [spec.shape]))
                continue
            }
            guard kp.outputs.count >= node.outputs.filter({ !$0.isEmpty }).count || kp.outputs.count == node.outputs.count else {
                throw ctx.error("produces \(kp.outputs.count) output(s) but the node names \(node.outputs.count)")
            }
            // Constant folding: every input known and the op deterministic → run it now.
            let allConstant = ins.allSatisfy { $0 == nil || $0!.constant != nil }
            let folds = kp.kernel != nil && allConstant && node.opType != "RandomNormal"
            // The outputs of a step that runs every time live in the arena, as do views of them.
            var outTensors: [Tensor?] = []
            var outValues: [Int?] = []
            for (i, spec) in kp.outputs.enumerated() {
                if let k = spec.constant {
                    outTensors.append(k); outValues.append(nil)
                } else if let src = kp.aliases[i], let s = inSlots[src], let base = c.slots[s] {
                    outTensors.append(Tensor(viewing: base, shape: spec.shape)); outValues.append(nil)
                } else if let src = kp.aliases[i], let s = inSlots[src], let d = deferred[s] {
                    outTensors.append(nil); outValues.append(d.value)
                } else if kp.kernel != nil && !folds {
                    let bytes = try ctx.checkedCount(spec.shape) * spec.dtype.byteSize
                    outTensors.append(nil); outValues.append(c.arena.add(bytes: bytes, step: c.steps.count))
                } else {
                    let bytes = try ctx.checkedCount(spec.shape) * spec.dtype.byteSize
                    if folds { c.memory.constants += bytes } else { c.memory.inputs += bytes }
                    outTensors.append(Tensor(dtype: spec.dtype, shape: spec.shape)); outValues.append(nil)
                }
            }
            let outputsConstant: Bool
            if let kernel = kp.kernel {
                if folds {
                    try kernel.run(inputs: ins.map { $0?.constant }, outputs: outTensors.map { $0! })
                    outputsConstant = true
                } else {
                    outputsConstant = false
                }
            } else {
                // No kernel: outputs are constants or views; a view of constants is constant.
                outputsConstant = kp.outputs.indices.allSatisfy { i in
                    kp.outputs[i].constant != nil || (kp.aliases[i].map { ins[$0]?.constant != nil } ?? false)
                }
            }
            var outSlots: [Int] = []
            for i in node.outputs.indices where i < outTensors.count {
                let spec = kp.outputs[i], t = outTensors[i]
                let v = PlannedValue(dtype: spec.dtype, shape: spec.shape, constant: outputsConstant ? t : nil)
                let s = newSlot(slotName(node, i), v, t)
                if let value = outValues[i] { deferred[s] = (value, spec.dtype, spec.shape) }
                outSlots.append(s)
            }
            if let kernel = kp.kernel, !outputsConstant {
                for s in inSlots.compactMap({ $0 }) { if let d = deferred[s] { c.arena.read(d.value, step: c.steps.count) } }
                c.memory.scratch += kernel.scratchBytes
                c.steps.append((kernel, inSlots, outSlots, node, fold.map { [$0.bn] } ?? []))
                // A folded weight the kernel has copied is not kept: the slot gets the model's
                // original tensor of the same shape, which the run does not read.
                if let fold, let k = kernel as? WeightCopying, !k.readsWeightAtRun, let s = inSlots[1],
                   let original = g.initializers[fold.conv.inputs[1]] {
                    c.slots[s] = original
                    known[s] = PlannedValue(dtype: original.dtype, shape: original.shape, constant: original)
                }
                lastStepValue = outSlots.count == 1 ? [outSlots[0]] : []
                c.flops += Planner.flops(node: node, inputs: ins, outputs: kp.outputs)
            }
            c.schedule.append((node, kp.outputs.map(\.shape)))
            if let fold { c.schedule.append((fold.bn, kp.outputs.map(\.shape))) }
        }
        for o in g.outputs {
            guard let s = c.slotByName[o.name] else { throw EngineError.invalidGraph("graph output '\(o.name)' is never computed") }
            c.outputSlots.append(s)
        }
        for s in c.outputSlots + keeping.compactMap({ c.slotByName[$0] }) {
            if let d = deferred[s] { c.arena.keep(d.value) }
        }
        c.arena.place(deferred)
        c.memory.arena = c.arena.capacities.reduce(0, +)
        return c
    }

    /// Floating-point operations of the compute-bound ops (2 per multiply-add).
    static func flops(node: Node, inputs: [PlannedValue?], outputs: [OutputSpec]) -> Double {
        guard let out = outputs.first else { return 0 }
        let outCount = Double(out.shape.reduce(1, *))
        switch node.opType {
        case "Conv":
            // each output element: Cin/g * kH * kW MACs
            guard let w = inputs.count > 1 ? inputs[1] : nil, w.rank >= 3 else { return 0 }
            return 2 * outCount * Double(w.shape.dropFirst().reduce(1, *))
        case "ConvTranspose":
            // each input element scatters to Cout/g * kH * kW outputs
            guard let x = inputs.first ?? nil, let w = inputs.count > 1 ? inputs[1] : nil, w.rank >= 3 else { return 0 }
            return 2 * Double(x.count) * Double(w.shape.dropFirst().reduce(1, *))
        case "Gemm", "MatMul":
            guard let a = inputs.first ?? nil, let k = a.shape.last else { return 0 }
            var kk = k
            if node.opType == "Gemm", case .int(1)? = node.attributes["transA"], a.rank == 2 { kk = a.shape[0] }
            return 2 * outCount * Double(kk)
        default:
            return 0
        }
    }
}

/// A model ready to run at any batch size: validates at init, plans lazily per batch size and
/// caches the plans. Not reentrant; give each thread its own session.
public final class InferenceSession: @unchecked Sendable {
    public let planner: Planner
    private struct PlanKey: Hashable { let batch: Int; let keeping: Set<String> }
    private var plans: [PlanKey: Plan] = [:]
    private let maxCachedPlans = 4

    /// Graph and shape errors name the model's file (`EngineError.inFile`).
    public init(model: Model) throws {
        do { planner = try Planner(model: model) } catch let e as EngineError { throw e.located(in: model.source) }
        _ = try plan(batch: 1) // shape errors surface at load time, not at the first decode
    }

    public var model: Model { planner.model }

    /// The plan for `batch` (cached), with the values in `keeping` readable after a run.
    public func plan(batch: Int, keeping: Set<String> = []) throws -> Plan {
        let key = PlanKey(batch: batch, keeping: keeping)
        if let p = plans[key] { return p }
        let p: Plan
        do { p = try planner.plan(batch: batch, keeping: keeping) } catch let e as EngineError { throw e.located(in: model.source) }
        if plans.count >= maxCachedPlans, let victim = plans.keys.first(where: { $0.batch != 1 || !$0.keeping.isEmpty }) { plans[victim] = nil }
        plans[key] = p
        return p
    }

    /// Forgets every cached plan but the plain batch-1 one, freeing their buffers (before planning
    /// a batch of another size under a memory budget).
    public func releasePlans() {
        plans = plans.filter { $0.key == PlanKey(batch: 1, keeping: []) }
    }

    /// Bytes held by the cached plans.
    public var cachedPlanBytes: Int { plans.values.reduce(0) { $0 + $1.memory.total } }

    /// Runs the model on inputs whose first axis is the batch.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard let first = inputs.first, let n = first.shape.first else {
            throw EngineError.invalidInput("no input given")
        }
        return try plan(batch: n).run(inputs)
    }
}
