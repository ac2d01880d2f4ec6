/// Four xoshiro256** generators side by side in the lanes of SIMD vectors, for uniform draws of a
/// whole population at once (8 Float or 4 Double uniforms per draw). They are seeded from the
/// run's generator (`Xoshiro256`), so that one stream still decides everything and a checkpoint
/// of it suffices: spiking mode reseeds them at the start of every phase.
public struct UniformStreams: Sendable {
    private var s0: SIMD4<UInt64>, s1: SIMD4<UInt64>, s2: SIMD4<UInt64>, s3: SIMD4<UInt64>
    /// The shift counts of xoshiro's two rotations, kept as data: AVX2 has no vector rotation,
    /// and a rotation by a constant is lowered lane by lane, while shifts by a variable are
    /// single instructions.
    private let shifts: (left7: SIMD4<UInt64>, right57: SIMD4<UInt64>, left45: SIMD4<UInt64>, right19: SIMD4<UInt64>)

    /// Four lanes of fresh 256-bit state, 16 draws of `generator`.
    public init(seededFrom generator: inout Xoshiro256) {
        func lanes() -> SIMD4<UInt64> { SIMD4(generator.next(), generator.next(), generator.next(), generator.next()) }
        s0 = lanes(); s1 = lanes(); s2 = lanes(); s3 = lanes()
        // An all-zero state would stay zero.
        for lane in 0..<4 where s0[lane] | s1[lane] | s2[lane] | s3[lane] == 0 { s0[lane] = 1 }
        shifts = (SIMD4(repeating: 7), SIMD4(repeating: 57), SIMD4(repeating: 45), SIMD4(repeating: 19))
    }

    /// The next 64 random bits of each lane (xoshiro256**, as `Xoshiro256.next`).
    @inline(__always)
    public mutating func next() -> SIMD4<UInt64> {
        let times5 = (s1 &<< 2) &+ s1
        let rotated = (times5 &<< shifts.left7) | (times5 &>> shifts.right57)
        let result = (rotated &<< 3) &+ rotated  // × 9
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 &<< shifts.left45) | (s3 &>> shifts.right19)
        return result
    }

    /// How many values `fill` may write for `count` uniforms: whole draws, so up to 7 beyond.
    public static func paddedCount(_ count: Int) -> Int { (count + 7) / 8 * 8 }

    /// Writes uniforms on [0, 1) to buffer[0..<paddedCount(count)].
    @inline(__always)
    public mutating func fill<Scalar: PolynomialExponential>(_ buffer: UnsafeMutablePointer<Scalar>, count: Int) {
        let perWord = Scalar.uniformsPerWord
        let perDraw = 4 * perWord
        var i = 0
        while i < count {
            let bits = next()
            for lane in 0..<4 {
                for part in 0..<perWord { buffer[i + lane * perWord + part] = Scalar.uniform(bits: bits[lane], part: part) }
            }
            i += perDraw
        }
    }

    /// Writes random 32-bit words to buffer[0..<paddedCount(count)].
    @inline(__always)
    public mutating func fill(bits buffer: UnsafeMutablePointer<UInt32>, count: Int) {
        var i = 0
        while i < count {
            let bits = next()
            for lane in 0..<4 {
                buffer[i + 2 * lane] = UInt32(truncatingIfNeeded: bits[lane])
                buffer[i + 2 * lane + 1] = UInt32(truncatingIfNeeded: bits[lane] &>> 32)
            }
            i += 8
        }
    }

    /// One uniform on [0, 1) with 53 bits (from the first lane of a draw).
    @inline(__always)
    public mutating func nextUniform() -> Double {
        Double(next()[0] >> 11) * 0x1.0p-53
    }
}
