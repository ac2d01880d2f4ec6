import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Dendrites

// Presets (train --preset) and the hidden-layer ablation (dendrite-train ablate), issue 6.

@Suite("Presets")
struct PresetTests {
    private func baseSpec() -> TrainingRunSpec {
        let network = NetworkConfiguration(hiddenSizes: [500])
        var training = TrainingOptions(learningRates: [0.21, 0.21])
        training.epochs = 1
        return TrainingRunSpec(network: network, training: training, outputDirectory: URL(fileURLWithPath: "/tmp/x"))
    }

    @Test("Every preset of MODEL.md §7 exists, with the paper's rates and 60 epochs")
    func table() throws {
        #expect(Preset.all.map(\.name) == ["no-hidden", "one-hidden", "two-hidden", "sparse-feedback", "symmetric-feedback",
                                           "noisy-symmetric", "random-plateau-times", "apical-conductance-0.05",
                                           "apical-conductance-0.6"])
        #expect(try Preset.named("no-hidden").learningRates == [0.19])
        #expect(try Preset.named("one-hidden").learningRates == [0.21, 0.21])
        #expect(try Preset.named("two-hidden").learningRates == [0.23, 0.23, 0.12])
        #expect(try Preset.named("apical-conductance-0.6").hidden == [500, 100])
        #expect(Preset.all.allSatisfy { $0.epochs == 60 })
        #expect(throws: ConfigurationError.self) { try Preset.named("three-hidden") }
        do { _ = try Preset.named("three-hidden") } catch let error as ConfigurationError {
            #expect(error.settings == [.preset] && error.description.hasPrefix("preset three-hidden is unknown"))
            #expect(error.description(naming: { "--" + $0.rawValue }).hasPrefix("--preset three-hidden is unknown"))
        }
    }

    @Test("A preset sets the network, variant, rates and epochs; the settings kept override it")
    func apply() throws {
        var spec = baseSpec()
        spec.mode = .rate
        try Preset.named("two-hidden").apply(to: &spec, keeping: [])
        #expect(spec.network.hiddenSizes == [500, 100] && spec.training.learningRates == [0.23, 0.23, 0.12])
        #expect(spec.training.epochs == 60 && spec.mode == .spiking && spec.preset == "two-hidden")

        spec = baseSpec()
        spec.training.epochs = 3
        spec.network.hiddenSizes = []
        spec.training.learningRates = [0.19]
        try Preset.named("sparse-feedback").apply(to: &spec, keeping: [.epochs, .hiddenSizes])
        #expect(spec.training.epochs == 3 && spec.network.hiddenSizes == [] && spec.training.learningRates == [0.19])
        #expect(spec.network.variants.sparseZeroedFraction == 0.8 && spec.network.variants.sparseScale == 5)

        spec = baseSpec()
        spec.network.neuron.apicalConductance = 0.3
        try Preset.named("apical-conductance-0.6").apply(to: &spec, keeping: [.apicalConductance])
        #expect(spec.network.neuron.apicalConductance == 0.3 && spec.network.hiddenSizes == [500, 100])

        spec = baseSpec()
        try Preset.named("noisy-symmetric").apply(to: &spec, keeping: [])
        #expect(spec.network.variants.symmetric && spec.network.variants.symmetricNoiseSD == 0.05)
        spec = baseSpec()
        try Preset.named("random-plateau-times").apply(to: &spec, keeping: [])
        #expect(spec.spiking.randomPlateauTimes)
    }

    @Test("config.json records the preset")
    func recorded() throws {
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        var spec = baseSpec()
        spec.outputDirectory = parent.appendingPathComponent("run")
        try Preset.named("no-hidden").apply(to: &spec, keeping: [.mode, .epochs])
        spec.mode = .rate
        spec.training.imagesPerEpoch = 50
        spec.training.fullTestImages = 20
        spec.training.quickTestInterval = 0
        spec.training.quickTestImages = 10
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: spec.outputDirectory.appendingPathComponent("config.json")))
        #expect(record.preset == "no-hidden" && record.network.hiddenSizes == [] && record.training.learningRates == [0.19])
    }
}

