/// The spikes of one population over the last `memory` steps, as lists of the neurons that
/// spiked (a neuron appears once per spike, so a count of 2 appears twice).
public struct SpikeHistory: Sendable {
    public let memory: Int
    public private(set) var slots: [[Int32]]
    /// The slot of the newest step.
    public private(set) var head = 0

    public init(memory: Int, expectedSpikesPerStep: Int = 16) {
        self.memory = memory
        slots = (0..<memory).map { _ in
            var s = [Int32]()
            s.reserveCapacity(max(16, expectedSpikesPerStep))
            return s
        }
    }

    /// The slot of the step `lag` steps before the newest.
    @inline(__always)
    public func slot(lag: Int) -> Int { (head - lag + memory) % memory }

    /// Starts a new step: its slot is emptied and becomes the newest.
    public mutating func advance() {
        head = (head + 1) % memory
        slots[head].removeAll(keepingCapacity: true)
    }

    public mutating func record(_ neuron: Int32) { slots[head].append(neuron) }

    public mutating func record(contentsOf neurons: UnsafeBufferPointer<Int32>) { slots[head].append(contentsOf: neurons) }

    public mutating func clear() {
        for i in slots.indices { slots[i].removeAll(keepingCapacity: true) }
    }
}
