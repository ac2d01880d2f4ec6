import Foundation

/// The summary of a sweep: per architecture, the final test error over seeds, the test error
/// per epoch, the final per-layer read-out accuracy and the final update angle of each hidden
/// layer. Columns are a list, so measurements can be added as columns later.
public struct AblationSummary: Sendable {
    public struct Row: Sendable {
        public var architecture: String
        public var runs: Int
        /// Runs that finished every epoch (only these enter the statistics).
        public var finished: Int
        public var epochs: Int
        /// Final (last-epoch) test error of each finished run, percent.
        public var finalTestErrors: [Double]
        /// Test error per epoch (index epoch − 1) of each finished run.
        public var testErrorsByEpoch: [[Double]]
        /// Hidden layers of the architecture.
        public var hiddenLayers: Int = 0
        /// Layer (`input`, `hidden_<l>`, `output`, `network`) → the accuracy (percent) at the
        /// final epoch of each finished run whose layer_accuracy.csv has it.
        public var finalLayerAccuracies: [String: [Double]] = [:]
        /// Layer (`hidden_<l>`) → the last row of update_angles_smoothed.csv (degrees) of each
        /// finished run that has a finite value.
        public var finalUpdateAngles: [String: [Double]] = [:]
        /// The setting of the swept options, "sparse-feedback=0.8 symmetric-feedback=on"
        /// (empty in a sweep without `--vary`).
        public var options: String = ""

        /// The architecture and, if any, its setting: the row's name in tables and figures.
        public var label: String { options.isEmpty ? architecture : "\(architecture) \(options)" }
    }

    public var rows: [Row]

    public struct Column: Sendable {
        public struct Formats: OptionSet, Sendable {
            public let rawValue: Int
            public init(rawValue: Int) { self.rawValue = rawValue }
            public static let csv = Formats(rawValue: 1)
            public static let markdown = Formats(rawValue: 2)
            public static let both: Formats = [.csv, .markdown]
        }
        public var header: String
        public var markdownHeader: String
        /// Where the column appears (a CSV column may be shown differently in Markdown).
        public var formats: Formats = .both
        public var value: @Sendable (Row) -> String

        public init(header: String, markdownHeader: String, formats: Formats = .both, value: @escaping @Sendable (Row) -> String) {
            self.header = header
            self.markdownHeader = markdownHeader
            self.formats = formats
            self.value = value
        }
    }

    /// A CSV field, quoted when it holds a comma or a quote (option values such as "0.21,0.21"):
    /// `CSVNumber.field`, the one CSV writer's.
    public static func csvField(_ text: String) -> String { CSVNumber.field(text) }

    public static func format(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "" }

    /// "mean ± SD" (or just the mean for one value; empty for none), for Markdown cells.
    public static func meanAndSD(_ values: [Double]) -> String {
        guard let m = SweepStatistics.mean(values) else { return "" }
        guard let sd = SweepStatistics.standardDeviation(values) else { return format(m) }
        return "\(format(m)) ± \(format(sd))"
    }

    /// The columns of summary.csv and summary.md that every sweep has, in order.
    public static let columns: [Column] = [
        Column(header: "architecture", markdownHeader: "network") { $0.architecture },
        Column(header: "runs", markdownHeader: "runs") { String($0.runs) },
        Column(header: "finished_runs", markdownHeader: "finished") { String($0.finished) },
        Column(header: "epochs", markdownHeader: "epochs") { String($0.epochs) },
        Column(header: "mean_test_error_percent", markdownHeader: "mean test error (%)") { format(SweepStatistics.mean($0.finalTestErrors)) },
        Column(header: "sd_test_error_percent", markdownHeader: "SD") { format(SweepStatistics.standardDeviation($0.finalTestErrors)) },
        Column(header: "min_test_error_percent", markdownHeader: "min") { format($0.finalTestErrors.min()) },
        Column(header: "max_test_error_percent", markdownHeader: "max") { format($0.finalTestErrors.max()) },
    ]

    /// Layers of layer_accuracy.csv for the deepest architecture: input, hidden_0 …, output, network.
    public var accuracyLayers: [String] {
        ["input"] + hiddenLayerNames + ["output", "network"]
    }

    private var hiddenLayerNames: [String] { (0..<(rows.map(\.hiddenLayers).max() ?? 0)).map(RunFormat.hiddenLayerName) }

