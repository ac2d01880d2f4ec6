import ArgumentParser
import Dendrites
import Foundation

/// SIGINT (Ctrl-C) and SIGTERM (what Slurm sends before a time limit or a preemption) stop
/// training gracefully: before the next image, once the finished epochs' tests have written their
/// rows and checkpoints (`StopRequest`). The same signal again, a second or more later, stops at
/// once; repeats within a second (a signal sent to the whole process group as well as forwarded
/// by `ablate`) count as one.
enum Interrupts {
    static let request = StopRequest()
    private static let lock = NSLock()
    private static var sources: [DispatchSourceSignal] = []
    private static var first: (signal: Int32, time: Date)?
    /// Called on the signal's first arrival (ablate forwards it to its runs).
    nonisolated(unsafe) static var onFirstSignal: ((Int32) -> Void)?

    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        // A process started with these signals blocked (as a thread of some parents passes on) still receives them.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGINT)
        sigaddset(&unblocked, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { received(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    static func name(_ signalNumber: Int32) -> String { signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "signal \(signalNumber)" }

    /// The exit status of a process stopped by this signal (128 + its number, as the shell reports it).
    static func exitStatus(forReason reason: String) -> Int32 {
        reason == "SIGINT" ? 128 + SIGINT : 128 + SIGTERM
    }

    private static func received(_ signalNumber: Int32) {
        lock.lock()
        let previous = first
        if previous == nil { first = (signalNumber, Date()) }
        lock.unlock()
        if let previous {
            guard Date().timeIntervalSince(previous.time) >= 1 else { return }
            FileHandle.standardError.write(Data("\n\(name(signalNumber)) again: stopping at once; resume continues from the last checkpoint\n".utf8))
            _exit(128 + signalNumber)
        }
        request.stop(reason: name(signalNumber))
        FileHandle.standardError.write(Data("\n\(name(signalNumber)): stopping before the next training image, once the finished epochs' tests are written (again, a second later, to stop at once)\n".utf8))
        onFirstSignal?(signalNumber)
    }

    /// The one-line report of an interrupted run and the exit it ends with.
    static func report(_ error: TrainingError, runDirectory: String) -> ExitCode? {
        guard case let .interrupted(reason, _, _, _) = error else { return nil }
        fflush(stdout)
        FileHandle.standardError.write(Data("Interrupted: \(error.description)\ncontinue with: dendrite-train resume \(ShellQuoting.quote(runDirectory))\n".utf8))
        return ExitCode(exitStatus(forReason: reason))
    }
}
