import Foundation
import ZWalkEngine
import ZWalkFormats

// safetensors bytes → Safetensors.decode; what decodes is encoded again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    if let r = try? Safetensors.decode(Data(bytes: start, count: count), source: "fuzz.safetensors") {
        _ = Safetensors.encode(r.tensors, metadata: r.metadata)
    }
    return 0
}
