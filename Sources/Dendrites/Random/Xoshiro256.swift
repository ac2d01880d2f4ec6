/// The one seeded generator behind every random draw: xoshiro256** (Blackman & Vigna),
/// seeded through SplitMix64. Its state is plain data, so a checkpoint can store it and a
/// resumed run continues the very same stream.
public struct Xoshiro256: RandomNumberGenerator, Codable, Equatable, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator for `seed`; `stream` picks an independent stream of the same seed (for
    /// example one per test image, so that parallel tests do not depend on the thread count).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(state: seed &+ stream &* 0xD1B5_4A32_D192_ED03)
        if stream != 0 { _ = mixer.next() }
        (s0, s1, s2, s3) = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// The generator with exactly this state (as saved in a checkpoint).
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "xoshiro256** needs 4 words, not all zero")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    public var state: [UInt64] { [s0, s1, s2, s3] }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inlinable
    func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    enum CodingKeys: String, CodingKey { case state }
    public init(from decoder: Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.state], debugDescription: "xoshiro256** needs 4 words, not all zero"))
        }
        self.init(state: words)
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }
}

/// SplitMix64, used only to spread a seed over xoshiro's 256-bit state.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
