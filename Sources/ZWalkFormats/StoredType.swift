import Foundation
import ZWalkEngine

/// The element types weight files store, and how each becomes an engine tensor: floats widen to
/// float32 as everywhere in zwalk, integers to int64 (state dicts hold a few, such as BatchNorm's
/// num_batches_tracked), booleans to 0/1. Safetensors and PyTorch checkpoints share this.
public enum StoredType: String, Sendable, CaseIterable {
    case f32, f16, bf16, f64, i64, i32, i16, i8, u8, bool

    /// Bytes per element in the file.
    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    public var engineType: DType {
        switch self {
        case .f32, .f16, .bf16, .f64: return .float32
        case .bool: return .bool
        default: return .int64
        }
    }

    /// `count` = shape's product elements, contiguous and little-endian at `base`, as a tensor.
    public func tensor(from base: UnsafeRawPointer?, shape: [Int]) -> Tensor {
        let t = Tensor(dtype: engineType, shape: shape)
        let count = t.count
        guard count > 0, let base else { return t }
        switch self {
        case .f32: t.raw.copyMemory(from: base, byteCount: count * 4)
        case .f16, .bf16: HalfFloat.widen(base, count: count, bfloat: self == .bf16, into: t.floats.baseAddress!)
        case .f64:
            let d = t.floats
            for i in 0..<count { d[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .i64: t.raw.copyMemory(from: base, byteCount: count * 8)
        case .i32, .i16, .i8, .u8, .bool:
            let d = t.ints
            for i in 0..<count {
                switch self {
                case .i32: d[i] = Int64(base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                case .i16: d[i] = Int64(base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
                case .i8: d[i] = Int64(base.load(fromByteOffset: i, as: Int8.self))
                case .u8: d[i] = Int64(base.load(fromByteOffset: i, as: UInt8.self))
                default: d[i] = base.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
                }
            }
        }
        return t
    }
}
