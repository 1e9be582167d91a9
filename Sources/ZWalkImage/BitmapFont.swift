/// A 5×7 bitmap font for grid labels (ASCII 32…126), drawn in 6×8 cells at an integer scale, so
/// figures need no font files and render the same everywhere.
///
/// Each glyph is 35 bits in one integer: 7 rows of 5 bits, top row in the highest bits, the
/// leftmost pixel of a row in its highest bit. E.g. "A" = .###. #...# #...# ##### #...# #...# #...#.
/// The glyphs were drawn for zwalk as ASCII art and packed by a script.
public enum BitmapFont {
    public static let glyphWidth = 5
    public static let glyphHeight = 7
    /// Horizontal advance and line height in unscaled pixels (one pixel of spacing each way).
    public static let advance = 6
    public static let lineHeight = 8

    private static let glyphs: [UInt64] = [
        0x000000000, 0x108421004, 0x294A00000, 0x295F57D4A,  // sp ! " #
        0x11F4717C4, 0x632222263, 0x32544564D, 0x108800000,  // $ % & '
        0x088842082, 0x208210888, 0x009575480, 0x0084F9080,  // ( ) * +
        0x000003088, 0x0000F8000, 0x00000018C, 0x002222200,  // , - . /
        0x3A33AE62E, 0x11842108E, 0x3A211111F, 0x7C441062E,  // 0 1 2 3
        0x08CA97C42, 0x7E1E0862E, 0x1910F462E, 0x7C2222108,  // 4 5 6 7
        0x3A317462E, 0x3A317844C, 0x018C03180, 0x018C03088,  // 8 9 : ;
        0x088882082, 0x001F07C00, 0x208208888, 0x3A2111004,  // < = > ?
        0x3A216D6AE, 0x3A31FC631, 0x7A31F463E, 0x3A308422E,  // @ A B C
        0x72518C65C, 0x7E10F421F, 0x7E10F4210, 0x3A30BC62F,  // D E F G
        0x4631FC631, 0x38842108E, 0x1C4210A4C, 0x4654C5251,  // H I J K
        0x42108421F, 0x4775AC631, 0x4639ACE31, 0x3A318C62E,  // L M N O
        0x7A31F4210, 0x3A318D64D, 0x7A31F5251, 0x3E107043E,  // P Q R S
        0x7C8421084, 0x46318C62E, 0x46318C544, 0x4631AD6AA,  // T U V W
        0x462A22A31, 0x462A21084, 0x7C222221F, 0x39084210E,  // X Y Z [
        0x020820820, 0x38421084E, 0x115100000, 0x00000001F,  // backslash ] ^ _
        0x208200000, 0x000E0BE2F, 0x4216CC63E, 0x000E8422E,  // ` a b c
        0x042D9C62F, 0x000E8FE0E, 0x1928E2108, 0x01F18BC2E,  // d e f g
        0x4216CC631, 0x100C2108E, 0x080610A4C, 0x4212A6292,  // h i j k
        0x30842108E, 0x001AAD631, 0x0016CC631, 0x000E8C62E,  // l m n o
        0x001E8FA10, 0x000D9BC21, 0x0016CC210, 0x000E8383E,  // p q r s
        0x211C42126, 0x00118C66D, 0x00118C544, 0x00118D6AA,  // t u v w
        0x001151151, 0x00118BC2E, 0x001F1111F, 0x088441082,  // x y z {
        0x108421084, 0x208411088, 0x0008A8800,  // | } ~
    ]

    /// Stand-ins for the non-ASCII characters labels are likely to contain (step labels in σ units,
    /// typographic minus signs).
    private static let lookalikes: [Character: Character] = [
        "σ": "s", "−": "-", "–": "-", "×": "x", "·": ".", "′": "'", "″": "\"",
    ]

    /// The glyph bits of `character`; other characters outside printable ASCII draw as "?".
    static func glyph(_ character: Character) -> UInt64 {
        let c = lookalikes[character] ?? character
        if let a = c.asciiValue, a >= 32, a <= 126 { return glyphs[Int(a) - 32] }
        return glyphs[Int(UInt8(ascii: "?")) - 32]
    }

    /// Whether the glyph of `character` has ink at column `x` (0..<5), row `y` (0..<7).
    public static func ink(_ character: Character, x: Int, y: Int) -> Bool {
        guard x >= 0, x < glyphWidth, y >= 0, y < glyphHeight else { return false }
        let bit = (glyphHeight - 1 - y) * glyphWidth + (glyphWidth - 1 - x)
        return (glyph(character) >> UInt64(bit)) & 1 == 1
    }

    /// The size in pixels of `text` drawn on one line at `scale` (no trailing spacing).
    public static func size(of text: String, scale: Int) -> (width: Int, height: Int) {
        let n = text.count
        guard n > 0 else { return (0, 0) }
        return ((n * advance - 1) * scale, glyphHeight * scale)
    }

    /// Draws `text` with its top-left corner at (x, y); pixels outside the image are clipped.
    public static func draw(_ text: String, into image: inout Image, x: Int, y: Int, scale: Int, color: RGBColor) {
        let s = max(scale, 1)
        let colour: [UInt8]
        switch image.channels {
        case 1: colour = [RGBColor.luma(color)]
        case 3: colour = [color.r, color.g, color.b]
        default: colour = [color.r, color.g, color.b, 255]
        }
        let channels = image.channels
        for (i, ch) in text.enumerated() {
            let gx = x + i * advance * s
            for row in 0..<glyphHeight {
                for col in 0..<glyphWidth where ink(ch, x: col, y: row) {
                    for dy in 0..<s {
                        let py = y + row * s + dy
                        guard py >= 0, py < image.height else { continue }
                        for dx in 0..<s {
                            let px = gx + col * s + dx
                            guard px >= 0, px < image.width else { continue }
                            let o = (py * image.width + px) * channels
                            for c in 0..<channels { image.pixels[o + c] = colour[c] }
                        }
                    }
                }
            }
        }
    }
}
