// The explorer used to have a picture type of its own (RGBFrame); it now takes ZWalkImage's Image.
// These two names keep code written against the old one (the CLI's explorer backend) building
// until it switches; delete this file once nothing uses them.
import ZWalkImage

@available(*, deprecated, renamed: "Image", message: "the explorer takes ZWalkImage's Image")
public typealias RGBFrame = Image

extension Image {
    /// The pixels as interleaved RGB, what RGBFrame.rgb held.
    @available(*, deprecated, message: "use toRGB().pixels")
    public var rgb: [UInt8] { toRGB().pixels }
}