@Suite("Ablation")
struct AblationTests {
    private func run(_ hidden: [Int], seed: UInt64, epochs: Int, in plan: SweepPlan) throws {
        let network = NetworkConfiguration(hiddenSizes: hidden)
        var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
        training.epochs = epochs
        training.seed = seed
        training.imagesPerEpoch = 100
        training.quickTestInterval = 0
        training.quickTestImages = 10
        training.fullTestImages = 50
        var spec = TrainingRunSpec(network: network, training: training,
                                   outputDirectory: plan.runDirectory(architecture: hidden, seed: seed))
        spec.mode = .rate
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
    }

    @Test("Run directories, run status and the summary over seeds")
    func summary() throws {
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        let plan = SweepPlan(sweepDirectory: sweep, architectures: [[], [20]], seeds: [1, 2, 3])
        #expect(plan.runs.count == 6)
        #expect(plan.runDirectory(architecture: [500, 100], seed: 2).lastPathComponent == "784-500-100-10-seed2")
        #expect(SweepPlan.hiddenOption([]) == "none" && SweepPlan.hiddenOption([500, 100]) == "500,100")
        #expect(RunStatus.of(plan.runDirectory(architecture: [], seed: 1)) == .absent)

        for seed: UInt64 in [1, 2, 3] { try run([], seed: seed, epochs: 2, in: plan) }
        for seed: UInt64 in [1, 2] { try run([20], seed: seed, epochs: 2, in: plan) }
        #expect(RunStatus.of(plan.runDirectory(architecture: [], seed: 1)) == .finished(epochs: 2))
        // An unfinished run: stopped after 1 of 2 epochs.
        try run([20], seed: 3, epochs: 1, in: plan)
        let unfinished = plan.runDirectory(architecture: [20], seed: 3)
        let config = unfinished.appendingPathComponent("config.json")
        var record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: config))
        record.training.epochs = 2
        try AtomicFile.write(try JSONEncoder().encode(record), to: config)
        #expect(RunStatus.of(unfinished) == .unfinished(completedEpochs: 1, epochs: 2))

        var summary = try AblationSummary.collect(plan)
        #expect(summary.rows.map(\.architecture) == ["784-10", "784-20-10"])
        #expect(summary.rows.map(\.finished) == [3, 2])
        let finals = try [1, 2, 3].map { try AblationSummary.testErrors(in: plan.runDirectory(architecture: [], seed: $0)).last! }
        #expect(summary.rows[0].finalTestErrors == finals)
        let mean = finals.reduce(0, +) / 3
        let sd = (finals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        let csvLines = summary.csv.split(separator: "\n")
        #expect(csvLines.first?.hasPrefix("architecture,runs,finished_runs,epochs,mean_test_error_percent,sd_test_error_percent,min_test_error_percent,max_test_error_percent,") == true)
        #expect(csvLines[1].hasPrefix("784-10,3,3,2,\(String(format: "%.2f,%.2f,%.2f,%.2f", mean, sd, finals.min()!, finals.max()!)),"))

        // Resuming the unfinished run completes the summary.
        try TrainingRun.resume(directory: unfinished, dataset: MNISTData.dataset)
        summary = try AblationSummary.collect(plan)
        #expect(summary.rows.map(\.finished) == [3, 3])
        try summary.write(to: sweep, title: "Hidden-layer ablation", command: "dendrite-train ablate …")
        let markdown = try String(contentsOf: sweep.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("| 784-20-10 | 3 | 3 | 2 |"))
        let byEpoch = try String(contentsOf: sweep.appendingPathComponent("summary_by_epoch.csv"), encoding: .utf8)
        #expect(byEpoch.split(separator: "\n").count == 1 + 2 * 2)
    }

    /// Writes `name` with `lines` into `directory`.
    private func write(_ lines: [String], _ name: String, in directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: directory.appendingPathComponent(name))
    }

    /// A sweep of 784-5-10 and 784-5-4-10 × seeds 1, 2, 2 epochs each, from hand-written CSVs
    /// (no training): 784-5-10 seed 2 has no layer_accuracy.csv; 784-5-4-10 seed 2 has a nan
    /// angle for hidden layer 1.
    private func fakeSweep(_ sweep: URL) throws -> SweepPlan {
        let plan = SweepPlan(sweepDirectory: sweep, architectures: [[5], [5, 4]], seeds: [1, 2])
        let metricsHeader = "epoch,test_error_percent,training_error_percent,mean_loss,images,seconds"
        func metrics(_ errors: [Double]) -> [String] {
            [metricsHeader] + errors.enumerated().map { "\($0.offset + 1),\($0.element),50,0.1,100,1" }
        }
        func accuracies(_ layers: [(String, Double)]) -> [String] {
            // Epoch 1 rows are distractors: only the last epoch counts.
            ["epoch,layer,accuracy_percent"] + layers.map { "1,\($0.0),10.0" } + layers.map { "2,\($0.0),\($0.1)" }
        }
        let a1 = plan.runDirectory(architecture: [5], seed: 1), a2 = plan.runDirectory(architecture: [5], seed: 2)
        let b1 = plan.runDirectory(architecture: [5, 4], seed: 1), b2 = plan.runDirectory(architecture: [5, 4], seed: 2)
        // Format-1 files (as the runs in Results/), read as format 2.
        for run in [a1, a2] { try RunFiles.writeConfig(in: run, hiddenLayers: 1) }
        for run in [b1, b2] { try RunFiles.writeConfig(in: run, hiddenLayers: 2) }
        try write(metrics([20, 10]), "metrics.csv", in: a1)
        try write(metrics([30, 14]), "metrics.csv", in: a2)
        try write(metrics([25, 8]), "metrics.csv", in: b1)
        try write(metrics([15, 6]), "metrics.csv", in: b2)
        try write(accuracies([("input", 80), ("hidden_0", 90), ("output", 91), ("network", 90)]), "layer_accuracy.csv", in: a1)
        try write(accuracies([("input", 80), ("hidden_0", 88), ("hidden_1", 86), ("output", 92), ("network", 93)]), "layer_accuracy.csv", in: b1)
        try write(accuracies([("input", 82), ("hidden_0", 90), ("hidden_1", 88), ("output", 94), ("network", 91)]), "layer_accuracy.csv", in: b2)
        try write(["epoch,first_image,last_image,angle_layer_0", "1,1,100,89", "2,1,100,75", "2,101,200,70"], "update_angles_smoothed.csv", in: a1)
        try write(["epoch,first_image,last_image,angle_layer_0", "1,1,100,89", "2,101,200,80"], "update_angles_smoothed.csv", in: a2)
        try write(["epoch,first_image,last_image,angle_layer_0,angle_layer_1", "1,1,100,88,89", "2,101,200,60,70"], "update_angles_smoothed.csv", in: b1)
        try write(["epoch,first_image,last_image,angle_layer_0,angle_layer_1", "1,1,100,88,89", "2,101,200,64,nan"], "update_angles_smoothed.csv", in: b2)
        return plan
    }

    @Test("Per-layer accuracy and update angle columns, from hand-written run files")
    func layerColumns() throws {
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        let plan = try fakeSweep(sweep)
        let summary = try AblationSummary.collect(plan) { _ in .finished(epochs: 2) }
        #expect(summary.accuracyLayers == ["input", "hidden_0", "hidden_1", "output", "network"])
        let lines = summary.csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 4 && lines[3] == "")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header == ["architecture", "runs", "finished_runs", "epochs", "mean_test_error_percent", "sd_test_error_percent",
                           "min_test_error_percent", "max_test_error_percent",
                           "mean_accuracy_input_percent", "sd_accuracy_input_percent",
                           "mean_accuracy_hidden_0_percent", "sd_accuracy_hidden_0_percent",
                           "mean_accuracy_hidden_1_percent", "sd_accuracy_hidden_1_percent",
                           "mean_accuracy_output_percent", "sd_accuracy_output_percent",
                           "mean_accuracy_network_percent", "sd_accuracy_network_percent",
                           "mean_update_angle_hidden_0_deg", "sd_update_angle_hidden_0_deg",
                           "mean_update_angle_hidden_1_deg", "sd_update_angle_hidden_1_deg"])
        let sd8 = String(format: "%.2f", 8.0.squareRoot()), sd2 = String(format: "%.2f", 2.0.squareRoot())
        // 784-5-10: seed 2 has no layer_accuracy.csv (one value, no SD); no hidden layer 1 (empty).
        #expect(lines[1] == "784-5-10,2,2,2,12.00,\(sd8),10.00,14.00,80.00,,90.00,,,,91.00,,90.00,,75.00,\(String(format: "%.2f", 50.0.squareRoot())),,")
        // 784-5-4-10: both seeds; the nan angle of seed 2 is left out.
        #expect(lines[2] == "784-5-4-10,2,2,2,7.00,\(sd2),6.00,8.00,81.00,\(sd2),89.00,\(sd2),87.00,\(sd2),93.00,\(sd2),92.00,\(sd2),62.00,\(sd8),70.00,")

        let markdown = summary.markdown(title: "t", command: "c")
        #expect(markdown.contains("| network | runs | finished | epochs | mean test error (%) | SD | min | max | input accuracy (%) | hidden_0 accuracy (%) | hidden_1 accuracy (%) | output accuracy (%) | network accuracy (%) | hidden_0 update angle (°) | hidden_1 update angle (°) |"))
        #expect(markdown.contains("| 784-5-10 | 2 | 2 | 2 | 12.00 | \(sd8) | 10.00 | 14.00 | 80.00 | 90.00 |  | 91.00 | 90.00 | 75.00 ± 7.07 |  |"))
        #expect(markdown.contains("| 784-5-4-10 | 2 | 2 | 2 | 7.00 | \(sd2) | 6.00 | 8.00 | 81.00 ± 1.41 | 89.00 ± 1.41 | 87.00 ± 1.41 | 93.00 ± 1.41 | 92.00 ± 1.41 | 62.00 ± 2.83 | 70.00 |"))
        #expect(markdown.contains("test_error_by_epoch.svg") && markdown.contains("minimum to maximum"))

        // Only finished runs count.
        let partial = try AblationSummary.collect(plan) { $0.lastPathComponent.hasSuffix("seed2") ? .absent : .finished(epochs: 2) }
        #expect(partial.rows.map(\.finished) == [1, 1])
        #expect(partial.csv.split(separator: "\n")[2].hasSuffix(",80.00,,88.00,,86.00,,92.00,,93.00,,60.00,,70.00,"))
    }

    @Test("test_error_by_epoch.svg: one min–max band and one mean line per architecture, parsed as XML")
    func figure() throws {
        let sweep = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: sweep) }
        let plan = try fakeSweep(sweep)
        let summary = try AblationSummary.collect(plan) { _ in .finished(epochs: 2) }
        try summary.write(to: sweep, title: "t", command: "c")
        let data = try Data(contentsOf: sweep.appendingPathComponent("test_error_by_epoch.svg"))
        let elements = SVGElements()
        let parser = XMLParser(data: data)
        parser.delegate = elements
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        let bands = elements.found.filter { $0.name == "g" && $0.attributes["class"] == "band" }
        let lines = elements.found.filter { $0.name == "g" && $0.attributes["class"] == "series" }
        #expect(bands.map { $0.attributes["data-name"] } == ["784-5-10", "784-5-4-10"])
        #expect(bands.map { $0.attributes["data-points"] } == ["2", "2"])
        #expect(lines.map { $0.attributes["data-name"] } == ["784-5-10", "784-5-4-10"])
        #expect(elements.found.filter { $0.name == "polygon" && $0.attributes["class"] == "band" }.count == 2)
        #expect(elements.found.filter { $0.name == "polyline" && $0.attributes["class"] == "series" }.count == 2)
        // A band shares its line's color; the legend says what the band is.
        let polygons = elements.found.filter { $0.name == "polygon" }, polylines = elements.found.filter { $0.name == "polyline" }
        #expect(polygons.map { $0.attributes["fill"] } == polylines.map { $0.attributes["stroke"] })
        #expect(elements.text.contains("band: min–max over seeds"))
        // Two epochs: the band's outline runs along the maxima and back along the minima.
        #expect(polygons[0].attributes["points"]?.split(separator: " ").count == 4)

        // A chart without bands draws none.
        var plain = SVGChart(title: "x", xLabel: "x", yLabel: "y")
        plain.series = [SVGChart.Series(name: "s", points: [(1, 1), (2, 2)])]
        #expect(!plain.render().contains("band"))
    }

    @Test("SweepStatistics: mean and sample SD")
    func statistics() {
        #expect(SweepStatistics.mean([]) == nil && SweepStatistics.standardDeviation([1]) == nil)
        #expect(SweepStatistics.mean([1, 2, 3]) == 2 && SweepStatistics.standardDeviation([1, 2, 3]) == 1)
    }
}

