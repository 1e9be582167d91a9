// The one file that calls libsixel: palette construction (median cut over the frame), error
// diffusion and the sixel encoding itself, all of which libsixel does well.
import CSixel
import Foundation
import ZWalkImage

enum SixelEncoder {
    /// The DCS … ST sequence that draws `image` (RGB) at the cursor, with a palette of up to
    /// `colors` registers chosen for this frame.
    static func encode(_ image: Image, colors: Int = 256) throws -> [UInt8] {
        let rgb = image.channels == 3 ? image : image.toRGB()
        guard rgb.width > 0, rgb.height > 0 else { return [] }
        final class Sink { var bytes: [UInt8] = [] }
        let sink = Sink()
        var output: OpaquePointer?
        let write: sixel_write_function = { data, size, priv in
            guard let data = data, let priv = priv, size > 0 else { return 0 }
            let s = Unmanaged<Sink>.fromOpaque(priv).takeUnretainedValue()
            data.withMemoryRebound(to: UInt8.self, capacity: Int(size)) { s.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: Int(size))) }
            return size
        }
        var status = sixel_output_new(&output, write, Unmanaged.passUnretained(sink).toOpaque(), nil)
        guard status & 0x1000 == 0, let out = output else { throw SixelError(status, "creating the output") }
        defer { sixel_output_unref(out) }
        sixel_output_set_encode_policy(out, SIXEL_ENCODEPOLICY_FAST)
        var ditherPointer: OpaquePointer?
        status = sixel_dither_new(&ditherPointer, Int32(max(2, min(256, colors))), nil)
        guard status & 0x1000 == 0, let dither = ditherPointer else { throw SixelError(status, "creating the palette") }
        defer { sixel_dither_unref(dither) }
        var pixels = rgb.pixels
        status = pixels.withUnsafeMutableBufferPointer { p in
            sixel_dither_initialize(dither, p.baseAddress, Int32(rgb.width), Int32(rgb.height), SIXEL_PIXELFORMAT_RGB888,
                                    SIXEL_LARGE_AUTO, SIXEL_REP_AUTO, SIXEL_QUALITY_LOW)
        }
        guard status & 0x1000 == 0 else { throw SixelError(status, "choosing the palette") }
        sixel_dither_set_diffusion_type(dither, SIXEL_DIFFUSE_FS)
        status = pixels.withUnsafeMutableBufferPointer { p in
            sixel_encode(p.baseAddress, Int32(rgb.width), Int32(rgb.height), 3, dither, out)
        }
        guard status & 0x1000 == 0 else { throw SixelError(status, "encoding") }
        return sink.bytes
    }
}

struct SixelError: Error, CustomStringConvertible {
    var description: String
    init(_ status: SIXELSTATUS, _ what: String) {
        let why = sixel_helper_format_error(status).map { String(cString: $0) } ?? "status \(status)"
        description = "libsixel failed \(what): \(why)"
    }
}
