import Foundation

/// Online training (one image at a time) with the schedule of MODEL.md §4: a quick test
/// every `quickTestInterval` images, a full test at the end of each epoch, the training set
/// reshuffled each epoch. Every random draw comes from one generator seeded by `options.seed`.
public struct Trainer<Dynamics: NetworkDynamics, Evaluator: NetworkEvaluator>
where Dynamics.Scalar == Evaluator.Scalar {
    public typealias Scalar = Dynamics.Scalar

    public let network: NetworkConfiguration
    public let options: TrainingOptions
    public var weights: NetworkWeights<Scalar>
    public var dynamics: Dynamics
    public let evaluator: Evaluator
    public var rule: LearningRule<Scalar>
    public var generator: Xoshiro256
    /// Epochs finished so far (set by `restore(from:)` when resuming from a checkpoint).
    public internal(set) var completedEpochs = 0
    /// Called at the end of every epoch, after the observers, with what a resumed run needs
    /// (see Checkpoint.swift); the run directory's checkpoint is written here.
    public var epochDidEnd: ((TrainerState<Scalar>) throws -> Void)? = nil
    /// Threads for the tests (quick tests, full tests, read-outs); with two or more, the tests run
    /// beside training (see `run`). Results do not depend on it.
    public var testThreads = ComputeThreads.available
    /// The layers' linear read-outs, measured with every full test (nil: none).
    public var readouts: LayerReadouts? = nil
    /// Looked at before every training image (see `StopRequest`).
    public var stopRequest: StopRequest? = nil

    public init(network: NetworkConfiguration, options: TrainingOptions, weights: NetworkWeights<Scalar>,
                dynamics: Dynamics, evaluator: Evaluator, generator: Xoshiro256) {
        self.network = network
        self.options = options
        self.weights = weights
        self.dynamics = dynamics
        self.evaluator = evaluator
        self.rule = LearningRule(configuration: network, learningRates: options.learningRates)
        self.generator = generator
    }

    /// Every weight is checked for divergence every this many images (the loss, the errors and
    /// the biases after every image).
    public static var sanityInterval: Int { 1000 }

    /// Test error in percent on the given test images, state cleared before each image.
    public func testError(on images: LabeledImages, indices: [Int], seed: UInt64) -> Double {
        Self.testError(evaluator, network: network, weights: weights, on: images, indices: indices, seed: seed)
    }

    static func testError(_ evaluator: Evaluator, network: NetworkConfiguration, weights: NetworkWeights<Scalar>,
                          on images: LabeledImages, indices: [Int], seed: UInt64) -> Double {
        let potentials = evaluator.outputPotentials(images: images, indices: indices, weights: weights, seed: seed)
        var wrong = 0
        for (row, index) in indices.enumerated()
        where predictedClass(outputPotentials: potentials[row], neuronsPerClass: network.neuronsPerClass) != Int(images.labels[index]) {
            wrong += 1
        }
        return 100 * Double(wrong) / Double(indices.count)
    }

    /// The end-of-epoch test on the first `fullTestImages` test images and, with `readouts`, the
    /// layers' read-outs, which reuse the test's activity and add only their training images.
    static func epochTest(_ evaluator: Evaluator, network: NetworkConfiguration, weights: NetworkWeights<Scalar>,
                          dataset: ImageDataset, testImages: Int, seed: UInt64, readouts: LayerReadouts?,
                          readoutSeed: UInt64) throws -> (error: Double, layers: [LayerAccuracy]) {
        let indices = Array(0..<testImages)
        guard let readouts else {
            return (testError(evaluator, network: network, weights: weights, on: dataset.test, indices: indices, seed: seed), [])
        }
        let test = evaluator.testActivity(images: dataset.test, indices: indices, weights: weights, seed: seed)
        let wrong = zip(test.predictions(neuronsPerClass: network.neuronsPerClass), indices)
            .filter { $0 != Int(dataset.test.labels[$1]) }.count
        let training = evaluator.testActivity(images: dataset.train, indices: readouts.trainingIndices, weights: weights,
                                              seed: readoutSeed)
        return (100 * Double(wrong) / Double(testImages), try readouts.accuracies(training: training, test: test))
    }

    /// A finished test, as the trainer hands it to the observers.
    enum TestOutcome {
        case quick(epoch: Int, image: Int, error: Double)
        case epoch(EpochSummary, weights: NetworkWeights<Scalar>, state: TrainerState<Scalar>)
    }

    private func deliver(_ outcomes: [Result<TestOutcome, Error>], to observers: [TrainingObserver]) throws {
        for outcome in outcomes {
            switch try outcome.get() {
            case let .quick(epoch, image, error):
                for o in observers { try o.didQuickTest(epoch: epoch, image: image, error: error) }
            case let .epoch(summary, weights, state):
                for o in observers { try o.didFinishEpoch(summary, weights: weights) }
                try epochDidEnd?(state)
            }
        }
    }

    /// Trains for the remaining epochs, reporting to `observers`.
    ///
    /// With two or more `testThreads`, the tests run on a background thread (on `testThreads − 1`
    /// threads) while training goes on, and their results reach the observers some images later;
    /// the last epoch's full test runs on all of them and is waited for. Training itself, and
    /// every test result, are the same as with the tests run in place.
    public mutating func run(dataset: ImageDataset, observers: [TrainingObserver]) throws {
        let train = dataset.train
        let test = dataset.test
        var averages = PhaseAverages<Scalar>(configuration: network)
        var input = [Scalar](repeating: 0, count: network.inputSize)
        let tests = TestQueue<TestOutcome>(inBackground: testThreads >= 2)
        let backgroundEvaluator = evaluator.limited(toThreads: max(1, testThreads - 1))
        let allThreadsEvaluator = evaluator.limited(toThreads: testThreads)
        // A test still running when training stops (a divergence, a failed write) is waited for.
        defer { _ = tests.collectAll() }
        dynamics.weightsDidChange(weights)
        for o in observers {
            o.trainingWillStart(epochs: options.epochs, imagesPerEpoch: options.imagesPerEpoch, startingEpoch: completedEpochs)
        }
        while completedEpochs < options.epochs {
            let epoch = completedEpochs + 1
            let started = Date()
            // A full reload at every epoch start, so a run resumed from a checkpoint here goes on
            // exactly as the uninterrupted run does.
            dynamics.weightsDidChange(weights)
            rule.learningRates = options.learningRates(inEpoch: epoch)
            let order = options.shuffle ? generator.permutation(train.count) : Array(0..<train.count)
            var wrong = 0
            var lossSum = 0.0
            var saturatedImages = 0  // consecutive, this epoch
            for n in 0..<options.imagesPerEpoch {
                if let reason = stopRequest?.reason {
                    // The finished epochs' tests still running are delivered, so their checkpoints are written.
                    try deliver(tests.collectAll(), to: observers)
                    throw TrainingError.interrupted(reason: reason, epoch: epoch, image: n, lastCheckpoint: completedEpochs)
                }
                let index = order[n]
                let label = Int(train.labels[index])
                let loss = Double(dynamics.train(on: train.image(index), label: label, weights: &weights, rule: &rule,
                                                 averages: &averages, input: &input, generator: &generator))
                let correct = averages.forwardPrediction(neuronsPerClass: network.neuronsPerClass) == label
                if !correct { wrong += 1 }
                // Every matrix is read below (sanity check, quick test) only once synchronized.
                let quickTestFollows = options.quickTestInterval > 0 && (n + 1) % options.quickTestInterval == 0
                let checksAll = (n + 1) % Self.sanityInterval == 0
                if checksAll || quickTestFollows {
                    dynamics.synchronize(&weights)
                }
                guard loss.isFinite, rule.errors.allSatisfy({ $0.allSatisfy(\.isFinite) }),
                      weights.biasesAreSane, !checksAll || weights.isSane else {
                    throw TrainingError.diverged(epoch: epoch, image: n + 1)
                }
                saturatedImages = SaturationStop.isSaturated(averages) ? saturatedImages + 1 : 0
                if saturatedImages >= SaturationStop.images {
                    throw TrainingError.saturated(epoch: epoch, image: n + 1, images: saturatedImages)
                }
                lossSum += loss
                for o in observers {
                    try o.didLearn(epoch: epoch, image: n + 1, rule: rule, averages: averages, weights: weights)
                    try o.didTrain(epoch: epoch, image: n + 1, loss: loss, correct: correct)
                }

                let isLast = n == options.imagesPerEpoch - 1
                if !isLast && quickTestFollows {
                    let chosen = generator.sample(options.quickTestImages, from: test.count)
                    let (seed, snapshot, configuration) = (generator.next(), weights, network)
                    tests.submit {
                        .quick(epoch: epoch, image: n + 1,
                               error: Self.testError(backgroundEvaluator, network: configuration, weights: snapshot, on: test,
                                                     indices: chosen, seed: seed))
                    }
                    dynamics.clearState()
                    if !tests.inBackground { try deliver(tests.collect(), to: observers) }
                }
                if tests.inBackground && n % 64 == 0 { try deliver(tests.collect(), to: observers) }
            }
            dynamics.synchronize(&weights)
            for o in observers { try o.didFinishTraining(epoch: epoch, images: options.imagesPerEpoch) }
            let seed = generator.next()
            dynamics.clearState()
            guard weights.isSane else { throw TrainingError.diverged(epoch: epoch, image: options.imagesPerEpoch) }
            completedEpochs = epoch
            let (state, snapshot, configuration, schedule, readouts) = (self.state, weights, network, options, readouts)
            let isFinal = epoch == options.epochs || !tests.inBackground
            let testEvaluator = isFinal ? allThreadsEvaluator : backgroundEvaluator
            let trainingError = 100 * Double(wrong) / Double(options.imagesPerEpoch)
            let meanLoss = lossSum / Double(options.imagesPerEpoch)
            let trainingSeconds = Date().timeIntervalSince(started)
            let fullTest = {
                let result = try Self.epochTest(testEvaluator, network: configuration, weights: snapshot, dataset: dataset,
                                                testImages: schedule.fullTestImages, seed: seed, readouts: readouts,
                                                readoutSeed: schedule.seed)
                // In the background the test overlaps the next epoch: the epoch's time is its training.
                let seconds = isFinal ? Date().timeIntervalSince(started) : trainingSeconds
                let summary = EpochSummary(epoch: epoch, testError: result.error, trainingError: trainingError,
                                           meanLoss: meanLoss, images: schedule.imagesPerEpoch, seconds: seconds,
                                           layerAccuracies: result.layers)
                return TestOutcome.epoch(summary, weights: snapshot, state: state)
            }
            if isFinal {
                try deliver(tests.collectAll(), to: observers)
                try deliver([Result(catching: fullTest)], to: observers)
            } else {
                tests.submit(fullTest)
            }
        }
        try deliver(tests.collectAll(), to: observers)
    }
}

