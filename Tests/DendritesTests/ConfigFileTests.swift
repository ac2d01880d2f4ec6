import Foundation
import Testing
import Dendrites

// `train --config FILE` and provenance (`--version`, config.json's gitCommit).

private func record(_ run: URL) throws -> RunRecord {
    try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: run.appendingPathComponent("config.json")))
}

@Suite("Config files and provenance", .serialized)
struct ConfigFileTests {
    @Test("A run's config.json given as --config repeats the run bit for bit")
    func configRepeatsRun() throws {
        guard let binary = dendriteTrainBinary(orSkip: "configRepeatsRun") else { return }
        let parent = try SharedPaths.temporaryDirectory("config-repeat")
        defer { try? FileManager.default.removeItem(at: parent) }
        let first = parent.appendingPathComponent("first")
        let again = parent.appendingPathComponent("again")
        let data = ["--data", SharedPaths.mnist.path, "--quiet"]
        #expect(try runTool(binary, ["train", "--hidden", "20", "--epochs", "2", "--images-per-epoch", "150", "--test-images", "40",
                                     "--quick-test-interval", "50", "--quick-test-images", "10", "--seed", "9",
                                     "--random-plateau-times", "--sparse-feedback", "0.5", "--learning-rates", "0.3,0.2",
                                     "--readout-images", "20", "--output", first.path] + data) == 0)
        #expect(try runTool(binary, ["train", "--config", first.appendingPathComponent("config.json").path,
                                     "--output", again.path] + data) == 0)
        var a = try record(first), b = try record(again)
        #expect(b.commandLine.contains("--config"))
        a.date = ""; b.date = ""; a.commandLine = []; b.commandLine = []
        #expect(a == b)
        let files = try FileManager.default.contentsOfDirectory(atPath: first.path).filter { $0.hasSuffix(".npy") || $0 == "loss.csv" || $0 == "update_angles.csv" }
        #expect(files.contains("epoch_2_W_0.npy"))
        for name in files {
            #expect(FileManager.default.contents(atPath: first.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: again.appendingPathComponent(name).path), "\(name) differs")
        }
    }

    @Test("A partial YAML config over the defaults, with options given on the command line overriding it")
    func yamlWithOverrides() throws {
        guard let binary = dendriteTrainBinary(orSkip: "yamlWithOverrides") else { return }
        let parent = try SharedPaths.temporaryDirectory("config-yaml")
        defer { try? FileManager.default.removeItem(at: parent) }
        let file = parent.appendingPathComponent("two-hidden.yaml")
        try """
        # a lab's config file
        mode: rate
        network:
          hiddenSizes: [20, 10]
        training:
          epochs: 1
          imagesPerEpoch: 100
          fullTestImages: 50
          quickTestInterval: 0
          seed: 4
        measurements:
          readoutImages: 0
        """.write(to: file, atomically: true, encoding: .utf8)
        let run = parent.appendingPathComponent("run")
        #expect(try runTool(binary, ["train", "--config", file.path, "--seed", "5", "--output", run.path,
                                     "--data", SharedPaths.mnist.path, "--quiet"]) == 0)
        let r = try record(run)
        #expect(r.mode == .rate && r.precision == .float64)
        #expect(r.network.hiddenSizes == [20, 10])
        #expect(r.training.learningRates == TrainingOptions.defaultLearningRates(hiddenLayers: 2))
        #expect(r.training.seed == 5, "the command line overrides the file")
        #expect(r.training.imagesPerEpoch == 100 && r.training.fullTestImages == 50 && r.training.quickTestInterval == 0)
        #expect(r.measurements?.readoutImages == 0)
        #expect(r.training.epochs == 1)
    }

    @Test("A config file with a misspelt field, a wrong type or that is no file is refused, naming the file and field; nothing is written")
    func badConfigs() throws {
        guard let binary = dendriteTrainBinary(orSkip: "badConfigs") else { return }
        let parent = try SharedPaths.temporaryDirectory("config-bad")
        defer { try? FileManager.default.removeItem(at: parent) }
        let cases: [(name: String, text: String?, expected: String)] = [
            ("typo.json", #"{"trainng": {"epochs": 2}}"#, "'trainng' is not a field"),
            ("nested.yaml", "network:\n  hiddenSize: [5]\n", "'network.hiddenSize' is not a field"),
            ("type.json", #"{"training": {"epochs": "many"}}"#, "field 'training.epochs' must be an integer"),
            ("list.json", "[1, 2]", "must hold one object of fields"),
            ("broken.json", "{\"mode\": ", "is not valid JSON"),
            ("broken.yaml", "mode: [rate\n", "is not valid YAML"),
            ("mode.json", #"{"mode": "analog"}"#, "field 'mode' has a value this version does not accept"),
            ("missing.json", nil, "file not found"),
        ]
        try FileManager.default.createDirectory(at: parent.appendingPathComponent("folder.json"), withIntermediateDirectories: true)
        for c in cases + [("folder.json", nil, "is a directory, not a file")] {
            let file = parent.appendingPathComponent(c.name)
            if let text = c.text { try text.write(to: file, atomically: true, encoding: .utf8) }
            let run = parent.appendingPathComponent("run-\(c.name)")
            let result = try runCapturing(binary, ["train", "--config", file.path, "--output", run.path,
                                                   "--data", SharedPaths.mnist.path, "--quiet"])
            #expect(result.status != 0, "\(c.name)")
            #expect(result.error.contains(file.path) && result.error.contains(c.expected), "\(c.name): \(result.error)")
            #expect(!FileManager.default.fileExists(atPath: run.path), "\(c.name): a run directory was made")
        }
    }

    @Test("--version and every config.json name the commit the binary was built from, wherever it runs")
    func provenance() throws {
        guard let binary = dendriteTrainBinary(orSkip: "provenance") else { return }
        let version = try runCapturing(binary, ["--version"])
        #expect(version.status == 0)
        #expect(version.output.contains("built from commit \(RunRecord.buildCommit)"), "\(version.output)")
        if FileManager.default.fileExists(atPath: SharedPaths.packageRoot.appendingPathComponent(".git").path) {
            #expect(BuildInfo.commit.range(of: "^[0-9a-f]{40}$", options: .regularExpression) != nil, "\(BuildInfo.commit)")
        }
        // A run started outside any checkout records the build's commit all the same.
        let parent = try SharedPaths.temporaryDirectory("provenance")
        defer { try? FileManager.default.removeItem(at: parent) }
        let run = parent.appendingPathComponent("run")
        let result = try runCapturing(binary, ["train", "--mode", "rate", "--hidden", "5", "--images-per-epoch", "20",
                                               "--test-images", "10", "--quick-test-interval", "0", "--readout-images", "0",
                                               "--output", run.path, "--data", SharedPaths.mnist.path, "--quiet"],
                                      workingDirectory: URL(fileURLWithPath: "/"))
        #expect(result.status == 0, "\(result.error)")
        #expect(try record(run).gitCommit == RunRecord.buildCommit)
    }
}

@Suite("Testing saved weights")
struct SavedWeightsWarningTests {
    @Test("test warns when the weights fit the other pixel order, and not when they fit the one given")
    func pixelOrderWarning() throws {
        guard let binary = dendriteTrainBinary(orSkip: "pixelOrderWarning") else { return }
        // 784-10 after 60 epochs (8.2% error), trained row-major: committed with the paper's sweep.
        let weights = SharedPaths.packageRoot.appendingPathComponent("Results/paper/784-10-seed1")
        let parent = try SharedPaths.temporaryDirectory("pixel-order")
        defer { try? FileManager.default.removeItem(at: parent) }
        func test(_ order: String) throws -> ProcessResult {
            try runCapturing(binary, ["test", "--weights", weights.path, "--prefix", "epoch_60_", "--mode", "rate",
                                      "--test-images", "300", "--pixel-order", order, "--data", SharedPaths.mnist.path,
                                      "--output", parent.appendingPathComponent("\(order).csv").path])
        }
        let wrong = try test("column-major")
        #expect(wrong.status == 0)
        #expect(wrong.error.contains("look trained with the other pixel order") && wrong.error.contains("test again with --pixel-order row-major"),
                "\(wrong.error)")
        let right = try test("row-major")
        #expect(right.status == 0 && !right.error.contains("Warning"), "\(right.error)")
        #expect(right.output.contains("test error: 8."), "\(right.output)")
    }
}
