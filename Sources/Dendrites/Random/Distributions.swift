import RealModule

/// The random draws of the model, all taken from a caller's generator.
extension RandomNumberGenerator {
    /// Uniform on [0, 1), 53 random bits.
    @inlinable
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform on [low, high).
    @inlinable
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * uniform()
    }

    /// Standard normal N(0, 1), Marsaglia's polar method.
    public mutating func standardNormal() -> Double {
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return u * (-2 * Double.log(s) / s).squareRoot() }
        }
    }

    /// A Poisson count with mean `mean` (inversion by sequential search; exact, and fast for
    /// the small means of this model, λ ≤ λ_max = 0.2 per step).
    public mutating func poisson(mean: Double) -> Int {
        precondition(mean >= 0 && mean < 30, "poisson(mean:) is for small means, got \(mean)")
        if mean == 0 { return 0 }
        var probability = Double.exp(-mean)
        var cumulative = probability
        let u = uniform()
        var count = 0
        while u >= cumulative && count < 1000 {
            count += 1
            probability *= mean / Double(count)
            cumulative += probability
            if probability == 0 { break }
        }
        return count
    }

    /// An inverse-Gaussian (Wald) draw with the given mean μ and shape λ
    /// (Michael, Schucany & Haas 1976). Its variance is μ³/λ.
    public mutating func wald(mean: Double, shape: Double) -> Double {
        precondition(mean > 0 && shape > 0)
        let normal = standardNormal()
        let y = normal * normal
        let x = mean + mean * mean * y / (2 * shape)
            - mean / (2 * shape) * (4 * mean * shape * y + mean * mean * y * y).squareRoot()
        return uniform() <= mean / (mean + x) ? x : mean * mean / x
    }

    /// A uniformly random permutation of 0..<count (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var order = Array(0..<count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(next(upperBound: UInt64(i + 1)))
            order.swapAt(i, j)
        }
        return order
    }

    /// `k` distinct indices drawn uniformly from 0..<count.
    public mutating func sample(_ k: Int, from count: Int) -> [Int] {
        precondition(k >= 0 && k <= count)
        var pool = Array(0..<count)
        for i in 0..<k {
            let j = i + Int(next(upperBound: UInt64(count - i)))
            pool.swapAt(i, j)
        }
        return Array(pool[0..<k])
    }
}
