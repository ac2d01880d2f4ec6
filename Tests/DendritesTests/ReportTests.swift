import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Dendrites

/// Collects the elements of an SVG document (name and attributes), failing on malformed XML.
private final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    private var current = ""

    static func parse(_ url: URL) throws -> SVGElements {
        let collector = SVGElements()
        let parser = XMLParser(data: try Data(contentsOf: url))
        parser.delegate = collector
        guard parser.parse() else {
            throw ReportError("\(url.lastPathComponent): \(parser.parserError.map { "\($0)" } ?? "not well-formed")")
        }
        return collector
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        current = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current) }
        current = ""
    }

    /// data-name → data-points of every series group.
    var series: [String: Int] {
        var result: [String: Int] = [:]
        for e in elements where e.name == "g" && e.attributes["class"] == "series" {
            result[e.attributes["data-name"] ?? ""] = Int(e.attributes["data-points"] ?? "")
        }
        return result
    }
}

private func tinyRun(_ directory: URL, seed: UInt64, hidden: [Int] = [20]) throws {
    let network = NetworkConfiguration(hiddenSizes: hidden)
    var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
    training.epochs = 2
    training.imagesPerEpoch = 300
    training.seed = seed
    training.quickTestInterval = 100
    training.quickTestImages = 20
    training.fullTestImages = 100
    var spec = TrainingRunSpec(network: network, training: training, outputDirectory: directory)
    spec.mode = .rate
    spec.measurements.readoutImages = 200
    try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
}

@Suite("Report: summary, SVG figures, index.html")
struct ReportTests {
    @Test func niceTicks() {
        #expect(SVGChart.niceTicks(0, 10) == [0, 2, 4, 6, 8, 10])
        #expect(SVGChart.niceTicks(0.3, 0.95) == [0.2, 0.4, 0.6, 0.8, 1.0].map { $0 } || SVGChart.niceTicks(0.3, 0.95).first! <= 0.3)
        let ticks = SVGChart.niceTicks(3.2, 97)
        #expect(ticks.first! <= 3.2 && ticks.last! >= 97 && ticks.count <= 8)
    }

    @Test func pngHasSignatureAndHeader() {
        let png = PNG.encode(width: 3, height: 2, rgb: [UInt8](repeating: 128, count: 18))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
        #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
    }

