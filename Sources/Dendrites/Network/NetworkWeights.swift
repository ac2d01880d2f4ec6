/// Every learnable and fixed weight of a network, named as in the paper and the authors'
/// files: `W_m`, `b_m` for layer m (hidden layers, then the output layer), `Y_l` (and the
/// optional apical bias `c_l`) for hidden layer l.
public struct NetworkWeights<Scalar: DendriteScalar>: Equatable, Sendable {
    /// W_m: forward weights, n_m × n_{m-1}.
    public var forward: [Matrix<Scalar>]
    /// b_m: forward (basal) biases, n_m.
    public var bias: [[Scalar]]
    /// Y_l: feedback weights into hidden layer l, n_l × (n_out or n_{l+1}).
    public var feedback: [Matrix<Scalar>]
    /// c_l: apical biases of hidden layer l (all zero when the variant is off).
    public var apicalBias: [[Scalar]]
    /// Which entries of each Y stay zero under sparse feedback (empty when it is off).
    public var feedbackMask: [[Bool]]

    public init(forward: [Matrix<Scalar>], bias: [[Scalar]], feedback: [Matrix<Scalar>],
                apicalBias: [[Scalar]], feedbackMask: [[Bool]] = []) {
        self.forward = forward
        self.bias = bias
        self.feedback = feedback
        self.apicalBias = apicalBias
        self.feedbackMask = feedbackMask
    }

    public var layerCount: Int { forward.count }

    /// Checks every shape against the configuration; the message names the array.
    public func checkShapes(against configuration: NetworkConfiguration) throws {
        let sizes = configuration.layerSizes
        guard forward.count == sizes.count, bias.count == sizes.count else {
            throw ConfigurationError("the weights have \(forward.count) layers; the network has \(sizes.count)")
        }
        for m in 0..<sizes.count {
            let expected = (sizes[m], configuration.inputCount(ofLayer: m))
            if forward[m].rows != expected.0 || forward[m].columns != expected.1 {
                throw ConfigurationError("W_\(m) is \(forward[m].rows) × \(forward[m].columns); the network needs \(expected.0) × \(expected.1)")
            }
            if bias[m].count != sizes[m] {
                throw ConfigurationError("b_\(m) has \(bias[m].count) entries; the network needs \(sizes[m])")
            }
        }
        guard feedback.count == configuration.hiddenLayerCount else {
            throw ConfigurationError("there are \(feedback.count) feedback matrices for \(configuration.hiddenLayerCount) hidden layers")
        }
        for l in 0..<configuration.hiddenLayerCount {
            let expected = (sizes[l], configuration.feedbackInputCount(ofHiddenLayer: l))
            if feedback[l].rows != expected.0 || feedback[l].columns != expected.1 {
                throw ConfigurationError("Y_\(l) is \(feedback[l].rows) × \(feedback[l].columns); the network needs \(expected.0) × \(expected.1)")
            }
            if apicalBias[l].count != sizes[l] {
                throw ConfigurationError("c_\(l) has \(apicalBias[l].count) entries; the network needs \(sizes[l])")
            }
        }
    }

    /// True when every weight is a finite number.
    public var isFinite: Bool {
        forward.allSatisfy { $0.values.allSatisfy(\.isFinite) } && bias.allSatisfy { $0.allSatisfy(\.isFinite) }
            && feedback.allSatisfy { $0.values.allSatisfy(\.isFinite) }
            && apicalBias.allSatisfy { $0.allSatisfy(\.isFinite) }
    }

    public func converted<Other: DendriteScalar>(to: Other.Type = Other.self) -> NetworkWeights<Other> {
        NetworkWeights<Other>(
            forward: forward.map { $0.converted() }, bias: bias.map { $0.map { Other($0) } },
            feedback: feedback.map { $0.converted() }, apicalBias: apicalBias.map { $0.map { Other($0) } },
            feedbackMask: feedbackMask)
    }
}
