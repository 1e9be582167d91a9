import Foundation
import ZWalkEngine

/// Reads ONNX models (ModelProto) into the engine's `Model`, and single TensorProto files (the
/// ONNX backend test data's inputs and outputs). Field numbers follow onnx.proto as shipped with
/// onnx 1.23. Unknown fields are skipped; what zwalk cannot represent (string tensors, sparse
/// initializers, function attribute references, …) is refused with an error saying so.
public enum ONNXLoader {
    public struct Options: Sendable {
        /// Accept initializers holding NaN or ±inf. Off by default: a NaN weight means a diverged
        /// training run or a corrupt file, and would otherwise surface as a black image much later.
        public var allowNonFiniteWeights: Bool

        public init(allowNonFiniteWeights: Bool = false) {
            self.allowNonFiniteWeights = allowNonFiniteWeights
        }
    }

    /// Nested subgraphs (If/Loop bodies) deeper than this are refused rather than recursed into,
    /// so a crafted file cannot exhaust the stack.
    static let maxGraphDepth = 32

    public static func load(path: String) throws -> Model {
        try load(path: path, options: Options())
    }

    public static func load(path: String, options: Options) throws -> Model {
        let data = try readFile(path, what: "model")
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try load(data: data, source: path, baseDirectory: dir, options: options)
    }

    public static func load(data: Data, source: String, baseDirectory: String?) throws -> Model {
        try load(data: data, source: source, baseDirectory: baseDirectory, options: Options())
    }

