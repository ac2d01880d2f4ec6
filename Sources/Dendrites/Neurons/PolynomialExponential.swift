/// e^x with no library call and no branch, so that a loop of it over many values
/// vectorizes (the spike sampler needs 1/σ(C) = 1 + e^{−C} for each step's candidate events).
///
/// Range reduction x = k ln 2 + r with k = round(x / ln 2), |r| ≤ ln 2 / 2; then e^x = 2^k p(r),
/// with 2^k written straight into the exponent bits. x is first clamped to the range where 2^k is
/// a normal number. Accuracy against Foundation's exp is checked by the tests (a few ulp).
public protocol PolynomialExponential: BinaryFloatingPoint {
    static func polynomialExp(_ x: Self) -> Self
    /// How many uniforms `uniform(bits:part:)` makes from 64 random bits: 2 (Float) or 1 (Double).
    static var uniformsPerWord: Int { get }
    /// A uniform on [0, 1) from part `part` of `bits`: 23 bits each for Float, 52 for Double.
    static func uniform(bits: UInt64, part: Int) -> Self
}

extension Float: PolynomialExponential {
    @inlinable @inline(__always)
    public static func polynomialExp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87), 88)
        // Adding 1.5·2^23 rounds x / ln 2 to the nearest integer k, which then sits in the low bits.
        let shifter: Float = 0x1.8p23
        let shifted = x * 1.442695040888963 + shifter
        let k = shifted - shifter
        // ln 2 = 0.693359375 − 2.12194440e-4, the first part exact in a few bits (Cody–Waite).
        let r = (x - k * 0.693359375) + k * 2.12194440e-4
        // Cephes' expf polynomial: e^r ≈ 1 + r + r² q(r).
        // (Horner's rule in fused multiply-adds: one rounding and one instruction per step.)
        var q: Float = 1.9875691500e-4
        q = (1.3981999507e-3 as Float).addingProduct(q, r)
        q = (8.3334519073e-3 as Float).addingProduct(q, r)
        q = (4.1665795894e-2 as Float).addingProduct(q, r)
        q = (1.6666665459e-1 as Float).addingProduct(q, r)
        q = (5.0000001201e-1 as Float).addingProduct(q, r)
        let p = (r + 1).addingProduct(q, r * r)
        // 2^k: k + 127 in the exponent field (k ∈ −126…127 after the clamp).
        let twoToK = Float(bitPattern: (shifted.bitPattern &+ 127) &<< 23)
        return p * twoToK
    }

    public static var uniformsPerWord: Int { 2 }

    @inlinable @inline(__always)
    public static func uniform(bits: UInt64, part: Int) -> Float {
        // 23 random bits as the mantissa of a number in [1, 2), minus 1.
        let mantissa = UInt32(truncatingIfNeeded: part == 0 ? bits >> 41 : bits >> 9) & 0x7F_FFFF
        return Float(bitPattern: mantissa | 0x3F80_0000) - 1
    }
}

extension Double: PolynomialExponential {
    @inlinable @inline(__always)
    public static func polynomialExp(_ x: Double) -> Double {
        let x = Swift.min(Swift.max(x, -708), 709)
        let shifter: Double = 0x1.8p52
        let shifted = x * 1.4426950408889634 + shifter
        let k = shifted - shifter
        // ln 2 in two parts (fdlibm's ln2_hi, ln2_lo).
        let r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
        // Taylor series to r¹³: the first omitted term is below 1e-17 for |r| ≤ ln 2 / 2.
        // Horner's rule in fused multiply-adds.
        var p: Double = 1.0 / 6227020800  // 1/13!
        p = (1.0 / 479001600).addingProduct(p, r)
        p = (1.0 / 39916800).addingProduct(p, r)
        p = (1.0 / 3628800).addingProduct(p, r)
        p = (1.0 / 362880).addingProduct(p, r)
        p = (1.0 / 40320).addingProduct(p, r)
        p = (1.0 / 5040).addingProduct(p, r)
        p = (1.0 / 720).addingProduct(p, r)
        p = (1.0 / 120).addingProduct(p, r)
        p = (1.0 / 24).addingProduct(p, r)
        p = (1.0 / 6).addingProduct(p, r)
        p = (0.5).addingProduct(p, r)
        p = (1.0).addingProduct(p, r)
        p = (1.0).addingProduct(p, r)
        // 2^k: k + 1023 in the exponent field (k ∈ −1021…1023 after the clamp).
        let twoToK = Double(bitPattern: (shifted.bitPattern &+ 1023) &<< 52)
        return p * twoToK
    }

    public static var uniformsPerWord: Int { 1 }

    @inlinable @inline(__always)
    public static func uniform(bits: UInt64, part: Int) -> Double {
        Double(bitPattern: (bits >> 12) | 0x3FF0_0000_0000_0000) - 1
    }
}
