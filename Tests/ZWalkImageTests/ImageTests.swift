import Foundation
import Testing
import ZWalkEngine
@testable import ZWalkImage

struct MappingCase: CustomTestStringConvertible, Sendable {
    let range: (Float, Float)
    let value: Float
    let byte: UInt8
    var testDescription: String { "\(value) in \(range) → \(byte)" }
}

struct ShapeCase: CustomTestStringConvertible, Sendable {
    let shape: [Int]
    /// (channels, height, width), or nil when the shape must be refused.
    let expected: (Int, Int, Int)?
    var testDescription: String { "\(shape)" }
}

struct ResizeCase: CustomTestStringConvertible, Sendable {
    let source: String, reference: String, width: Int, height: Int
    var testDescription: String { "\(source) → \(width)x\(height)" }
}

@Suite struct ImageTests {
    @Test(arguments: [
        // (-1, 1): tanh decoders.
        MappingCase(range: (-1, 1), value: -1, byte: 0), MappingCase(range: (-1, 1), value: 1, byte: 255),
        MappingCase(range: (-1, 1), value: 0, byte: 128), // 127.5 rounds half up, as torchvision's +0.5
        MappingCase(range: (-1, 1), value: -0.5, byte: 64), // 63.75
        MappingCase(range: (-1, 1), value: 0.25, byte: 159), // 159.375
        MappingCase(range: (-1, 1), value: -3, byte: 0), MappingCase(range: (-1, 1), value: 7.5, byte: 255),
        MappingCase(range: (-1, 1), value: .infinity, byte: 255), MappingCase(range: (-1, 1), value: -.infinity, byte: 0),
        MappingCase(range: (-1, 1), value: .nan, byte: 0),
        // (0, 1): sigmoid decoders.
        MappingCase(range: (0, 1), value: 0, byte: 0), MappingCase(range: (0, 1), value: 1, byte: 255),
        MappingCase(range: (0, 1), value: 0.5, byte: 128), MappingCase(range: (0, 1), value: 0.1, byte: 26), // 25.5
        MappingCase(range: (0, 1), value: 0.098, byte: 25), // 24.99
        MappingCase(range: (0, 1), value: -0.01, byte: 0), MappingCase(range: (0, 1), value: 1.01, byte: 255),
        MappingCase(range: (0, 1), value: 0.999, byte: 255), // 254.745
        // (0, 255) and a reversed range.
        MappingCase(range: (0, 255), value: 17.4, byte: 17), MappingCase(range: (1, -1), value: 1, byte: 0),
    ])
    func floatToByteMapping(_ c: MappingCase) {
        let image = [c.value].withUnsafeBufferPointer {
            Image(chw: $0, channels: 1, height: 1, width: 1, range: c.range)
        }
        #expect(image.pixels == [c.byte])
    }

