import RealModule

/// σ(v) = 1 / (1 + e^{-v}), the logistic sigmoid.
@inlinable
public func sigmoid<Scalar: DendriteScalar>(_ v: Scalar) -> Scalar {
    1 / (1 + Scalar.exp(-v))
}

/// σ'(v) = σ(v)(1 − σ(v))
@inlinable
public func sigmoidDerivative<Scalar: DendriteScalar>(_ v: Scalar) -> Scalar {
    let s = sigmoid(v)
    return s * (1 - s)
}