    /// Every column of this summary: the fixed `columns`, then per layer the final read-out
    /// accuracy (CSV: mean and SD; Markdown: "mean ± SD"), then per hidden layer the final
    /// update angle. Empty cells where an architecture lacks the layer or no run recorded it.
    public var allColumns: [Column] {
        var columns = Self.columns
        if rows.contains(where: { !$0.options.isEmpty }) {
            columns.insert(Column(header: "options", markdownHeader: "options") { $0.options }, at: 1)
        }
        func add(_ key: String, _ unit: String, _ markdownHeader: String, _ values: @escaping @Sendable (Row) -> [Double]) {
            columns.append(Column(header: "mean_\(key)_\(unit)", markdownHeader: "", formats: .csv) { AblationSummary.format(SweepStatistics.mean(values($0))) })
            columns.append(Column(header: "sd_\(key)_\(unit)", markdownHeader: "", formats: .csv) { AblationSummary.format(SweepStatistics.standardDeviation(values($0))) })
            columns.append(Column(header: "", markdownHeader: markdownHeader, formats: .markdown) { AblationSummary.meanAndSD(values($0)) })
        }
        for layer in accuracyLayers {
            add("accuracy_\(layer)", "percent", "\(layer) accuracy (%)") { $0.finalLayerAccuracies[layer] ?? [] }
        }
        for layer in hiddenLayerNames {
            add("update_angle_\(layer)", "deg", "\(layer) update angle (°)") { $0.finalUpdateAngles[layer] ?? [] }
        }
        return columns
    }

    /// Reads every finished run's `metrics.csv`, `layer_accuracy.csv` and
    /// `update_angles_smoothed.csv` (`status` says which runs are finished). One row per
    /// architecture and setting of the swept options, in plan order.
    public static func collect(_ plan: SweepPlan, status: (URL) -> RunStatus = RunStatus.of) throws -> AblationSummary {
        var rows: [Row] = []
        for group in plan.groups {
            let seeds = plan.seeds(for: group)
            var row = Row(architecture: SweepPlan.label(group.architecture), runs: seeds.count, finished: 0,
                          epochs: 0, finalTestErrors: [], testErrorsByEpoch: [], hiddenLayers: group.architecture.count)
            row.options = plan.settingLabel(group.setting)
            for seed in seeds {
                let directory = plan.runDirectory(architecture: group.architecture, setting: group.setting, seed: seed)
                // A run that claims no finished epoch (an edited config) counts as not finished.
                guard case let .finished(epochs) = status(directory), epochs > 0 else { continue }
                // Every file through the one strict reader, in the run's own format.
                let layout = try RunLayout(directory: directory)
                let errors = try testErrors(in: directory, layout: layout)
                guard errors.count == epochs else {
                    throw CheckpointError("\(directory.path)/metrics.csv has \(errors.count) epochs; the run has \(epochs)")
                }
                row.finished += 1
                row.epochs = max(row.epochs, epochs)
                row.finalTestErrors.append(errors[epochs - 1])
                row.testErrorsByEpoch.append(errors)
                for (layer, accuracy) in try layerAccuracies(in: directory, epoch: epochs, layout: layout) {
                    row.finalLayerAccuracies[layer, default: []].append(accuracy)
                }
                for (layer, angle) in try finalUpdateAngles(in: directory, layout: layout) {
                    row.finalUpdateAngles[layer, default: []].append(angle)
                }
            }
            rows.append(row)
        }
        return AblationSummary(rows: rows)
    }

    /// Layer → accuracy (percent) at `epoch` from a run's layer_accuracy.csv (empty when the
    /// file or the epoch is missing; a malformed file is an error naming it and the line).
    public static func layerAccuracies(in directory: URL, epoch: Int, layout: RunLayout? = nil) throws -> [String: Double] {
        guard let table = try (layout ?? RunLayout(directory: directory)).read(.layerAccuracy, in: directory) else { return [:] }
        return layerAccuracies(table, epoch: epoch)
    }

    /// Layer → accuracy (percent) at `epoch` of a layer_accuracy.csv already read (finite values).
    public static func layerAccuracies(_ table: CSVTable, epoch: Int) -> [String: Double] {
        guard let epochs = table.column("epoch"), let layers = table.column("layer"),
              let accuracies = table.column("accuracy_percent") else { return [:] }
        var result: [String: Double] = [:]
        for k in epochs.indices where Int(epochs[k]) == epoch {
            if let value = Double(accuracies[k]), value.isFinite { result[layers[k]] = value }
        }
        return result
    }

    /// `hidden_<l>` → the last row's `hidden_<l>_deg` of a run's update_angles_smoothed.csv
    /// (finite values only; empty when the file is missing or has no row).
    public static func finalUpdateAngles(in directory: URL, layout: RunLayout? = nil) throws -> [String: Double] {
        guard let table = try (layout ?? RunLayout(directory: directory)).read(.updateAnglesSmoothed, in: directory),
              let last = table.rows.last else { return [:] }
        var result: [String: Double] = [:]
        for (k, name) in table.header.enumerated() where name.hasPrefix("hidden_") && name.hasSuffix("_deg") {
            if let value = Double(last[k]), value.isFinite { result[String(name.dropLast("_deg".count))] = value }
        }
        return result
    }

