import ArgumentParser
import Dendrites
import Foundation

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test saved weights on the first N test images and write a per-image CSV.",
        discussion: """
        Reads W_m.npy, b_m.npy, Y_l.npy (or the authors' f_weights_m.npy, f_bias_m.npy, b_weights_l.npy) \
        with the given prefix. Each image is shown from a cleared state for --test-length steps \
        (spiking) and classified by the largest mean output somatic potential over the last \
        --test-averaging-window steps. The CSV has one row per image: index (file order), label, \
        prediction, and the mean potential C_i of every output neuron.

        Example: dendrite-train test --weights Results/runs/<run> --prefix epoch_1_ --test-images 2000
        """
    )

    @Option(help: ArgumentHelp("Directory holding the weight files.", valueName: "dir"))
    var weights: String

    @Option(help: "File-name prefix of the weights, e.g. 'epoch_5_' or 'initial_'.")
    var prefix = ""

    @Option(help: "Simulation mode: 'spiking' or 'rate'.")
    var mode: SimulationMode = .spiking

    @Option(help: "Floating-point precision in spiking mode: 'float32' (default) or 'float64'.")
    var precision: Precision = .float32

    @Option(help: "Pixel order W_0 was trained with: 'row-major' (ours) or 'column-major' (the authors' saved simulations).")
    var pixelOrder: PixelOrder = .rowMajor

    @Option(help: "Test the first this many test images in file order (default: all).")
    var testImages: Int?

    @Option(help: "Output neurons per class.")
    var neuronsPerClass = 1

    @Option(help: "Steps per test image.")
    var testLength = 250

    @Option(help: "Average over the last this many steps.")
    var testAveragingWindow = 220

    @Option(help: "Apical conductance g_A the network was trained with.")
    var apicalConductance: Double = 0

    @Option(help: "Seed; each image's spikes come from a generator seeded by it and the image index.")
    var seed: UInt64 = 1

    @Option(help: "Threads (default: all cores). Results do not depend on it.")
    var threads: Int?

    @Option(help: ArgumentHelp("Directory with the four IDX files (searched otherwise as for `train`).", valueName: "dir"))
    var data: String?

    @Option(help: "Data set: 'mnist' or 'fashion-mnist'.")
    var dataset: DatasetKind = .mnist

    @Option(help: ArgumentHelp("Where to write the CSV (default: <weights>/<prefix>test_<mode>.csv).", valueName: "file"))
    var output: String?

    func validate() throws {
        if let n = testImages, n <= 0 { throw ValidationError("--test-images must be positive, not \(n)") }
        if let t = threads, t <= 0 { throw ValidationError("--threads must be positive, not \(t)") }
        if neuronsPerClass <= 0 { throw ValidationError("--neurons-per-class must be positive, not \(neuronsPerClass)") }
    }

    func run() throws {
        do {
            let data = try TrainingRun.loadDataset(dataset, explicit: self.data)
            var test = SavedNetworkTest(weightsDirectory: URL(fileURLWithPath: weights))
            test.prefix = prefix
            test.mode = mode
            test.precision = precision
            test.pixelOrder = pixelOrder
            test.neuronsPerClass = neuronsPerClass
            test.neuron.apicalConductance = apicalConductance
            test.spiking.testLength = testLength
            test.spiking.testAveragingWindow = testAveragingWindow
            test.seed = seed
            if let threads { test.threads = threads }
            let count = testImages ?? data.test.count
            let started = Date()
            let results = try test.run(on: data.test, count: count)
            let seconds = Date().timeIntervalSince(started)
            let url = URL(fileURLWithPath: output ?? (weights as NSString).appendingPathComponent("\(prefix)test_\(mode.rawValue).csv"))
            try SavedNetworkTest.writeCSV(results, to: url)
            print(String(format: "test error: %.2f%% on %d images (%@ mode, %.1f s, %.2f ms/image)",
                         SavedNetworkTest.errorPercent(results), count, mode.rawValue, seconds, 1000 * seconds / Double(count)))
            print("per-image results: \(url.path)")
            try warnIfOtherPixelOrderFits(test, error: SavedNetworkTest.errorPercent(results), data: data)
        } catch {
            FileHandle.standardError.write(Data("Error: \(CommandLineOptions.describe(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Weights trained with the other pixel order (the authors' saved simulations are
    /// column-major) fail most images. Above 50% error, the first 500 test images are tried in
    /// the other order, and a warning says so when that order does clearly better.
    func warnIfOtherPixelOrderFits(_ test: SavedNetworkTest, error: Double, data: ImageDataset) throws {
        guard error > 50 else { return }
        var other = test
        other.pixelOrder = test.pixelOrder == .rowMajor ? .columnMajor : .rowMajor
        let sample = min(500, data.test.count)
        let mine = SavedNetworkTest.errorPercent(try test.run(on: data.test, count: sample))
        let theirs = SavedNetworkTest.errorPercent(try other.run(on: data.test, count: sample))
        guard theirs < 0.5 * mine else { return }
        FileHandle.standardError.write(Data(String(format: "Warning: these weights look trained with the other pixel order: on the first %d test images, --pixel-order %@ gives %.1f%% error and %@ %.1f%%; test again with --pixel-order %@\n", sample, test.pixelOrder.rawValue, mine, other.pixelOrder.rawValue, theirs, other.pixelOrder.rawValue).utf8))
    }
}