    @Test func reportOnTinyRealRuns() throws {
        let root = try SharedPaths.temporaryDirectory()
        let a = root.appendingPathComponent("run-a"), b = root.appendingPathComponent("run-b")
        try tinyRun(a, seed: 1)
        try tinyRun(b, seed: 2, hidden: [20, 10])
        let runs = try [RunSummary(directory: a), RunSummary(directory: b)]
        let table = try RunReport.write(runs)
        #expect(table.contains("run-a") && table.contains("run-b"))
        #expect(table.contains("rate float64 784-20-10, 2 epochs × 300, seed 1"))
        #expect(table.contains("784-20-10-10"))
        #expect(runs[0].testErrors.count == 2)
        #expect(runs[1].finalUpdateAngles.count == 2)

        // Every figure is well-formed SVG with the expected series.
        let testError = try SVGElements.parse(a.appendingPathComponent("test_error.svg"))
        #expect(testError.elements.first?.name == "svg")
        #expect(testError.series["run-a"] == 2 && testError.series["run-b"] == 2)
        #expect(testError.series["run-a (quick)"] == 4 && testError.series["run-b (quick)"] == 4)
        #expect(testError.texts.contains("Test error") && testError.texts.contains("epoch") && testError.texts.contains("test error (%)"))
        #expect(testError.elements.filter { $0.attributes["class"] == "ytick" }.count >= 3)

        let angles = try SVGElements.parse(b.appendingPathComponent("update_angles.svg"))
        // 300 images per epoch in blocks of 100: 3 points per epoch.
        #expect(angles.series == ["hidden_0": 6, "hidden_1": 6])
        #expect(angles.elements.contains { $0.attributes["class"] == "reference" && $0.attributes["data-value"] == "90.0" })
        let weightAngles = try SVGElements.parse(a.appendingPathComponent("weight_angles.svg"))
        #expect(weightAngles.series == ["hidden_0": 6])
        let jacobian = try SVGElements.parse(a.appendingPathComponent("jacobian.svg"))
        #expect(jacobian.series == ["100-image mean": 6])
        #expect(jacobian.elements.contains { $0.attributes["class"] == "reference" && $0.attributes["data-value"] == "1.0" })
        let jacobianWeights = try SVGElements.parse(a.appendingPathComponent("jacobian_weights.svg"))
        #expect(jacobianWeights.series == ["U = k_D W Y": 6])
        let accuracy = try SVGElements.parse(b.appendingPathComponent("layer_accuracy.svg"))
        #expect(accuracy.series == ["read-out: input": 2, "read-out: hidden_0": 2, "read-out: hidden_1": 2,
                                    "read-out: output": 2, "network's own output": 2])
        let loss = try SVGElements.parse(a.appendingPathComponent("loss.svg"))
        #expect(loss.series == ["output loss": 6])
        let fields = try SVGElements.parse(a.appendingPathComponent("receptive_fields.svg"))
        let image = try #require(fields.elements.first { $0.name == "image" })
        #expect(image.attributes["data-neurons"] == "20")
        // The weights, and their change since initialization.
        #expect(fields.elements.filter { $0.name == "image" }.count == 2)
        #expect(image.attributes["href"]?.hasPrefix("data:image/png;base64,iVBORw0KGgo") == true)
        #expect(fields.texts.contains { $0.contains("epoch 2") })
        // A colour bar under each grid: the blue–white–red gradient, −m, 0, +m and the range of m.
        let bars = fields.elements.filter { $0.attributes["class"] == "colour-bar" }
        #expect(bars.count == 2)
        #expect(fields.elements.contains { $0.name == "linearGradient" && $0.attributes["id"] == "blue-white-red" })
        #expect(fields.elements.filter { $0.attributes["fill"] == "url(#blue-white-red)" }.count == 2)
        for bar in bars {
            let low = try #require(bar.attributes["data-m-min"].flatMap(Double.init))
            let high = try #require(bar.attributes["data-m-max"].flatMap(Double.init))
            #expect(low > 0 && low <= high)
        }
        #expect(fields.texts.filter { $0 == "−m" }.count == 2 && fields.texts.filter { $0 == "+m" }.count == 2)
        #expect(fields.texts.contains { $0.hasPrefix("m = ") && $0.hasSuffix("over the tiles") })

        // index.html shows every figure, the summary and the configuration.
        let html = try String(contentsOf: a.appendingPathComponent("index.html"), encoding: .utf8)
        for name in RunReport.figureNames { #expect(html.contains("src=\"\(name)\"")) }
        #expect(html.contains("final test error") && html.contains("hiddenSizes"))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }

    @Test func reportRefusesADirectoryWithoutARun() throws {
        let root = try SharedPaths.temporaryDirectory()
        #expect(throws: ReportError.self) { try RunSummary(directory: root) }
    }
}

// MARK: - The paper's sweep and the report across its runs

