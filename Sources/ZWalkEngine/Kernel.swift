/// The contract between the planner and an operator implementation.
///
/// At load time the planner calls an operator's factory once per node with an `OpContext`: the
/// node, the opset, and each input's dtype, shape and (when known at load time) constant value.
/// The factory validates attributes, infers its outputs and returns a `KernelPlan`. At run time
/// only `Kernel.run` is called, on tensors the planner allocated up front.

/// An input as the planner knows it at load time.
public struct PlannedValue: Sendable {
    public var dtype: DType
    public var shape: [Int]
    /// The value, when it is an initializer or computed from constants only (shape arithmetic).
    public var constant: Tensor?

    public init(dtype: DType, shape: [Int], constant: Tensor? = nil) {
        self.dtype = dtype; self.shape = shape; self.constant = constant
    }
    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }
}

/// What a node will produce.
public struct OutputSpec: Sendable {
    public var dtype: DType
    public var shape: [Int]
    /// Set when the output is known at load time without running anything (Shape, Size, Constant).
    public var constant: Tensor?

    public init(dtype: DType = .float32, shape: [Int], constant: Tensor? = nil) {
        self.dtype = dtype; self.shape = shape; self.constant = constant
    }

    public static func constant(_ t: Tensor) -> OutputSpec { OutputSpec(dtype: t.dtype, shape: t.shape, constant: t) }
}

/// Run-time work of one node. `inputs[i]` is nil for an omitted optional input; `outputs` have the
/// shapes the factory declared and are reused across runs (kernels must overwrite every element).
public protocol Kernel: Sendable {
    func run(inputs: [Tensor?], outputs: [Tensor]) throws
    /// Bytes of scratch the kernel holds between runs (counted in `PlanMemory`).
    var scratchBytes: Int { get }
}

extension Kernel {
    public var scratchBytes: Int { 0 }
}

/// A kernel made of a closure, for the many operators whose run step is a few lines.
public struct ClosureKernel: Kernel {
    let body: @Sendable ([Tensor?], [Tensor]) throws -> Void
    public init(_ body: @escaping @Sendable ([Tensor?], [Tensor]) throws -> Void) { self.body = body }
    public func run(inputs: [Tensor?], outputs: [Tensor]) throws { try body(inputs, outputs) }
}

public struct KernelPlan: Sendable {
    public var outputs: [OutputSpec]
    /// nil when every output is a load-time constant.
    public var kernel: Kernel?
    /// Output i shares input `aliases[i]`'s storage (Reshape, Identity …): no copy at run time.
    public var aliases: [Int: Int]

    public init(outputs: [OutputSpec], kernel: Kernel?, aliases: [Int: Int] = [:]) {
        self.outputs = outputs; self.kernel = kernel; self.aliases = aliases
    }

    /// Outputs that are all constants known at load time.
    public static func constants(_ ts: [Tensor]) -> KernelPlan {
        KernelPlan(outputs: ts.map(OutputSpec.constant), kernel: nil)
    }

    /// One output that views input 0's storage with another shape.
    public static func view(of input: PlannedValue, shape: [Int]) -> KernelPlan {
        KernelPlan(outputs: [OutputSpec(dtype: input.dtype, shape: shape)], kernel: nil, aliases: [0: 0])
    }
}

public typealias OpFactory = @Sendable (OpContext) throws -> KernelPlan

/// What an operator's factory sees of its node at load time, with helpers that turn every
/// malformed attribute or input into an error naming the node.
public struct OpContext: Sendable {
    public let node: Node
    public let opset: Int
    public let inputs: [PlannedValue?]

    public init(node: Node, opset: Int, inputs: [PlannedValue?]) {
        self.node = node; self.opset = opset; self.inputs = inputs
    }

    public func error(_ reason: String) -> EngineError {
        .invalidNode(node: node.displayName, op: node.opType, reason: reason)
    }

    public var inputCount: Int { inputs.count }

    /// Input `i`, required.
    public func input(_ i: Int) throws -> PlannedValue {
        guard i < inputs.count, let v = inputs[i] else { throw error("input \(i) is required but missing") }
        return v
    }

    /// Input `i` if present (optional inputs may be omitted or "").
    public func optionalInput(_ i: Int) -> PlannedValue? { i < inputs.count ? inputs[i] : nil }

    /// The load-time value of input `i`, which this operator needs to know its output shape.
    public func constant(_ i: Int) throws -> Tensor {
        let v = try input(i)
        guard let c = v.constant else {
            throw error("input \(i) ('\(node.inputs[i])') must be known at load time (a constant or computed from shapes), but depends on run-time data")
        }
        return c
    }

    /// The load-time value of optional input `i`, or nil when it is omitted or empty (the spec's
    /// "absent"; Resize and Pad mark unused inputs with an empty tensor).
    public func presentConstant(_ i: Int) throws -> Tensor? {
        guard let v = optionalInput(i), v.count > 0 else { return nil }
        return try constant(i)
    }

    public func constantInts(_ i: Int) throws -> [Int] {
        let c = try constant(i)
        return c.dtype == .float32 ? c.floats.map { Int($0) } : c.ints.map { Int($0) }
    }