    @Test func chwPlanesInterleaveAndRoundTripThroughToCHWFloats() {
        // (C=3, H=2, W=2): channel planes R = 0…, G = …, B = ….
        let chw: [Float] = [0, 1, -1, 0.5,   1, 1, 1, 1,   -1, -1, -1, -1]
        let image = chw.withUnsafeBufferPointer { Image(chw: $0, channels: 3, height: 2, width: 2, range: (-1, 1)) }
        #expect(image.pixels == [128, 255, 0,  255, 255, 0,  0, 255, 0,  191, 255, 0])
        let back = image.toCHWFloats(range: (-1, 1))
        #expect(back.count == 12)
        for (a, b) in zip(back, chw) { #expect(abs(a - b) <= 1.0 / 255 + 1e-6, "\(a) vs \(b)") }
        // Every byte maps back to itself.
        let all = Image(width: 256, height: 1, channels: 1, pixels: (0...255).map { UInt8($0) })
        let floats = all.toCHWFloats(range: (0, 1))
        let again = floats.withUnsafeBufferPointer { Image(chw: $0, channels: 1, height: 1, width: 256, range: (0, 1)) }
        #expect(again == all)
    }

    @Test(arguments: [
        ShapeCase(shape: [2, 3, 4, 5], expected: (3, 4, 5)), ShapeCase(shape: [2, 1, 4, 5], expected: (1, 4, 5)),
        ShapeCase(shape: [2, 4, 3, 3], expected: (4, 3, 3)), ShapeCase(shape: [2, 6, 7], expected: (1, 6, 7)),
        ShapeCase(shape: [2, 784], expected: (1, 28, 28)), ShapeCase(shape: [2, 48], expected: (3, 4, 4)),
        ShapeCase(shape: [2, 2, 4, 4], expected: nil), ShapeCase(shape: [2, 5, 4, 3], expected: nil),
        ShapeCase(shape: [2, 50], expected: nil), ShapeCase(shape: [2], expected: nil),
        ShapeCase(shape: [2, 1, 2, 2, 2], expected: nil), ShapeCase(shape: [2, 3, 0, 4], expected: nil),
    ])
    func fromBatchShapes(_ c: ShapeCase) throws {
        let n = c.shape.reduce(1, *)
        let t = Tensor(shape: c.shape, floats: (0..<n).map { Float($0 % 256) / 255 })
        guard let (ch, h, w) = c.expected else {
            #expect(throws: ImageError.self) { _ = try Image.fromBatch(t, index: 1, range: (0, 1)) }
            return
        }
        let image = try Image.fromBatch(t, index: 1, range: (0, 1))
        #expect(image.channels == ch && image.height == h && image.width == w)
        // Sample 1's first value, channel 0 at (0, 0), and channel ch−1 at the last pixel.
        let per = ch * h * w
        #expect(image.pixels[0] == UInt8(per % 256))
        #expect(image.pixels.last == UInt8((2 * per - 1) % 256))
    }

    @Test func fromBatchRefusesBadIndexAndIntegerTensorsWithAHint() throws {
        let t = Tensor(shape: [1, 3, 2, 2], floats: [Float](repeating: 0, count: 12))
        #expect(throws: ImageError.self) { _ = try Image.fromBatch(t, index: 1, range: (0, 1)) }
        #expect(throws: ImageError.self) { _ = try Image.fromBatch(t, index: -1, range: (0, 1)) }
        #expect(throws: ImageError.self) { _ = try Image.fromBatch(Tensor(shape: [1, 4], ints: [1, 2, 3, 4]), index: 0, range: (0, 1)) }
        do { _ = try Image.fromBatch(Tensor(shape: [1, 8, 8, 3]), index: 0, range: (0, 1)) } catch let e as ImageError {
            #expect(e.description.contains("channels-last"), "\(e)")
        }
    }

    @Test(arguments: [(1, 1), (1, 3), (3, 3), (4, 1), (2, 4)])
    func scaledRepeatsEveryPixelAsABlock(_ factor: Int, _ channels: Int) {
        let image = patternImage(width: 3, height: 2, channels: channels)
        let big = image.scaled(by: factor)
        #expect(big.width == 3 * factor && big.height == 2 * factor && big.channels == channels)
        for y in 0..<big.height {
            for x in 0..<big.width {
                #expect(big.pixel(x: x, y: y) == image.pixel(x: x / factor, y: y / factor), "(\(x), \(y))")
            }
        }
        #expect(image.scaled(by: 0) == image)
    }

    @Test func channelConversions() throws {
        let gray = Image(width: 2, height: 1, channels: 1, pixels: [10, 200])
        #expect(gray.toRGB().pixels == [10, 10, 10, 200, 200, 200])
        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 4])
        #expect(rgba.toRGB().pixels == [1, 2, 3])
        #expect(try gray.converted(channels: 4).pixels == [10, 10, 10, 255, 200, 200, 200, 255])
        #expect(throws: ImageError.self) { _ = try gray.converted(channels: 2) }
        // Luma agrees with PIL's convert("L") on every pixel of the fixture.
        let (src, _) = try PNGCodec.read(path: fixture("resize_src.png"))
        let (pil, _) = try PNGCodec.read(path: fixture("resize_src_L.png"))
        #expect(src.toGray() == pil)
        #expect(Image(width: 1, height: 1, channels: 3, fill: [7, 8, 9]).pixels == [7, 8, 9])
    }

    @Test(arguments: [
        ResizeCase(source: "resize_src.png", reference: "resize_5x4.png", width: 5, height: 4),
        ResizeCase(source: "resize_src.png", reference: "resize_29x20.png", width: 29, height: 20),
        ResizeCase(source: "resize_src.png", reference: "resize_13x4.png", width: 13, height: 4),
        ResizeCase(source: "resize_src.png", reference: "resize_7x9.png", width: 7, height: 9),
        ResizeCase(source: "resize_src.png", reference: "resize_1x1.png", width: 1, height: 1),
        ResizeCase(source: "resize_src_L.png", reference: "resize_L_6x5.png", width: 6, height: 5),
    ])
    func resizedMatchesPillowBilinearWithinOne(_ c: ResizeCase) throws {
        let (src, _) = try PNGCodec.read(path: fixture(c.source))
        let (ref, _) = try PNGCodec.read(path: fixture(c.reference))
        let out = src.resized(width: c.width, height: c.height)
        #expect(out.width == ref.width && out.height == ref.height && out.channels == ref.channels)
        let diffs = zip(out.pixels, ref.pixels).map { abs(Int($0) - Int($1)) }
        let bad = diffs.enumerated().filter { $0.element > 1 }.prefix(5).map { "[\($0.offset)] Δ\($0.element)" }
        #expect(bad.isEmpty, "differences > 1 from Pillow: \(bad)")
        #expect(src.resized(width: src.width, height: src.height) == src)
    }

    @Test func resizeOfAConstantImageIsConstant() {
        let flat = Image(width: 9, height: 7, channels: 3, fill: [12, 130, 251])
        for (w, h) in [(3, 2), (20, 31), (9, 1), (1, 7)] {
            #expect(flat.resized(width: w, height: h) == Image(width: w, height: h, channels: 3, fill: [12, 130, 251]))
        }
    }
}
