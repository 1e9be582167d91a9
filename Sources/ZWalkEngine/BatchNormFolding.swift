/// An inference BatchNormalization right after a Conv or ConvTranspose is folded into the
/// convolution's weight and bias when a plan is compiled:
///   BN(W∗x + b) = (a·W)∗x + a·(b − mean) + B,   a = scale / sqrt(var + ε), per output channel
/// so the normalisation costs nothing at run time, and an activation after it (DCGAN's
/// ConvTranspose → BatchNorm → Relu) can then fuse into the convolution too.
///
/// Folded only when everything is known at load time and nobody can tell: the weight, the bias
/// (if any) and the four statistics are initializers, the BN is in inference form over channels,
/// and the convolution's own output is read by the BN alone and is neither a graph output nor a
/// value the caller keeps.
///
/// Memory: a folded weight is a new tensor beside the model's, made only when the planner reaches
/// its convolution. Most convolution kernels copy their weight into a form of their own when they
/// are built (`WeightCopying`); for those the planner drops the folded tensor as soon as the kernel
/// exists, so folding adds nothing to a plan's memory.
enum BatchNormFolding {
    /// One Conv/ConvTranspose → BatchNormalization pair to fold.
    struct Fold {
        let conv: Node, bn: Node
        /// Per output channel: the factor on the weight and the bias that replaces the old one.
        let scale: [Float], bias: [Float]
        let transposed: Bool, groups: Int
    }

    struct Result {
        /// The nodes in execution order, each folded pair replaced by one convolution node that
        /// reads the new weight and bias (names no other value has) and writes the BN's output.
        var order: [Node]
        /// Keyed by the new weight's name.
        var folds: [String: Fold] = [:]
    }

    static func fold(_ order: [Node], initializers: [String: Tensor], readers: [String: Int],
                     visible: Set<String>, opset: (String) -> Int) -> Result {
        var producer: [String: Int] = [:]
        for (i, n) in order.enumerated() { for o in n.outputs where !o.isEmpty { producer[o] = i } }
        var result = Result(order: [])
        var replaced: [Int: Node] = [:], dropped: Set<Int> = []
        var taken = Set(initializers.keys)
        for n in order { taken.formUnion(n.outputs) }
        func unique(_ base: String) -> String {
            var name = base, k = 1
            while taken.contains(name) { name = "\(base)#\(k)"; k += 1 }
            taken.insert(name)
            return name
        }
        for (i, bn) in order.enumerated() where bn.opType == "BatchNormalization" && isDefaultDomain(bn.domain) {
            guard bn.inputs.count == 5, let x = bn.inputs.first, let p = producer[x], replaced[p] == nil,
                  readers[x] == 1, !visible.contains(x),
                  let f = fold(order[p], bn, initializers: initializers, opset: opset) else { continue }
            var conv = order[p]
            let weightName = unique("\(conv.inputs[1])\u{0}folded \(bn.displayName)")
            let biasName = unique("\(conv.displayName)\u{0}bias folded \(bn.displayName)")
            result.folds[weightName] = f
            conv.inputs = [conv.inputs[0], weightName, biasName]
            conv.outputs = [bn.outputs[0]]
            replaced[p] = conv
            dropped.insert(i)
        }
        result.order = order.indices.filter { !dropped.contains($0) }.map { replaced[$0] ?? order[$0] }
        return result
    }

    private static func isDefaultDomain(_ d: String) -> Bool { d.isEmpty || d == "ai.onnx" }

    /// The pair's fold, or nil when it cannot be folded.
    private static func fold(_ conv: Node, _ bn: Node, initializers: [String: Tensor],
                             opset: (String) -> Int) -> Fold? {
        guard conv.opType == "Conv" || conv.opType == "ConvTranspose", isDefaultDomain(conv.domain),
              conv.outputs.count == 1, conv.inputs.count >= 2,
              let w = initializers[conv.inputs[1]], w.dtype == .float32, w.rank >= 3 else { return nil }
        let bias: Tensor?
        if conv.inputs.count >= 3 && !conv.inputs[2].isEmpty {
            guard let b = initializers[conv.inputs[2]], b.dtype == .float32 else { return nil }
            bias = b
        } else {
            bias = nil
        }
        // inference over channels only: no training outputs or mode, spatial (before opset 9)
        let bnOpset = opset(bn.domain)
        if bn.outputs.dropFirst().contains(where: { !$0.isEmpty }) { return nil }
        if bnOpset >= 14, case .int(let t)? = bn.attributes["training_mode"], t != 0 { return nil }
        if bnOpset < 9, case .int(let s)? = bn.attributes["spatial"], s == 0 { return nil }
        if bnOpset < 7, case .int(let t)? = bn.attributes["is_test"], t == 0 { return nil }
        var stats: [[Float]] = []
        for name in bn.inputs[1...4] {
            guard let t = initializers[name], t.dtype == .float32 else { return nil }
            stats.append(Array(t.floats))
        }
        let epsilon: Float
        switch bn.attributes["epsilon"] {
        case .float(let e)?: epsilon = e
        case nil: epsilon = 1e-5
        default: return nil
        }
        var groups = 1
        if case .int(let g)? = conv.attributes["group"] { groups = g }
        guard groups >= 1, w.shape[0] % groups == 0 else { return nil }
        let transposed = conv.opType == "ConvTranspose"
        let outChannels = transposed ? w.shape[1] * groups : w.shape[0]
        guard stats.allSatisfy({ $0.count == outChannels }), bias.map({ $0.count == outChannels }) ?? true else { return nil }
        let (a, shift) = NormalizationOps.foldBatchNorm(scale: stats[0], bias: stats[1], mean: stats[2],
                                                        variance: stats[3], epsilon: epsilon)
        // a·(b − mean) + B = a·b + (B − mean·a)
        let newBias = (0..<outChannels).map { c in Float(Double(a[c]) * Double(bias?.floats[c] ?? 0) + Double(shift[c])) }
        return Fold(conv: conv, bn: bn, scale: a, bias: newBias, transposed: transposed, groups: groups)
    }

    /// The folded weight: the convolution's, times its output channel's factor.
    static func weight(_ f: Fold, initializers: [String: Tensor]) -> Tensor {
        let w = initializers[f.conv.inputs[1]]!
        let inner = w.shape[2...].reduce(1, *), second = w.shape[1], perGroup = w.shape[0] / f.groups
        let src = w.floats
        let folded = Tensor(shape: w.shape)
        let dst = folded.floats
        for i in 0..<w.shape[0] {
            for j in 0..<second {
                // Conv: (Cout, Cin/g, k…); ConvTranspose: (Cin, Cout/g, k…), input channel i in group i / (Cin/g)
                let channel = f.transposed ? (i / perGroup) * second + j : i
                let s = Double(f.scale[channel])
                let base = (i * second + j) * inner
                for e in 0..<inner { dst[base + e] = Float(Double(src[base + e]) * s) }
            }
        }
        return folded
    }
}
