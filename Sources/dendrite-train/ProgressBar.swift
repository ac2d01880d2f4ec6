import Dendrites
import Foundation

/// A one-line progress bar on standard error (a line every 10% of an epoch when standard
/// error is not a terminal), and a summary line per epoch on standard output.
final class ProgressBar: TrainingObserver {
    private let enabled: Bool
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var epochs = 0
    private var imagesPerEpoch = 0
    private var epochStart = Date()
    private var lastDraw = Date.distantPast
    private var lastQuickTest: Double?

    /// Lines printed once training really starts (after every check has passed and the run
    /// directory exists), so a refused run never announces a directory it did not create.
    private let header: [String]

    init(enabled: Bool, header: [String] = []) {
        self.enabled = enabled
        self.header = header
    }

    func trainingWillStart(epochs: Int, imagesPerEpoch: Int, startingEpoch: Int) {
        self.epochs = epochs
        self.imagesPerEpoch = imagesPerEpoch
        for line in header { print(line) }
        fflush(stdout)
    }

    func didTrain(epoch: Int, image: Int, loss: Double, correct: Bool) throws {
        if image == 1 { epochStart = Date() }
        guard enabled else { return }
        let now = Date()
        let tenth = max(1, imagesPerEpoch / 10)
        if isTerminal ? now.timeIntervalSince(lastDraw) < 0.25 && image != imagesPerEpoch : image % tenth != 0 { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(epochStart)
        let rate = Double(image) / max(elapsed, 1e-9)
        let fraction = Double(image) / Double(imagesPerEpoch)
        let width = 28
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let eta = Double(imagesPerEpoch - image) / max(rate, 1e-9)
        let quick = lastQuickTest.map { String(format: "  quick test %.1f%%", $0) } ?? ""
        let line = String(format: "epoch %d/%d %@ %d/%d  %.0f img/s  ETA %@%@",
                          epoch, epochs, bar, image, imagesPerEpoch, rate, Self.duration(eta), quick)
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[2K" : "") + line + (isTerminal ? "" : "\n")).utf8))
    }

    func didQuickTest(epoch: Int, image: Int, error: Double) throws {
        lastQuickTest = error
    }

    func didFinishEpoch<Scalar>(_ s: EpochSummary, weights: NetworkWeights<Scalar>) throws {
        if enabled && isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        print(String(format: "epoch %d: test error %.2f%%, training error %.2f%%, mean loss %.5f, %.1f s (%.0f img/s)",
                     s.epoch, s.testError, s.trainingError, s.meanLoss, s.seconds, Double(s.images) / max(s.seconds, 1e-9)))
        fflush(stdout)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
