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

    // MARK: Preset and config file
    @Option(help: ArgumentHelp("Start from one of the paper's runs (dendrite-train presets lists them); options given beside it override it.", valueName: "name"))
    var preset: String?

    @Option(help: ArgumentHelp("Start from the settings in this file: config.json's fields, all optional, as JSON or YAML (.yaml, .yml); a run's own config.json repeats that run. A --preset and the options given override it.", valueName: "file"))
    var config: String?

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

    @Option(help: ArgumentHelp("Multiply every learning rate by this factor after every --decay-every epochs (default: the paper's constant rates).", valueName: "factor"))
    var learningRateDecay: Double?

    @Option(help: ArgumentHelp("Epochs between the steps of --learning-rate-decay: epoch e trains at η·factor^⌊(e−1)/N⌋.", valueName: "N"))
    var decayEvery: Int?

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

    /// `arguments`: the command line, to tell which options were given beside a --preset or
    /// over a --config file (those given override them).
    func spec(trainingImages: Int, testImages testCount: Int, inputSize: Int = 784,
              arguments: [String] = CommandLine.arguments) throws -> TrainingRunSpec {
        let givenOptions = CommandLineOptions.given(in: arguments)
        var spec: TrainingRunSpec
        if let config {
            var defaults = try Train.parse([]).spec(trainingImages: trainingImages, testImages: testCount, arguments: [])
            defaults.outputDirectory = outputDirectory()
            spec = try ConfigFile.spec(from: URL(fileURLWithPath: config), over: defaults, inputSize: inputSize)
        } else {
            spec = TrainingRunSpec(network: NetworkConfiguration(hiddenSizes: hidden.sizes),
                                   training: TrainingOptions(learningRates: []), outputDirectory: outputDirectory())
        }
        // Without --config every option sets its field (given or default); with it, only those given.
        func set(_ option: String) -> Bool { config == nil || givenOptions.contains(option) }
        if set("hidden") { spec.network.hiddenSizes = hidden.sizes }
        if set("neurons-per-class") { spec.network.neuronsPerClass = neuronsPerClass }
        if set("feedback") { spec.network.feedbackWiring = feedback }
        if set("sparse-feedback") { spec.network.variants.sparseZeroedFraction = sparseFeedback }
        if set("sparse-scale") { spec.network.variants.sparseScale = sparseScale }
        if set("symmetric-feedback") { spec.network.variants.symmetric = symmetricFeedback }
        if set("symmetric-noise") { spec.network.variants.symmetricNoiseSD = symmetricNoise }
        if set("feedback-learning-rates") { spec.network.variants.feedbackLearningRates = feedbackLearningRates?.values }
        if set("apical-bias") { spec.network.variants.apicalBias = apicalBias }
        if set("backprop") { spec.network.variants.backprop = backprop }
        if set("apical-conductance") { spec.network.neuron.apicalConductance = apicalConductance }

        if set("learning-rates") {
            spec.training.learningRates = learningRates?.values
                ?? TrainingOptions.defaultLearningRates(hiddenLayers: spec.network.hiddenSizes.count)
        } else if givenOptions.contains("hidden") {
            spec.training.learningRates = TrainingOptions.defaultLearningRates(hiddenLayers: spec.network.hiddenSizes.count)
        }
        if set("learning-rate-decay") || set("decay-every") {
            let factor = learningRateDecay ?? spec.training.learningRateDecay?.factor
            let interval = decayEvery ?? spec.training.learningRateDecay?.interval
            switch (factor, interval) {
            case (nil, nil): spec.training.learningRateDecay = nil
            case let (factor?, interval?): spec.training.learningRateDecay = LearningRateDecay(factor: factor, interval: interval)
            default: throw ValidationError("--learning-rate-decay and --decay-every go together: give both")
            }
        }
        if set("epochs") { spec.training.epochs = epochs }
        if set("images-per-epoch") { spec.training.imagesPerEpoch = imagesPerEpoch ?? trainingImages }
        if set("seed") { spec.training.seed = seed }
        if set("no-shuffle") { spec.training.shuffle = !noShuffle }
        if set("quick-test-interval") { spec.training.quickTestInterval = quickTestInterval }
        if set("quick-test-images") { spec.training.quickTestImages = quickTestImages }
        if set("test-images") { spec.training.fullTestImages = testImages ?? testCount }

        if set("mode") { spec.mode = mode }
        if set("precision") { spec.precision = precision ?? .float64 }
        if set("phase-length") { spec.spiking.minimumPhaseLength = phaseLength }
        if set("fixed-phase-length") { spec.spiking.randomPhaseLengths = !fixedPhaseLength }
        if set("averaging-window") { spec.spiking.averagingWindow = averagingWindow }
        if set("random-plateau-times") { spec.spiking.randomPlateauTimes = randomPlateauTimes }
        if set("test-length") { spec.spiking.testLength = testLength }
        if set("test-averaging-window") { spec.spiking.testAveragingWindow = testAveragingWindow }
        if set("spike-sampler") { spec.spiking.sampler = spikeSampler }
        if set("dataset") { spec.dataset = dataset }
        spec.dataDirectory = data
        if set("init-weights") { spec.initialWeightsDirectory = initWeights }
        if set("init-prefix") { spec.initialWeightsPrefix = initPrefix }
        if set("pixel-order") { spec.pixelOrder = pixelOrder }
        if let preset { try Preset.named(preset).apply(to: &spec, keeping: CommandLineOptions.settings(givenIn: arguments)) }
        if precision == nil && (config == nil || preset != nil || givenOptions.contains("mode")) {
            spec.precision = spec.mode == .spiking ? .float32 : .float64
        }
        if set("record-interval") { spec.measurements.updateAngleInterval = recordInterval }
        if set("measure-interval") { spec.measurements.interval = measureInterval }
        if set("readout-images") { spec.measurements.readoutImages = readoutImages }
        if set("tensorboard") || givenOptions.contains("no-tensorboard") { spec.tensorboard = tensorboard }
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
        if config == nil, (learningRateDecay == nil) != (decayEvery == nil) {
            throw ValidationError("--learning-rate-decay and --decay-every go together: give both")
        }
        if let n = imagesPerEpoch, n <= 0 { throw ValidationError("--images-per-epoch must be positive, not \(n)") }
        if let bad = hidden.sizes.first(where: { $0 <= 0 }) { throw ValidationError("--hidden sizes must be positive, not \(bad)") }
        if preset == nil, config == nil, let rates = learningRates?.values, rates.count != hidden.sizes.count + 1 {
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
        Interrupts.install()
        var runDirectory = output ?? "the run directory"
        do {
            var kind = self.dataset
            if let config, !CommandLineOptions.given(in: CommandLine.arguments).contains("dataset"),
               let configured = try ConfigFile.datasetKind(in: URL(fileURLWithPath: config)) {
                kind = configured
            }
            let dataset = try TrainingRun.loadDataset(kind, explicit: data)
            var spec = try spec(trainingImages: dataset.train.count, testImages: dataset.test.count,
                                inputSize: dataset.train.pixelsPerImage)
            spec.dataset = kind
            let progress = ProgressBar(enabled: !quiet, header: [
                "Dendrites: \(spec.mode.rawValue) mode, \(SweepPlan.label(spec.network.hiddenSizes)), \(spec.preset.map { "preset \($0), " } ?? "")\(spec.training.epochs) epoch(s) of \(spec.training.imagesPerEpoch) images, seed \(spec.training.seed)\(spec.training.learningRateDecay.map { ", learning rates ×\($0.factor) every \($0.interval) epoch(s)" } ?? "")",
                "data: \(dataset.directory)",
                "run directory: \(spec.outputDirectory.path)",
            ])
            runDirectory = spec.outputDirectory.path
            let epochs: [EpochSummary]
            if resumeExisting {
                switch try TrainingRun.runOrContinue(spec, dataset: dataset, commandLine: CommandLine.arguments, observers: [progress],
                                                       stop: Interrupts.request) {
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
                epochs = try TrainingRun.run(spec, dataset: dataset, commandLine: CommandLine.arguments, observers: [progress],
                                             stop: Interrupts.request)
            }
            if let last = epochs.last {
                print(String(format: "final test error: %.2f%% (%d test images)", last.testError, spec.training.fullTestImages))
            }
            print("results: \(spec.outputDirectory.path)")
        } catch let error as ValidationError {
            throw error
        } catch {
            if let error = error as? TrainingError, let exit = Interrupts.report(error, runDirectory: runDirectory) { throw exit }
            // A run-time failure: one line naming the option or file, no usage text.
            let message = CommandLineOptions.describe(error)
            fflush(stdout)
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