@Suite("Ablation command", .serialized)
struct AblationCommandTests {
    @Test("ablate killed with SIGKILL and started again finishes every run exactly as uninterrupted runs")
    func killAndRestart() throws {
        guard let binary = dendriteTrainBinary(orSkip: "killAndRestart") else { return }
        let parent = try SharedPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: parent) }
        let sweep = parent.appendingPathComponent("sweep")
        let options = ["--mode", "spiking", "--epochs", "3", "--images-per-epoch", "600", "--test-images", "50",
                       "--quick-test-interval", "200", "--quick-test-images", "10", "--data", SharedPaths.mnist.path]
        let arguments = ["ablate", "--hidden", "none", "20", "--seeds", "2", "--jobs", "2", "--sweep", sweep.path] + options
        let plan = SweepPlan(sweepDirectory: sweep, architectures: [[], [20]], seeds: [1, 2])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(300)
        func anyEpochDone() -> Bool {
            plan.runs.contains { (try? Checkpoint.read(from: $0.directory))??.completedEpochs ?? 0 >= 1 }
        }
        while !anyEpochDone() && process.isRunning && Date() < deadline { usleep(5_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        usleep(1_000_000)  // the children notice their parent is gone and exit
        let statuses = plan.runs.map { RunStatus.of($0.directory) }
        #expect(statuses.contains { if case .finished = $0 { return false } else { return true } },
                "every run finished before the kill: \(statuses)")

        #expect(try runTool(binary, arguments) == 0)
        #expect(plan.runs.allSatisfy { RunStatus.of($0.directory) == .finished(epochs: 3) })
        let summary = try String(contentsOf: sweep.appendingPathComponent("summary.csv"), encoding: .utf8)
        #expect(summary.contains("\n784-10,2,2,3,") && summary.contains("\n784-20-10,2,2,3,"))

        // Each run equals an uninterrupted one.
        for run in plan.runs {
            let reference = parent.appendingPathComponent("reference-\(run.directory.lastPathComponent)")
            #expect(try runTool(binary, ["train", "--output", reference.path, "--hidden", SweepPlan.hiddenOption(run.architecture),
                                         "--seed", String(run.seed), "--quiet"] + options) == 0)
            for name in ["loss.csv", "quick_test.csv", "epoch_3_W_0.npy"] {
                let a = try Data(contentsOf: run.directory.appendingPathComponent(name))
                let b = try Data(contentsOf: reference.appendingPathComponent(name))
                #expect(a == b, "\(run.directory.lastPathComponent)/\(name)")
            }
        }

        // The same command with more epochs extends every run.
        let longer = arguments.map { $0 == "3" ? "4" : $0 }
        #expect(longer != arguments)
        #expect(try runTool(binary, longer) == 0)
        #expect(plan.runs.allSatisfy { RunStatus.of($0.directory) == .finished(epochs: 4) })
        #expect(try String(contentsOf: sweep.appendingPathComponent("summary.csv"), encoding: .utf8).contains("\n784-10,2,2,4,"))
    }
}

/// Every element (name and attributes) and all text of an XML document.
private final class SVGElements: NSObject, XMLParserDelegate {
    var found: [(name: String, attributes: [String: String])] = []
    var text = ""
    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:]) {
        found.append((elementName, attributeDict))
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}
