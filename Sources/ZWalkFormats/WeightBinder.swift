import Foundation
import ZWalkEngine

/// The tensors a weights file offers, by name, in the file's order, each read only when bound.
/// A safetensors file and a PyTorch checkpoint both become one, so one binder serves both.
public struct WeightSource {
    public let file: String
    /// In the file's order (a state dict's order is its modules' order; the binder relies on it to
    /// pair a BatchNorm with the convolution before it).
    public let names: [String]
    public let shapes: [String: [Int]]
    public let dtypes: [String: DType]
    /// "safetensors", "PyTorch checkpoint (zip)", …
    public var kind = "weights"
    /// What else the file says at its top level ("epoch = 7"), for `zwalk info`.
    public var entries: [String] = []
    let load: (String) throws -> Tensor

    public init(file: String, names: [String], shapes: [String: [Int]], dtypes: [String: DType], load: @escaping (String) throws -> Tensor) {
        self.file = file; self.names = names; self.shapes = shapes; self.dtypes = dtypes; self.load = load
    }

    /// Tensors already in memory (names sorted).
    public init(tensors: [String: Tensor], file: String) {
        self.init(file: file, names: tensors.keys.sorted(), shapes: tensors.mapValues(\.shape), dtypes: tensors.mapValues(\.dtype)) { name in
            guard let t = tensors[name] else { throw FormatError(file: file, place: "tensor '\(name)'", message: "is not in the file") }
            return t
        }
    }
}

extension TorchCheckpoint {
    /// Every tensor of the checkpoint (its dotted paths), read and converted when bound.
    public var weights: WeightSource {
        var shapes: [String: [Int]] = [:], dtypes: [String: DType] = [:]
        for n in names {
            shapes[n] = shape(n)
            dtypes[n] = storedType(n)?.engineType
        }
        var w = WeightSource(file: source, names: names, shapes: shapes, dtypes: dtypes) { [self] in try tensor($0) }
        w.kind = "PyTorch checkpoint (\(format == .zip ? "zip archive" : "legacy format"))"
        w.entries = scalars.map { "\($0.key) = \($0.value)" }
        return w
    }
}

/// How an initializer of the graph found its tensor in the file.
public enum BindRule: String, CaseIterable, Sendable {
    /// The same name.
    case exact = "exact name"
    /// The same name once wrappers' `module.`, `model.` and `_orig_mod.` are taken off both.
    case prefix = "name without module./model. prefixes"
    /// One name ends with the other's dotted segments (`fc3.weight` ↔ `decoder.fc3.weight`), the only
    /// such tensor with the initializer's shape.
    case suffix = "dotted-name suffix, confirmed by shape"
    /// An initializer the exporter named itself (`onnx::Conv_25`), matched by shape among the
    /// tensors of the matched module's part of the file (in order when several share the shape).
    case shape = "shape (an initializer the exporter renamed)"
    /// A convolution the exporter merged with the BatchNorm after it: the file's convolution and
    /// BatchNorm folded the same way.
    case batchNormFold = "BatchNorm folded into the convolution"

    /// A word or two for one-line summaries.
    public var short: String {
        switch self {
        case .exact: return "exact name"
        case .prefix: return "name without prefix"
        case .suffix: return "name suffix"
        case .shape: return "shape"
        case .batchNormFold: return "BatchNorm fold"
        }
    }
}

/// What binding a weights file onto a model did.
public struct BindReport: CustomStringConvertible, Equatable, Sendable {
    public struct Mapping: Equatable, Sendable {
        /// The graph's initializer.
        public var initializer: String
        /// The file's tensor (for a folded BatchNorm: the convolution's, then the BatchNorm's prefix).
        public var tensor: String
        public var rule: BindRule
    }

    /// Initializers whose values now come from the file.
    public var bound: [String]
    /// Tensors in the file that the model has no initializer for (skipped).
    public var unusedInFile: [String]
    /// Initializers the file does not provide: they keep the model's own values.
    public var notCovered: [String]
    /// Each bound initializer, its tensor and the rule that matched them, in graph order.
    public var mappings: [Mapping] = []
    /// The file's name, kind and top-level entries (WeightSource.kind, .entries).
    public var fileName = "the weights file"
    public var fileKind = "weights"
    public var fileEntries: [String] = []
    /// The BatchNorm epsilon used in folds (not stored in state dicts).
    public static let batchNormEpsilon: Float = 1e-5

