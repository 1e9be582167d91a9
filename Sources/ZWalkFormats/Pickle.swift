import Foundation

/// A value of a Python pickle, as far as zwalk reads them: the containers and scalars a PyTorch
/// checkpoint is made of, globals that were allowed, and whatever the caller's persistent ids and
/// calls turn into (storages, tensors).
public indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer beyond 64 bits (LONG1/LONG4, or LONG text): its little-endian two's-complement
    /// bytes (empty when it came as text).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A global the caller allows ("torch.FloatStorage"), not yet called.
    case global(String)
    /// Something the caller built (a storage, a tensor).
    case object(AnyObject)

    /// "dict", "int", … for messages.
    public var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let g): return "global \(g)"
        case .object(let o): return String(describing: type(of: o))
        }
    }
}

/// Lists and dicts are shared and mutated after they are made (APPEND to a memoised list), so they
/// are references.
public final class PickleList { public var items: [PickleValue] = [] }
public final class PickleDict { public var pairs: [(PickleValue, PickleValue)] = [] }

/// A restricted unpickler: it reads pickle protocols 0–5 as far as data goes (no INST, OBJ, EXT or
/// NEWOBJ), calls nothing itself, and refuses every global the caller did not allow, naming it and
/// its byte. Allowed globals are called through `call` (REDUCE), persistent ids are resolved by
/// `persistentLoad`. Sizes are checked against the bytes left before anything is allocated; a
/// corrupt or hostile file gives a `FormatError`, never a crash.
///
/// After `load()`, call `release()` once the result has been read: it empties every container the
/// pickle made, so that cycles and deep nesting cannot leak or overflow the stack when freed.
public final class Unpickler {
    public typealias Call = (_ global: String, _ args: [PickleValue]) throws -> PickleValue

    let bytes: UnsafeRawBufferPointer
    let file: String
    /// The pickle's name inside the file ("data.pkl"), and where it starts in the file.
    let place: String
    let base: Int
    let allowed: Set<String>
    let call: Call
    let persistentLoad: (PickleValue) throws -> PickleValue
    private(set) var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var made: [AnyObject] = []

    public init(_ bytes: UnsafeRawBufferPointer, file: String, place: String, base: Int = 0, allowed: Set<String>,
                call: @escaping Call, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.bytes = bytes; self.file = file; self.place = place; self.base = base; self.allowed = allowed
        self.call = call; self.persistentLoad = persistentLoad
    }

    deinit { release() }

    /// Where the next pickle starts (a legacy checkpoint holds several in a row).
    public var offset: Int { position }

    func fail(_ at: Int, _ message: String, hint: String? = nil) -> FormatError {
        FormatError(file: file, place: place, offset: base + at, message: message, hint: hint)
    }

    public func release() {
        for o in made {
            if let l = o as? PickleList { l.items.removeAll() } else if let d = o as? PickleDict { d.pairs.removeAll() }
        }
        made.removeAll(); stack.removeAll(); memo.removeAll()
    }

    // MARK: reading bytes