public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case diverged(epoch: Int, image: Int)
    /// Stopped by a `StopRequest` before image `image + 1` of `epoch`; the run's last checkpoint
    /// is the one after epoch `lastCheckpoint`.
    case interrupted(reason: String, epoch: Int, image: Int, lastCheckpoint: Int)
    /// Every output neuron saturated on each of the last `images` images (see
    /// `SaturationStop`), up to `image` of `epoch`.
    case saturated(epoch: Int, image: Int, images: Int)

    public var description: String {
        switch self {
        case let .diverged(epoch, image):
            return "training diverged: the weights or the loss became NaN, infinite or absurdly large (|w| > 1e100) at epoch \(epoch), image \(image) (is a learning rate too large?); the run directory keeps the last good checkpoint"
        case let .interrupted(reason, epoch, image, lastCheckpoint):
            return "stopped by \(reason) at epoch \(epoch) after \(image) training image(s); the run's last checkpoint is after epoch \(lastCheckpoint), and resume trains on from there (epoch \(lastCheckpoint + 1) from its start), bit for bit as an uninterrupted run"
        case let .saturated(epoch, image, images):
            return "training saturated: on each of the last \(images) images every output neuron's mean forward voltage was beyond ±\(Int(SaturationStop.voltage)) (its rate pinned at 0 or the maximum, so learning had stopped) at epoch \(epoch), image \(image) (is a learning rate too large?); the run directory keeps the last good checkpoint"
        }
    }
}

