import Foundation

/// Element types the engine computes with. ONNX's many float types are widened to `float32` at
/// load time and its integer types to `int64`; booleans are stored as 0/1 in `int64` storage so
/// that index and mask arithmetic needs one code path.
public enum DType: String, Sendable, CustomStringConvertible {
    case float32, int64, bool

    public var description: String { rawValue }
    public var byteSize: Int { self == .float32 ? 4 : 8 }
    public var isInteger: Bool { self != .float32 }
}

/// A dense, row-major (C order) tensor. Storage is a 64-byte aligned buffer that is either owned
/// or shared with another tensor (a reshaped view). Tensors are reference types: an execution plan
/// allocates them once and kernels write into them on every run.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let dtype: DType
    public let shape: [Int]
    public let count: Int
    public let raw: UnsafeMutableRawPointer
    /// The tensor whose storage this one views, kept alive by this reference; nil when owned.
    private let base: Tensor?

    /// A zero-filled tensor. Traps only on shapes the caller failed to validate (use `Shape.count`).
    public init(dtype: DType = .float32, shape: [Int]) {
        let n = shape.reduce(1, *)
        self.dtype = dtype
        self.shape = shape
        self.count = n
        let bytes = max(n * dtype.byteSize, 64)
        raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        base = nil
    }

    public convenience init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) does not hold \(floats.count) values")
        self.init(dtype: .float32, shape: shape)
        floats.withUnsafeBufferPointer { self.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count * 4) }
    }

    public convenience init(shape: [Int], ints: [Int64], dtype: DType = .int64) {
        precondition(dtype.isInteger)
        precondition(shape.reduce(1, *) == ints.count, "shape \(shape) does not hold \(ints.count) values")
        self.init(dtype: dtype, shape: shape)
        ints.withUnsafeBufferPointer { self.raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count * 8) }
    }

    public static func scalar(_ v: Float) -> Tensor { Tensor(shape: [], floats: [v]) }
    public static func scalar(int v: Int64) -> Tensor { Tensor(shape: [], ints: [v]) }

    /// A view of `base`'s storage with another shape of the same element count (Reshape & co).
    public init(viewing base: Tensor, shape: [Int]) {
        precondition(shape.reduce(1, *) == base.count)
        self.dtype = base.dtype
        self.shape = shape
        self.count = base.count
        self.raw = base.raw
        self.base = base.base ?? base
    }

    /// A tensor stored at the start of `storage`'s buffer, whatever its shape and element type: a
    /// plan's run-time values in the buffers they share.
    init(storage: Tensor, dtype: DType, shape: [Int]) {
        let n = shape.reduce(1, *)
        precondition(n * dtype.byteSize <= max(storage.count * storage.dtype.byteSize, 64))
        self.dtype = dtype
        self.shape = shape
        self.count = n
        self.raw = storage.raw
        self.base = storage.base ?? storage
    }

    deinit {
        if base == nil { raw.deallocate() }
    }

    public var rank: Int { shape.count }

    public var floats: UnsafeMutableBufferPointer<Float> {
        precondition(dtype == .float32, "float access to a \(dtype) tensor")
        return UnsafeMutableBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: count)
    }

    public var ints: UnsafeMutableBufferPointer<Int64> {
        precondition(dtype != .float32, "integer access to a float32 tensor")
        return UnsafeMutableBufferPointer(start: raw.assumingMemoryBound(to: Int64.self), count: count)
    }

    public var floatArray: [Float] { Array(floats) }
    public var intArray: [Int64] { Array(ints) }

    /// Values as Double whatever the dtype (for printing, comparisons in tests, metadata).
    public var doubleArray: [Double] {
        dtype == .float32 ? floats.map(Double.init) : ints.map(Double.init)
    }

    /// A deep copy with its own storage.
    public func copy() -> Tensor {
        let t = Tensor(dtype: dtype, shape: shape)
        t.raw.copyMemory(from: raw, byteCount: count * dtype.byteSize)
        return t
    }

    /// Copies `other`'s elements into this tensor (same count and dtype).
    public func assign(from other: Tensor) {
        precondition(other.count == count && other.dtype == dtype)
        if other.raw != raw { raw.copyMemory(from: other.raw, byteCount: count * dtype.byteSize) }
    }

    public var description: String {
        let values = doubleArray.prefix(8).map { String(format: "%g", $0) }.joined(separator: ", ")
        return "Tensor<\(dtype)>\(shape)[\(values)\(count > 8 ? ", …" : "")]"
    }
}

/// Shape arithmetic shared by the planner and every kernel.
public enum Shape {
    /// The element count of `dims`, or an error when a dimension is negative or the product overflows
    /// (checked before any allocation: a corrupt file must not allocate petabytes).
    public static func count(_ dims: [Int]) throws -> Int {
        var n = 1
        for d in dims {
            guard d >= 0 else { throw EngineError.invalidShape("negative dimension \(d) in \(dims)") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Int(Int32.max) * 8 else {
                throw EngineError.invalidShape("shape \(dims) has more elements than fit in memory")
            }
            n = p
        }
        return n
    }

    /// Row-major strides of `dims`.
    public static func strides(_ dims: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: dims.count)
        var acc = 1
        for i in stride(from: dims.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= dims[i]
        }
        return s
    }

    /// NumPy-style (multidirectional) broadcast of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let x = i < r - a.count ? 1 : a[i - (r - a.count)]
            let y = i < r - b.count ? 1 : b[i - (r - b.count)]
            if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else {
                throw EngineError.invalidShape("shapes \(a) and \(b) cannot be broadcast together")
            }
        }
        return out
    }

    /// Resolves a possibly negative axis against `rank`.
    public static func axis(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else {
            throw EngineError.invalidShape("axis \(axis) is out of range for rank \(rank)")
        }
        return a
    }
}
