/// What the training loop reports as it goes. Progress bars and the run recorder are
/// observers; the model knows nothing of them.
public protocol TrainingObserver: AnyObject {
    func trainingWillStart(epochs: Int, imagesPerEpoch: Int, startingEpoch: Int)
    /// After each training image: its output loss and whether the forward phase got it right.
    func didTrain(epoch: Int, image: Int, loss: Double, correct: Bool) throws
    /// After each learning step, with everything the step used and produced: the rule (its
    /// errors E and backprop errors E_bp), the phase averages, and the updated weights.
    /// For measurements (angles, Jacobians); most observers ignore it. The weights are as the
    /// learning step left them, before `NetworkDynamics.synchronize`: the bottom layer's matrix
    /// may be behind; every other matrix and every bias is current.
    func didLearn<Scalar>(epoch: Int, image: Int, rule: LearningRule<Scalar>, averages: PhaseAverages<Scalar>,
                          weights: NetworkWeights<Scalar>) throws
    /// A quick test's result. Tests may run on another thread while training goes on, so this
    /// can come some images after the quick test's place (`image`); it is always on the
    /// training thread, and in order.
    func didQuickTest(epoch: Int, image: Int, error: Double) throws
    /// Right after an epoch's last training image, before its full test: the place to close
    /// per-epoch series.
    func didFinishTraining(epoch: Int, images: Int) throws
    /// After each epoch's full test, with the weights the test used (those at the end of the
    /// epoch's training). Like quick tests, it may come during the next epoch.
    func didFinishEpoch<Scalar>(_ summary: EpochSummary, weights: NetworkWeights<Scalar>) throws
}

extension TrainingObserver {
    public func trainingWillStart(epochs: Int, imagesPerEpoch: Int, startingEpoch: Int) {}
    public func didTrain(epoch: Int, image: Int, loss: Double, correct: Bool) throws {}
    public func didLearn<Scalar>(epoch: Int, image: Int, rule: LearningRule<Scalar>, averages: PhaseAverages<Scalar>,
                                 weights: NetworkWeights<Scalar>) throws {}
    public func didQuickTest(epoch: Int, image: Int, error: Double) throws {}
    public func didFinishTraining(epoch: Int, images: Int) throws {}
    public func didFinishEpoch<Scalar>(_ summary: EpochSummary, weights: NetworkWeights<Scalar>) throws {}
}

/// One line of `metrics.csv`.
public struct EpochSummary: Codable, Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    /// Percent, on the full test.
    public var testError: Double
    /// Percent, from the forward phases of this epoch's training images.
    public var trainingError: Double
    public var meanLoss: Double
    public var images: Int
    public var seconds: Double
    /// The linear read-out of every layer at this full test (when the run measures them).
    public var layerAccuracies: [LayerAccuracy] = []
}

/// A layer's linear read-out accuracy at a full test.
public struct LayerAccuracy: Codable, Equatable, Sendable {
    /// `input`, `hidden_<l>` or `output`.
    public var layer: String
    public var percent: Double
}
