/// How often a run records its measurements (recorded in `config.json` as `measurements`).
public struct MeasurementOptions: Codable, Equatable, Sendable {
    /// `update_angles.csv` gets every this many images' angles (`--record-interval`).
    public var updateAngleInterval: Int = 10
    /// `weight_angles.csv` and `jacobian.csv` get a row every this many images (`--measure-interval`).
    public var interval: Int = 100
    /// Images per block of `update_angles_smoothed.csv`, and the images J_β J_γ is averaged over.
    public var smoothingBlock: Int = 100
    /// Training images (the first ones, file order) the per-layer read-outs are fitted on; 0: no read-outs.
    public var readoutImages: Int = 1000
    /// Ridge penalty of the read-outs per training sample (features standardized).
    public var readoutRidgePerSample: Double = LinearReadout.defaultRidgePerSample

    public init() {}

    public func validate() throws {
        if updateAngleInterval <= 0 { throw ConfigurationError("\(setting: .updateAngleInterval) must be positive, not \(updateAngleInterval)") }
        if interval <= 0 { throw ConfigurationError("\(setting: .measurementInterval) must be positive, not \(interval)") }
        if readoutImages < 0 { throw ConfigurationError("\(setting: .readoutImages) must be 0 or more, not \(readoutImages)") }
        if readoutImages == 1 { throw ConfigurationError("\(setting: .readoutImages) must be 0 (off) or at least 2") }
        if readoutImages > 60_000 { throw ConfigurationError("\(setting: .readoutImages) must be at most 60000, not \(readoutImages)") }
        if !(readoutRidgePerSample.isFinite && readoutRidgePerSample > 0) {
            throw ConfigurationError("the read-outs' ridge penalty must be finite and positive, not \(readoutRidgePerSample)")
        }
    }
}
