import Foundation
import ZWalkEngine
import ZWalkFormats

/// A model's own float initializers scaled by `factor`, written as safetensors: weights that bind
/// onto the model by name and change its pictures (what a fine-tuned checkpoint does).
public func writeScaledWeights(of model: String, by factor: Float, to file: String) throws {
    let m = try ONNXLoader.load(path: model)
    var tensors: [String: Tensor] = [:]
    for (name, t) in m.graph.initializers where t.dtype == .float32 {
        tensors[name] = Tensor(shape: t.shape, floats: t.floatArray.map { $0 * factor })
    }
    try Safetensors.encode(tensors).write(to: URL(fileURLWithPath: file))
}
