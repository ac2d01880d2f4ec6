/// The spikes of one population over the last `memory` steps, as lists of the neurons that
/// spiked (a neuron appears once per spike, so a count of 2 appears twice).
///
/// The lists live in one flat buffer, `capacity` entries per slot, so the step loop records and
/// reads them without an array per slot (no uniqueness checks, no retains). A step with more
/// spikes than `capacity` grows every slot at once.
public struct SpikeHistory: Sendable {
    public let memory: Int
    /// Room for spikes per slot.
    public private(set) var capacity: Int
    /// Slot s holds its spikes at `storage[s * capacity ..< s * capacity + counts[s]]`.
    private var storage: [Int32]
    private var counts: [Int]
    /// The slot of the newest step.
    public private(set) var head = 0

    public init(memory: Int, expectedSpikesPerStep: Int = 16) {
        self.memory = memory
        capacity = max(16, expectedSpikesPerStep)
        storage = [Int32](repeating: 0, count: memory * capacity)
        counts = [Int](repeating: 0, count: memory)
    }

    /// The slot of the step `lag` steps before the newest.
    @inline(__always)
    public func slot(lag: Int) -> Int { (head - lag + memory) % memory }

    /// The number of spikes in `slot`.
    @inline(__always)
    public func count(inSlot slot: Int) -> Int { counts[slot] }

    /// The spikes of `slot`, read in place.
    @inline(__always)
    public func withSpikes<Result>(inSlot slot: Int, _ body: (UnsafeBufferPointer<Int32>) throws -> Result) rethrows -> Result {
        let (start, count) = (slot * capacity, counts[slot])
        return try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

    /// The spikes of `slot` (a view of the buffer, for paths outside the step loop).
    public func spikes(inSlot slot: Int) -> ArraySlice<Int32> {
        storage[(slot * capacity)..<(slot * capacity + counts[slot])]
    }

    /// Every slot's spikes, oldest slot index first (a copy: checkpoints and tests).
    public var slots: [[Int32]] { (0..<memory).map { Array(spikes(inSlot: $0)) } }

    /// Starts a new step: its slot is emptied and becomes the newest.
    public mutating func advance() {
        head = (head + 1) % memory
        counts[head] = 0
    }

    public mutating func record(_ neuron: Int32) {
        if counts[head] == capacity { grow(toHold: capacity + 1) }
        storage[head * capacity + counts[head]] = neuron
        counts[head] += 1
    }

    @inline(__always)
    public mutating func record(contentsOf neurons: UnsafeBufferPointer<Int32>) {
        guard let source = neurons.baseAddress, neurons.count > 0 else { return }
        let count = counts[head]
        if count + neurons.count > capacity { grow(toHold: count + neurons.count) }
        let start = head * capacity + count
        storage.withUnsafeMutableBufferPointer { s in (s.baseAddress! + start).update(from: source, count: neurons.count) }
        counts[head] = count + neurons.count
    }

    public mutating func clear() {
        for s in counts.indices { counts[s] = 0 }
    }

    /// Gives every slot room for at least `needed` spikes (at least twice the old room).
    private mutating func grow(toHold needed: Int) {
        let newCapacity = max(needed, 2 * capacity)
        var grown = [Int32](repeating: 0, count: memory * newCapacity)
        for s in 0..<memory {
            for k in 0..<counts[s] { grown[s * newCapacity + k] = storage[s * capacity + k] }
        }
        storage = grown
        capacity = newCapacity
    }
}
