import Foundation

/// How many threads parallel work (spiking tests, saved-network tests) uses by default: the
/// cores this process may run on, but no more than a Slurm task was given
/// (`SLURM_CPUS_PER_TASK`) or `DENDRITES_THREADS` asks for. Results never depend on it.
public enum ComputeThreads {
    public static var available: Int {
        available(environment: ProcessInfo.processInfo.environment, cores: ProcessInfo.processInfo.activeProcessorCount)
    }

    public static func available(environment: [String: String], cores: Int) -> Int {
        var threads = max(1, cores)
        for variable in ["SLURM_CPUS_PER_TASK", "DENDRITES_THREADS"] {
            if let text = environment[variable], let limit = Int(text.trimmingCharacters(in: .whitespaces)), limit > 0 {
                threads = min(threads, limit)
            }
        }
        return threads
    }
}