    public init(bound: [String], unusedInFile: [String], notCovered: [String], mappings: [Mapping] = []) {
        self.bound = bound; self.unusedInFile = unusedInFile; self.notCovered = notCovered; self.mappings = mappings
    }

    /// How many initializers each rule bound, in the rules' order.
    public var ruleCounts: [(rule: BindRule, count: Int)] {
        BindRule.allCases.compactMap { r in
            let n = mappings.filter { $0.rule == r }.count
            return n > 0 ? (r, n) : nil
        }
    }

    /// Unused tensors grouped by their first name segment ("optimizer_states.*" → 36).
    public var unusedGroups: [(prefix: String, count: Int)] {
        var order: [String] = [], counts: [String: Int] = [:]
        for n in unusedInFile {
            let head = n.split(separator: ".", maxSplits: 1).count > 1 ? String(n.split(separator: ".")[0]) + ".*" : n
            if counts[head] == nil { order.append(head) }
            counts[head, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    public var description: String {
        func names(_ list: [String]) -> String {
            list.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (list.count > 5 ? ", …" : "")
        }
        var s = "\(bound.count) initializer(s) from \(fileName)"
        let counts = ruleCounts
        if counts.count > 1 || counts.first.map({ $0.rule != .exact }) ?? false {
            s += " (" + counts.map { "\($0.count) by \($0.rule.short)" }.joined(separator: ", ") + ")"
        }
        if !unusedInFile.isEmpty {
            let groups = unusedGroups
            s += "; \(unusedInFile.count) tensor(s) in the file unused ("
            s += groups.count < unusedInFile.count ? groups.prefix(5).map { "\($0.prefix) \($0.count)" }.joined(separator: ", ") + (groups.count > 5 ? ", …" : "")
                : names(unusedInFile)
            s += ")"
        }
        if !notCovered.isEmpty { s += "; \(notCovered.count) initializer(s) kept from the model (\(names(notCovered)))" }
        return s
    }
}

/// Binds a weights file onto the graph's initializers by name, with the mappings real exports need
/// (see `BindRule`, tried in that order). Weight-like initializers (float, rank ≥ 1) are bound;
/// integer and scalar initializers are exporter constants (shapes, axes) and keep their values.
/// Tensors of the file the graph does not use (an encoder's, an optimizer's) are skipped and
/// counted. A weight the file lacks (unless `allowMissing`), an ambiguous match, or a shape or
/// type that differs is an error listing every such initializer; nothing is bound partially.
public enum WeightBinder {
    /// Segments that wrappers put in front of parameter names.
    static let wrapperSegments: Set<String> = ["module", "model", "_orig_mod"]

    public static func bind(_ w: WeightSource, onto model: Model, allowMissing: Bool = false) throws -> (Model, BindReport) {
        let g = model.graph
        let inits = g.initializers
        // The weights, in graph order (the order the nodes use them), then any left.
        var order: [String] = []
        var seen = Set<String>()
        for n in g.nodes { for i in n.inputs where inits[i] != nil && seen.insert(i).inserted { order.append(i) } }
        order += inits.keys.sorted().filter { !seen.contains($0) }
        let wanted = order.filter { inits[$0]!.dtype == .float32 && inits[$0]!.rank >= 1 }
        let position = Dictionary(uniqueKeysWithValues: w.names.enumerated().map { ($1, $0) })

        var problems: [String] = []
        /// Initializers a problem already names (not listed again as missing).
        var named = Set<String>()
        var match: [String: (key: String, rule: BindRule)] = [:]
        var used = Set<String>()
        func take(_ gname: String, _ key: String, _ rule: BindRule) { match[gname] = (key, rule); used.insert(key) }
        func isFloat(_ k: String) -> Bool { w.dtypes[k] == .float32 }
        /// Among the tensors whose names fit, the one of the initializer's shape; else a problem.
        func choose(_ gname: String, _ shape: [Int], among candidates: [String], _ rule: BindRule) {
            named.insert(gname)
            let fit = candidates.filter { w.shapes[$0] == shape }
            if fit.count == 1 { take(gname, fit[0], rule); return }
            problems.append(fit.isEmpty
                ? "'\(gname)' \(shape): the file's \(list(candidates.map { "'\($0)' \(w.shapes[$0]!)" })) differ in shape"
                : "'\(gname)' \(shape): ambiguous, the file has \(list(fit.map { "'\($0)'" }))")
        }

        // 1–3: by name. Exact, then without wrapper prefixes, then by dotted suffix with the shape.
        let segments = Dictionary(uniqueKeysWithValues: w.names.map { ($0, stripped($0)) })
        var byNormal: [String: [String]] = [:], byLast: [String: [String]] = [:]
        for k in w.names {
            byNormal[segments[k]!.joined(separator: "."), default: []].append(k)
            if let l = segments[k]!.last { byLast[l, default: []].append(k) }
        }
        for gname in wanted {
            let shape = inits[gname]!.shape
            if w.shapes[gname] != nil {
                named.insert(gname)
                guard isFloat(gname) else {
                    problems.append("'\(gname)': the file's tensor is \(w.dtypes[gname].map(\.description) ?? "?") but the model's initializer is float32")
                    continue
                }
                guard w.shapes[gname] == shape else {
                    problems.append("'\(gname)': the file's tensor has shape \(w.shapes[gname]!) but the model's initializer has shape \(shape)")
                    continue
                }
                take(gname, gname, .exact); continue
            }
            let gs = stripped(gname)
            let sameNormal = (byNormal[gs.joined(separator: ".")] ?? []).filter { isFloat($0) && !used.contains($0) }
            if !sameNormal.isEmpty { choose(gname, shape, among: sameNormal, .prefix); continue }
            guard let last = gs.last else { continue }
            let bySuffix = (byLast[last] ?? []).filter { k in
                let ks = segments[k]!
                let shorter = min(ks.count, gs.count)
                return shorter >= 2 && isFloat(k) && !used.contains(k) && ks.suffix(shorter) == gs.suffix(shorter)
            }
            if !bySuffix.isEmpty { choose(gname, shape, among: bySuffix, .suffix) }
        }
        if match.isEmpty && !wanted.isEmpty && !w.names.isEmpty && problems.isEmpty {
            let fileNames = w.names.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
            let modelNames = wanted.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
            throw FormatError(file: w.file, message: "none of its \(w.names.count) tensor names matches an initializer of \(model.source)",
                              hint: "the file has \(fileNames)…, the model has \(modelNames)…; export the ONNX model from the same module so that parameter names are kept")
        }

        // The part of the file the matched names live in (`state_dict.decoder.` in a Lightning
        // checkpoint of a VAE): renamed initializers are looked for there only, so an encoder's or
        // an optimizer's tensors of the same shape are not candidates.
        let part = commonPrefix(match.values.map(\.key))
        let batchNorms = batchNormGroups(w, order: position)
        let bnTensors = Set(batchNorms.values.flatMap { p in ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"].map { p + $0 } })
        // A BatchNorm whose statistics the graph takes by name is a node of the graph, not folded.
        let folded = batchNorms.filter { !used.contains($0.value + "running_mean") }
        func pool(weightsOnly: Bool) -> [String] {
            w.names.filter { $0.hasPrefix(part) && isFloat($0) && !used.contains($0) && !bnTensors.contains($0)
                && (!weightsOnly || $0.hasSuffix("weight")) }
        }
        let weightInput: [String: Node] = {
            var m: [String: Node] = [:]
            for n in g.nodes where ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains(n.opType) && n.inputs.count > 1 { m[n.inputs[1]] = n }
            return m
        }()

        // 4a: renamed weights of Conv, ConvTranspose, Gemm and MatMul, by shape among the part's weights.
        if !match.isEmpty {
            bindByShape(wanted.filter { match[$0] == nil && !named.contains($0) && weightInput[$0] != nil }, candidates: pool(weightsOnly: true),
                        shapes: { inits[$0]!.shape }, w: w, take: take, problems: &problems)
        }

        // 5: BatchNorm folded by the exporter into the convolution before it.
        var foldedValues: [String: Tensor] = [:]
        for n in g.nodes where (n.opType == "Conv" || n.opType == "ConvTranspose") && n.inputs.count > 1 {
            guard let m = match[n.inputs[1]], let bn = folded[m.key] else { continue }
            let weight = inits[n.inputs[1]]!
            let outDim = n.opType == "Conv" ? 0 : 1
            let channels = weight.shape[outDim]
            guard w.shapes[bn + "running_mean"] == [channels] else {
                problems.append("'\(n.inputs[1])': BatchNorm '\(bn.dropLast())' has \(w.shapes[bn + "running_mean"] ?? []) statistics for \(channels) channels")
                continue
            }
            if n.opType == "ConvTranspose", (n.attributes["group"].flatMap { if case .int(let v) = $0 { return v } else { return nil } } ?? 1) != 1 {
                problems.append("'\(n.inputs[1])': cannot fold BatchNorm '\(bn.dropLast())' into a grouped ConvTranspose")
                continue
            }
            let biasKey = String(m.key.dropLast("weight".count)) + "bias"
            let hasBias = w.shapes[biasKey] != nil
            guard n.inputs.count > 2, !n.inputs[2].isEmpty, inits[n.inputs[2]] != nil else {
                problems.append("'\(n.inputs[1])': the graph folded BatchNorm '\(bn.dropLast())' into node '\(n.name)', which has no bias initializer to take the fold's shift")
                continue
            }
            do {
                let (fw, fb) = try fold(weight: w.load(m.key), bias: hasBias ? w.load(biasKey) : nil, bn: bn, w: w, outDim: outDim)
                foldedValues[n.inputs[1]] = fw
                foldedValues[n.inputs[2]] = fb
                match[n.inputs[1]] = (m.key, .batchNormFold)
                match[n.inputs[2]] = (bn + "*", .batchNormFold)
                used.formUnion([bn + "weight", bn + "bias", bn + "running_mean", bn + "running_var", bn + "num_batches_tracked"])
                if hasBias { used.insert(biasKey) }
            } catch let e as FormatError { problems.append(e.located) }
        }

        // 4b: any other renamed initializer, by shape among what is left of the part.
        if !match.isEmpty {
            bindByShape(wanted.filter { match[$0] == nil && !named.contains($0) }, candidates: pool(weightsOnly: false), shapes: { inits[$0]!.shape },
                        w: w, take: take, problems: &problems)
        }

        let missing = wanted.filter { match[$0] == nil && !named.contains($0) }
        if !missing.isEmpty && !allowMissing {
            problems.append("lacks \(missing.count) weight(s) of the model: " + list(missing.map { "'\($0)' \(inits[$0]!.shape)" }))
        }
        guard problems.isEmpty else {
            throw FormatError(file: w.file, message: "cannot bind onto \(model.source): " + problems.joined(separator: "; "),
                              hint: "`zwalk info MODEL --weights FILE` lists what matched; the ONNX model must be exported from the module (and configuration) these weights were saved from")
        }
        // Everything is read before anything is replaced.
        var newInits = inits
        for (gname, m) in match {
            newInits[gname] = try foldedValues[gname] ?? w.load(m.key)
        }
        var m = model
        m.graph.initializers = newInits
        let mappings = order.compactMap { gname in match[gname].map { BindReport.Mapping(initializer: gname, tensor: $0.key, rule: $0.rule) } }
        var report = BindReport(bound: match.keys.sorted(), unusedInFile: w.names.filter { !used.contains($0) },
                                notCovered: inits.keys.filter { match[$0] == nil }.sorted(), mappings: mappings)
        report.fileKind = w.kind
        report.fileName = URL(fileURLWithPath: w.file).lastPathComponent
        report.fileEntries = w.entries
        return (m, report)
    }

    /// A name's dotted segments without the wrappers' leading `module.`, `model.`, `_orig_mod.`.
    static func stripped(_ name: String) -> [String] {
        var s = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        while s.count > 1, wrapperSegments.contains(s[0]) { s.removeFirst() }
        return s
    }

    /// "'a', 'b', 'c'" (at most 8, then "…").
    static func list(_ items: [String]) -> String {
        items.prefix(8).joined(separator: ", ") + (items.count > 8 ? ", … (\(items.count) in all)" : "")
    }

    /// The longest common dotted prefix of the names ("state_dict.decoder."), "" when none.
    static func commonPrefix(_ names: [String]) -> String {
        guard var common = names.first.map({ Array($0.split(separator: ".").dropLast()) }) else { return "" }
        for n in names.dropFirst() {
            let s = n.split(separator: ".").dropLast()
            var k = 0
            while k < common.count, k < s.count, common[k] == s[s.startIndex + k] { k += 1 }
            common.removeLast(common.count - k)
        }
        return common.isEmpty ? "" : common.joined(separator: ".") + "."
    }

    /// Each BatchNorm of the file (a prefix with running_mean and running_var) keyed by the
    /// convolution weight just before it in the file's order (rank ≥ 3, as many output channels).
    static func batchNormGroups(_ w: WeightSource, order: [String: Int]) -> [String: String] {
        var out: [String: String] = [:]
        for k in w.names where k.hasSuffix("running_mean") {
            let p = String(k.dropLast("running_mean".count))
            guard w.shapes[p + "running_var"] != nil, let c = w.shapes[k]?.first, let at = order[p + "weight"] ?? order[k] else { continue }
            var i = at - 1
            while i >= 0 {
                let name = w.names[i]
                if !name.hasPrefix(p), name.hasSuffix("weight"), let s = w.shapes[name], s.count >= 3 {
                    if s[0] == c || s[1] == c { out[name] = p }
                    break
                }
                i -= 1
            }
        }
        return out
    }

    /// Initializers matched by shape: the one candidate of that shape, or, when as many
    /// candidates as initializers share a shape, each in its order (graph order, file order).
    static func bindByShape(_ names: [String], candidates: [String], shapes: (String) -> [Int], w: WeightSource,
                            take: (String, String, BindRule) -> Void, problems: inout [String]) {
        var groups: [[Int]: [String]] = [:], shapeOrder: [[Int]] = []
        for n in names {
            if groups[shapes(n)] == nil { shapeOrder.append(shapes(n)) }
            groups[shapes(n), default: []].append(n)
        }
        for s in shapeOrder {
            let gnames = groups[s]!
            let keys = candidates.filter { w.shapes[$0] == s }
            if keys.count == gnames.count {
                for (g, k) in zip(gnames, keys) { take(g, k, .shape) }
            } else if keys.count > gnames.count {
                problems.append("\(list(gnames.map { "'\($0)'" })) \(s): ambiguous by shape, the file has \(list(keys.map { "'\($0)'" }))")
            }
        }
    }

    /// w' = w·γ/√(var+eps) along the output channels, b' = (b − mean)·γ/√(var+eps) + β.
    static func fold(weight: Tensor, bias: Tensor?, bn: String, w: WeightSource, outDim: Int) throws -> (Tensor, Tensor) {
        let mean = try w.load(bn + "running_mean").floatArray, variance = try w.load(bn + "running_var").floatArray
        let c = mean.count
        let gamma = w.shapes[bn + "weight"] != nil ? try w.load(bn + "weight").floatArray : [Float](repeating: 1, count: c)
        let beta = w.shapes[bn + "bias"] != nil ? try w.load(bn + "bias").floatArray : [Float](repeating: 0, count: c)
        guard gamma.count == c, beta.count == c, variance.count == c, bias.map({ $0.count == c }) ?? true else {
            throw FormatError(file: w.file, place: "BatchNorm '\(bn.dropLast())'", message: "its weight, bias and statistics differ in length")
        }
        let scale = (0..<c).map { gamma[$0] / (variance[$0] + BindReport.batchNormEpsilon).squareRoot() }
        let out = Tensor(shape: weight.shape, floats: weight.floatArray)
        let inner = weight.shape[(outDim + 1)...].reduce(1, *)
        let outer = weight.shape[..<outDim].reduce(1, *)
        let f = out.floats
        for o in 0..<outer { for ch in 0..<c { for i in 0..<inner { f[(o * c + ch) * inner + i] *= scale[ch] } } }
        let b = bias?.floatArray ?? [Float](repeating: 0, count: c)
        return (out, Tensor(shape: [c], floats: (0..<c).map { (b[$0] - mean[$0]) * scale[$0] + beta[$0] }))
    }
}

/// A weights file by its kind: safetensors, or a PyTorch checkpoint (`.pt .pth .ckpt .bin`, zip or
/// legacy). An unknown extension is told by its first bytes.
public enum WeightFile {
    public static let extensions = ["pt", "pth", "ckpt", "bin", "safetensors"]

    public static func open(_ path: String) throws -> WeightSource {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if ext == "safetensors" { return safetensors(try Safetensors.read(path: path).tensors, path) }
        if ["pt", "pth", "ckpt", "bin"].contains(ext) { return try TorchCheckpoint(path: path).weights }
        let data = try ONNXLoader.readFile(path, what: "weights")
        switch data.withUnsafeBytes({ FileSniffer.kind(of: $0) }) {
        case .safetensors: return safetensors(try Safetensors.decode(data, source: path).tensors, path)
        case .zip, .pickle: return try TorchCheckpoint(data: data, source: path).weights
        default:
            throw FormatError(file: path, message: "is neither a safetensors file nor a PyTorch checkpoint (weights files are \(extensions.map { "." + $0 }.joined(separator: " ")))",
                              hint: data.first == 0x08 ? "this may be an ONNX model; give it as the model, not as weights" : nil)
        }
    }

    private static func safetensors(_ tensors: [String: Tensor], _ path: String) -> WeightSource {
        var w = WeightSource(tensors: tensors, file: path)
        w.kind = "safetensors"
        return w
    }
}
