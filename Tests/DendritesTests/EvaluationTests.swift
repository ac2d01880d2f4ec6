import Foundation
import Testing
import Dendrites

@Suite("Testing saved networks")
struct EvaluationTests {
    static let weights = SharedPaths.spikingFixtures.appendingPathComponent("two-hidden-test")

    @Test("per-image CSV: one row per image in file order, with label, prediction and potentials")
    func csv() throws {
        var test = SavedNetworkTest(weightsDirectory: Self.weights)
        test.threads = 2
        let results = try test.run(on: MNISTData.dataset.test, count: 30)
        #expect(results.map(\.index) == Array(0..<30))
        #expect(results.map(\.label) == (0..<30).map { Int(MNISTData.dataset.test.labels[$0]) })
        for r in results {
            #expect(r.potentials.count == 10)
            #expect(r.prediction == r.potentials.indices.max { r.potentials[$0] < r.potentials[$1] })
        }
        let directory = try SharedPaths.temporaryDirectory()
        let url = directory.appendingPathComponent("t.csv")
        try SavedNetworkTest.writeCSV(results, to: url)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 31)
        #expect(lines[0] == "index,label,prediction,C_0,C_1,C_2,C_3,C_4,C_5,C_6,C_7,C_8,C_9")
        #expect(lines[1].split(separator: ",").count == 13)
        // The thread count does not change the result.
        test.threads = 1
        let single = try test.run(on: MNISTData.dataset.test, count: 30)
        #expect(single.map(\.potentials) == results.map(\.potentials))
    }

    @Test("rate mode gives the feedforward potentials; a wrong network size is refused")
    func rateModeAndBadInput() throws {
        var test = SavedNetworkTest(weightsDirectory: Self.weights)
        test.mode = .rate
        let results = try test.run(on: MNISTData.dataset.test, count: 5)
        let configuration = try test.configuration(imagePixels: 784)
        #expect(configuration.hiddenSizes == [40, 20])
        let weights: NetworkWeights<Double> = try WeightFiles.load(from: Self.weights, prefix: "", configuration: configuration)
        let expected = RateEvaluator<Double>(configuration: configuration)
            .outputPotentials(images: MNISTData.dataset.test, indices: Array(0..<5), weights: weights, seed: 0)
        #expect(results.map(\.potentials) == expected)
        #expect(throws: ConfigurationError.self) { try test.run(on: MNISTData.dataset.test, count: 0) }
        test.neuronsPerClass = 3
        #expect(throws: ConfigurationError.self) { try test.run(on: MNISTData.dataset.test, count: 5) }
        test.prefix = "epoch_9_"
        #expect(throws: WeightFileError.self) { try test.run(on: MNISTData.dataset.test, count: 5) }
    }
}
