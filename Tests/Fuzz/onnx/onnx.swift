import Foundation
import ZWalkEngine
import ZWalkFormats

// ONNX bytes → the loader, then the planner at batch 1 (shape inference, constant folding).
// Any thrown error is a correct answer; a trap, an overflow or a bad access is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let model = try? ONNXLoader.load(data: data, source: "fuzz.onnx", baseDirectory: nil) else { return 0 }
    _ = try? InferenceSession(model: model)
    return 0
}
