import Foundation

/// The view across the runs of a sweep (`dendrite-train report --sweep DIR`): the analogues of
/// the paper's figures, each group (architecture and setting) as its mean over seeds with a
/// min–max band, written as SVG files and an `index.html` into the sweep directory. Runs that
/// have not finished count with the epochs they have (their number is in each legend).
public struct SweepReport {
    /// The runs of one group that have at least one finished epoch.
    public struct Group {
        public var architecture: [Int]
        /// "" for the plain network, else the setting's label ("sparse", "sparse-feedback=0.8").
        public var setting: String
        public var runs: [RunSummary]
        public var label: String { setting.isEmpty ? SweepPlan.label(architecture) : "\(SweepPlan.label(architecture)) \(setting)" }
    }

    public let directory: URL
    public let title: String
    public let groups: [Group]

    /// The paper's 60-epoch test errors (MODEL.md §7) by number of hidden layers.
    public static let paperErrorByDepth: [(hiddenLayers: Int, percent: Double)] = [(0, 8.3), (1, 4.1), (2, 3.2)]

    public init(sweepDirectory: URL) throws {
        directory = sweepDirectory.standardizedFileURL
        let manifest = try SweepManifest.read(from: directory)
        title = manifest.title
        let plan = manifest.plan(sweepDirectory: directory)
        groups = try plan.groups.map { group in
            var runs: [RunSummary] = []
            for seed in plan.seeds(for: group) {
                let run = plan.runDirectory(architecture: group.architecture, setting: group.setting, seed: seed)
                guard FileManager.default.fileExists(atPath: run.appendingPathComponent("config.json").path) else { continue }
                let summary = try RunSummary(directory: run)
                if !summary.testErrors.isEmpty { runs.append(summary) }
            }
            return Group(architecture: group.architecture, setting: plan.settingLabel(group.setting), runs: runs)
        }
    }

    /// Plain networks (the depth series) and the settings of each architecture.
    var depthGroups: [Group] { groups.filter { $0.setting.isEmpty && !$0.runs.isEmpty } }

    /// "784-500-10 (3 runs, 12–60 epochs)".
    static func legend(_ group: Group) -> String {
        let epochs = group.runs.map { $0.testErrors.count }
        let span = epochs.min() == epochs.max() ? "\(epochs.max() ?? 0)" : "\(epochs.min()!)–\(epochs.max()!)"
        return "\(group.label) (\(group.runs.count) run\(group.runs.count == 1 ? "" : "s"), \(span) epochs)"
    }

    /// Mean, min and max across runs of each x where every run with data there has a value.
    public static func across(_ curves: [[(x: Double, y: Double)]]) -> (mean: [(x: Double, y: Double)], band: [(x: Double, low: Double, high: Double)]) {
        var byX: [Double: [Double]] = [:]
        for curve in curves { for p in curve where p.y.isFinite { byX[p.x, default: []].append(p.y) } }
        let xs = byX.keys.sorted()
        let mean = xs.map { x in (x: x, y: byX[x]!.reduce(0, +) / Double(byX[x]!.count)) }
        let band = xs.map { x in (x: x, low: byX[x]!.min()!, high: byX[x]!.max()!) }
        return (mean, band)
    }

    /// Averages a series over bins of `width` along x (bin centres as x), so long runs give
    /// readable curves and small files.
    public static func binned(_ points: [(x: Double, y: Double)], width: Double) -> [(x: Double, y: Double)] {
        guard width > 0 else { return points }
        var sums: [Int: (Double, Int)] = [:]
        for p in points where p.y.isFinite {
            let bin = Int((p.x / width).rounded(.down))
            let s = sums[bin, default: (0, 0)]
            sums[bin] = (s.0 + p.y, s.1 + 1)
        }
        return sums.keys.sorted().map { (x: (Double($0) + 0.5) * width, y: sums[$0]!.0 / Double(sums[$0]!.1)) }
    }

