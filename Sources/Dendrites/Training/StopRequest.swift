import Foundation

/// A request from outside the training loop to stop (the command-line tool makes one on SIGINT
/// or SIGTERM). The trainer looks at it before every training image: once it is made, training
/// stops before the next image, the tests of finished epochs still running in the background are
/// waited for, so their metrics and checkpoints are written, and `run` throws
/// `TrainingError.interrupted`. `resume` then continues from the last checkpoint, bit for bit.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var madeBy: String?

    public init() {}

    /// Asks training to stop; `reason` (e.g. "SIGTERM") is reported in the error. Later requests
    /// keep the first reason.
    public func stop(reason: String) {
        lock.lock()
        if madeBy == nil { madeBy = reason }
        lock.unlock()
    }

    /// The reason of the first request, or nil when none was made.
    public var reason: String? {
        lock.lock()
        defer { lock.unlock() }
        return madeBy
    }
}
