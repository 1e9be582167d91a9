import Foundation
import ZWalkEngine
import ZWalkImage

// PNG bytes → libpng through PNGCodec (pixels and every text chunk), then zwalk's metadata readers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let (_, text) = try? PNGCodec.decode(Data(bytes: start, count: count), source: "fuzz.png") else { return 0 }
    if let s = text[PNGMetadata.Key.latents] { _ = try? PNGMetadata.parseLatents(s) }
    if let s = text[PNGMetadata.Key.seeds] { _ = try? PNGMetadata.parseSeeds(s) }
    return 0
}