    /// A group's per-run series of a column of a training-progress table (x in epochs, binned).
    static func curves(_ group: Group, table: (RunSummary) -> CSVTable?, column: String,
                       binWidth: Double) -> [[(x: Double, y: Double)]] {
        group.runs.compactMap { run in
            guard let t = table(run), let values = t.numbers(column), !values.isEmpty else { return nil }
            return binned(Array(zip(run.progress(t), values)).map { (x: $0, y: $1) }, width: binWidth)
        }
    }

    /// A chart of one quantity over training, a mean line and band per group (and hidden layer).
    func trainingChart(title: String, yLabel: String, groups: [Group], table: (RunSummary) -> CSVTable?,
                       columns: (Group) -> [(column: String, name: String)]) -> SVGChart? {
        let maxEpochs = groups.flatMap { $0.runs.map { Double($0.testErrors.count) } }.max() ?? 1
        var chart = SVGChart(title: title, xLabel: "epoch", yLabel: yLabel)
        var k = 0
        for group in groups {
            for (column, name) in columns(group) {
                let curves = Self.curves(group, table: table, column: column, binWidth: maxEpochs / 120)
                guard !curves.isEmpty else { continue }
                let (mean, band) = Self.across(curves)
                let color = SVGChart.palette[k % SVGChart.palette.count]
                k += 1
                chart.series.append(.init(name: name, points: mean, color: color))
                if curves.count > 1 { chart.bands.append(.init(name: name, points: band, color: color)) }
            }
        }
        return chart.series.isEmpty ? nil : chart
    }

