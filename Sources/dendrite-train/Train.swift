import ArgumentParser
import Dendrites
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network, test it after every epoch, and record everything in a run directory.",
        discussion: """
        Examples:
          dendrite-train train --hidden 500 --epochs 1
          dendrite-train train --hidden 500,100 --epochs 60 --seed 3 --name two-hidden
          dendrite-train train --hidden none --learning-rates 0.19 --images-per-epoch 5000

        The run directory (default Results/runs/<timestamp>-<name>) receives config.json, \
        metrics.csv, quick_test.csv, loss.csv, the measurement CSVs, the weights as .npy files \
        (initial_*, epoch_<k>_*) and a TensorBoard event file (events.out.tfevents.*; \
        --no-tensorboard to leave it out). Watch runs live: tensorboard --logdir Results/runs
        """
    )

    // MARK: Preset
    @Option(help: ArgumentHelp("Start from one of the paper's runs (dendrite-train presets lists them); options given beside it override it.", valueName: "name"))
    var preset: String?

    // MARK: Network
    @Option(help: ArgumentHelp("Hidden layer sizes, bottom first: '500', '500,100', or 'none' for no hidden layer.", valueName: "sizes"))
    var hidden = HiddenSizes([500])

    @Option(help: "Output neurons per class (k; the output layer has 10·k neurons).")
    var neuronsPerClass = 1

    @Option(help: "Simulation mode: 'spiking' (the paper's model) or 'rate' (non-spiking; matches the authors' rate mode to rounding).")
    var mode: SimulationMode = .spiking

    @Option(help: "Floating-point precision: 'float32' or 'float64' in spiking mode (default float32: the same errors over 5 seeds, 1.6× faster); rate mode runs in float64 only.")
    var precision: Precision?

    // MARK: Spiking time course
    @Option(help: "Phase length in steps: the minimum of the random lengths 50 + floor(Wald(2, 1)), or the fixed length with --fixed-phase-length.")
    var phaseLength = 50

    @Flag(help: "Every phase lasts exactly --phase-length steps (no Wald-distributed extra steps).")
    var fixedPhaseLength = false

    @Option(help: "Averages are taken over the last this many steps of each training phase.")
    var averagingWindow = 20

    @Flag(help: "Each hidden neuron's plateau potential comes min(|trunc(N(0,3))|, 5) steps before the phase ends.")
    var randomPlateauTimes = false

    @Option(help: "Steps per test image (the code: 250; the paper's text: 500).")
    var testLength = 250

    @Option(help: "Test averaging window: the last this many steps of a test.")
    var testAveragingWindow = 220

    @Option(help: "How spike counts are drawn: 'thinning' (the fastest), 'vectorized' (one uniform per neuron, in SIMD lanes) or 'per-neuron' (the reference).")
    var spikeSampler: SpikeSampler = .thinning

    // MARK: Feedback variants
    @Option(help: "Feedback wiring: 'broadcast' (output → every hidden layer) or 'layerwise' (layer l+1 → layer l).")
    var feedback: FeedbackWiring = .broadcast

    @Option(help: ArgumentHelp("Sparse feedback: zero this fraction of each Y (the paper: 0.8).", valueName: "fraction"))
    var sparseFeedback: Double?

    @Option(help: "Sparse feedback: scale the surviving feedback weights by this (1 = no rescaling).")
    var sparseScale: Double = 5

    @Flag(help: "Symmetric feedback (weight transport): Y derived from the forward weights after every update.")
    var symmetricFeedback = false

    @Option(help: ArgumentHelp("Noisy symmetric feedback: add N(0, SD) noise each time Y is derived (the paper: 0.05).", valueName: "SD"))
    var symmetricNoise: Double?

    @Option(help: ArgumentHelp("Learned feedback: learning rates of Y, one per hidden layer.", valueName: "rates"))
    var feedbackLearningRates: NumberList?

    @Flag(help: "Give the apical dendrites a bias c.")
    var apicalBias = false

    @Option(help: "Apical conductance g_A (0: segregated dendrites; the paper also tried 0.05 and 0.6).")
    var apicalConductance: Double = 0

    @Flag(help: "Backprop control: hidden layers learn from the backpropagated error E_bp.")
    var backprop = false

    // MARK: Training
    @Option(help: "Training epochs (the paper: 60).")
    var epochs = 1

    @Option(help: "Training images per epoch (default: the whole training set).")
    var imagesPerEpoch: Int?

    @Option(help: ArgumentHelp("Learning rates, hidden layers then output (default: the paper's for the depth: 0.19 | 0.21,0.21 | 0.23,0.23,0.12).", valueName: "rates"))
    var learningRates: NumberList?

    @Option(help: "Seed of the one random generator behind every draw.")
    var seed: UInt64 = 1

    @Flag(help: "Keep the training set in file order instead of reshuffling it every epoch.")
    var noShuffle = false

    @Option(help: "A quick test every this many training images (0: never).")
    var quickTestInterval = 1000

    @Option(help: "Test images in each quick test.")
    var quickTestImages = 100

    @Option(help: "Test images in the full test after each epoch (default: the whole test set).")
    var testImages: Int?

    // MARK: Measurements
    @Option(help: "update_angles.csv gets the update angles of every this many training images (the smoothed file averages every image).")
    var recordInterval = 10

    @Option(help: "weight_angles.csv and jacobian.csv get a row every this many training images.")
    var measureInterval = 100

    @Option(help: "Training images the per-layer linear read-outs are fitted on at each full test (0: no read-outs).")
    var readoutImages = 1000

    @Flag(inversion: .prefixedNo, help: "Write a TensorBoard event file into the run directory as it trains (watch with `tensorboard --logdir Results/runs`); results do not depend on it.")
    var tensorboard = true

    // MARK: Data and files
    @Option(help: ArgumentHelp("Directory with the four IDX files (searched otherwise: $DENDRITES_DATA, ./data/mnist, ../shared/data/mnist).", valueName: "dir"))
    var data: String?

    @Option(help: "Data set: 'mnist' or 'fashion-mnist'.")
    var dataset: DatasetKind = .mnist

    @Option(help: ArgumentHelp("Start from the weights in this directory (W_m.npy, b_m.npy, Y_l.npy, optional c_l.npy).", valueName: "dir"))
    var initWeights: String?

    @Option(help: "File-name prefix of the --init-weights files, e.g. 'initial_' or 'epoch_5_'.")
    var initPrefix = ""

    @Option(help: "Pixel order W_0 was trained with: 'row-major' (ours) or 'column-major' (the authors' saved simulations).")
    var pixelOrder: PixelOrder = .rowMajor

    @Option(help: ArgumentHelp("Run directory (must not hold a run yet). Default: Results/runs/<timestamp>-<name>.", valueName: "dir"))
    var output: String?

    @Option(help: "Name for the default run directory.")
    var name: String?

    @Flag(help: "If --output already holds this run, resume it from its checkpoint, or do nothing if it has finished (what sweep tasks run).")
    var resumeExisting = false

    @Flag(help: "No progress bar.")
    var quiet = false

    /// `arguments`: the command line, to tell which options were given beside a --preset.
    func spec(trainingImages: Int, testImages testCount: Int, arguments: [String] = CommandLine.arguments) throws -> TrainingRunSpec {
        var network = NetworkConfiguration(hiddenSizes: hidden.sizes, neuronsPerClass: neuronsPerClass, feedbackWiring: feedback)
        network.variants.sparseZeroedFraction = sparseFeedback
        network.variants.sparseScale = sparseScale
        network.variants.symmetric = symmetricFeedback
        network.variants.symmetricNoiseSD = symmetricNoise
        network.variants.feedbackLearningRates = feedbackLearningRates?.values
        network.variants.apicalBias = apicalBias
        network.variants.backprop = backprop
        network.neuron.apicalConductance = apicalConductance

        var training = TrainingOptions(
            learningRates: learningRates?.values ?? TrainingOptions.defaultLearningRates(hiddenLayers: hidden.sizes.count))
        training.epochs = epochs
        training.imagesPerEpoch = imagesPerEpoch ?? trainingImages
        training.seed = seed
        training.shuffle = !noShuffle
        training.quickTestInterval = quickTestInterval
        training.quickTestImages = quickTestImages
        training.fullTestImages = testImages ?? testCount

        var spec = TrainingRunSpec(network: network, training: training, outputDirectory: outputDirectory())
        spec.mode = mode
        spec.precision = precision ?? .float64
        spec.spiking.minimumPhaseLength = phaseLength
        spec.spiking.randomPhaseLengths = !fixedPhaseLength
        spec.spiking.averagingWindow = averagingWindow
        spec.spiking.randomPlateauTimes = randomPlateauTimes
        spec.spiking.testLength = testLength
        spec.spiking.testAveragingWindow = testAveragingWindow
        spec.spiking.sampler = spikeSampler
        spec.dataset = dataset
        spec.dataDirectory = data
        spec.initialWeightsDirectory = initWeights
        spec.initialWeightsPrefix = initPrefix
        spec.pixelOrder = pixelOrder
        if let preset { try Preset.named(preset).apply(to: &spec, given: Preset.givenOptions(in: arguments)) }
        if precision == nil { spec.precision = spec.mode == .spiking ? .float32 : .float64 }
        spec.measurements.updateAngleInterval = recordInterval
        spec.measurements.interval = measureInterval
        spec.measurements.readoutImages = readoutImages
        spec.tensorboard = tensorboard
        return spec
    }

    func outputDirectory() -> URL {
        if let output { return URL(fileURLWithPath: output) }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let label = name ?? preset ?? "\(mode.rawValue)-784-\(hidden.sizes.map(String.init).joined(separator: "-"))\(hidden.sizes.isEmpty ? "" : "-")10"
        return URL(fileURLWithPath: "Results/runs").appendingPathComponent("\(formatter.string(from: Date()))-\(label)")
    }

    func validate() throws {
        if epochs <= 0 { throw ValidationError("--epochs must be at least 1, not \(epochs)") }
        if let n = imagesPerEpoch, n <= 0 { throw ValidationError("--images-per-epoch must be positive, not \(n)") }
        if let bad = hidden.sizes.first(where: { $0 <= 0 }) { throw ValidationError("--hidden sizes must be positive, not \(bad)") }
        if preset == nil, let rates = learningRates?.values, rates.count != hidden.sizes.count + 1 {
            func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
            throw ValidationError("--learning-rates has \(count(rates.count, "value")); a network with \(count(hidden.sizes.count, "hidden layer")) needs \(hidden.sizes.count + 1) (one per hidden layer, then the output layer)")
        }
        if resumeExisting && output == nil { throw ValidationError("--resume-existing needs --output") }
        if !resumeExisting, let output, FileManager.default.fileExists(atPath: output + "/config.json") {
            throw ValidationError("--output \(output) already holds a run; continue it with `dendrite-train resume \(output)` (or add --resume-existing), or choose another directory")
        }
    }

    func run() throws {
        ParentWatchdog.startIfRequested()
        do {
            let dataset = try TrainingRun.loadDataset(self.dataset, explicit: data)
            let spec = try spec(trainingImages: dataset.train.count, testImages: dataset.test.count)
            let progress = ProgressBar(enabled: !quiet, header: [
                "Dendrites: \(spec.mode.rawValue) mode, \(SweepPlan.label(spec.network.hiddenSizes)), \(spec.preset.map { "preset \($0), " } ?? "")\(spec.training.epochs) epoch(s) of \(spec.training.imagesPerEpoch) images, seed \(spec.training.seed)",
                "data: \(dataset.directory)",
                "run directory: \(spec.outputDirectory.path)",
            ])
            let epochs: [EpochSummary]
            if resumeExisting {
                switch try TrainingRun.runOrContinue(spec, dataset: dataset, commandLine: CommandLine.arguments, observers: [progress]) {
                case let .started(summaries):
                    epochs = summaries
                case let .resumed(after, summaries):
                    print("resumed \(spec.outputDirectory.path) after epoch \(after)")
                    epochs = summaries
                case let .alreadyFinished(done):
                    print("\(spec.outputDirectory.path) has already trained \(done) epoch(s): nothing to do")
                    epochs = []
                }
            } else {
                epochs = try TrainingRun.run(spec, dataset: dataset, commandLine: CommandLine.arguments, observers: [progress])
            }
            if let last = epochs.last {
                print(String(format: "final test error: %.2f%% (%d test images)", last.testError, spec.training.fullTestImages))
            }
            print("results: \(spec.outputDirectory.path)")
        } catch let error as ValidationError {
            throw error
        } catch {
            // A run-time failure: one line naming the option or file, no usage text.
            let message = error is CocoaError ? error.localizedDescription : String(describing: error)
            fflush(stdout)
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
