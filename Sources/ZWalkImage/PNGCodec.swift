import CPNGText
import Foundation
import ZWalkEngine

/// A PNG that could not be read, decoded, encoded or written: names the file (or the in-memory
/// source) and carries libpng's message or ours.
public struct PNGError: Error, CustomStringConvertible, Equatable {
    public enum Operation: String, Sendable { case read, decode, encode, write }
    public let operation: Operation
    /// The file path, or a label for in-memory data.
    public let source: String
    public let message: String

    public init(_ operation: Operation, _ source: String, _ message: String) {
        self.operation = operation
        self.source = source
        self.message = message
    }

    public var description: String { "cannot \(operation.rawValue) PNG \(source): \(message)" }
}

/// PNG encoding and decoding. This is the only Swift file that calls libpng (through the CPNGText C
/// target, which holds every setjmp).
///
/// Text chunks: keys are PNG keywords (1–79 Latin-1 characters, no leading, trailing or double
/// spaces). A value that is pure ASCII goes into tEXt; any other value goes into iTXt as UTF-8.
/// tEXt is Latin-1 by the PNG spec, so no value is ever escaped or re-encoded: ASCII is the same in
/// both, and everything else is stored in the chunk type made for Unicode. Values of more than
/// `compressionThreshold` bytes are deflated (zTXt, compressed iTXt) up to `maxCompressedText`,
/// because PIL refuses compressed text that inflates beyond 1 MiB (`MAX_TEXT_CHUNK`); longer values
/// are stored uncompressed, which PIL accepts up to 64 MiB of text in all (`MAX_TEXT_MEMORY`), the
/// limit `encode` enforces. PIL, exiftool and libpng read all three chunk types.
public enum PNGCodec {
    /// Values longer than this many bytes are deflated (zTXt / compressed iTXt): a latent list for
    /// a 10×10 grid of 512-d latents is ~500 kB as JSON text.
    public static let compressionThreshold = 1024
    /// The longest value stored compressed (PIL's `PngImagePlugin.MAX_TEXT_CHUNK`).
    public static let maxCompressedText = 1 << 20
    /// The most text, in bytes over all values, one PNG may carry (PIL's `MAX_TEXT_MEMORY`).
    public static let maxTotalText = 64 << 20
    /// Images above this many pixels are refused before decoding (a corrupt or hostile header must
    /// not allocate gigabytes): 16384 × 16384.
    public static let maxPixels = 1 << 28
    /// Files larger than this are refused before reading.
    public static let maxFileBytes = 1 << 30

    /// The libpng version linked into this program.
    public static var libpngVersion: String { String(cString: zw_png_libpng_version()) }

    // MARK: writing

    /// Encodes `image` with `text` and writes it atomically to `path` (never a half-written file);
    /// an existing file is replaced only with `overwrite` (else `FileWriteError.exists`).
    public static func write(_ image: Image, to path: String, text: [(String, String)], overwrite: Bool) throws {
        let data = try encode(image, text: text, source: path)
        try AtomicFile.write(data, to: path, overwrite: overwrite)
    }

    /// The PNG bytes of `image` with `text` chunks before the image data. Deterministic: the same
    /// image and text give the same bytes (no timestamp chunk is written). `compressionLevel`
    /// 0…9 is zlib's (1: fast, for frames sent to a terminal); -1 is libpng's default.
    public static func encode(_ image: Image, text: [(String, String)], compressionLevel: Int = -1) throws -> Data {
        try encode(image, text: text, source: "(in-memory image)", compressionLevel: compressionLevel)
    }