    /// Every figure, by file name.
    public func figures() -> [(name: String, svg: String)] {
        var figures: [(String, String)] = []
        let depth = depthGroups

        // Test error per epoch, per depth (and per variant, in a second figure).
        func errorChart(_ title: String, _ groups: [Group]) -> SVGChart? {
            var chart = SVGChart(title: title, xLabel: "epoch", yLabel: "test error (%)")
            chart.integerX = true
            chart.logY = true
            for (k, group) in groups.enumerated() where !group.runs.isEmpty {
                let color = SVGChart.palette[k % SVGChart.palette.count]
                let (mean, band) = Self.across(group.runs.map { $0.testErrors.map { (x: $0.epoch, y: $0.error) } })
                chart.series.append(.init(name: Self.legend(group), points: mean, color: color))
                if group.runs.count > 1 { chart.bands.append(.init(name: group.label, points: band, color: color)) }
            }
            return chart.series.isEmpty ? nil : chart
        }
        if let chart = errorChart("Test error per epoch (mean over seeds, band: min–max)", depth) {
            figures.append(("sweep_test_error.svg", chart.render()))
        }
        let variantArchitectures = Set(groups.filter { !$0.setting.isEmpty && !$0.runs.isEmpty }.map(\.architecture))
        for architecture in variantArchitectures.sorted(by: { $0.count < $1.count }) {
            let related = groups.filter { $0.architecture == architecture && !$0.runs.isEmpty }
            if let chart = errorChart("Test error per epoch, \(SweepPlan.label(architecture)) and its variants", related) {
                figures.append(("sweep_test_error_\(SweepPlan.label(architecture)).svg", chart.render()))
            }
        }

        // Final error against depth, with the paper's.
        if !depth.isEmpty {
            var chart = SVGChart(title: "Final test error against depth", xLabel: "hidden layers", yLabel: "test error (%)")
            chart.integerX = true
            chart.includeZero = true
            let finals = depth.map { g in (x: Double(g.architecture.count), errors: g.runs.compactMap { $0.testErrors.last?.error }) }
            chart.series.append(.init(name: "ours, mean over seeds (last epoch each)",
                                      points: finals.map { (x: $0.x, y: $0.errors.reduce(0, +) / Double($0.errors.count)) }))
            chart.bands.append(.init(name: "ours, min–max", points: finals.map { (x: $0.x, low: $0.errors.min()!, high: $0.errors.max()!) }))
            chart.series.append(.init(name: "the paper (60 epochs)", points: Self.paperErrorByDepth.map { (x: Double($0.hiddenLayers), y: $0.percent) },
                                      dashed: true, color: "#7f7f7f"))
            chart.legendNote = finals.map { f in
                "\(Int(f.x)) hidden: " + f.errors.map { String(format: "%.2f", $0) }.joined(separator: ", ") + "%"
            }
            figures.append(("sweep_error_vs_depth.svg", chart.render()))
        }

        // Alignment over training: update angles, weight angles, Theorem 1's eigenvalue.
        let hidden = depth.filter { !$0.architecture.isEmpty }
        func layerColumns(_ g: Group) -> [(String, String)] {
            (0..<g.architecture.count).map { (RunFormat.angleColumn($0), "\(SweepPlan.label(g.architecture)) \(RunFormat.hiddenLayerName($0))") }
        }
        if var chart = trainingChart(title: "Update angle E vs. E_bp per hidden layer (mean over seeds)", yLabel: "angle (degrees)",
                                     groups: hidden, table: \.smoothedAngles, columns: layerColumns) {
            chart.references = [(90, "90°")]
            figures.append(("sweep_update_angles.svg", chart.render()))
        }
        if var chart = trainingChart(title: "Weight angle: Y vs. the forward weights it stands in for", yLabel: "angle (degrees)",
                                     groups: hidden, table: \.weightAngles, columns: layerColumns) {
            chart.references = [(90, "90°")]
            figures.append(("sweep_weight_angles.svg", chart.render()))
        }
        if var chart = trainingChart(title: "Theorem 1: largest eigenvalue of (I − U)ᵀ(I − U), U = mean J_β J_γ", yLabel: "largest eigenvalue (log scale)",
                                     groups: hidden, table: \.jacobian,
                                     columns: { [("max_eigenvalue", SweepPlan.label($0.architecture))] }) {
            chart.references = [(1, "1 (Theorem 1)")]
            chart.logY = true
            figures.append(("sweep_jacobian.svg", chart.render()))
        }

        // The hierarchy: read-out accuracy of every layer at each run's last full test.
        var readout = SVGChart(title: "Linear read-out of each layer (last epoch; 0 = pixels, last = output)",
                               xLabel: "layer (0: input)", yLabel: "test accuracy (%)")
        readout.integerX = true
        for (k, group) in depth.enumerated() {
            let names = RunFormat.layerNames(hiddenLayers: group.architecture.count)
            let curves: [[(x: Double, y: Double)]] = group.runs.compactMap { run in
                guard let epoch = run.testErrors.last?.epoch, let table = run.layerAccuracy else { return nil }
                let accuracies = AblationSummary.layerAccuracies(table, epoch: Int(epoch))
                let points = names.enumerated().compactMap { i, name in accuracies[name].map { (x: Double(i), y: $0) } }
                return points.isEmpty ? nil : points
            }
            guard !curves.isEmpty else { continue }
            let (mean, band) = Self.across(curves)
            let color = SVGChart.palette[k % SVGChart.palette.count]
            readout.series.append(.init(name: Self.legend(group), points: mean, color: color))
            if curves.count > 1 { readout.bands.append(.init(name: group.label, points: band, color: color)) }
        }
        if !readout.series.isEmpty { figures.append(("sweep_readout.svg", readout.render())) }

        // Final errors of the variants beside their plain network.
        let withVariants = groups.filter { g in !g.runs.isEmpty && variantArchitectures.contains(g.architecture) }
        if !withVariants.isEmpty {
            let rows = withVariants.map { g in (label: g.setting.isEmpty ? "\(SweepPlan.label(g.architecture)) random feedback" : g.label,
                                              values: g.runs.compactMap { $0.testErrors.last?.error },
                                              epochs: g.runs.map { $0.testErrors.count }) }
            figures.append(("sweep_variants.svg", Self.dotPlot(title: "Final test error of the variants (dots: seeds, bar: mean)",
                                                                 xLabel: "test error (%) at each run's last epoch", rows: rows)))
        }
        return figures
    }

