import CZlib
import Foundation

/// A minimal PNG writer (8-bit RGB, no interlace), compressed with zlib: enough to embed
/// receptive fields in an SVG as a data URI.
public enum PNG {
    /// `rgb` holds width × height × 3 bytes, row by row.
    public static func encode(width: Int, height: Int, rgb: [UInt8]) -> Data {
        precondition(rgb.count == width * height * 3)
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + width * 3))
        for y in 0..<height {
            raw.append(0)  // filter: none
            raw += rgb[(y * width * 3)..<((y + 1) * width * 3)]
        }
        var compressedLength = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedLength))
        let status = compress2(&compressed, &compressedLength, raw, uLong(raw.count), 9)
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")
        compressed.removeSubrange(Int(compressedLength)...)

        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // 8 bits, RGB, deflate, adaptive filters, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", Data(compressed), to: &png)
        appendChunk("IEND", Data(), to: &png)
        return png
    }

    private static func appendChunk(_ type: String, _ body: Data, to png: inout Data) {
        png.append(bigEndian: UInt32(body.count))
        var typed = Data(type.utf8)
        typed.append(body)
        png.append(typed)
        let crc = typed.withUnsafeBytes { buffer in
            crc32(0, buffer.bindMemory(to: UInt8.self).baseAddress, uInt(buffer.count))
        }
        png.append(bigEndian: UInt32(crc))
    }
}

extension Data {
    mutating func append(bigEndian value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}

/// The receptive fields of the first hidden layer: the rows of W_0 (n_0 × pixels), each shown
/// as a rows × columns image on its own symmetric color scale (blue negative, white zero, red
/// positive), in a grid, as an embedded PNG inside an SVG with a title. Under each grid a colour
/// bar shows the scale: full blue is −m, white 0 and full red +m, where m is a tile's largest
/// |value|, with the smallest and largest m of the grid's tiles. With the initial weights,
/// a second grid shows what training changed, W_0 − W_0(initial), where learned structure shows
/// long before it dominates the random initial weights.
public enum ReceptiveFields {
    public static func svg(weights w: NPYArray, initial: NPYArray? = nil, imageRows: Int = 28, imageColumns: Int = 28,
                           neurons: Int = 100, title: String) -> String? {
        guard w.shape.count == 2, w.shape[1] == imageRows * imageColumns, w.shape[0] > 0 else { return nil }
        let count = min(neurons, w.shape[0])
        var panels: [(label: String, values: [Double], centered: Bool)] = [("weights (minus each neuron's mean)", w.values, true)]
        if let initial, initial.shape == w.shape, initial.values != w.values {
            panels.append(("change since initialization", zip(w.values, initial.values).map { $0 - $1 }, false))
        }
        let gridColumns = Int(Double(count).squareRoot().rounded(.up))
        let gridRows = (count + gridColumns - 1) / gridColumns
        let gap = 2
        let width = gridColumns * (imageColumns + gap) + gap
        let height = gridRows * (imageRows + gap) + gap
        let scale = max(1, 420 / width)
        let (w2, h2) = (width * scale, height * scale)
        let total = panels.count * (w2 + 20) + 20, totalHeight = h2 + 150
        var body = ""
        for (p, panel) in panels.enumerated() {
            let limits = tileLimits(panel.values, count: count, pixels: imageRows * imageColumns, centered: panel.centered)
            let png = grid(panel.values, count: count, gridColumns: gridColumns, width: width, height: height,
                           imageRows: imageRows, imageColumns: imageColumns, gap: gap, centered: panel.centered)
                .base64EncodedString()
            let x = 20 + p * (w2 + 20)
            body += """
            <text x="\(x + w2 / 2)" y="52" text-anchor="middle" font-size="13">\(escape(panel.label))</text>
            <image class="receptive-fields" data-neurons="\(count)" x="\(x)" y="62" width="\(w2)" height="\(h2)" style="image-rendering: pixelated" preserveAspectRatio="none" xlink:href="data:image/png;base64,\(png)" href="data:image/png;base64,\(png)"/>
            \(colourBar(x: x, y: h2 + 74, width: w2, limits: limits))
            """
        }
        return """
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(total)" height="\(totalHeight)" viewBox="0 0 \(total) \(totalHeight)" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <defs><linearGradient id="blue-white-red" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="rgb(0,0,255)"/><stop offset="0.5" stop-color="rgb(255,255,255)"/><stop offset="1" stop-color="rgb(255,0,0)"/></linearGradient></defs>
        <text class="title" x="\(total / 2)" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>
        \(body)<text x="\(total / 2)" y="\(h2 + 140)" text-anchor="middle" font-size="11" fill="#444">one tile per neuron, each on its own scale: m is its largest |value|</text>
        </svg>

        """
    }

