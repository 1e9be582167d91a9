import Foundation
import ZWalkTUI

// Theme file bytes (as UTF-8, invalid sequences repaired as the loader does) → Theme.parse, and the
// parsed theme formatted back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let (theme, _) = ThemeParser.parse(text, name: "fuzz", source: "fuzz.theme")
    _ = ThemeParser.format(theme)
    return 0
}