    public func constantFloats(_ i: Int) throws -> [Float] {
        let c = try constant(i)
        return c.dtype == .float32 ? Array(c.floats) : c.ints.map { Float($0) }
    }

    /// Requires input `i` to be float32.
    public func floatInput(_ i: Int) throws -> PlannedValue {
        let v = try input(i)
        guard v.dtype == .float32 else { throw error("input \(i) must be float, got \(v.dtype)") }
        return v
    }

    // MARK: attributes

    public func has(_ name: String) -> Bool { node.attributes[name] != nil }

    public func int(_ name: String, _ defaultValue: Int) throws -> Int {
        guard let a = node.attributes[name] else { return defaultValue }
        switch a {
        case .int(let v): return v
        case .float(let f) where f == f.rounded(): return Int(f)
        default: throw error("attribute '\(name)' must be an integer")
        }
    }

    public func float(_ name: String, _ defaultValue: Float) throws -> Float {
        guard let a = node.attributes[name] else { return defaultValue }
        switch a {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw error("attribute '\(name)' must be a float")
        }
    }

    public func string(_ name: String, _ defaultValue: String) throws -> String {
        guard let a = node.attributes[name] else { return defaultValue }
        guard case .string(let s) = a else { throw error("attribute '\(name)' must be a string") }
        return s
    }

    public func ints(_ name: String) throws -> [Int]? {
        guard let a = node.attributes[name] else { return nil }
        switch a {
        case .ints(let v): return v
        case .int(let v): return [v]
        default: throw error("attribute '\(name)' must be a list of integers")
        }
    }

    public func floats(_ name: String) throws -> [Float]? {
        guard let a = node.attributes[name] else { return nil }
        switch a {
        case .floats(let v): return v
        case .float(let v): return [v]
        default: throw error("attribute '\(name)' must be a list of floats")
        }
    }

    public func tensor(_ name: String) throws -> Tensor? {
        guard let a = node.attributes[name] else { return nil }
        guard case .tensor(let t) = a else { throw error("attribute '\(name)' must be a tensor") }
        return t
    }

    /// Resolves a possibly negative axis, naming the node on failure.
    public func axis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else { throw error("axis \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// Element count of a shape this node is about to produce, overflow-checked.
    public func checkedCount(_ dims: [Int]) throws -> Int {
        do { return try Shape.count(dims) } catch let e as EngineError { throw error(e.description) }
    }
}

/// An activation node the planner folds into the step that produces its input, applied in that
/// kernel's output pass while the output is still in cache: one pass over memory and one buffer
/// fewer (`Conv → Relu`, `Gemm → LeakyRelu`, `Gemm → Tanh`).
public enum FusedActivation: Equatable, Sendable {
    case relu, leakyRelu(alpha: Float), tanh, sigmoid

    /// The activation a node computes, when it is one a kernel can take over.
    init?(_ ctx: OpContext) throws {
        guard ctx.inputCount == 1, ctx.node.outputs.count == 1, ctx.inputs[0]?.dtype == .float32,
              ctx.node.domain.isEmpty || ctx.node.domain == "ai.onnx" else { return nil }
        switch ctx.node.opType {
        case "Relu": self = .relu
        case "LeakyRelu": self = .leakyRelu(alpha: try ctx.float("alpha", 0.01))
        case "Tanh": self = .tanh
        case "Sigmoid": self = .sigmoid
        default: return nil
        }
    }
}

extension FusedActivation {
    /// Applies the activation in place over `count` floats (a kernel's output pass, on data it has
    /// just written and that is still in cache).
    func apply(_ p: UnsafeMutablePointer<Float>, _ count: Int, variant: CPUKernels.Variant = .best) {
        switch self {
        case .relu: VectorMath.relu(p, p, count)
        case .leakyRelu(let alpha): for i in 0..<count where p[i] < 0 { p[i] *= alpha }
        case .tanh: CPUKernels.tanh(p, p, count, variant: variant)
        case .sigmoid: CPUKernels.sigmoid(p, p, count, variant: variant)
        }
    }
}

/// A kernel that copies its constant weight (input 1) into a form of its own when it is built
/// (rearranged, packed, transformed) and may then never read the input again.
protocol WeightCopying: AnyObject {
    /// Whether `run` reads input 1.
    var readsWeightAtRun: Bool { get }
}

/// A kernel that can apply an activation in its output pass.
protocol ActivationFusing: AnyObject {
    /// Takes `activation` over when the kernel can apply it (and has none yet); false leaves the
    /// kernel unchanged and the activation to its own step. Called at planning time only.
    func fuse(_ activation: FusedActivation) -> Bool
}

/// A kernel that can add another tensor of its output's shape in its output pass (the Add of a
/// skip connection: `y = conv(x) + skip`).
protocol ResidualFusing: AnyObject {
    /// Takes the residual over when the kernel can (and has no activation yet: the sum comes
    /// first): returns the index of `inputs` it will read it from at run time — the step's
    /// `inputs` inputs, then nil up to that index — or nil, leaving the kernel unchanged.
    /// Called at planning time only.
    func fuseResidual(after inputs: Int) -> Int?
}
