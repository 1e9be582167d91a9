import Foundation
import ZWalkEngine
import ZWalkFormats
import ZWalkLatent

/// The model that ships with zwalk, found next to the executable's checkout (or $ZWALK_ASSETS).
func defaultModelPath() -> String {
    let name = "vae_decoder.onnx"
    if let dir = ProcessInfo.processInfo.environment["ZWALK_ASSETS"] { return dir + "/" + name }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
        let candidate = dir.appendingPathComponent("assets/" + name).path
        if FileManager.default.fileExists(atPath: candidate) { return candidate }
        dir.deleteLastPathComponent()
    }
    return "assets/" + name
}

/// Loads an ONNX model, optionally rebinding its weights from a safetensors file.
func loadModel(_ path: String, weights: String? = nil) throws -> Model {
    var model = try ONNXLoader.load(path: path)
    if let w = weights {
        let (tensors, _) = try Safetensors.read(path: w)
        let (bound, report) = try Safetensors.bind(tensors, onto: model)
        model = bound
        note("bound \(report)")
    }
    return model
}

func openGenerativeModel(_ path: String, weights: String? = nil) throws -> GenerativeModel {
    try GenerativeModel(model: try loadModel(path, weights: weights))
}

let modelOptions: [Option] = [
    .value("weights", "FILE.safetensors", "replace the model's initializers with these weights (matched by name)"),
]