    /// Each tile's m: its largest |value| (after its mean is taken off, when `centered`).
    static func tileLimits(_ values: [Double], count: Int, pixels: Int, centered: Bool) -> [Double] {
        (0..<count).map { k in
            let row = values[(k * pixels)..<((k + 1) * pixels)]
            let center = centered ? row.reduce(0, +) / Double(pixels) : 0
            return max(row.map { abs($0 - center) }.max() ?? 1, 1e-12)
        }
    }

    /// The colour bar of a grid: the blue–white–red gradient from −m to +m, and the range of m.
    static func colourBar(x: Int, y: Int, width: Int, limits: [Double]) -> String {
        func g(_ v: Double) -> String { String(format: "%.3g", v) }
        let low = limits.min() ?? 0, high = limits.max() ?? 0
        let range = low == high ? "m = \(g(high))" : "m = \(g(low)) … \(g(high)) over the tiles"
        return """
        <g class="colour-bar" data-m-min="\(g(low))" data-m-max="\(g(high))"><rect x="\(x)" y="\(y)" width="\(width)" height="12" fill="url(#blue-white-red)" stroke="#666" stroke-width="0.5"/>
        <text x="\(x)" y="\(y + 26)" text-anchor="start" font-size="11">−m</text><text x="\(x + width / 2)" y="\(y + 26)" text-anchor="middle" font-size="11">0</text><text x="\(x + width)" y="\(y + 26)" text-anchor="end" font-size="11">+m</text>
        <text x="\(x + width / 2)" y="\(y + 42)" text-anchor="middle" font-size="11" fill="#444">\(escape(range))</text></g>

        """
    }

    static func grid(_ values: [Double], count: Int, gridColumns: Int, width: Int, height: Int,
                     imageRows: Int, imageColumns: Int, gap: Int, centered: Bool) -> Data {
        var rgb = [UInt8](repeating: 255, count: width * height * 3)
        let pixels = imageRows * imageColumns
        for k in 0..<count {
            let row = Array(values[(k * pixels)..<((k + 1) * pixels)])
            let center = centered ? row.reduce(0, +) / Double(pixels) : 0
            let limit = max(row.map { abs($0 - center) }.max() ?? 1, 1e-12)
            let x0 = gap + (k % gridColumns) * (imageColumns + gap)
            let y0 = gap + (k / gridColumns) * (imageRows + gap)
            for r in 0..<imageRows {
                for c in 0..<imageColumns {
                    let v = max(-1, min(1, (row[r * imageColumns + c] - center) / limit))
                    let color: (Double, Double, Double) = v >= 0 ? (1, 1 - v, 1 - v) : (1 + v, 1 + v, 1)
                    let o = ((y0 + r) * width + x0 + c) * 3
                    rgb[o] = UInt8((color.0 * 255).rounded())
                    rgb[o + 1] = UInt8((color.1 * 255).rounded())
                    rgb[o + 2] = UInt8((color.2 * 255).rounded())
                }
            }
        }
        return PNG.encode(width: width, height: height, rgb: rgb)
    }
}
