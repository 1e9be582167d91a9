import Foundation
import ZWalkEngine

/// A storage of a PyTorch checkpoint: its element type, its element count, and (once found) where
/// its bytes are in the file.
final class TorchStorage {
    let key: String
    let type: StoredType
    let count: Int
    /// Offset of the first byte in the file (legacy) or nil until the zip entry is read.
    var fileOffset: Int?
    init(key: String, type: StoredType, count: Int) { self.key = key; self.type = type; self.count = count }
}

/// The storages a pickle named, by key (shared by the persistent-id closure and the reader).
final class StorageTable {
    var byKey: [String: TorchStorage] = [:]
}

/// A tensor of a checkpoint: a view of a storage (offset, shape and strides in elements).
final class TorchTensorRef {
    let storage: TorchStorage
    let offset: Int
    let shape: [Int]
    let stride: [Int]
    init(storage: TorchStorage, offset: Int, shape: [Int], stride: [Int]) {
        self.storage = storage; self.offset = offset; self.shape = shape; self.stride = stride
    }
}

/// A PyTorch checkpoint read without Python and without running anything in it: `torch.save`'s zip
/// archive (torch ≥ 1.6: `<name>/data.pkl` and the storages `<name>/data/<key>`) and its legacy
/// format (pickles of the magic number, the protocol, the system's sizes, the object and the
/// storage keys, then each storage's element count and bytes). The pickle is read by a restricted
/// unpickler that allows only what weights are made of (containers, numbers, strings, tensors and
/// their storages) and refuses every other global, naming it.
///
/// Every tensor of the object is listed by its dotted path: `decoder.fc3.weight` for a state dict,
/// `state_dict.decoder.fc3.weight` inside a Lightning checkpoint, `optimizer_states.0.state.3.exp_avg`
/// for an optimizer's. Tensors are gathered (strides and storage offsets honoured) and converted
/// when asked for, so an optimizer's tensors cost nothing unless used.
public final class TorchCheckpoint {
    public enum Format: String, Sendable { case zip, legacy }

    public let source: String
    public let format: Format
    /// Every tensor's path, in the order the object lists them.
    public let names: [String]
    /// Top-level entries that are numbers or strings ("epoch" → "25"), for `zwalk info`.
    public let scalars: [(key: String, value: String)]
    private let refs: [String: TorchTensorRef]
    private let data: Data
    private let archive: ZipArchive?
    /// The zip's folder ("epoch_2/"), where data.pkl and data/ are.
    private let prefix: String
    private var storageBytes: [String: Data] = [:]

    /// Storage element types by the class name the pickle gives them.
    static let storageTypes: [String: StoredType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8, "ByteStorage": .u8,
        "BoolStorage": .bool,
    ]

    /// The globals a checkpoint of weights may name; everything else is refused.
    static let allowedGlobals: Set<String> = Set(storageTypes.keys.map { "torch." + $0 }).union([
        "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
        "collections.OrderedDict", "torch.Size", "_codecs.encode",
    ])