    public static func load(data: Data, source: String, baseDirectory: String?, options: Options) throws -> Model {
        let ctx = ONNXLoadContext(file: source, baseDirectory: baseDirectory, options: options)
        return try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) throws -> Model in
            guard !buf.isEmpty else { throw FormatError(file: source, message: "the file is empty") }
            let kind = FileSniffer.kind(of: buf)
            if let hint = FileSniffer.onnxHint(for: kind) {
                throw FormatError(file: source, offset: 0, message: "not an ONNX model", hint: hint)
            }
            var r = ProtobufReader(buffer: buf, range: 0..<buf.count, file: source, place: "ModelProto")
            do {
                var model = try readModel(&r, ctx)
                model.source = source
                return model
            } catch var e as FormatError where e.hint == nil && source.lowercased().hasSuffix(".pb") {
                e.hint = "a .pb file is usually a serialized TensorProto (ONNX test data), not a model; tensors are read with ONNXLoader.loadTensor"
                throw e
            }
        }
    }

    /// A serialized TensorProto file (`input_0.pb` in the ONNX backend test data).
    public static func loadTensor(path: String) throws -> Tensor {
        try loadNamedTensor(path: path).tensor
    }

    /// A serialized TensorProto file with its name and declared ONNX element type code.
    public static func loadNamedTensor(path: String) throws -> (name: String, elementType: Int, tensor: Tensor) {
        let data = try readFile(path, what: "tensor")
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let ctx = ONNXLoadContext(file: path, baseDirectory: dir, options: Options(allowNonFiniteWeights: true))
        return try data.withUnsafeBytes { buf in
            var r = ProtobufReader(buffer: buf, range: 0..<buf.count, file: path, place: "TensorProto")
            let fields = try TensorProtoFields.read(&r)
            let d = try ctx.decode(fields, r)
            return (fields.name, d.elementType, d.tensor)
        }
    }

    static func readFile(_ path: String, what: String) throws -> Data {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FormatError(file: path, message: "no such file")
        }
        if isDir.boolValue {
            let inside = path + "/model.onnx"
            throw FormatError(file: path, message: "is a directory, not a \(what) file",
                              hint: FileManager.default.fileExists(atPath: inside) ? "did you mean \(inside)?" : nil)
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw FormatError(file: path, message: "cannot read: \(fileErrorReason(error))")
        }
    }

    // MARK: ModelProto

    static func readModel(_ r: inout ProtobufReader, _ ctx: ONNXLoadContext) throws -> Model {
        var irVersion = 0
        var opsets: [String: Int] = [:]
        var producer = "", producerVersion = ""
        var metadata: [String: String] = [:]
        var graph: Graph?
        var graphStarted = false
        do {
            while let f = try r.nextField() {
                switch f.number {
                case 1:
                    try r.expect(f, .varint, "ir_version")
                    irVersion = Int(try r.int64("ir_version"))
                case 2:
                    try r.expect(f, .lengthDelimited, "producer_name"); producer = try r.string("producer_name")
                case 3:
                    try r.expect(f, .lengthDelimited, "producer_version"); producerVersion = try r.string("producer_version")
                case 7:
                    try r.expect(f, .lengthDelimited, "graph")
                    graphStarted = true
                    var g = r.nested(try r.lengthDelimited("graph"), place: "GraphProto")
                    graph = try readGraph(&g, ctx, depth: 0)
                case 8:
                    try r.expect(f, .lengthDelimited, "opset_import")
                    var o = r.nested(try r.lengthDelimited("opset_import"), place: "OperatorSetIdProto")
                    var domain = "", version = 0
                    while let g = try o.nextField() {
                        switch g.number {
                        case 1: try o.expect(g, .lengthDelimited, "domain"); domain = try o.string("domain")
                        case 2: try o.expect(g, .varint, "version"); version = Int(try o.int64("version"))
                        default: try o.skip(g)
                        }
                    }
                    opsets[domain == "ai.onnx" ? "" : domain] = version
                case 14:
                    try r.expect(f, .lengthDelimited, "metadata_props")
                    var e = r.nested(try r.lengthDelimited("metadata_props"), place: r.place)
                    let (k, v) = try readStringPair(&e, "metadata_props")
                    metadata[k] = v
                default:
                    try r.skip(f)
                }
            }
        } catch let e as FormatError where !graphStarted {
            // Bytes that fail before any graph (a README, a TensorProto) are not a model with a
            // broken field: say that first, and keep where parsing stopped as the detail.
            throw notAModel(r.file, detail: e.located, hint: e.hint)
        }
        guard let g = graph else {
            throw notAModel(r.file, detail: "ModelProto at byte \(r.position): the message ends without field 7 (graph)",
                            hint: "a serialized TensorProto (.pb test data) is read with ONNXLoader.loadTensor; a model is exported with torch.onnx.export")
        }
        // IR versions 1–2 predate opset_import and mean the default domain at opset 1.
        if opsets.isEmpty { opsets[""] = 1 }
        let prod = producerVersion.isEmpty ? producer : producer + " " + producerVersion
        return Model(graph: g, opsets: opsets, metadata: metadata, producer: prod, irVersion: irVersion, source: r.file)
    }

    /// The error for a file that holds no ONNX graph, naming the file; `detail` says where and why
    /// the search for one ended.
    static func notAModel(_ file: String, detail: String, hint: String?) -> FormatError {
        FormatError(file: file, message: "not an ONNX model (no graph found)", detail: detail, hint: hint)
    }

    // MARK: GraphProto

    static func readGraph(_ r: inout ProtobufReader, _ ctx: ONNXLoadContext, depth: Int) throws -> Graph {
        var name = ""
        var nodes: [Node] = []
        var initializers: [String: Tensor] = [:]
        var inputs: [ValueInfo] = [], outputs: [ValueInfo] = []
        let prefix = r.place == "GraphProto" ? "" : r.place + " > "
        while let f = try r.nextField() {
            switch f.number {
            case 1:
                try r.expect(f, .lengthDelimited, "node")
                var n = r.nested(try r.lengthDelimited("node"), place: prefix + "NodeProto #\(nodes.count)")
                nodes.append(try readNode(&n, ctx, depth: depth))
            case 2:
                try r.expect(f, .lengthDelimited, "name"); name = try r.string("name")
            case 5:
                try r.expect(f, .lengthDelimited, "initializer")
                var t = r.nested(try r.lengthDelimited("initializer"), place: prefix + "initializer #\(initializers.count)")
                let fields = try TensorProtoFields.read(&t)
                t.place = prefix + "TensorProto '\(fields.name)'"
                guard !fields.name.isEmpty else {
                    throw t.error("name", at: fields.offset, "initializer has no name")
                }
                guard initializers[fields.name] == nil else {
                    throw t.error("name", at: fields.offset, "a second initializer is named '\(fields.name)'")
                }
                let d = try ctx.decode(fields, t)
                if !ctx.options.allowNonFiniteWeights { try checkFinite(d, name: fields.name, place: t.place, ctx) }
                initializers[fields.name] = d.tensor
            case 11, 12:
                let which = f.number == 11 ? "input" : "output"
                try r.expect(f, .lengthDelimited, which)
                let list = f.number == 11 ? inputs : outputs
                var v = r.nested(try r.lengthDelimited(which), place: prefix + "graph \(which) #\(list.count)")
                let vi = try readValueInfo(&v)
                if f.number == 11 { inputs.append(vi) } else { outputs.append(vi) }
            case 15:
                throw r.error("sparse_initializer", at: f.offset,
                              "sparse initializers are not supported; re-export with dense weights (onnx.helper / numpy_helper can densify them)")
            default:
                try r.skip(f) // doc_string, value_info, quantization_annotation, metadata_props
            }
        }
        return Graph(name: name, nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs)
    }

    /// NaN or ±inf in a weight: named by tensor, element index and (for raw data) the byte.
    static func checkFinite(_ d: DecodedTensor, name: String, place: String, _ ctx: ONNXLoadContext) throws {
        let t = d.tensor
        guard t.dtype == .float32 else { return }
        let v = t.floats
        // A fast all-finite check first (vectorisable sum of x*0), the precise search only on failure.
        var acc: Float = 0
        for x in v { acc += x * 0 }
        if acc == 0 { return }
        guard let i = v.firstIndex(where: { !$0.isFinite }) else { return }
        var index: [Int] = [], rest = i
        for s in Shape.strides(t.shape) { index.append(rest / max(s, 1)); rest %= max(s, 1) }
        let what = v[i].isNaN ? "NaN" : (v[i] > 0 ? "+inf" : "-inf")
        let bad = v.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        let external = d.dataFile != ctx.file
        throw FormatError(file: d.dataFile, place: external ? "\(place) (external data of \(ctx.file))" : place,
                          offset: d.stride > 0 ? d.dataOffset + i * d.stride : d.dataOffset,
                          message: "weight holds \(what) at element \(i) (index \(index)); \(bad) of \(t.count) values are not finite",
                          hint: "the checkpoint is corrupt or training diverged; export from a good checkpoint (or load with allowNonFiniteWeights if the values are intended)")
    }

    // MARK: NodeProto

    static func readNode(_ r: inout ProtobufReader, _ ctx: ONNXLoadContext, depth: Int) throws -> Node {
        var name = "", opType = "", domain = ""
        var inputs: [String] = [], outputs: [String] = []
        var attributes: [String: AttributeValue] = [:]
        let basePlace = r.place
        func updatePlace() {
            if !name.isEmpty || !opType.isEmpty {
                let prefix = basePlace.components(separatedBy: "NodeProto #").first ?? ""
                r.place = prefix + "NodeProto '\(name.isEmpty ? (outputs.first ?? "") : name)'" + (opType.isEmpty ? "" : " (\(opType))")
            }
        }
        while let f = try r.nextField() {
            switch f.number {
            case 1: try r.expect(f, .lengthDelimited, "input"); inputs.append(try r.string("input"))
            case 2: try r.expect(f, .lengthDelimited, "output"); outputs.append(try r.string("output"))
            case 3: try r.expect(f, .lengthDelimited, "name"); name = try r.string("name"); updatePlace()
            case 4: try r.expect(f, .lengthDelimited, "op_type"); opType = try r.string("op_type"); updatePlace()
            case 7: try r.expect(f, .lengthDelimited, "domain"); domain = try r.string("domain")
            case 5:
                try r.expect(f, .lengthDelimited, "attribute")
                var a = r.nested(try r.lengthDelimited("attribute"), place: r.place + " attribute #\(attributes.count)")
                let (k, v) = try readAttribute(&a, ctx, depth: depth, nodePlace: r.place)
                attributes[k] = v
            default:
                try r.skip(f) // overload, doc_string, metadata_props, device_configurations
            }
        }
        if opType.isEmpty {
            throw r.error("op_type", at: r.end, "node has no op_type")
        }
        return Node(name: name, opType: opType, domain: domain, inputs: inputs, outputs: outputs, attributes: attributes)
    }

    // MARK: AttributeProto

    static let attributeTypeNames: [Int: String] = [
        0: "UNDEFINED", 1: "FLOAT", 2: "INT", 3: "STRING", 4: "TENSOR", 5: "GRAPH", 6: "FLOATS", 7: "INTS",
        8: "STRINGS", 9: "TENSORS", 10: "GRAPHS", 11: "SPARSE_TENSOR", 12: "SPARSE_TENSORS", 13: "TYPE_PROTO",
        14: "TYPE_PROTOS",
    ]

    static func readAttribute(_ r: inout ProtobufReader, _ ctx: ONNXLoadContext, depth: Int, nodePlace: String) throws -> (String, AttributeValue) {
        let start = r.position
        var name = ""
        var type = 0
        var f: Float?, i: Int64?, s: String?
        var t: Range<Int>?, g: Range<Int>?
        var floats: [Float] = [], ints: [Int64] = [], strings: [String] = []
        var seen = Set<Int>()
        var refAttr: String?
        while let fl = try r.nextField() {
            seen.insert(fl.number)
            switch fl.number {
            case 1:
                try r.expect(fl, .lengthDelimited, "name"); name = try r.string("name")
                r.place = nodePlace + " attribute '\(name)'"
            case 20: try r.expect(fl, .varint, "type"); type = Int(try r.int32("type"))
            case 2: try r.expect(fl, .fixed32, "f"); f = try r.float("f")
            case 3: try r.expect(fl, .varint, "i"); i = try r.int64("i")
            case 4: try r.expect(fl, .lengthDelimited, "s"); s = try r.string("s")
            case 5: try r.expect(fl, .lengthDelimited, "t"); t = try r.lengthDelimited("t")
            case 6: try r.expect(fl, .lengthDelimited, "g"); g = try r.lengthDelimited("g")
            case 7: try r.repeatedFloat(fl, "floats", into: &floats)
            case 8: try r.repeatedVarint(fl, "ints", into: &ints)
            case 9: try r.expect(fl, .lengthDelimited, "strings"); strings.append(try r.string("strings"))
            case 21: try r.expect(fl, .lengthDelimited, "ref_attr_name"); refAttr = try r.string("ref_attr_name")
            default: try r.skip(fl)
            }
        }
        if let ref = refAttr {
            throw r.error("ref_attr_name", at: start, "refers to function attribute '\(ref)'; attribute references only belong inside function bodies and are not supported")
        }
        guard !name.isEmpty else { throw r.error("name", at: start, "attribute has no name") }
        if type == 0 {
            // Files from before the `type` field: infer it from the field that is present.
            let byField: [(Int, Int)] = [(5, 4), (6, 5), (4, 3), (3, 2), (2, 1), (7, 6), (8, 7), (9, 8),
                                         (10, 9), (11, 10), (22, 11), (23, 12), (14, 13), (15, 14)]
            guard let match = byField.first(where: { seen.contains($0.0) }) else {
                throw r.error("type", at: start, "attribute has neither a type nor a value")
            }
            type = match.1
        }
        let value: AttributeValue
        switch type {
        case 1: value = .float(f ?? 0)
        case 2: value = .int(Int(i ?? 0))
        case 3: value = .string(s ?? "")
        case 4:
            guard let range = t else { throw r.error("t", at: start, "attribute of type TENSOR has no tensor") }
            var tr = r.nested(range, place: r.place + " tensor")
            let fields = try TensorProtoFields.read(&tr)
            tr.place = r.place + " tensor"
            value = .tensor(try ctx.decode(fields, tr).tensor)
        case 5:
            guard let range = g else { throw r.error("g", at: start, "attribute of type GRAPH has no graph") }
            guard depth < maxGraphDepth else {
                throw r.error("g", at: range.lowerBound, "subgraphs are nested more than \(maxGraphDepth) deep")
            }
            var gr = r.nested(range, place: r.place)
            value = .graph(try readGraph(&gr, ctx, depth: depth + 1))
        case 6: value = .floats(floats)
        case 7: value = .ints(ints.map { Int($0) })
        case 8: value = .strings(strings)
        default:
            let tn = attributeTypeNames[type] ?? "type \(type)"
            throw r.error("type", at: start, "attribute of type \(tn) is not supported")
        }
        return (name, value)
    }

    // MARK: ValueInfoProto / TypeProto

    static func readValueInfo(_ r: inout ProtobufReader) throws -> ValueInfo {
        var name = ""
        var elemType = 0
        var dims: [Dim]?
        var isTensor = false
        while let f = try r.nextField() {
            switch f.number {
            case 1:
                try r.expect(f, .lengthDelimited, "name"); name = try r.string("name")
                r.place = r.place.components(separatedBy: " #").first.map { $0 + " '\(name)'" } ?? r.place
            case 2:
                try r.expect(f, .lengthDelimited, "type")
                var tp = r.nested(try r.lengthDelimited("type"), place: r.place + " type")
                while let g = try tp.nextField() {
                    if g.number == 1 { // tensor_type; sequence/map/optional/sparse/opaque stay non-tensor
                        try tp.expect(g, .lengthDelimited, "tensor_type")
                        isTensor = true
                        var tt = tp.nested(try tp.lengthDelimited("tensor_type"), place: tp.place)
                        while let h = try tt.nextField() {
                            switch h.number {
                            case 1: try tt.expect(h, .varint, "elem_type"); elemType = Int(try tt.int32("elem_type"))
                            case 2:
                                try tt.expect(h, .lengthDelimited, "shape")
                                var sh = tt.nested(try tt.lengthDelimited("shape"), place: tt.place + " shape")
                                dims = try readShape(&sh)
                            default: try tt.skip(h)
                            }
                        }
                    } else {
                        try tp.skip(g)
                    }
                }
            default:
                try r.skip(f)
            }
        }
        return ValueInfo(name: name, dtype: isTensor ? ONNXElementType.engineType(elemType) : nil,
                         elementType: isTensor ? elemType : 0, dims: isTensor ? dims : nil)
    }

    static func readShape(_ r: inout ProtobufReader) throws -> [Dim] {
        var dims: [Dim] = []
        while let f = try r.nextField() {
            guard f.number == 1 else { try r.skip(f); continue }
            try r.expect(f, .lengthDelimited, "dim")
            var d = r.nested(try r.lengthDelimited("dim"), place: r.place + " dim \(dims.count)")
            var dim = Dim.symbolic("")
            while let g = try d.nextField() {
                switch g.number {
                case 1:
                    try d.expect(g, .varint, "dim_value")
                    let v = try d.int64("dim_value")
                    // Some converters write -1 for "unknown"; read it as an unnamed dynamic dimension.
                    dim = v >= 0 ? .fixed(Int(v)) : .symbolic("")
                case 2:
                    try d.expect(g, .lengthDelimited, "dim_param"); dim = .symbolic(try d.string("dim_param"))
                default: try d.skip(g)
                }
            }
            dims.append(dim)
        }
        return dims
    }
}
