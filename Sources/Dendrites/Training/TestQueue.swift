import Foundation

/// The tests of a training run (quick tests, the full test and its read-outs), handed off by
/// the trainer: run one at a time on a background thread while training goes on, or in place.
/// Results come back in the order the tests were submitted, on the training thread, when the
/// trainer collects them. A test's result never depends on where it ran: each one takes its
/// seed and a copy of the weights when it is submitted.
final class TestQueue<Outcome>: @unchecked Sendable {
    let inBackground: Bool
    private let queue = DispatchQueue(label: "dendrites.tests", qos: .userInitiated)
    private let lock = NSLock()
    private var finished: [Result<Outcome, Error>] = []

    init(inBackground: Bool) { self.inBackground = inBackground }

    func submit(_ work: @escaping () throws -> Outcome) {
        guard inBackground else {
            finished.append(Result(catching: work))
            return
        }
        queue.async {
            let result = Result(catching: work)
            self.lock.lock()
            self.finished.append(result)
            self.lock.unlock()
        }
    }

    /// The tests finished so far and not yet collected, oldest first; does not wait.
    func collect() -> [Result<Outcome, Error>] {
        lock.lock()
        defer { lock.unlock() }
        let done = finished
        finished.removeAll()
        return done
    }

    /// Waits for every submitted test, then collects them.
    func collectAll() -> [Result<Outcome, Error>] {
        if inBackground { queue.sync {} }
        return collect()
    }
}
