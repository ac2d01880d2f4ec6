import Foundation

/// A dependency-free SVG line chart: axes with "nice" ticks, labels, a legend, optional
/// horizontal reference lines. Each series is drawn as a `<polyline class="series">` (with
/// markers when it has few points) inside a `<g class="series" data-name="…">`, so that tests
/// and scripts can find it. Optional shaded bands (e.g. a spread over seeds) are drawn beneath
/// the series, each as a `<polygon class="band">` inside a `<g class="band" data-name="…">`.
public struct SVGChart {
    /// A shaded region between `low` and `high` at each x.
    public struct Band {
        public var name: String
        public var points: [(x: Double, low: Double, high: Double)]
        /// A CSS color; by default the palette's, in band order.
        public var color: String? = nil
        public var opacity = 0.2
        public init(name: String, points: [(x: Double, low: Double, high: Double)], color: String? = nil, opacity: Double = 0.2) {
            self.name = name
            self.points = points.filter { $0.x.isFinite && $0.low.isFinite && $0.high.isFinite }
            self.color = color
            self.opacity = opacity
        }
    }

    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var dashed = false
        /// A CSS color; by default the palette's, in series order.
        public var color: String? = nil
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, color: String? = nil) {
            self.name = name
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
            self.dashed = dashed
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Shaded bands, drawn beneath the series (none by default).
    public var bands: [Band] = []
    /// Lines of small grey text under the legend, e.g. what the bands mean (none by default).
    public var legendNote: [String] = []
    /// Horizontal reference lines (value, label), e.g. 90° or an eigenvalue of 1.
    public var references: [(y: Double, label: String)] = []
    /// Fixed y range, if wanted; otherwise from the data (and the references).
    public var yRange: ClosedRange<Double>? = nil
    /// The y axis starts at 0 (when the data are positive).
    public var includeZero = false
    /// A logarithmic y axis (non-positive values are left out), ticks at powers of 10.
    public var logY = false
    /// x ticks on whole numbers only (epochs).
    public var integerX = false
    public var width = 720.0
    public var height = 420.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public func render() -> String {
        // The legend's column is as wide as its longest entry (the plot keeps its width).
        let longest = (self.series.map(\.name.count).max() ?? 0) + 7
        let right = min(max(190.0, 50 + 6.7 * Double(max(longest, legendNote.map(\.count).max() ?? 0))), 480)
        let width = self.width + right - 190
        let left = 72.0, top = 44.0, bottom = 58.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        // On a log axis every y below is log10(y).
        let logY = self.logY
        func ty(_ y: Double) -> Double { logY ? (y > 0 ? log10(y) : .nan) : y }
        let series = self.series.map { s in
            Series(name: s.name, points: s.points.map { ($0.x, ty($0.y)) }, dashed: s.dashed, color: s.color)
        }
        let references = self.references.map { (y: ty($0.y), label: $0.label) }
        let bands = self.bands.map { b in
            Band(name: b.name, points: b.points.map { ($0.x, ty($0.low), ty($0.high)) }, color: b.color, opacity: b.opacity)
        }
        let xs = series.flatMap { $0.points.map(\.x) } + bands.flatMap { $0.points.map(\.x) }
        var ys = series.flatMap { $0.points.map(\.y) }
        ys += bands.flatMap { $0.points.flatMap { [$0.low, $0.high] } }
        ys += references.map(\.y).filter(\.isFinite)
        if includeZero && !logY { ys.append(0) }
        var xMin = xs.min() ?? 0, xMax = xs.max() ?? 1
        if xMax - xMin < 1e-12 { xMin -= integerX ? 1 : 0.5; xMax += integerX ? 1 : 0.5 }
        var yMin = yRange.map { ty($0.lowerBound) } ?? (ys.min() ?? 0), yMax = yRange.map { ty($0.upperBound) } ?? (ys.max() ?? 1)
        if yMax - yMin < 1e-12 { yMin -= max(abs(yMin) * 0.1, 0.5); yMax += max(abs(yMax) * 0.1, 0.5) }
        var xTicks = SVGChart.niceTicks(xMin, xMax)
        if integerX && xTicks.count > 1 && xTicks[1] - xTicks[0] < 1 {
            xTicks = Array(stride(from: floor(xMin), through: ceil(xMax), by: 1))
        }
        var yTicks = SVGChart.niceTicks(yMin, yMax)
        if logY {
            let step = max(1, ceil((ceil(yMax) - floor(yMin)) / 8))
            yTicks = Array(stride(from: floor(yMin), through: ceil(yMax), by: step))
        }
        if yRange == nil { yMin = min(yMin, yTicks.first!); yMax = max(yMax, yTicks.last!) }
        xMin = min(xMin, xTicks.first!); xMax = max(xMax, xTicks.last!)
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(f(left + plotWidth / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

        """
        // Grid and ticks.
        out += "<g class=\"axes\" stroke=\"#000\" stroke-width=\"1\">\n"
        for t in xTicks where t >= xMin - 1e-9 && t <= xMax + 1e-9 {
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e5e5e5\"/>\n"
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotHeight + 5))\"/>\n"
        }
        for t in yTicks where t >= yMin - 1e-9 && t <= yMax + 1e-9 {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(t)))\" x2=\"\(f(left))\" y2=\"\(f(py(t)))\"/>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\"/>\n</g>\n"
        out += "<g class=\"tick-labels\" fill=\"#222\">\n"
        for t in xTicks where t >= xMin - 1e-9 && t <= xMax + 1e-9 {
            out += "<text class=\"xtick\" x=\"\(f(px(t)))\" y=\"\(f(top + plotHeight + 19))\" text-anchor=\"middle\">\(SVGChart.tickLabel(t, xTicks))</text>\n"
        }
        for t in yTicks where t >= yMin - 1e-9 && t <= yMax + 1e-9 {
            let label = logY ? SVGChart.powerLabel(t) : SVGChart.tickLabel(t, yTicks)
            out += "<text class=\"ytick\" x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label)</text>\n"
        }
        out += "</g>\n"
        out += "<text class=\"xlabel\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\" font-size=\"13\">\(escape(xLabel))</text>\n"
        out += "<text class=\"ylabel\" x=\"18\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 \(f(top + plotHeight / 2)))\">\(escape(yLabel))</text>\n"
        // Reference lines.
        for r in references where r.y >= yMin && r.y <= yMax {
            out += "<g class=\"reference\" data-value=\"\(r.y)\"><line x1=\"\(f(left))\" y1=\"\(f(py(r.y)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(r.y)))\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>"
            out += "<text x=\"\(f(left + plotWidth + 6))\" y=\"\(f(py(r.y) + 4))\" text-anchor=\"start\" fill=\"#555\">\(escape(SVGChart.shorten(r.label, 26)))</text></g>\n"
        }
        // Series, clipped to the plot.
        out += "<defs><clipPath id=\"plot\"><rect x=\"\(f(left - 5))\" y=\"\(f(top - 5))\" width=\"\(f(plotWidth + 10))\" height=\"\(f(plotHeight + 10))\"/></clipPath></defs>\n"
        for (k, b) in bands.enumerated() {
            let color = b.color ?? SVGChart.palette[k % SVGChart.palette.count]
            let outline = b.points.map { (x: $0.x, y: $0.high) } + b.points.reversed().map { (x: $0.x, y: $0.low) }
            let coordinates = outline.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<g class=\"band\" data-name=\"\(escape(b.name))\" data-points=\"\(b.points.count)\" clip-path=\"url(#plot)\">"
            out += "<polygon class=\"band\" fill=\"\(color)\" fill-opacity=\"\(b.opacity)\" stroke=\"none\" points=\"\(coordinates)\"/></g>\n"
        }
        for (k, s) in series.enumerated() {
            let color = s.color ?? SVGChart.palette[k % SVGChart.palette.count]
            out += "<g class=\"series\" data-name=\"\(escape(s.name))\" data-points=\"\(s.points.count)\" clip-path=\"url(#plot)\">\n"
            let coordinates = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
            out += "<polyline class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(dash) points=\"\(coordinates)\"/>\n"
            // Markers where points are few (dashed series, often dense and noisy, only when very few).
            if s.points.count <= (s.dashed ? 12 : 40) {
                for p in s.points { out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3.2\" fill=\"\(color)\"/>\n" }
            }
            out += "</g>\n"
        }
        // Legend.
        out += "<g class=\"legend\">\n"
        for (k, s) in series.enumerated() {
            let color = s.color ?? SVGChart.palette[k % SVGChart.palette.count]
            let y = top + 8 + Double(k) * 20
            let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
            out += "<line x1=\"\(f(left + plotWidth + 14))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth + 38))\" y2=\"\(f(y))\" stroke=\"\(color)\" stroke-width=\"2.5\"\(dash)/>"
            out += "<text x=\"\(f(left + plotWidth + 44))\" y=\"\(f(y + 4))\">\(escape(SVGChart.shorten(s.name, 64)))</text>\n"
        }
        for (k, line) in legendNote.enumerated() {
            let y = top + 8 + Double(series.count) * 20 + 6 + Double(k) * 15
            out += "<text class=\"legend-note\" x=\"\(f(left + plotWidth + 14))\" y=\"\(f(y + 4))\" font-size=\"11\" fill=\"#555\">\(escape(SVGChart.shorten(line, 64)))</text>\n"
        }
        if series.isEmpty {
            out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n"
        }
        out += "</g>\n</svg>\n"
        return out
    }

    /// Round tick values (steps of 1, 2 or 5 × 10^k) covering [low, high], about 5 of them.
    public static func niceTicks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        let span = max(high - low, 1e-12)
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(low / step + 1e-9) * step
        var ticks: [Double] = []
        var t = first
        while t <= high + step * 0.999 && ticks.count < 50 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }

    static func tickLabel(_ value: Double, _ ticks: [Double]) -> String {
        let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : 1
        let decimals = max(0, min(6, Int(ceil(-log10(step) - 1e-9))))
        let d = step * pow(10, Double(decimals))
        let extra = abs(d - d.rounded()) > 1e-6 ? 1 : 0
        return String(format: "%.\(decimals + extra)f", value)
    }

    /// 10^k as a plain number: 0.01, 0.1, 1, 10, 100, 1000, then 1e4 …
    static func powerLabel(_ k: Double) -> String {
        let e = Int(k.rounded())
        if e >= 0 && e <= 3 { return String(Int(pow(10, Double(e)))) }
        if e < 0 && e >= -3 { return String(format: "%.\(-e)f", pow(10, Double(e))) }
        return "1e\(e)"
    }

    static func shorten(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
    private func f(_ x: Double) -> String { String(format: "%.1f", x) }
}

func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