    /// A dot plot: one row per label, a dot per value and a bar at their mean.
    static func dotPlot(title: String, xLabel: String, rows: [(label: String, values: [Double], epochs: [Int])]) -> String {
        let left = 300.0, right = 40.0, top = 44.0, rowHeight = 26.0, bottom = 54.0
        let width = 760.0, height = top + rowHeight * Double(rows.count) + bottom
        let all = rows.flatMap(\.values)
        var ticks = SVGChart.niceTicks(0, max(all.max() ?? 1, 1e-9))
        if ticks.isEmpty { ticks = [0, 1] }
        let xMax = ticks.last!
        func px(_ x: Double) -> Double { left + x / xMax * (width - left - right) }
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

        """
        let plotBottom = top + rowHeight * Double(rows.count)
        for t in ticks {
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(plotBottom))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(plotBottom + 18))\" text-anchor=\"middle\">\(SVGChart.tickLabel(t, ticks))</text>\n"
        }
        out += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"13\">\(escape(xLabel))</text>\n"
        for (i, row) in rows.enumerated() {
            let y = top + rowHeight * (Double(i) + 0.5)
            let epochs = Set(row.epochs).sorted().map(String.init).joined(separator: "/")
            out += "<text x=\"\(f(left - 10))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(row.label)) (\(row.values.count) × \(epochs) ep.)</text>\n"
            if !row.values.isEmpty {
                let mean = row.values.reduce(0, +) / Double(row.values.count)
                out += "<line class=\"mean\" x1=\"\(f(px(mean)))\" y1=\"\(f(y - 9))\" x2=\"\(f(px(mean)))\" y2=\"\(f(y + 9))\" stroke=\"#d62728\" stroke-width=\"3\"/>\n"
                out += "<text x=\"\(f(px(mean) + 8))\" y=\"\(f(y - 6))\" font-size=\"10\" fill=\"#d62728\">\(String(format: "%.2f", mean))</text>\n"
            }
            for v in row.values {
                out += "<circle class=\"seed\" cx=\"\(f(px(v)))\" cy=\"\(f(y))\" r=\"4\" fill=\"#1f77b4\" fill-opacity=\"0.8\"/>\n"
            }
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(plotBottom - top))\" fill=\"none\" stroke=\"#000\"/>\n"
        return out + "</svg>\n"
    }

    /// Writes every figure and `index.html` into `output` (default: the sweep directory), which is
    /// created if needed; returns the page's path.
    @discardableResult
    public func write(summaryMarkdown: String?, into output: URL? = nil) throws -> URL {
        let destination = output ?? directory
        try OutputDirectory.create(destination)
        let figures = self.figures()
        for (name, svg) in figures { try AtomicFile.write(Data(svg.utf8), to: destination.appendingPathComponent(name)) }
        var html = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font-family:Helvetica,Arial,sans-serif;max-width:1000px;margin:2em auto;color:#222}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>
        </head><body>
        <h1>\(escape(title))</h1>
        <p>\(escape(directory.path)): \(groups.reduce(0) { $0 + $1.runs.count }) runs with at least one epoch, in \(groups.count) groups. Each curve is the mean over a group's seeds; the band spans their minimum and maximum.</p>

        """
        if let summaryMarkdown { html += "<pre>\(escape(summaryMarkdown))</pre>\n" }
        for (name, _) in figures { html += "<p><img src=\"\(name)\" alt=\"\(name)\"></p>\n" }
        html += "</body></html>\n"
        let page = destination.appendingPathComponent("index.html")
        try AtomicFile.write(Data(html.utf8), to: page)
        return page
    }
}