    /// The legacy format's first pickle.
    static let legacyMagic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19] // 0x1950a86a20f9469cfc6c, LE

    /// Nesting deeper than this is refused (a state dict is 2–4 levels deep).
    static let maxDepth = 64

    public convenience init(path: String) throws {
        try self.init(data: ONNXLoader.readFile(path, what: "checkpoint"), source: path)
    }

    public init(data: Data, source: String) throws {
        self.source = source
        self.data = data.startIndex == 0 ? data : Data(data)
        let kind = data.withUnsafeBytes { FileSniffer.kind(of: $0) }
        let storages = StorageTable()
        let root: PickleValue
        let unpickler: Unpickler
        switch kind {
        case .zip:
            let zip = try ZipArchive(data: self.data, source: source)
            archive = zip
            format = .zip
            guard let pkl = zip.entries.first(where: { $0.name.hasSuffix("data.pkl") && $0.name.split(separator: "/").count == 2 }) else {
                throw FormatError(file: source, place: "zip archive", message: "has no <name>/data.pkl entry, so it is not a PyTorch checkpoint",
                                  hint: zip.entry("model.onnx") != nil ? nil : "a NumPy .npz or another zip archive is not a checkpoint")
            }
            let prefix = String(pkl.name.dropLast("data.pkl".count))
            self.prefix = prefix
            if let bo = zip.entry(prefix + "byteorder"), String(decoding: try zip.read(bo), as: UTF8.self) != "little" {
                throw FormatError(file: source, place: "zip entry '\(bo.name)'", message: "the checkpoint was written big-endian; zwalk reads little-endian checkpoints")
            }
            let pickle = try zip.read(pkl)
            let pklStart = try zip.dataOffset(pkl)
            (root, unpickler) = try pickle.withUnsafeBytes { buf in
                let u = Self.unpickler(buf, source: source, place: "\(pkl.name)", base: pklStart, storages: storages) { pid in
                    // ('storage', storage_type, key, location, numel)
                    guard pid.count == 5, case .int(let n) = pid[4] else { return nil }
                    return n
                } entry: { key in zip.entry(prefix + "data/" + key) }
                return (try u.load(), u)
            }
        case .pickle:
            archive = nil
            prefix = ""
            format = .legacy
            (root, unpickler) = try self.data.withUnsafeBytes { buf in
                try Self.readLegacy(buf, source: source, storages: storages)
            }
        default:
            let hint: String?
            switch kind {
            case .safetensors: hint = "this is a safetensors file; give it a .safetensors name"
            case .onnx: hint = "this may be an ONNX model; give it as the model, not as weights"
            default: hint = data.count > 262 && data.withUnsafeBytes({ Array($0[257..<262]) }) == Array("ustar".utf8)
                ? "this is a tar archive: torch.save's format before torch 0.4, which zwalk does not read; load it in PyTorch and save it again"
                : FileSniffer.onnxHint(for: kind)
            }
            throw FormatError(file: source, offset: 0, message: "is neither a zip archive nor a pickle, so not a PyTorch checkpoint", hint: hint)
        }
        defer { unpickler.release() }
        var names: [String] = [], refs: [String: TorchTensorRef] = [:], scalars: [(String, String)] = []
        func walk(_ v: PickleValue, _ path: String, depth: Int) throws {
            guard depth <= Self.maxDepth else {
                throw FormatError(file: source, place: path, message: "nests deeper than \(Self.maxDepth) levels (or contains itself)")
            }
            func child(_ k: String) -> String { path.isEmpty ? k : path + "." + k }
            switch v {
            case .dict(let d):
                for (k, x) in d.pairs {
                    let key: String
                    switch k {
                    case .string(let s): key = s
                    case .int(let i): key = String(i)
                    default: continue  // keys of other kinds never name weights
                    }
                    try walk(x, child(key), depth: depth + 1)
                }
            case .list(let l): for (i, x) in l.items.enumerated() { try walk(x, child(String(i)), depth: depth + 1) }
            case .tuple(let t): for (i, x) in t.enumerated() { try walk(x, child(String(i)), depth: depth + 1) }
            case .object(let o as TorchTensorRef):
                if refs[path] == nil { names.append(path) }
                refs[path] = o
            case .int(let i) where depth == 1: scalars.append((path, String(i)))
            case .float(let f) where depth == 1: scalars.append((path, String(f)))
            case .string(let s) where depth == 1: scalars.append((path, s))
            default: break
            }
        }
        if case .object(let o as TorchTensorRef) = root {
            throw FormatError(file: source, message: "holds a single tensor of shape \(o.shape), not a dict of weights",
                              hint: "save the weights with torch.save(model.state_dict(), path)")
        }
        try walk(root, "", depth: 0)
        self.names = names
        self.refs = refs
        self.scalars = scalars
    }

    /// The unpickler for a checkpoint's object: storages come from persistent ids, tensors from
    /// `_rebuild_tensor_v2`. `count` reads a persistent id's element count, `entry` checks that
    /// the storage's bytes exist (zip) or is nil (legacy: they follow the pickles).
    private static func unpickler(_ buf: UnsafeRawBufferPointer, source: String, place: String, base: Int,
                                  storages: StorageTable,
                                  count: @escaping ([PickleValue]) -> Int64?,
                                  entry: ((String) -> ZipArchive.Entry?)? = nil) -> Unpickler {
        Unpickler(buf, file: source, place: place, base: base, allowed: allowedGlobals, call: { g, a in
            try rebuild(g, a)
        }, persistentLoad: { pidValue in
            guard case .tuple(let pid) = pidValue, pid.count >= 5, case .string("storage") = pid[0],
                  case .global(let cls) = pid[1], case .string(let key) = pid[2] else {
                throw PickleCallError("a persistent id is not ('storage', type, key, location, size): \(pidValue.typeName)")
            }
            guard let type = storageTypes[String(cls.dropFirst("torch.".count))] else {
                throw PickleCallError("storage type '\(cls)' is not one zwalk reads")
            }
            guard let n = count(pid), n >= 0, n <= Int64(Int.max / 8) else {
                throw PickleCallError("storage '\(key)' has no valid element count")
            }
            if let existing = storages.byKey[key] {
                guard existing.type == type, existing.count == Int(n) else {
                    throw PickleCallError("storage '\(key)' is named twice with different types or sizes")
                }
                return .object(existing)
            }
            if let entry, entry(key) == nil { throw PickleCallError("storage '\(key)' has no data/\(key) entry in the archive") }
            let s = TorchStorage(key: key, type: type, count: Int(n))
            storages.byKey[key] = s
            // Legacy view_metadata (pid[5]): (view_key, offset, size) of a storage view, torch < 1.0.
            if pid.count >= 6, case .tuple = pid[5] {
                throw PickleCallError("storage '\(key)' is a view of another storage (torch < 1.0); load and save it again with a newer torch")
            }
            return .object(s)
        })
    }

    /// The few calls a checkpoint of weights makes.
    private static func rebuild(_ g: String, _ a: [PickleValue]) throws -> PickleValue {
        switch g {
        case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
            // (storage, storage_offset, size, stride, [requires_grad, backward_hooks, metadata])
            guard a.count >= 4, case .object(let s as TorchStorage) = a[0], case .int(let off) = a[1],
                  let shape = ints(a[2]), let stride = ints(a[3]) else {
                throw PickleCallError("expects (storage, offset, size, stride), got (\(a.map(\.typeName).joined(separator: ", ")))")
            }
            guard shape.count == stride.count, shape.count <= 32 else {
                throw PickleCallError("size \(shape) and stride \(stride) differ in length")
            }
            guard off >= 0, shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
                throw PickleCallError("negative offset \(off), size \(shape) or stride \(stride)")
            }
            // The last element read must lie inside the storage; every product is checked for overflow.
            var last = Int64(off), total: Int64 = 1
            for (n, st) in zip(shape, stride) {
                let (t, o1) = total.multipliedReportingOverflow(by: n)
                let (span, o2) = (n == 0 ? 0 : n - 1).multipliedReportingOverflow(by: st)
                let (l, o3) = last.addingReportingOverflow(span)
                guard !o1, !o2, !o3 else { throw PickleCallError("size \(shape) with stride \(stride) overflows") }
                total = t; last = l
            }
            guard total == 0 || last < Int64(s.count) else {
                throw PickleCallError("size \(shape), stride \(stride) and offset \(off) reach element \(last) of storage '\(s.key)', which has \(s.count)")
            }
            return .object(TorchTensorRef(storage: s, offset: Int(off), shape: shape.map { Int($0) }, stride: stride.map { Int($0) }))
        case "torch._utils._rebuild_parameter":
            guard let t = a.first, case .object(let o) = t, o is TorchTensorRef else { throw PickleCallError("expects (tensor, requires_grad, hooks)") }
            return t
        case "collections.OrderedDict":
            let d = PickleDict()
            if let first = a.first, case .list(let l) = first {
                for item in l.items { if case .tuple(let kv) = item, kv.count == 2 { d.pairs.append((kv[0], kv[1])) } }
            }
            return .dict(d)
        case "torch.Size":
            guard a.count == 1, case .tuple = a[0] else { throw PickleCallError("expects a tuple") }
            return a[0]
        case "_codecs.encode":
            guard a.count == 2, case .string(let s) = a[0] else { throw PickleCallError("expects (str, encoding)") }
            return .bytes(s.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        default:
            throw PickleCallError("'\(g)' cannot be called")
        }
    }

    private static func ints(_ v: PickleValue) -> [Int64]? {
        guard case .tuple(let t) = v else { return nil }
        var out: [Int64] = []
        for x in t { guard case .int(let i) = x else { return nil }; out.append(i) }
        return out
    }

    /// The legacy format: magic, protocol, system info, the object, the storage keys, then the storages.
    private static func readLegacy(_ buf: UnsafeRawBufferPointer, source: String,
                                   storages: StorageTable) throws -> (PickleValue, Unpickler) {
        let plain = Unpickler(buf, file: source, place: "legacy header", allowed: [], call: { g, _ in
            throw PickleCallError("'\(g)' cannot be called")
        }, persistentLoad: { _ in throw PickleCallError("no persistent ids in the header") })
        let magicAt = plain.offset
        guard case .bigInt(let magic) = try plain.load(), magic == legacyMagic else {
            throw FormatError(file: source, place: "legacy header", offset: magicAt,
                              message: "the first pickle is not torch's magic number 0x1950a86a20f9469cfc6c, so this is not a PyTorch checkpoint")
        }
        let protoAt = plain.offset
        guard case .int(let proto) = try plain.load(), proto == 1001 else {
            throw FormatError(file: source, place: "legacy header", offset: protoAt, message: "the protocol version is not 1001")
        }
        let infoAt = plain.offset
        if case .dict(let info) = try plain.load() {
            for (k, v) in info.pairs {
                if case .string("little_endian") = k, case .bool(false) = v {
                    throw FormatError(file: source, place: "legacy header", offset: infoAt, message: "the checkpoint was written big-endian; zwalk reads little-endian checkpoints")
                }
            }
        }
        plain.release()
        let objectAt = plain.offset
        let rest = UnsafeRawBufferPointer(rebasing: buf[objectAt...])
        let u = unpickler(rest, source: source, place: "object pickle", base: objectAt, storages: storages) { pid in
            // ('storage', storage_type, root_key, location, numel, view_metadata)
            guard pid.count == 6, case .int(let n) = pid[4] else { return nil }
            return n
        }
        let root = try u.load()
        let keysAt = objectAt + u.offset
        let keyReader = Unpickler(UnsafeRawBufferPointer(rebasing: buf[keysAt...]), file: source, place: "storage keys", base: keysAt,
                                  allowed: [], call: { g, _ in throw PickleCallError("'\(g)' cannot be called") },
                                  persistentLoad: { _ in throw PickleCallError("no persistent ids in the storage keys") })
        guard case .list(let keyList) = try keyReader.load() else {
            throw FormatError(file: source, place: "storage keys", offset: keysAt, message: "is not a list of storage keys")
        }
        var p = keysAt + keyReader.offset
        for item in keyList.items {
            guard case .string(let key) = item, let s = storages.byKey[key] else {
                throw FormatError(file: source, place: "storage keys", offset: keysAt, message: "lists a storage the object never uses (\(item.typeName))")
            }
            guard p + 8 <= buf.count else {
                throw FormatError(file: source, place: "storage '\(key)'", offset: p, message: "the file ends before this storage's element count: truncated")
            }
            let n = buf.loadUnaligned(fromByteOffset: p, as: Int64.self).littleEndian
            guard n == Int64(s.count) else {
                throw FormatError(file: source, place: "storage '\(key)'", offset: p, message: "holds \(n) elements, but the object says \(s.count)")
            }
            guard s.count <= (buf.count - p - 8) / s.type.size else {
                throw FormatError(file: source, place: "storage '\(key)'", offset: p,
                                  message: "its \(s.count) × \(s.type.size) bytes run past the end of the file: truncated")
            }
            s.fileOffset = p + 8
            p += 8 + s.count * s.type.size
        }
        keyReader.release()
        if let missing = storages.byKey.values.first(where: { $0.fileOffset == nil }) {
            throw FormatError(file: source, place: "storage keys", offset: keysAt, message: "storage '\(missing.key)' is used but its bytes are not in the file")
        }
        return (root, u)
    }

    // MARK: tensors

    public func shape(_ name: String) -> [Int]? { refs[name]?.shape }

    /// The element type the file stores a tensor as.
    public func storedType(_ name: String) -> StoredType? { refs[name]?.storage.type }

    /// The tensor at `name`, gathered from its storage (non-contiguous views included) and converted
    /// as `StoredType` does.
    public func tensor(_ name: String) throws -> Tensor {
        guard let r = refs[name] else { throw FormatError(file: source, place: "tensor '\(name)'", message: "is not in the checkpoint") }
        let s = r.storage
        let bytes = try storage(s)
        let size = s.type.size
        return bytes.withUnsafeBytes { b -> Tensor in
            let base = b.baseAddress
            let count = r.shape.reduce(1, *)
            // Row-major strides: the bytes are already in order.
            var expected = 1, contiguous = true
            for (n, st) in zip(r.shape, r.stride).reversed() where n != 1 {
                if st != expected { contiguous = false; break }
                expected *= n
            }
            if contiguous || count == 0 { return s.type.tensor(from: base?.advanced(by: r.offset * size), shape: r.shape) }
            // Gather element by element into a contiguous buffer of the stored type, then convert.
            let gathered = UnsafeMutableRawPointer.allocate(byteCount: count * size, alignment: 16)
            defer { gathered.deallocate() }
            var index = [Int](repeating: 0, count: r.shape.count)
            var src = r.offset
            for i in 0..<count {
                gathered.advanced(by: i * size).copyMemory(from: base!.advanced(by: src * size), byteCount: size)
                var d = r.shape.count - 1
                while d >= 0 {
                    index[d] += 1; src += r.stride[d]
                    if index[d] < r.shape[d] { break }
                    src -= r.stride[d] * index[d]; index[d] = 0; d -= 1
                }
            }
            return s.type.tensor(from: gathered, shape: r.shape)
        }
    }

    /// A storage's bytes: a slice of the file (legacy), or its zip entry, read once and kept.
    private func storage(_ s: TorchStorage) throws -> Data {
        if let d = storageBytes[s.key] { return d }
        let d: Data
        if let off = s.fileOffset {
            d = data.subdata(in: off..<(off + s.count * s.type.size))
        } else {
            guard let e = archive!.entry(prefix + "data/" + s.key) else {
                throw FormatError(file: source, place: "storage '\(s.key)'", message: "has no zip entry")
            }
            guard e.size >= s.count * s.type.size else {
                throw FormatError(file: source, place: "zip entry '\(e.name)'", message: "holds \(e.size) bytes, but storage '\(s.key)' needs \(s.count) × \(s.type.size)")
            }
            d = try archive!.read(e)
        }
        storageBytes[s.key] = d
        return d
    }
}

/// Why a call or persistent id of a pickle was refused; the unpickler adds the file and byte.
struct PickleCallError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