    private func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= bytes.count - position else {
            throw fail(position, "\(what) of \(n) bytes runs past the end of the pickle (\(bytes.count - position) bytes left): truncated or corrupt")
        }
    }
    private func byte() throws -> UInt8 { try need(1, "an opcode argument"); defer { position += 1 }; return bytes[position] }
    private func le<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try need(MemoryLayout<T>.size, "a \(MemoryLayout<T>.size)-byte number")
        defer { position += MemoryLayout<T>.size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }
    private func take(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try need(n, what)
        defer { position += n }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
    }
    private func length<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> Int {
        let at = position
        let n = try le(T.self)
        guard n >= 0, UInt64(n) <= UInt64(bytes.count - position) else {
            throw fail(at, "\(what) of \(n) bytes runs past the end of the pickle (\(bytes.count - position) bytes left)")
        }
        return Int(n)
    }
    private func line() throws -> String {
        guard let nl = bytes[position...].firstIndex(of: 0x0A) else { throw fail(position, "a text argument has no end of line") }
        defer { position = nl + 1 }
        return String(decoding: bytes[position..<nl], as: UTF8.self)
    }
    private func utf8(_ b: UnsafeRawBufferPointer, at: Int) throws -> String {
        guard let s = String(validating: b, as: UTF8.self) else { throw fail(at, "a string is not valid UTF-8") }
        return s
    }

    // MARK: the stack

    private func pop(_ op: String) throws -> PickleValue {
        guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw fail(position - 1, "\(op) on an empty stack") }
        return v
    }
    private func popMark(_ op: String) throws -> [PickleValue] {
        guard let m = marks.popLast() else { throw fail(position - 1, "\(op) without a MARK") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }
    private func top(_ op: String) throws -> PickleValue {
        guard let v = stack.last, stack.count > (marks.last ?? 0) else { throw fail(position - 1, "\(op) on an empty stack") }
        return v
    }
    private func newList(_ items: [PickleValue]) -> PickleValue {
        let l = PickleList(); l.items = items; made.append(l); return .list(l)
    }
    private func newDict(_ pairs: [(PickleValue, PickleValue)]) -> PickleValue {
        let d = PickleDict(); d.pairs = pairs; made.append(d); return .dict(d)
    }
    private func pairs(_ items: [PickleValue], _ op: String) throws -> [(PickleValue, PickleValue)] {
        guard items.count % 2 == 0 else { throw fail(position - 1, "\(op) has an odd number of items (\(items.count))") }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }
    private func memoGet(_ i: Int, at: Int) throws -> PickleValue {
        guard let v = memo[i] else { throw fail(at, "memo entry \(i) was never stored") }
        return v
    }
    private func global(_ module: String, _ name: String, at: Int) throws -> PickleValue {
        let full = module + "." + name
        guard allowed.contains(full) else {
            throw fail(at, "refuses global '\(full)': a checkpoint of weights needs only tensors, storages and containers",
                       hint: "zwalk never runs code from a checkpoint; save the weights alone with torch.save(model.state_dict(), path), or convert them to safetensors")
        }
        return .global(full)
    }

    // MARK: opcodes

    /// Reads one pickle, up to its STOP.
    public func load() throws -> PickleValue {
        stack.removeAll(); marks.removeAll(); memo.removeAll()
        while true {
            let at = position
            guard position < bytes.count else { throw fail(at, "the pickle ends without a STOP opcode: truncated") }
            let op = bytes[position]
            position += 1
            switch op {
            case 0x80: // PROTO
                let v = try byte()
                guard v <= 5 else { throw fail(at, "pickle protocol \(v) is newer than 5") }
            case 0x95: _ = try le(UInt64.self) // FRAME: a hint for buffering only
            case 0x2E: // STOP
                let v = try pop("STOP")
                return v
            case 0x28: marks.append(stack.count) // MARK
            case 0x30: _ = try pop("POP") // POP
            case 0x31: _ = try popMark("POP_MARK") // POP_MARK
            case 0x32: stack.append(try top("DUP")) // DUP
            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x49: // INT (text; "01"/"00" are True/False in protocol 0)
                let s = try line()
                if s == "01" { stack.append(.bool(true)) } else if s == "00" { stack.append(.bool(false)) } else {
                    guard let v = Int64(s) else { throw fail(at, "INT '\(s)' is not an integer") }
                    stack.append(.int(v))
                }
            case 0x4C: // LONG (text, maybe with a trailing L)
                var s = try line()
                if s.hasSuffix("L") { s.removeLast() }
                stack.append(Int64(s).map { .int($0) } ?? .bigInt([]))
            case 0x4A: stack.append(.int(Int64(try le(Int32.self)))) // BININT
            case 0x4B: stack.append(.int(Int64(try byte()))) // BININT1
            case 0x4D: stack.append(.int(Int64(try le(UInt16.self)))) // BININT2
            case 0x8A, 0x8B: // LONG1, LONG4: little-endian two's complement
                let n = op == 0x8A ? Int(try byte()) : try length(Int32.self, "LONG4")
                let b = try take(n, "LONG")
                if n == 0 { stack.append(.int(0)); break }
                guard n <= 8 else { stack.append(.bigInt(Array(b))); break }
                var v: UInt64 = 0
                for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
                if n < 8 && b[n - 1] & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) } // sign-extend
                stack.append(.int(Int64(bitPattern: v)))
            case 0x46: // FLOAT (text)
                let s = try line()
                guard let v = Double(s) else { throw fail(at, "FLOAT '\(s)' is not a number") }
                stack.append(.float(v))
            case 0x47: // BINFLOAT (big-endian)
                let b = try take(8, "BINFLOAT")
                stack.append(.float(Double(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case 0x53: // STRING (text, quoted)
                var s = try line()
                if s.count >= 2, let f = s.first, f == s.last, f == "'" || f == "\"" { s = String(s.dropFirst().dropLast()) }
                stack.append(.string(s))
            case 0x54, 0x55, 0x42, 0x43, 0x8E: // BINSTRING, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES, BINBYTES8
                let n: Int
                switch op {
                case 0x54: n = try length(Int32.self, "BINSTRING")
                case 0x42: n = try length(UInt32.self, "BINBYTES")
                case 0x8E: n = try length(UInt64.self, "BINBYTES8")
                default: n = Int(try byte())
                }
                let b = try take(n, "bytes")
                // Python 2's str: text when it decodes, else bytes.
                if op == 0x54 || op == 0x55, let s = String(validating: b, as: UTF8.self) { stack.append(.string(s)) } else {
                    stack.append(.bytes(Array(b)))
                }
            case 0x56: stack.append(.string(try line())) // UNICODE (raw-unicode-escape; ASCII in practice)
            case 0x58, 0x8C, 0x8D: // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let n = op == 0x58 ? try length(UInt32.self, "BINUNICODE") : op == 0x8C ? Int(try byte()) : try length(UInt64.self, "BINUNICODE8")
                let s0 = position
                stack.append(.string(try utf8(try take(n, "a string"), at: s0)))
            case 0x5D: stack.append(newList([])) // EMPTY_LIST
            case 0x6C: stack.append(newList(try popMark("LIST"))) // LIST
            case 0x61, 0x65: // APPEND, APPENDS
                let items = op == 0x61 ? [try pop("APPEND")] : try popMark("APPENDS")
                guard case .list(let l) = try top("APPEND") else {
                    throw fail(at, "APPEND to a \(stack.last?.typeName ?? "nothing"), not a list")
                }
                l.items += items
            case 0x29: stack.append(.tuple([])) // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark("TUPLE"))) // TUPLE
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw fail(at, "TUPLE\(n) needs \(n) items on the stack") }
                let t = Array(stack.suffix(n))
                stack.removeLast(n)
                stack.append(.tuple(t))
            case 0x7D: stack.append(newDict([])) // EMPTY_DICT
            case 0x64: stack.append(newDict(try pairs(try popMark("DICT"), "DICT"))) // DICT
            case 0x73, 0x75: // SETITEM, SETITEMS
                let items: [PickleValue]
                if op == 0x73 { let v = try pop("SETITEM"); let k = try pop("SETITEM"); items = [k, v] } else { items = try popMark("SETITEMS") }
                guard case .dict(let d) = try top("SETITEM") else {
                    throw fail(at, "SETITEM on a \(stack.last?.typeName ?? "nothing"), not a dict")
                }
                d.pairs += try pairs(items, "SETITEMS")
            case 0x8F: stack.append(newList([])) // EMPTY_SET: read as a list
            case 0x90: // ADDITEMS
                let items = try popMark("ADDITEMS")
                guard case .list(let l) = try top("ADDITEMS") else { throw fail(at, "ADDITEMS to a non-set") }
                l.items += items
            case 0x91: stack.append(newList(try popMark("FROZENSET"))) // FROZENSET
            case 0x67: // GET
                let s = try line()
                guard let i = Int(s) else { throw fail(at, "GET '\(s)' is not an index") }
                stack.append(try memoGet(i, at: at))
            case 0x68: stack.append(try memoGet(Int(try byte()), at: at)) // BINGET
            case 0x6A: stack.append(try memoGet(Int(try le(UInt32.self)), at: at)) // LONG_BINGET
            case 0x70: // PUT
                let s = try line()
                guard let i = Int(s) else { throw fail(at, "PUT '\(s)' is not an index") }
                memo[i] = try top("PUT")
            case 0x71: memo[Int(try byte())] = try top("BINPUT") // BINPUT
            case 0x72: memo[Int(try le(UInt32.self))] = try top("LONG_BINPUT") // LONG_BINPUT
            case 0x94: memo[memo.count] = try top("MEMOIZE") // MEMOIZE
            case 0x63: // GLOBAL "module\nname\n"
                let module = try line(), name = try line()
                stack.append(try global(module, name, at: at))
            case 0x93: // STACK_GLOBAL
                let name = try pop("STACK_GLOBAL"), module = try pop("STACK_GLOBAL")
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw fail(at, "STACK_GLOBAL needs two strings, got \(module.typeName) and \(name.typeName)")
                }
                stack.append(try global(m, n, at: at))
            case 0x52: // REDUCE
                let args = try pop("REDUCE"), callable = try pop("REDUCE")
                guard case .global(let g) = callable else { throw fail(at, "REDUCE calls a \(callable.typeName), not an allowed global") }
                guard case .tuple(let a) = args else { throw fail(at, "REDUCE of '\(g)' with a \(args.typeName) of arguments, not a tuple") }
                do { stack.append(try call(g, a)) } catch let e as FormatError { throw e } catch {
                    throw fail(at, "\(g): \(error)")
                }
            case 0x62: // BUILD: an object's state; an OrderedDict's (its _metadata) and a tensor's are not needed
                let state = try pop("BUILD")
                switch try top("BUILD") {
                case .dict, .object: _ = state
                case let other: throw fail(at, "BUILD sets the state of a \(other.typeName), which a checkpoint of weights does not hold")
                }
            case 0x51: // BINPERSID
                let pid = try pop("BINPERSID")
                do { stack.append(try persistentLoad(pid)) } catch let e as FormatError { throw e } catch {
                    throw fail(at, "persistent id: \(error)")
                }
            case 0x50: // PERSID (text)
                let s = try line()
                do { stack.append(try persistentLoad(.string(s))) } catch let e as FormatError { throw e } catch {
                    throw fail(at, "persistent id: \(error)")
                }
            default:
                let names: [UInt8: String] = [0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1",
                                              0x83: "EXT2", 0x84: "EXT4", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER"]
                if let n = names[op] {
                    throw fail(at, "refuses opcode \(n): it builds objects of arbitrary classes, which a checkpoint of weights does not need")
                }
                throw fail(at, String(format: "unknown pickle opcode 0x%02x: the file is corrupt or not a pickle", op))
            }
        }
    }
}
