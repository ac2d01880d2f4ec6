import Foundation

/// Writes a run's curves as a TensorBoard event file in the run directory while it trains
/// (README, "Watch a run live"), beside the CSV files and with the same numbers, at the same
/// moments. The step of every scalar is the number of training images seen so far,
/// `(epoch − 1) · imagesPerEpoch + image`; a full test's step is its epoch's last image.
///
/// | tag | when | CSV |
/// |---|---|---|
/// | `test/error_percent` | full test | metrics.csv |
/// | `test/quick_error_percent` | quick test | quick_test.csv |
/// | `train/error_percent`, `train/mean_loss` | end of epoch | metrics.csv |
/// | `train/loss` | every `lossBlock` images (mean) | loss.csv |
/// | `angles/update_deg/hidden_<l>` | every smoothing block (mean) | update_angles_smoothed.csv |
/// | `angles/weight_deg/hidden_<l>` | every measurement interval | weight_angles.csv |
/// | `jacobian/max_eigenvalue`, `jacobian/max_eigenvalue_weights` | every measurement interval | jacobian.csv |
/// | `readout/accuracy_percent/<layer>` (`input`, `hidden_<l>`, `output`, `network`) | full test | layer_accuracy.csv |
///
/// The angles and the eigenvalues come from `MeasurementRecorder` (this recorder is one of its
/// `listeners`), so nothing is measured twice. Each process writes a new file; a resumed run's
/// steps continue those before it (`EventFiles.truncate` drops what came after the checkpoint).
public final class TensorBoardRecorder: TrainingObserver, MeasurementListener {
    public let imagesPerEpoch: Int
    public let lossBlock: Int
    public let writer: EventFileWriter
    private var lossSum = 0.0
    private var lossCount = 0

    public init(directory: URL, imagesPerEpoch: Int, lossBlock: Int = 100) throws {
        precondition(imagesPerEpoch > 0 && lossBlock > 0)
        self.imagesPerEpoch = imagesPerEpoch
        self.lossBlock = lossBlock
        writer = try EventFileWriter(directory: directory)
    }

    /// Training images seen after image `image` (1-based) of epoch `epoch` (1-based).
    public func step(epoch: Int, image: Int) -> Int64 {
        Int64(epoch - 1) * Int64(imagesPerEpoch) + Int64(image)
    }

    private func write(epoch: Int, image: Int, _ scalars: [TensorBoardScalar]) throws {
        try writer.write(step: step(epoch: epoch, image: image), scalars: scalars)
    }

    private static func layerTags(_ prefix: String, _ values: [Double]) -> [TensorBoardScalar] {
        values.indices.map { TensorBoardScalar("\(prefix)/hidden_\($0)", Float(values[$0])) }
    }

    // MARK: TrainingObserver

    public func didTrain(epoch: Int, image: Int, loss: Double, correct: Bool) throws {
        lossSum += loss
        lossCount += 1
        if lossCount == lossBlock { try flushLoss(epoch: epoch, image: image) }
    }

    private func flushLoss(epoch: Int, image: Int) throws {
        try write(epoch: epoch, image: image, [TensorBoardScalar("train/loss", Float(lossSum / Double(lossCount)))])
        lossSum = 0
        lossCount = 0
    }

    public func didQuickTest(epoch: Int, image: Int, error: Double) throws {
        try write(epoch: epoch, image: image, [TensorBoardScalar("test/quick_error_percent", Float(error))])
    }

    public func didFinishTraining(epoch: Int, images: Int) throws {
        if lossCount > 0 { try flushLoss(epoch: epoch, image: images) }
        lossSum = 0
        lossCount = 0
    }

    public func didFinishEpoch<Scalar>(_ s: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        var scalars = [
            TensorBoardScalar("test/error_percent", Float(s.testError)),
            TensorBoardScalar("train/error_percent", Float(s.trainingError)),
            TensorBoardScalar("train/mean_loss", Float(s.meanLoss)),
        ]
        if !s.layerAccuracies.isEmpty {
            scalars += s.layerAccuracies.map { TensorBoardScalar("readout/accuracy_percent/\($0.layer)", Float($0.percent)) }
            scalars.append(TensorBoardScalar("readout/accuracy_percent/network", Float(100 - s.testError)))
        }
        try write(epoch: s.epoch, image: s.images, scalars)
    }

    // MARK: MeasurementListener

    public func didMeasureSmoothedUpdateAngles(epoch: Int, firstImage: Int, lastImage: Int, degrees: [Double]) throws {
        try write(epoch: epoch, image: lastImage, Self.layerTags("angles/update_deg", degrees))
    }

    public func didMeasureWeightAngles(epoch: Int, image: Int, degrees: [Double]) throws {
        try write(epoch: epoch, image: image, Self.layerTags("angles/weight_deg", degrees))
    }

    public func didMeasureJacobian(epoch: Int, image: Int, maxEigenvalue: Double, maxEigenvalueWeights: Double) throws {
        try write(epoch: epoch, image: image, [
            TensorBoardScalar("jacobian/max_eigenvalue", Float(maxEigenvalue)),
            TensorBoardScalar("jacobian/max_eigenvalue_weights", Float(maxEigenvalueWeights)),
        ])
    }
}
