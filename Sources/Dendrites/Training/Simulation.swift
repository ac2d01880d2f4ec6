/// The simulation of a (mode, precision): rate mode, in float64 only, or spiking mode in float32
/// or float64. This is the one place the library dispatches over them; the work itself is
/// written once, generic over the dynamics and the evaluator (`SimulationTask`).
struct Simulation<Dynamics: NetworkDynamics, Evaluator: NetworkEvaluator> where Dynamics.Scalar == Evaluator.Scalar {
    /// A new dynamics for training.
    let makeDynamics: () -> Dynamics
    /// An evaluator for tests on `threads` threads (nil: all available; rate mode ignores it).
    let makeEvaluator: (_ threads: Int?) -> Evaluator
}

/// Work to do with the simulation of some mode and precision (`Simulation.run`).
protocol SimulationTask {
    associatedtype Output
    func run<Dynamics: NetworkDynamics, Evaluator: NetworkEvaluator>(_ simulation: Simulation<Dynamics, Evaluator>) throws -> Output
}

enum Simulations {
    /// Runs `task` with the simulation of `mode` and `precision` (rate mode always in float64).
    static func run<Task: SimulationTask>(
        _ task: Task, mode: SimulationMode, precision: Precision, network: NetworkConfiguration,
        spiking: SpikingOptions = SpikingOptions()
    ) throws -> Task.Output {
        switch (mode, precision) {
        case (.rate, _):
            return try task.run(Simulation(makeDynamics: { RateDynamics<Double>(configuration: network) },
                                           makeEvaluator: { _ in RateEvaluator<Double>(configuration: network) }))
        case (.spiking, .float64):
            return try task.run(Simulation(
                makeDynamics: { SpikingDynamics<Double>(configuration: network, options: spiking) },
                makeEvaluator: { SpikingEvaluator<Double>(configuration: network, options: spiking, threads: $0 ?? ComputeThreads.available) }))
        case (.spiking, .float32):
            return try task.run(Simulation(
                makeDynamics: { SpikingDynamics<Float>(configuration: network, options: spiking) },
                makeEvaluator: { SpikingEvaluator<Float>(configuration: network, options: spiking, threads: $0 ?? ComputeThreads.available) }))
        }
    }
}
