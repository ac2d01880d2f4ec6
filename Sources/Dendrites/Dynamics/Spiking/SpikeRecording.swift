/// Sees what the spiking simulator did, step by step: which neurons spiked, where phases and
/// training examples begin, the random plateau times, and when state was cleared. Enough to
/// replay a run in `ReferenceSpikingNetwork`, which recomputes every potential from the spikes.
///
/// `SpikingDynamics.spikeObserver` is nil unless one is set; the simulator then only checks
/// for nil once per step and phase (outside its loops over neurons and spikes), and its results
/// are the same bit for bit with or without an observer.
public protocol SpikeObserver: AnyObject {
    /// A training image is shown next (a forward phase, then a target phase), with this label.
    func trainingExampleWillStart(label: Int)
    /// A phase of `length` steps starts; its averages are taken over its last `window` steps.
    /// `target`: the teaching conductances are on. `training`: a training phase (with plateaus);
    /// otherwise a test.
    func phaseWillStart(length: Int, window: Int, target: Bool, training: Bool)
    /// Every spike of the step just taken.
    func stepDidEnd(_ spikes: StepSpikes)
    /// Random plateau times: hidden layer `layer`'s plateau of each neuron came `delays[i]` steps
    /// before the end of the phase that just ended.
    func plateauTimesDrawn(layer: Int, delays: [Int])
    /// Every layer's voltages and spike history were cleared (and the input's, if `inputHistory`).
    func stateWasCleared(inputHistory: Bool)
}

extension SpikeObserver {
    public func trainingExampleWillStart(label: Int) {}
    public func phaseWillStart(length: Int, window: Int, target: Bool, training: Bool) {}
    public func plateauTimesDrawn(layer: Int, delays: [Int]) {}
    public func stateWasCleared(inputHistory: Bool) {}
}

/// The spikes of one time step S(t): for the input and for each layer (hidden layers, then the
/// output layer), the neurons that spiked, a neuron once per spike.
public struct StepSpikes: Equatable, Sendable {
    public var input: [Int32]
    public var layers: [[Int32]]

    public init(input: [Int32], layers: [[Int32]]) {
        self.input = input
        self.layers = layers
    }
}

/// One phase as the simulator ran it: its spikes, step by step, and its plateau times.
public struct RecordedPhase: Equatable, Sendable {
    /// Averages are taken over the last `window` steps.
    public var window: Int
    /// The teaching conductances are on (target phase).
    public var target: Bool
    /// A training phase (averages and plateaus for learning); otherwise a test.
    public var training: Bool
    /// S(t) for t = 0 … length − 1.
    public var steps: [StepSpikes]
    /// Random plateau times: per hidden layer, each neuron's plateau this many steps before the
    /// phase's end. Empty: every plateau at the end.
    public var plateauDelays: [[Int]]

    public init(window: Int, target: Bool, training: Bool, steps: [StepSpikes] = [], plateauDelays: [[Int]] = []) {
        self.window = window
        self.target = target
        self.training = training
        self.steps = steps
        self.plateauDelays = plateauDelays
    }

    public var length: Int { steps.count }
}

/// What happened in a run, in order.
public enum SpikeEvent: Equatable, Sendable {
    case trainingExample(label: Int)
    case phase(RecordedPhase)
    case cleared(inputHistory: Bool)
}

/// Records everything a `SpikeObserver` sees, as `SpikeEvent`s.
public final class SpikeRecorder: SpikeObserver {
    private var finished: [SpikeEvent] = []
    /// The phase being recorded (its steps and plateau times are still arriving).
    private var current: RecordedPhase? = nil

    public init() {}

    /// Everything recorded so far.
    public var events: [SpikeEvent] {
        if let current { return finished + [.phase(current)] }
        return finished
    }

    /// Everything recorded so far, leaving the recorder empty.
    public func takeEvents() -> [SpikeEvent] {
        let all = events
        finished = []
        current = nil
        return all
    }

    private func finishPhase() {
        if let current { finished.append(.phase(current)) }
        current = nil
    }

    public func trainingExampleWillStart(label: Int) {
        finishPhase()
        finished.append(.trainingExample(label: label))
    }

    public func phaseWillStart(length: Int, window: Int, target: Bool, training: Bool) {
        finishPhase()
        current = RecordedPhase(window: window, target: target, training: training)
        current!.steps.reserveCapacity(length)
    }

    public func stepDidEnd(_ spikes: StepSpikes) {
        precondition(current != nil, "a step outside a phase")
        current!.steps.append(spikes)
    }

    public func plateauTimesDrawn(layer: Int, delays: [Int]) {
        precondition(current != nil, "plateau times outside a phase")
        while current!.plateauDelays.count <= layer { current!.plateauDelays.append([]) }
        current!.plateauDelays[layer] = delays
    }

    public func stateWasCleared(inputHistory: Bool) {
        finishPhase()
        finished.append(.cleared(inputHistory: inputHistory))
    }
}
