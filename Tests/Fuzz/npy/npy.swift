import Foundation
import ZWalkEngine
import ZWalkFormats

// .npy bytes → NPY.decode; a decoded tensor is encoded again (the writer must take what the reader gives).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    if let t = try? NPY.decode(Data(bytes: start, count: count), source: "fuzz.npy") { _ = NPY.encode(t) }
    return 0
}