    static func encode(_ image: Image, text: [(String, String)], source: String, compressionLevel: Int = -1) throws -> Data {
        guard [1, 3, 4].contains(image.channels) else {
            throw PNGError(.encode, source, "\(image.channels) channels; PNG export takes 1 (gray), 3 (RGB) or 4 (RGBA)")
        }
        guard image.width > 0, image.height > 0 else {
            throw PNGError(.encode, source, "image of \(image.width) x \(image.height) pixels has no pixels")
        }
        guard image.width <= Int(UInt32.max), image.height <= Int(UInt32.max),
              image.pixels.count == image.width * image.height * image.channels else {
            throw PNGError(.encode, source, "\(image.pixels.count) pixel bytes do not make a \(image.width) x \(image.height) x \(image.channels) image")
        }

        // C strings for libpng, freed after the call (libpng copies them in png_set_text).
        var allocations: [UnsafeMutablePointer<CChar>] = []
        defer { allocations.forEach { $0.deallocate() } }
        func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { src in
                if let base = src.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: src.count) }
            }
            p[bytes.count] = 0
            allocations.append(p)
            return p
        }

        var entries: [zw_png_text_in] = []
        var seen = Set<String>()
        let totalText = text.reduce(0) { $0 + $1.1.utf8.count }
        guard totalText <= maxTotalText else {
            throw PNGError(.encode, source, "the text chunks hold \(totalText) bytes; PNG readers such as PIL refuse more than \(maxTotalText)")
        }
        for (key, value) in text {
            let keyword = try keywordBytes(key, source: source)
            guard seen.insert(key).inserted else {
                throw PNGError(.encode, source, "text key '\(key)' appears twice")
            }
            let bytes = Array(value.utf8)
            guard !bytes.contains(0) else {
                throw PNGError(.encode, source, "the value of text key '\(key)' contains a NUL character, which PNG text cannot hold")
            }
            let ascii = bytes.allSatisfy { $0 < 0x80 }
            let long = bytes.count > compressionThreshold && bytes.count <= maxCompressedText
            let kind: zw_png_text_kind = ascii ? (long ? ZW_PNG_TEXT_COMPRESSED : ZW_PNG_TEXT_PLAIN)
                                               : (long ? ZW_PNG_TEXT_UTF8_COMPRESSED : ZW_PNG_TEXT_UTF8)
            entries.append(zw_png_text_in(key: UnsafePointer(cString(keyword)), value: UnsafePointer(cString(bytes)),
                                          value_length: bytes.count, kind: Int32(kind.rawValue)))
        }

        var out: UnsafeMutablePointer<UInt8>? = nil
        var outSize = 0
        var message = [CChar](repeating: 0, count: 512)
        let messageCapacity = message.count
        let rc = image.pixels.withUnsafeBufferPointer { px in
            entries.withUnsafeBufferPointer { list in
                zw_png_encode(px.baseAddress, UInt32(image.width), UInt32(image.height), UInt32(image.channels),
                              list.baseAddress, Int32(list.count), Int32(compressionLevel), &out, &outSize, &message, messageCapacity)
            }
        }
        guard rc == 0, let buffer = out else {
            throw PNGError(.encode, source, libpngMessage(message))
        }
        defer { zw_png_buffer_free(buffer) }
        return Data(bytes: buffer, count: outSize)
    }

    // MARK: reading

    /// Reads and decodes the PNG at `path`: any colour type and bit depth becomes 8-bit gray, RGB
    /// or RGBA (gray+alpha, palettes with transparency → RGBA; palettes → RGB; 16-bit → 8-bit), and
    /// every tEXt, zTXt and iTXt chunk becomes an entry of `text` (a later chunk with the same key
    /// wins, as in PIL).
    public static func read(path: String) throws -> (image: Image, text: [String: String]) {
        let data = try readFile(path)
        return try decode(data, source: path, operation: .read)
    }

    /// Decodes PNG bytes; `source` names them in errors (a path, "clipboard", …).
    public static func decode(_ data: Data, source: String) throws -> (image: Image, text: [String: String]) {
        try decode(data, source: source, operation: .decode)
    }

    private static func decode(_ data: Data, source: String, operation: PNGError.Operation) throws -> (image: Image, text: [String: String]) {
        var decoded = zw_png_decoded()
        var message = [CChar](repeating: 0, count: 512)
        let messageCapacity = message.count
        let rc = data.withUnsafeBytes { raw in
            zw_png_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, maxPixels, &decoded, &message, messageCapacity)
        }
        guard rc == 0 else { throw PNGError(operation, source, libpngMessage(message)) }
        defer { zw_png_decoded_free(&decoded) }

        let width = Int(decoded.width), height = Int(decoded.height), channels = Int(decoded.channels)
        guard [1, 3, 4].contains(channels), let pixelBase = decoded.pixels else {
            throw PNGError(operation, source, "libpng returned \(channels) channels")
        }
        let pixels = Array(UnsafeBufferPointer(start: pixelBase, count: width * height * channels))
        var text: [String: String] = [:]
        if let list = decoded.text {
            for i in 0..<Int(decoded.text_count) {
                let entry = list[i]
                guard let keyPointer = entry.key, let valuePointer = entry.value else { continue }
                let key = latin1(UnsafeRawPointer(keyPointer).assumingMemoryBound(to: UInt8.self), strlen(keyPointer))
                let valueBytes = UnsafeBufferPointer(start: UnsafeRawPointer(valuePointer).assumingMemoryBound(to: UInt8.self),
                                                     count: entry.value_length)
                // iTXt is UTF-8 by the spec; invalid sequences become U+FFFD rather than failing the image.
                let value = entry.is_utf8 != 0 ? String(decoding: valueBytes, as: UTF8.self)
                                               : latin1(valueBytes.baseAddress, valueBytes.count)
                text[key] = value
            }
        }
        return (Image(width: width, height: height, channels: channels, pixels: pixels), text)
    }

    // MARK: helpers

    /// The keyword's Latin-1 bytes, or an error naming what is wrong with it (PNG spec §11.3.4.2).
    static func keywordBytes(_ key: String, source: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in key.unicodeScalars {
            let v = scalar.value
            guard (0x20...0x7E).contains(v) || (0xA1...0xFF).contains(v) else {
                throw PNGError(.encode, source, "text key '\(key)' has the character U+\(String(v, radix: 16, uppercase: true)); PNG keys are printable Latin-1")
            }
            bytes.append(UInt8(v))
        }
        guard (1...79).contains(bytes.count) else {
            throw PNGError(.encode, source, "text key '\(key)' is \(bytes.count) characters long; PNG keys have 1 to 79")
        }
        guard bytes.first != 0x20, bytes.last != 0x20, !key.contains("  ") else {
            throw PNGError(.encode, source, "text key '\(key)' has leading, trailing or consecutive spaces, which PNG keys may not")
        }
        return bytes
    }

    /// Latin-1 bytes as a String: each byte is the code point of the same value.
    private static func latin1(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
        guard let p = p, n > 0 else { return "" }
        let bytes = UnsafeBufferPointer(start: p, count: n)
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var utf8: [UInt8] = []
        utf8.reserveCapacity(n * 2)
        for b in bytes {
            if b < 0x80 { utf8.append(b) } else { utf8.append(0xC0 | b >> 6); utf8.append(0x80 | b & 0x3F) }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    private static func libpngMessage(_ buffer: [CChar]) -> String {
        let s = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.isEmpty ? "libpng failed without a message" : s
    }

    /// The whole file, with errno's reason when it cannot be read.
    private static func readFile(_ path: String) throws -> Data {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw PNGError(.read, path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let chunkSize = chunk.count
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, chunkSize) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PNGError(.read, path, String(cString: strerror(errno)))
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
            guard data.count <= maxFileBytes else {
                throw PNGError(.read, path, "file is larger than \(maxFileBytes) bytes")
            }
        }
        return data
    }
}
