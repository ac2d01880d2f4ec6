import Foundation

/// What `dendrite-train report` reads from one run directory.
public struct RunSummary {
    public let directory: URL
    public let name: String
    /// config.json as a dictionary (empty when missing).
    public let config: [String: Any]
    public let configText: String
    public let metrics: CSVTable?
    public let quickTests: CSVTable?
    public let losses: CSVTable?
    public let smoothedAngles: CSVTable?
    public let weightAngles: CSVTable?
    public let jacobian: CSVTable?
    public let layerAccuracy: CSVTable?
    /// The run's format, hidden layers and images per epoch (from config.json).
    public let layout: RunLayout

    /// Reads config.json and every CSV file of the run (`CSVReader`, strict; format-1 files are
    /// read as format 2, see `RunLayout.read`). A malformed file is an error naming it and the
    /// line; a missing file is nil; a last line still being written (no newline) is skipped.
    public init(directory: URL) throws {
        self.directory = directory
        name = directory.standardizedFileURL.lastPathComponent
        let configURL = directory.appendingPathComponent("config.json")
        guard let data = try? InputFile.read(configURL.path, what: "a JSON file") else {
            throw ReportError("\(directory.path) holds no config.json: not a run directory")
        }
        configText = String(decoding: data, as: UTF8.self)
        config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let layout = try RunLayout(config: config, file: configURL.path)
        self.layout = layout
        func table(_ file: RunCSV) throws -> CSVTable? { try layout.read(file, in: directory) }
        metrics = try table(.metrics)
        quickTests = try table(.quickTest)
        losses = try table(.loss)
        smoothedAngles = try table(.updateAnglesSmoothed)
        weightAngles = try table(.weightAngles)
        jacobian = try table(.jacobian)
        layerAccuracy = try table(.layerAccuracy)
    }

    private var network: [String: Any] { config["network"] as? [String: Any] ?? [:] }
    private var training: [String: Any] { config["training"] as? [String: Any] ?? [:] }

