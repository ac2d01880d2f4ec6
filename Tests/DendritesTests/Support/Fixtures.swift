import Foundation
import Dendrites

/// One run of the authors' simulator from ../shared/fixtures/rate (see its README).
struct RateFixture {
    let name: String
    let directory: URL
    let configuration: NetworkConfiguration
    let learningRates: [Double]
    let images: Int

    init(_ name: String) throws {
        self.name = name
        directory = SharedPaths.rateFixtures.appendingPathComponent(name)
        let data = try Data(contentsOf: directory.appendingPathComponent("case.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let layers = json["layers"] as! [Int]
        var configuration = NetworkConfiguration(hiddenSizes: Array(layers.dropLast()), classCount: layers.last!)
        configuration.feedbackWiring = FeedbackWiring(rawValue: json["feedback"] as? String ?? "broadcast")!
        configuration.variants.backprop = json["backprop"] as? Bool ?? false
        configuration.variants.symmetric = json["symmetric_feedback"] as? Bool ?? false
        configuration.variants.apicalBias = json["apical_bias"] as? Bool ?? false
        if json["learned_feedback"] as? Bool ?? false {
            configuration.variants.feedbackLearningRates = json["feedback_learning_rates"] as? [Double]
        }
        if let sparse = json["sparse_feedback"] as? [String: Any] {
            configuration.variants.sparseZeroedFraction = sparse["zeroed_fraction"] as? Double
            configuration.variants.sparseScale = sparse["scale"] as? Double ?? 5
        }
        if let gA = json["apical_conductance"] as? Double { configuration.neuron.apicalConductance = gA }
        self.configuration = configuration
        learningRates = json["learning_rates"] as! [Double]
        images = json["images"] as! Int
    }

    func weights(_ prefix: String) throws -> NetworkWeights<Double> {
        try WeightFiles.load(from: directory, prefix: prefix, configuration: configuration)
    }

    func array(_ name: String) throws -> NPYArray {
        try NPY.read(path: directory.appendingPathComponent(name).path)
    }

    static var allNames: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: SharedPaths.rateFixtures.path).sorted()) ?? []
    }
}

/// The real MNIST data, read once for the whole test run.
enum MNISTData {
    static let dataset: ImageDataset = {
        do { return try ImageDataset.load(kind: .mnist, directory: SharedPaths.mnist.path) }
        catch { fatalError("the tests need MNIST at \(SharedPaths.mnist.path): \(error)") }
    }()
}

/// max |a − b| / max |b|: the relative disagreement of two arrays.
func relativeDifference<S: BinaryFloatingPoint>(_ a: [S], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "arrays of \(a.count) and \(b.count) values")
    var worst = 0.0
    var scale = 0.0
    for (x, y) in zip(a, b) {
        worst = max(worst, abs(Double(x) - y))
        scale = max(scale, abs(y))
    }
    return scale == 0 ? worst : worst / scale
}