/// The saturation stop: training ends with `TrainingError.saturated` (the last good checkpoint
/// kept, as for a divergence) when the network has stopped learning for good, which a learning
/// rate far too large (e.g. 1e50) does without any weight becoming infinite: the voltages reach
/// ~1e50, every rate is pinned at 0 or λ_max, and the updates vanish.
///
/// An image counts as saturated when every output neuron's mean forward-phase somatic voltage
/// C̄^f is at least `voltage` away from 0 (either sign): σ'(C̄^f) < 4.3·10⁻¹⁸ there, and the
/// learning rule's output error, and with it every update, is proportional to σ'(C̄^f). Training
/// stops when `images` consecutive images of one epoch are saturated. Healthy networks stay far
/// inside: the target phase pulls the output voltages towards E_E = 8 and E_I = −8. The count
/// restarts each epoch (so a resumed run stops where the uninterrupted one does), so epochs
/// shorter than `images` are never stopped by it. It is a check only: it reads the phase
/// averages and changes nothing, so runs it does not stop are unchanged bit for bit.
public enum SaturationStop {
    public static let voltage = 40.0
    public static let images = 1000

    /// Whether every output neuron's C̄^f in `averages` is beyond ±`voltage`.
    public static func isSaturated<Scalar>(_ averages: PhaseAverages<Scalar>) -> Bool {
        let limit = Scalar(voltage)
        return averages.somaticForward[averages.somaticForward.count - 1].allSatisfy { $0.magnitude >= limit }
    }
}