    public var hiddenSizes: [Int] { (network["hiddenSizes"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
    public var mode: String { config["mode"] as? String ?? "?" }
    public var imagesPerEpoch: Double { Double(layout.imagesPerEpoch) }

    /// e.g. "spiking float32 784-500-10, 2 epochs × 60000, seed 1" plus the variants in use.
    public var configSummary: String {
        let input = (network["inputSize"] as? NSNumber)?.intValue ?? 784
        let classes = (network["classCount"] as? NSNumber)?.intValue ?? 10
        let k = (network["neuronsPerClass"] as? NSNumber)?.intValue ?? 1
        let layers = ([input] + hiddenSizes + [classes * k]).map(String.init).joined(separator: "-")
        let precision = config["precision"] as? String ?? ""
        let epochs = (training["epochs"] as? NSNumber)?.intValue ?? 0
        let seed = (training["seed"] as? NSNumber)?.intValue ?? 0
        var text = "\(mode) \(precision) \(layers), \(epochs) epoch\(epochs == 1 ? "" : "s") × \(Int(imagesPerEpoch)), seed \(seed)"
        var variants: [String] = []
        if let v = network["variants"] as? [String: Any] {
            if let f = v["sparseZeroedFraction"] as? NSNumber { variants.append("sparse \(f)") }
            if (v["symmetric"] as? Bool) == true { variants.append("symmetric") }
            if let sd = v["symmetricNoiseSD"] as? NSNumber { variants.append("noise \(sd)") }
            if v["feedbackLearningRates"] is [Any] { variants.append("learned Y") }
            if (v["apicalBias"] as? Bool) == true { variants.append("apical bias") }
            if (v["backprop"] as? Bool) == true { variants.append("backprop") }
        }
        if (network["feedbackWiring"] as? String) == "layerwise" { variants.append("layer-wise") }
        if !variants.isEmpty { text += " [" + variants.joined(separator: ", ") + "]" }
        return text
    }

    public var testErrors: [(epoch: Double, error: Double)] {
        guard let m = metrics, let e = m.numbers("epoch"), let t = m.numbers("test_error_percent") else { return [] }
        return zip(e, t).map { ($0, $1) }
    }
    public var finalTestError: Double? { testErrors.last?.error }
    public var bestTestError: Double? { testErrors.map(\.error).min() }

    /// The angle columns (`hidden_<l>_deg`) of the hidden layers measured.
    public var angleLayers: [String] { Self.angleColumns(smoothedAngles) }

    static func angleColumns(_ table: CSVTable?) -> [String] {
        (table?.header ?? []).filter { $0.hasPrefix("hidden_") && $0.hasSuffix("_deg") }
    }

    /// `hidden_0_deg` → `hidden_0`.
    static func layerName(ofAngleColumn column: String) -> String { String(column.dropLast("_deg".count)) }

    /// The smoothed update angle of each hidden layer over the last block.
    public var finalUpdateAngles: [Double] {
        guard let table = smoothedAngles, let last = table.rows.last else { return [] }
        return angleLayers.map { Double(last[table.header.firstIndex(of: $0)!]) ?? .nan }
    }

    /// Training progress in epochs: step / images per epoch (the block's last image in the
    /// block files).
    func progress(_ table: CSVTable) -> [Double] {
        (table.numbers("step") ?? []).map { $0 / imagesPerEpoch }
    }
}

public struct ReportError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `dendrite-train report`: a summary table, SVG figures and an `index.html` per run.
public enum RunReport {
    /// The figure files `write` creates in a run directory (those with data).
    public static let figureNames = ["test_error.svg", "loss.svg", "update_angles.svg", "weight_angles.svg",
                                     "jacobian.svg", "jacobian_weights.svg", "layer_accuracy.svg", "receptive_fields.svg"]

    /// The plain-text summary table of the runs.
    public static func summaryTable(_ runs: [RunSummary]) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.2f%%", $0) } ?? "–" }
        var lines = [["run", "configuration", "epochs", "final test error", "best test error", "final update angle (per hidden layer)"]]
        for r in runs {
            let angles = r.finalUpdateAngles.map { String(format: "%.1f°", $0) }.joined(separator: ", ")
            lines.append([r.name, r.configSummary, "\(r.testErrors.count)", pct(r.finalTestError), pct(r.bestTestError),
                          angles.isEmpty ? "–" : angles])
        }
        let widths = (0..<lines[0].count).map { k in lines.map { $0[k].count }.max()! }
        return lines.enumerated().map { n, row in
            let text = row.enumerated().map { k, cell in cell.padding(toLength: widths[k], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            return n == 0 ? text + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : text
        }.joined(separator: "\n") + "\n"
    }

    /// The figures of run `index` (`runs` are overlaid in the test-error figure), by file name.
    public static func figures(for index: Int, of runs: [RunSummary]) -> [(String, String)] {
        let run = runs[index]
        var figures: [(String, String)] = []

        var testError = SVGChart(title: "Test error", xLabel: "epoch", yLabel: "test error (%)")
        testError.includeZero = true
        for (k, r) in runs.enumerated() {
            let label = runs.count == 1 ? "full test" : r.name
            let color = SVGChart.palette[k % SVGChart.palette.count]
            testError.series.append(.init(name: label, points: r.testErrors.map { ($0.epoch, $0.error) }, color: color))
            if let q = r.quickTests, let errors = q.numbers("test_error_percent"), !errors.isEmpty {
                let x = r.progress(q)
                testError.series.append(.init(name: runs.count == 1 ? "quick tests" : "\(r.name) (quick)",
                                              points: Array(zip(x, errors)).map { ($0, $1) }, dashed: true, color: color))
            }
        }
        figures.append(("test_error.svg", testError.render()))

        if let l = run.losses, let loss = l.numbers("mean_loss"), !loss.isEmpty {
            var chart = SVGChart(title: "Output loss (mean over 100 images)", xLabel: "epoch", yLabel: "loss")
            chart.includeZero = true
            chart.series.append(.init(name: "output loss", points: Array(zip(run.progress(l), loss)).map { ($0, $1) }))
            figures.append(("loss.svg", chart.render()))
        }
        if let a = run.smoothedAngles, !a.rows.isEmpty {
            var chart = SVGChart(title: "Update angle: E vs. backprop E_bp (mean over 100 images)", xLabel: "epoch", yLabel: "angle (degrees)")
            let x = run.progress(a)
            for layer in run.angleLayers {
                chart.series.append(.init(name: RunSummary.layerName(ofAngleColumn: layer),
                                          points: Array(zip(x, a.numbers(layer)!)).map { ($0, $1) }))
            }
            chart.references = [(90, "90°")]
            figures.append(("update_angles.svg", chart.render()))
        }
        if let a = run.weightAngles, !a.rows.isEmpty {
            var chart = SVGChart(title: "Weight angle: Y vs. the forward weights it stands in for", xLabel: "epoch", yLabel: "angle (degrees)")
            let x = run.progress(a)
            for layer in RunSummary.angleColumns(a) {
                chart.series.append(.init(name: RunSummary.layerName(ofAngleColumn: layer),
                                          points: Array(zip(x, a.numbers(layer)!)).map { ($0, $1) }))
            }
            chart.references = [(90, "90°")]
            figures.append(("weight_angles.svg", chart.render()))
        }
        if let j = run.jacobian, !j.rows.isEmpty {
            var chart = SVGChart(title: "Theorem 1: largest eigenvalue of (I − U)ᵀ(I − U), U = mean J_β J_γ", xLabel: "epoch", yLabel: "largest eigenvalue")
            let x = run.progress(j)
            chart.series.append(.init(name: "100-image mean", points: Array(zip(x, j.numbers("max_eigenvalue")!)).map { ($0, $1) }))
            chart.references = [(1, "1 (Theorem 1)")]
            chart.includeZero = true
            figures.append(("jacobian.svg", chart.render()))
            // The weights-only product has no σ' factors, so its scale differs by orders of magnitude.
            var weightsChart = SVGChart(title: "Largest eigenvalue of (I − U)ᵀ(I − U), U = k_D W^out Y", xLabel: "epoch", yLabel: "largest eigenvalue (log scale)")
            weightsChart.series.append(.init(name: "U = k_D W Y", points: Array(zip(x, j.numbers("max_eigenvalue_weights")!)).map { ($0, $1) }))
            weightsChart.references = [(1, "1")]
            weightsChart.logY = true
            figures.append(("jacobian_weights.svg", weightsChart.render()))
        }
        if let a = run.layerAccuracy, let layers = a.column("layer"), !layers.isEmpty {
            var chart = SVGChart(title: "Linear read-out accuracy of each layer", xLabel: "epoch", yLabel: "test accuracy (%)")
            chart.integerX = true
            let epochs = a.numbers("epoch")!, values = a.numbers("accuracy_percent")!
            var names: [String] = []
            for name in layers where !names.contains(name) { names.append(name) }
            for name in names {
                let points = layers.indices.filter { layers[$0] == name }.map { (epochs[$0], values[$0]) }
                chart.series.append(.init(name: name == "network" ? "network's own output" : "read-out: " + name,
                                          points: points, dashed: name == "network"))
            }
            figures.append(("layer_accuracy.svg", chart.render()))
        }
        if let (epoch, url) = latestFirstLayerWeights(run.directory), let w = try? NPY.read(path: url.path),
           let svg = ReceptiveFields.svg(weights: w, initial: try? NPY.read(path: run.directory.appendingPathComponent("initial_W_0.npy").path), title: "Receptive fields of hidden_0 (\(epoch == 0 ? "initial" : "epoch \(epoch)"), first \(min(100, w.shape.first ?? 0)) neurons)") {
            figures.append(("receptive_fields.svg", svg))
        }
        return figures
    }

    /// `epoch_<k>_W_0.npy` with the largest k (or `initial_W_0.npy`, as epoch 0).
    static func latestFirstLayerWeights(_ directory: URL) -> (Int, URL)? {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var best: (Int, URL)? = files.contains("initial_W_0.npy") ? (0, directory.appendingPathComponent("initial_W_0.npy")) : nil
        for file in files where file.hasPrefix("epoch_") && file.hasSuffix("_W_0.npy") {
            if let k = Int(file.dropFirst(6).dropLast(8)), k >= (best?.0 ?? -1) {
                best = (k, directory.appendingPathComponent(file))
            }
        }
        return best
    }

    /// Where `write(_:into:)` puts a run's figures: its own directory, or with `output`,
    /// `output/<the run directory's name>`.
    public static func destination(of run: RunSummary, output: URL?) -> URL {
        output.map { $0.appendingPathComponent(run.directory.standardizedFileURL.lastPathComponent) } ?? run.directory
    }

    /// Writes every run's figures and `index.html` (see `destination`); returns the summary table.
    @discardableResult
    public static func write(_ runs: [RunSummary], into output: URL? = nil) throws -> String {
        let table = summaryTable(runs)
        for index in runs.indices {
            let destination = destination(of: runs[index], output: output)
            try OutputDirectory.create(destination)
            let figures = figures(for: index, of: runs)
            for (name, svg) in figures {
                try AtomicFile.write(Data(svg.utf8), to: destination.appendingPathComponent(name))
            }
            let html = page(run: runs[index], all: runs, figures: figures.map(\.0))
            try AtomicFile.write(Data(html.utf8), to: destination.appendingPathComponent("index.html"))
        }
        return table
    }

    static func page(run: RunSummary, all runs: [RunSummary], figures: [String]) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.2f%%", $0) } ?? "–" }
        var rows = ""
        for r in runs {
            let angles = r.finalUpdateAngles.map { String(format: "%.1f°", $0) }.joined(separator: ", ")
            let style = r.directory == run.directory ? " class=\"this\"" : ""
            rows += "<tr\(style)><td>\(escape(r.name))</td><td>\(escape(r.configSummary))</td><td>\(r.testErrors.count)</td><td>\(pct(r.finalTestError))</td><td>\(pct(r.bestTestError))</td><td>\(angles.isEmpty ? "–" : angles)</td></tr>\n"
        }
        var epochRows = ""
        if let m = run.metrics {
            for row in m.rows { epochRows += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
        }
        let captions: [String: String] = [
            "test_error.svg": "Test error on the full test set after each epoch (points), and the quick tests of 100 random test images during training (dashed).",
            "loss.svg": "The output-layer loss, averaged over blocks of 100 training images.",
            "update_angles.svg": "Angle between each hidden layer's segregated-dendrite error E and the backpropagated error E_bp. Below 90° means the update points downhill on the true gradient; the paper reports ≈90° at first, then ≈65–70° (spiking).",
            "weight_angles.svg": "Angle between the feedback weights Y and the transposed forward weights they stand in for: feedback alignment makes it fall below 90°.",
            "jacobian.svg": "Theorem 1's condition: the hidden updates follow the gradient when this eigenvalue is below 1. The paper: it falls below 1 within the first epoch.",
            "jacobian_weights.svg": "The same eigenvalue with U = k_D W^out Y^{L−1}, the weights alone (no σ' factors, hence its much larger scale); log scale.",
            "layer_accuracy.svg": "Test accuracy of a linear read-out (ridge least squares, one-vs-rest) of each layer's mean firing rates, fitted on training images, and the network's own accuracy.",
            "receptive_fields.svg": "Input weights of the first hidden layer's (hidden_0) neurons as 28×28 images (left, each minus its mean), and what training changed in them (right). Each tile has its own symmetric scale: white is 0, full red is +m and full blue −m, where m is the tile's largest |value|; the colour bar under each panel gives the range of m over the tiles.",
        ]
        let figureHTML = figures.map { name in
            "<figure><img src=\"\(name)\" alt=\"\(name)\"><figcaption>\(escape(captions[name] ?? ""))</figcaption></figure>"
        }.joined(separator: "\n")
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(run.name)) – Dendrites run</title>
        <style>
        body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; padding: 0 16px; max-width: 1500px; color: #222; }
        table { border-collapse: collapse; margin: 8px 0 20px; font-size: 14px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
        th { background: #f2f2f2; } tr.this td { background: #fff8dc; }
        .figures { display: flex; flex-wrap: wrap; gap: 16px; }
        figure { margin: 0; width: 720px; } figure img { width: 100%; border: 1px solid #ddd; }
        figcaption { font-size: 13px; color: #444; margin-top: 4px; }
        pre { background: #f7f7f7; padding: 10px; font-size: 12px; max-height: 420px; overflow: auto; }
        </style></head><body>
        <h1>\(escape(run.name))</h1>
        <p>\(escape(run.configSummary))</p>
        <h2>Summary</h2>
        <table><tr><th>run</th><th>configuration</th><th>epochs</th><th>final test error</th><th>best test error</th><th>final update angle (per hidden layer)</th></tr>
        \(rows)</table>
        <h2>Epochs</h2>
        <table><tr>\((run.metrics?.header ?? []).map { "<th>\(escape($0))</th>" }.joined())</tr>
        \(epochRows)</table>
        <h2>Figures</h2>
        <div class="figures">
        \(figureHTML)
        </div>
        <h2>Configuration (config.json)</h2>
        <pre>\(escape(run.configText))</pre>
        </body></html>

        """
    }
}