@Suite("The paper's sweep")
struct PaperSweepTests {
    @Test("The plan: depth 0–3 over the seeds, the variants and g_A over their seeds, named runs, the paper's options")
    func plan() throws {
        let root = URL(fileURLWithPath: "/lab")
        let plan = SweepPlan.paper(sweepDirectory: URL(fileURLWithPath: "/lab/Results/paper"), seeds: [1, 2, 3], variantSeeds: [1],
                                   trainOptions: ["--epochs", "60", "--precision", "float32"], root: root)
        let runs = plan.runs
        #expect(runs.count == 4 * 3 + 7)
        #expect(runs.prefix(6).map(\.name) == ["784-10-seed1", "784-10-seed2", "784-10-seed3",
                                                "784-500-10-seed1", "784-500-10-seed2", "784-500-10-seed3"])
        #expect(runs.suffix(7).map(\.name) == ["784-500-10-sparse-seed1", "784-500-10-symmetric-seed1", "784-500-10-noisy-symmetric-seed1",
                                               "784-500-10-backprop-seed1", "784-500-10-random-plateau-times-seed1",
                                               "784-500-100-10-apical-0.05-seed1", "784-500-100-10-apical-0.6-seed1"])
        let noisy = try #require(runs.first { $0.name == "784-500-10-noisy-symmetric-seed1" })
        #expect(noisy.trainArguments == ["--output", "Results/paper/784-500-10-noisy-symmetric-seed1", "--resume-existing", "--quiet",
                                         "--hidden", "500", "--seed", "1", "--symmetric-feedback", "--symmetric-noise", "0.05",
                                         "--epochs", "60", "--precision", "float32"])
        #expect(runs[9].trainArguments.contains("500,100,100") && runs[9].name == "784-500-100-100-10-seed1")
        #expect(plan.seeds(for: plan.groups[0]) == [1, 2, 3] && plan.seeds(for: plan.groups.last!) == [1])
        #expect(plan.settingLabel(["sparse"]) == "sparse" && plan.settingLabel([""]) == "")

        // sweep.json keeps the alternatives (format 2) and gives the same plan back.
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        var local = SweepPlan.paper(sweepDirectory: sweep, seeds: [1, 2], variantSeeds: [4], trainOptions: ["--epochs", "2"])
        local.epochs = 2
        let manifest = SweepManifest(plan: local, title: "The paper's experiments", command: "dendrite-train paper")
        try manifest.write(plan: local)
        let read = try SweepManifest.read(from: sweep)
        #expect(read.version == 2 && read == manifest)
        #expect(read.plan(sweepDirectory: sweep).runs.map(\.trainArguments) == local.runs.map(\.trainArguments))
    }

    private func write(_ lines: [String], _ name: String, in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try (lines.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    @Test("report --sweep: test error, error against depth, angles, eigenvalue, read-outs and variants, mean and band over seeds")
    func report() throws {
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        var plan = SweepPlan.paper(sweepDirectory: sweep, seeds: [1, 2], variantSeeds: [1], trainOptions: [])
        plan.epochs = 2
        try SweepManifest(plan: plan, title: "The paper's experiments", command: "dendrite-train paper").write(plan: plan)
        // Format-1 runs (no formatVersion, as the oldest): read as format 2.
        func config(_ name: String) -> String {
            #"{"network": {"hiddenSizes": [\#(name.hasPrefix("784-500-10") ? "500" : "")]}, "training": {"imagesPerEpoch": 200}}"#
        }
        // 784-10: 9% and 7% at the end; 784-500-10: 4% and 6%; sparse (one seed) 3%; others absent.
        let finals: [(String, [Double])] = [("784-10-seed1", [12, 9]), ("784-10-seed2", [11, 7]),
                                            ("784-500-10-seed1", [8, 4]), ("784-500-10-seed2", [9, 6]),
                                            ("784-500-10-sparse-seed1", [7, 3])]
        for (name, errors) in finals {
            let run = sweep.appendingPathComponent(name)
            try write([config(name)], "config.json", in: run)
            try write(["epoch,test_error_percent,training_error_percent,mean_loss,images,seconds"]
                      + errors.enumerated().map { "\($0.offset + 1),\($0.element),50,0.1,200,1" }, "metrics.csv", in: run)
            if name.hasPrefix("784-500-10") {
                try write(["epoch,first_image,last_image,angle_layer_0", "1,1,100,88", "1,101,200,80", "2,1,100,75", "2,101,200,70"],
                          "update_angles_smoothed.csv", in: run)
                try write(["epoch,image,max_eigenvalue,max_eigenvalue_weights", "1,100,2.0,50", "2,100,0.5,40"], "jacobian.csv", in: run)
            }
            try write(["epoch,layer,accuracy_percent", "2,input,80", "2,hidden_0,90", "2,output,92", "2,network,93"],
                      "layer_accuracy.csv", in: run)
        }
        let report = try SweepReport(sweepDirectory: sweep)
        #expect(report.groups.map(\.runs.count) == [2, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        let page = try report.write(summaryMarkdown: "| summary |")
        let html = try String(contentsOf: page, encoding: .utf8)
        for figure in ["sweep_test_error.svg", "sweep_test_error_784-500-10.svg", "sweep_error_vs_depth.svg",
                       "sweep_update_angles.svg", "sweep_jacobian.svg", "sweep_readout.svg", "sweep_variants.svg"] {
            #expect(html.contains("src=\"\(figure)\""), "\(figure) in index.html")
            _ = try SVGElements.parse(sweep.appendingPathComponent(figure))   // well-formed
        }
        #expect(html.contains("| summary |"))
        #expect(!FileManager.default.fileExists(atPath: sweep.appendingPathComponent("sweep_weight_angles.svg").path))  // no data

        // Error against depth: means 8% (0 hidden) and 5% (1 hidden), bands 7–9 and 4–6, the paper's line beside.
        let depth = try SVGElements.parse(sweep.appendingPathComponent("sweep_error_vs_depth.svg"))
        #expect(depth.texts.contains { $0.contains("0 hidden: 9.00, 7.00%") } && depth.texts.contains { $0.contains("1 hidden: 4.00, 6.00%") })
        #expect(depth.texts.contains { $0.contains("the paper") })
        // The variants: one row each for random feedback (2 seeds) and sparse (1 seed), with means.
        let variants = try SVGElements.parse(sweep.appendingPathComponent("sweep_variants.svg"))
        #expect(variants.elements.filter { $0.name == "circle" }.count == 3)
        #expect(variants.texts.contains("5.00") && variants.texts.contains("3.00"))
        #expect(variants.texts.contains { $0.contains("784-500-10 random feedback (2 × 2 ep.)") })
        // Update angles: one mean line with a band (two seeds) for the one hidden layer measured.
        let angles = try SVGElements.parse(sweep.appendingPathComponent("sweep_update_angles.svg"))
        #expect(angles.elements.filter { $0.name == "polyline" && $0.attributes["class"] == "series" }.count == 1)
        #expect(angles.elements.filter { $0.name == "polygon" }.count == 1)
    }

    @Test("Binning and the mean and band across runs")
    func statistics() {
        let binned = SweepReport.binned([(0.1, 1), (0.2, 3), (0.6, 5), (0.7, .nan)], width: 0.5)
        #expect(binned.map(\.x) == [0.25, 0.75] && binned.map(\.y) == [2, 5])
        let (mean, band) = SweepReport.across([[(1, 2), (2, 4)], [(1, 4)]])
        #expect(mean.map(\.y) == [3, 4] && band.map(\.low) == [2, 4] && band.map(\.high) == [4, 4])
    }
}

@Suite("Reports elsewhere")
struct ReportOutputTests {
    @Test("report --output writes a run's figures into DIR/<run name> and leaves the run directory as it was")
    func reportIntoOtherDirectory() throws {
        let parent = try SharedPaths.temporaryDirectory("report-output")
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("tiny-run")
        var training = TrainingOptions(learningRates: [0.21, 0.21])
        training.imagesPerEpoch = 50
        training.fullTestImages = 20
        training.quickTestInterval = 25
        training.quickTestImages = 10
        var spec = TrainingRunSpec(network: NetworkConfiguration(hiddenSizes: [5]), training: training, outputDirectory: run)
        spec.mode = .rate
        spec.measurements.readoutImages = 0
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
        let before = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        let output = parent.appendingPathComponent("figures")
        try RunReport.write([try RunSummary(directory: run)], into: output)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == before)
        let written = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("tiny-run").path)
        #expect(written.contains("index.html") && written.contains("test_error.svg"), "\(written)")
    }
}
