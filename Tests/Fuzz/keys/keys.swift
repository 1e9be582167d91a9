import Foundation
import ZWalkImage
import ZWalkTUI

// Bytes → key presses of the explorer: bytes 0xF0… are the arrow, Home/End and page keys, the
// rest terminal character codes (Key.fromCode: controls, Esc, Enter, printable). Each key goes
// through the mode's table (`action(for:in:)`) and `update`, typed `:` commands included; decode
// requests are answered with a flat grey frame, and the screen is rendered at the end (rendering
// after every key made a run ~50× slower).
let specials: [Key] = [.up, .down, .left, .right, .shiftLeft, .shiftRight, .pageUp, .pageDown, .home, .end, .delete]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var state = ExplorerState(modelName: "fuzz", latentShape: [4], seed: 7)
    state = update(state, .start).0
    for (i, byte) in UnsafeRawBufferPointer(start: start, count: min(count, 256)).enumerated() {
        let key = byte >= 0xF0 ? specials[Int(byte - 0xF0) % specials.count] : Key.fromCode(UInt32(byte))
        guard let key, let a = action(for: key, in: state) else { continue }
        let (next, effects) = update(state, a)
        state = next
        for case .decode(let r) in effects {
            let frame = Image(width: 8, height: 8, channels: 3, fill: [128, 128, 128])
            let z = r.spec.compose(base: [Float](repeating: 0.5, count: 4))
            state = update(state, .frameDecoded(DecodeResult(request: r, latent: z, frame: frame, milliseconds: 1), at: Double(i))).0
        }
    }
    _ = render(state, size: Size(width: 80, height: 24))
    return 0
}