    /// Column `test_error_percent` of a run's metrics.csv, by epoch (strict: a malformed row or
    /// a non-finite test error is an error naming the file and the line).
    public static func testErrors(in directory: URL, layout: RunLayout? = nil) throws -> [Double] {
        let layout = try layout ?? RunLayout(directory: directory)
        let path = directory.appendingPathComponent(RunCSV.metrics.fileName).path
        guard let table = try layout.read(.metrics, in: directory) else {
            throw DataError(file: path, problem: "file not found")
        }
        let k = table.header.firstIndex(of: "test_error_percent")!
        return try table.rows.indices.map { index in
            guard let value = Double(table.rows[index][k]), value.isFinite else {
                throw DataError(file: path, problem: "line \(table.lineNumbers[index]), column test_error_percent: '\(table.rows[index][k])' is not a finite number")
            }
            return value
        }
    }

    public var csv: String {
        let columns = allColumns.filter { $0.formats.contains(.csv) }
        return ([columns.map(\.header).joined(separator: ",")]
            + rows.map { row in columns.map { Self.csvField($0.value(row)) }.joined(separator: ",") })
            .map { $0 + "\n" }.joined()
    }

    public func markdown(title: String, command: String) -> String {
        let columns = allColumns.filter { $0.formats.contains(.markdown) }
        var lines = ["# \(title)", "", "Command: `\(command)`", "",
                     "Final test error (full test set, last epoch) over seeds; only finished runs count. "
                        + "Layer accuracies (linear read-out of each layer, and the network's own, at the last epoch) "
                        + "and update angles (last block of update_angles_smoothed.csv) are mean ± SD over the finished runs that recorded them.", "",
                     "| " + columns.map(\.markdownHeader).joined(separator: " | ") + " |",
                     "|" + String(repeating: "---|", count: columns.count)]
        for row in rows { lines.append("| " + columns.map { $0.value(row) }.joined(separator: " | ") + " |") }
        lines += ["", "![Test error by epoch](\(Self.figureName))", "",
                  "Test error per epoch (full test set): the line is the mean over finished seeds, the shaded band spans their minimum to maximum."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `architecture,[options,]epoch,runs,mean,sd,min,max` of the test error per epoch (for figures).
    public var byEpochCSV: String {
        let withOptions = rows.contains { !$0.options.isEmpty }
        var lines = [(withOptions ? "architecture,options," : "architecture,")
                     + "epoch,runs,mean_test_error_percent,sd_test_error_percent,min_test_error_percent,max_test_error_percent"]
        for row in rows where row.epochs > 0 {
            for e in 0..<row.epochs {
                let values = row.testErrorsByEpoch.compactMap { e < $0.count ? $0[e] : nil }
                let names: [String] = withOptions ? [row.architecture, Self.csvField(row.options)] : [row.architecture]
                let statistics: [String] = [String(e + 1), String(values.count), Self.format(SweepStatistics.mean(values)),
                                            Self.format(SweepStatistics.standardDeviation(values)), Self.format(values.min()),
                                            Self.format(values.max())]
                lines.append((names + statistics).joined(separator: ","))
            }
        }
        return lines.map { $0 + "\n" }.joined()
    }

    public static let figureName = "test_error_by_epoch.svg"

    /// Test error per epoch: per architecture, the mean over finished seeds as a line and
    /// their min–max as a shaded band of the same color.
    public func testErrorChart() -> SVGChart {
        var chart = SVGChart(title: "Test error by epoch", xLabel: "epoch", yLabel: "test error (%)")
        chart.integerX = true
        chart.legendNote = ["line: mean over seeds", "band: min–max over seeds"]
        for (k, row) in rows.enumerated() where row.epochs > 0 {
            let color = SVGChart.palette[k % SVGChart.palette.count]
            var mean: [(x: Double, y: Double)] = []
            var band: [(x: Double, low: Double, high: Double)] = []
            for e in 0..<row.epochs {
                let values = row.testErrorsByEpoch.compactMap { e < $0.count ? $0[e] : nil }
                guard let m = SweepStatistics.mean(values), let low = values.min(), let high = values.max() else { continue }
                mean.append((Double(e + 1), m))
                band.append((Double(e + 1), low, high))
            }
            chart.bands.append(SVGChart.Band(name: row.label, points: band, color: color))
            // The label alone: the legend truncates at 24 characters (784-500-100-100-10 is 18).
            chart.series.append(SVGChart.Series(name: row.label, points: mean, color: color))
        }
        return chart
    }

    /// Writes summary.csv, summary.md, summary_by_epoch.csv and test_error_by_epoch.svg into
    /// the sweep directory, atomically.
    public func write(to directory: URL, title: String, command: String) throws {
        try AtomicFile.write(Data(csv.utf8), to: directory.appendingPathComponent("summary.csv"))
        try AtomicFile.write(Data(markdown(title: title, command: command).utf8), to: directory.appendingPathComponent("summary.md"))
        try AtomicFile.write(Data(byEpochCSV.utf8), to: directory.appendingPathComponent("summary_by_epoch.csv"))
        try AtomicFile.write(Data(testErrorChart().render().utf8), to: directory.appendingPathComponent(Self.figureName))
    }
}

public enum SweepStatistics {
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The sample standard deviation (n − 1); nil for fewer than two values.
    public static func standardDeviation(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}
