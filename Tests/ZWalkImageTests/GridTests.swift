import Foundation
import Testing
@testable import ZWalkImage

/// A solid cell whose colour encodes its index, so a misplaced cell shows.
func cell(_ i: Int, size: Int = 4, channels: Int = 3) -> Image {
    let v = UInt8(10 + 20 * i)
    return channels == 1 ? Image(width: size, height: size, channels: 1, fill: [v])
                         : Image(width: size, height: size, channels: 3, fill: [v, 255 - v, UInt8(i)])
}

struct GridCase: CustomTestStringConvertible, Sendable {
    let rows: Int, cols: Int, padding: Int, cells: Int
    var testDescription: String { "\(rows)x\(cols) pad \(padding), \(cells) cells" }
}

@Suite struct GridTests {
    @Test(arguments: [
        GridCase(rows: 1, cols: 1, padding: 0, cells: 1), GridCase(rows: 2, cols: 3, padding: 2, cells: 6),
        GridCase(rows: 3, cols: 2, padding: 5, cells: 5), GridCase(rows: 1, cols: 4, padding: 1, cells: 4),
    ])
    func cellsLandAtTheirPositionsWithPadding(_ c: GridCase) throws {
        let cells: [Image?] = (0..<c.cells).map { cell($0) }
        let layout = GridLayout(rows: c.rows, cols: c.cols, padding: c.padding, background: RGBColor(1, 2, 3))
        let grid = try Grid.compose(cells, layout: layout)
        let p = c.padding
        #expect(grid.width == c.cols * 4 + (c.cols + 1) * p)
        #expect(grid.height == c.rows * 4 + (c.rows + 1) * p)
        #expect(grid.channels == 3)
        let bg: [UInt8] = [1, 2, 3]
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                // Which cell (if any) covers (x, y), computed independently of GridGeometry.
                let (cx, ox) = ((x - p).quotientAndRemainder(dividingBy: 4 + p))
                let (cy, oy) = ((y - p).quotientAndRemainder(dividingBy: 4 + p))
                let inCell = x >= p && y >= p && ox < 4 && oy < 4 && cx < c.cols && cy < c.rows
                let index = cy * c.cols + cx
                let expected = inCell && index < c.cells ? Array(cell(index).pixel(x: 0, y: 0)) : bg
                #expect(Array(grid.pixel(x: x, y: y)) == expected, "(\(x), \(y))")
            }
        }
    }

    @Test func highlightFrameSurroundsTheCellAndLeavesItsPixelsAlone() throws {
        let cells: [Image?] = (0..<9).map { cell($0, size: 6) }
        let layout = GridLayout(rows: 3, cols: 3, padding: 4, background: .white, highlighted: [4])
        let grid = try Grid.compose(cells, layout: layout)
        let g = try GridGeometry(cellWidth: 6, cellHeight: 6, layout: layout)
        let (x0, y0) = g.cellOrigin(row: 1, col: 1)
        #expect(layout.frameWidth == 2)
        let red = [RGBColor.highlight.r, RGBColor.highlight.g, RGBColor.highlight.b]
        for y in (y0 - 4)..<(y0 + 10) {
            for x in (x0 - 4)..<(x0 + 10) {
                let inCell = (x0..<(x0 + 6)).contains(x) && (y0..<(y0 + 6)).contains(y)
                let inFrame = !inCell && (x0 - 2..<(x0 + 8)).contains(x) && (y0 - 2..<(y0 + 8)).contains(y)
                let px = Array(grid.pixel(x: x, y: y))
                if inCell { #expect(px == Array(cell(4, size: 6).pixel(x: 0, y: 0)), "(\(x), \(y)) cell") }
                else if inFrame { #expect(px == red, "(\(x), \(y)) frame") }
                else { #expect(px == [255, 255, 255], "(\(x), \(y)) gutter") }
            }
        }
        // Only one cell is framed: red appears in exactly the 4·(6+2)·2 frame pixels… i.e. (10² − 6²).
        let redCount = (0..<(grid.width * grid.height)).filter { Array(grid.pixels[($0 * 3)..<($0 * 3 + 3)]) == red }.count
        #expect(redCount == 10 * 10 - 6 * 6)
    }

    @Test func zeroPaddingFramesInsideTheCell() throws {
        let layout = GridLayout(rows: 1, cols: 2, padding: 0, highlighted: [1])
        let grid = try Grid.compose([cell(0), cell(1)], layout: layout)
        let red = [RGBColor.highlight.r, RGBColor.highlight.g, RGBColor.highlight.b]
        #expect(Array(grid.pixel(x: 4, y: 0)) == red && Array(grid.pixel(x: 7, y: 3)) == red)
        #expect(Array(grid.pixel(x: 5, y: 1)) == Array(cell(1).pixel(x: 0, y: 0)))
        #expect(Array(grid.pixel(x: 3, y: 0)) == Array(cell(0).pixel(x: 0, y: 0)))
    }

    @Test func grayCellsGiveAGrayGridAndHighlightsOrColourGiveRGB() throws {
        let gray = try Grid.compose([cell(0, channels: 1), nil, cell(2, channels: 1)], layout: GridLayout(rows: 1, cols: 3, padding: 1, background: .black))
        #expect(gray.channels == 1)
        #expect(gray.pixel(x: 1, y: 1) == [10] && gray.pixel(x: 6, y: 1) == [0] && gray.pixel(x: 11, y: 1) == [50])
        let framed = try Grid.compose([cell(0, channels: 1)], layout: GridLayout(rows: 1, cols: 1, highlighted: [0]))
        #expect(framed.channels == 3)
        let mixed = try Grid.compose([cell(0, channels: 1), cell(1)], layout: GridLayout(rows: 1, cols: 2, padding: 0))
        #expect(mixed.channels == 3 && Array(mixed.pixel(x: 0, y: 0)) == [10, 10, 10])
    }

    @Test func rgbaCellsAreCompositedOverTheBackground() throws {
        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [200, 100, 0, 128])
        let grid = try Grid.compose([rgba], layout: GridLayout(rows: 1, cols: 1, padding: 0, background: RGBColor(0, 0, 255)))
        // (128·c + 127·bg + 127) / 255
        #expect(grid.pixels == [100, 50, 127])
    }

    @Test func labelsInkTheMarginsAndMoveTheCells() throws {
        let cells: [Image?] = (0..<6).map { cell($0, size: 16) }
        let layout = GridLayout(rows: 2, cols: 3, padding: 2, background: .white,
                                rowLabels: ["-2s", "+2s"], columnLabels: ["a", "b", "c"], labelScale: 1)
        let grid = try Grid.compose(cells, layout: layout)
        let g = try GridGeometry(cellWidth: 16, cellHeight: 16, layout: layout)
        #expect(g.leftBand > 0 && g.topBand > 0)
        #expect(grid.width == g.width && grid.height == g.height)
        let (x0, y0) = g.cellOrigin(row: 0, col: 0)
        #expect(Array(grid.pixel(x: x0, y: y0)) == Array(cell(0, size: 16).pixel(x: 0, y: 0)))
        // Ink (label colour, black) in the top band above every column and in the left band beside every row.
        func ink(xs: Range<Int>, ys: Range<Int>) -> Int {
            var n = 0
            for y in ys { for x in xs where grid.pixel(x: x, y: y) == [0, 0, 0] { n += 1 } }
            return n
        }
        for col in 0..<3 {
            let (cx, _) = g.cellOrigin(row: 0, col: col)
            #expect(ink(xs: cx..<(cx + 16), ys: 0..<g.topBand) > 0, "column \(col) label")
        }
        for row in 0..<2 {
            let (_, cy) = g.cellOrigin(row: row, col: 0)
            #expect(ink(xs: 0..<g.leftBand, ys: cy..<(cy + 16)) > 0, "row \(row) label")
        }
        // Labels stay out of the cells.
        #expect(ink(xs: x0..<grid.width, ys: y0..<grid.height) == 0)
        // The "a" glyph drawn at its place: the first column's label is one character wide and centred.
        let (ax, _) = g.cellOrigin(row: 0, col: 0)
        let left = ax + (16 - 5) / 2
        for y in 0..<7 {
            for x in 0..<5 {
                let want: [UInt8] = BitmapFont.ink("a", x: x, y: y) ? [0, 0, 0] : [255, 255, 255]
                #expect(Array(grid.pixel(x: left + x, y: g.labelGap + y)) == want, "glyph pixel (\(x), \(y))")
            }
        }
    }

    @Test func lookalikeCharactersDrawAsTheirASCIIStandIns() {
        for (fancy, plain) in [("σ", "s"), ("−", "-"), ("×", "x")] as [(Character, Character)] {
            for y in 0..<7 { for x in 0..<5 { #expect(BitmapFont.ink(fancy, x: x, y: y) == BitmapFont.ink(plain, x: x, y: y)) } }
        }
        // Anything else unprintable draws as "?".
        #expect((0..<35).allSatisfy { BitmapFont.ink("潜", x: $0 % 5, y: $0 / 5) == BitmapFont.ink("?", x: $0 % 5, y: $0 / 5) })
    }

    @Test func aLabelWiderThanTheFigureIsCutToItAndDrawnAlone() throws {
        let layout = GridLayout(rows: 1, cols: 2, padding: 0, columnLabels: ["abcdefgh", "x"])
        let grid = try Grid.compose([cell(0, size: 8), cell(1, size: 8)], layout: layout)
        let g = try GridGeometry(cellWidth: 8, cellHeight: 8, layout: layout)
        // 16 pixels hold two characters; "x" would touch them, so it is left out.
        #expect(g.columnLabelPlacements(layout.columnLabels, scale: 1)
                == [PlacedLabel(index: 0, text: "ab", x: 0, y: g.labelGap, width: 11, height: 7)])
        var inkColumns = Set<Int>()
        for y in 0..<g.topBand { for x in 0..<grid.width where grid.pixel(x: x, y: y) == [0, 0, 0] { inkColumns.insert(x) } }
        #expect(!inkColumns.isEmpty && inkColumns.allSatisfy { $0 < 11 }, "\(inkColumns.sorted())")
    }

    @Test(arguments: [
        ("rows 0", GridLayout(rows: 0, cols: 1), 1),
        ("too many cells", GridLayout(rows: 1, cols: 2), 3),
        ("row labels", GridLayout(rows: 2, cols: 1, rowLabels: ["one"]), 2),
        ("column labels", GridLayout(rows: 1, cols: 2, columnLabels: ["a", "b", "c"]), 2),
        ("highlight outside", GridLayout(rows: 1, cols: 2, highlighted: [2]), 2),
        ("negative padding", GridLayout(rows: 1, cols: 1, padding: -1), 1),
        ("label scale 0", GridLayout(rows: 1, cols: 1, labelScale: 0), 1),
        ("huge", GridLayout(rows: 100_000, cols: 100_000), 1),
    ])
    func badLayoutsAreRefused(_ name: String, _ layout: GridLayout, _ count: Int) {
        #expect(throws: ImageError.self, "\(name)") { _ = try Grid.compose((0..<count).map { cell($0) }, layout: layout) }
    }

    @Test func mismatchedOrMissingCellsAreRefusedByIndex() {
        do { _ = try Grid.compose([cell(0), nil, cell(2, size: 5)], layout: GridLayout(rows: 1, cols: 3)); Issue.record("accepted") }
        catch let e as ImageError { #expect(e.description.contains("cell 2") && e.description.contains("cell 0"), "\(e)") }
        catch { Issue.record("\(error)") }
        #expect(throws: ImageError.self) { _ = try Grid.compose([nil, nil], layout: GridLayout(rows: 1, cols: 2)) }
    }

    /// Writes a labelled traversal-style grid to /tmp/zwalk-grid-preview.png for a human to look at.
    @Test func previewGridIsWrittenAndReadsBack() throws {
        var cells: [Image?] = []
        for r in 0..<3 {
            for c in 0..<5 {
                var px = [UInt8](repeating: 0, count: 24 * 24 * 3)
                for y in 0..<24 { for x in 0..<24 {
                    let o = (y * 24 + x) * 3
                    px[o] = UInt8(40 * c + 3 * x); px[o + 1] = UInt8(60 * r + 2 * y); px[o + 2] = 128
                } }
                cells.append(Image(width: 24, height: 24, channels: 3, pixels: px))
            }
        }
        let layout = GridLayout(rows: 3, cols: 5, padding: 4, background: .white,
                                rowLabels: ["dir 0", "dir 1", "sefa 2"], columnLabels: ["-2s", "-1s", "0", "+1s", "+2s"],
                                highlighted: [2, 7, 12], labelScale: 1)
        let grid = try Grid.compose(cells, layout: layout).scaled(by: 3)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zwalk-grid-preview.png").path
        try PNGCodec.write(grid, to: path, text: [("Software", "zwalk tests")], overwrite: true)
        #expect(try PNGCodec.read(path: path).image == grid)
        // The full font, for eyeballing legibility.
        let chars = (32...126).map { String(UnicodeScalar(UInt8($0))) }.joined()
        var sheet = Image(width: 6 * 32 + 4, height: 8 * 3 + 4, channels: 1, fill: [255])
        for (i, line) in stride(from: 0, to: chars.count, by: 32).enumerated() {
            let s = chars.dropFirst(line).prefix(32)
            BitmapFont.draw(String(s), into: &sheet, x: 2, y: 2 + 8 * i, scale: 1, color: .black)
        }
        try PNGCodec.write(sheet.scaled(by: 3), to: FileManager.default.temporaryDirectory.appendingPathComponent("zwalk-font-preview.png").path,
                           text: [], overwrite: true)
    }
}

/// Labels on small cells (issue 10: `traverse --labels --scale 2` on a 28×28 model printed
/// "-2.25-1.5-0.75" as one string). Each row: a grid, its labels, and the labels expected drawn
/// (nil: only the invariants are checked).
struct CrowdedLabelCase: Sendable, CustomTestStringConvertible {
    let name: String
    let rows: Int, cols: Int, cell: Int, scale: Int
    let rowLabels: [String], columnLabels: [String]
    let drawnColumns: [Int]?, drawnRows: [Int]?
    var testDescription: String { name }
}

let traverseSteps = ["-3", "-2.25", "-1.5", "-0.75", "0", "+0.75", "+1.5", "+2.25", "+3"]

let crowdedLabelCases: [CrowdedLabelCase] = [
    .init(name: "traversal, 9 steps on 28 px", rows: 1, cols: 9, cell: 28, scale: 1, rowLabels: [], columnLabels: traverseSteps,
          drawnColumns: [0, 2, 4, 6, 8], drawnRows: nil),
    .init(name: "traversal, label scale 2", rows: 2, cols: 9, cell: 28, scale: 2, rowLabels: ["pc 0", "pc 1"],
          columnLabels: traverseSteps, drawnColumns: nil, drawnRows: [0, 1]),
    .init(name: "J-diagram columns", rows: 1, cols: 5, cell: 28, scale: 1, rowLabels: [],
          columnLabels: ["u 0", "u 0.25", "u 0.5", "u 0.75", "u 1"], drawnColumns: [0, 2, 4], drawnRows: nil),
    .init(name: "two columns too narrow for both", rows: 1, cols: 2, cell: 28, scale: 1, rowLabels: [],
          columnLabels: ["-1.2345", "+1.2345"], drawnColumns: [0], drawnRows: nil),
    .init(name: "rows shorter than scale-4 text", rows: 3, cols: 1, cell: 28, scale: 4, rowLabels: ["v 0", "v 0.5", "v 1"],
          columnLabels: [], drawnColumns: nil, drawnRows: [0, 2]),
    .init(name: "roomy cells keep every label", rows: 1, cols: 5, cell: 64, scale: 1, rowLabels: [],
          columnLabels: ["-2", "-1", "0", "+1", "+2"], drawnColumns: [0, 1, 2, 3, 4], drawnRows: nil),
]

@Suite struct CrowdedLabelTests {
    /// Sorted positions grouped into runs: a position at most `mergeWithin` past the previous one
    /// continues its run.
    static func clusters(_ positions: [Int], mergeWithin: Int) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for p in positions {
            if let last = runs.last, p - last.upperBound <= mergeWithin { runs[runs.count - 1] = last.lowerBound...p } else { runs.append(p...p) }
        }
        return runs
    }

    @Test(arguments: crowdedLabelCases)
    func labelsNeverRunTogether(_ c: CrowdedLabelCase) throws {
        let layout = GridLayout(rows: c.rows, cols: c.cols, padding: 2, rowLabels: c.rowLabels,
                                columnLabels: c.columnLabels, labelScale: c.scale)
        let grid = try Grid.compose((0..<(c.rows * c.cols)).map { cell($0 % 10, size: c.cell) }, layout: layout)
        let g = try GridGeometry(cellWidth: c.cell, cellHeight: c.cell, layout: layout)
        let columns = g.columnLabelPlacements(c.columnLabels, scale: c.scale)
        let rows = g.rowLabelPlacements(c.rowLabels, scale: c.scale)
        if let want = c.drawnColumns { #expect(columns.map(\.index) == want) }
        if let want = c.drawnRows { #expect(rows.map(\.index) == want) }
        for (placed, labels) in [(columns, c.columnLabels), (rows, c.rowLabels)] where !labels.isEmpty {
            #expect(placed.first?.index == 0, "the first label is drawn")
            if labels.count > 1 && placed.count > 1 { #expect(placed.last?.index == labels.count - 1, "the last label is drawn") }
            #expect(placed.allSatisfy { $0.text == labels[$0.index] }, "labels are drawn whole")
            #expect(placed.allSatisfy { $0.x >= 0 && $0.x + $0.width <= grid.width })
        }
        // From the pixels: the ink of the top band forms one cluster per drawn column label, the
        // clusters more than two character advances apart (a space inside a label is less), each
        // inside its label's box.
        let breakWidth = 2 * BitmapFont.advance * c.scale
        func isInk(_ x: Int, _ y: Int) -> Bool { grid.pixel(x: x, y: y) == [0, 0, 0] }
        let inkXs = (0..<grid.width).filter { x in (0..<g.topBand).contains { isInk(x, $0) } }
        let clusters = Self.clusters(inkXs, mergeWithin: breakWidth)
        #expect(clusters.count == columns.count, "ink clusters \(clusters) for labels \(columns.map(\.text))")
        for (cluster, label) in zip(clusters, columns) {
            #expect(cluster.lowerBound >= label.x && cluster.upperBound < label.x + label.width, "\(label.text): \(cluster)")
        }
        // Row labels: the ink rows of the left band, clustered the same way with a gap of one font row.
        let inkYs = (0..<grid.height).filter { y in (0..<g.leftBand).contains { isInk($0, y) } }
        let rowClusters = Self.clusters(inkYs, mergeWithin: c.scale)
        #expect(rowClusters.count == rows.count, "ink clusters \(rowClusters) for row labels \(rows.map(\.text))")
    }
}

@Suite struct GridTitleTests {
    @Test func aTitleTakesALineOfItsOwnAboveTheColumnLabels() throws {
        var layout = GridLayout(rows: 3, cols: 3, padding: 2, rowLabels: ["+1", "0", "-1"], columnLabels: ["-1", "0", "+1"])
        let plain = try GridGeometry(cellWidth: 28, cellHeight: 28, layout: layout)
        layout.title = "x: hue (columns), y: size (rows)"
        let titled = try GridGeometry(cellWidth: 28, cellHeight: 28, layout: layout)
        #expect(titled.height > plain.height && titled.width == plain.width)
        let title = try #require(titled.titlePlacement(layout.title, scale: 1).first)
        let columns = titled.columnLabelPlacements(layout.columnLabels, scale: 1)
        #expect(columns.allSatisfy { $0.y >= title.y + title.height + 2 }, "a column label overlaps the title")
        #expect(columns.allSatisfy { $0.y + $0.height <= titled.originY }, "a column label runs into the cells")
        #expect(title.x >= 0 && title.x + title.width <= titled.width)
        // Without labels the title is not drawn at all.
        #expect(titled.titlePlacement("", scale: 1).isEmpty)
    }
}
