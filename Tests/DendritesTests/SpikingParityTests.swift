import Foundation
import Testing
import Dendrites

/// Spiking mode against the authors' simulator: test-phase output potentials of the first
/// 200 test images with the weights of ../shared/fixtures/spiking/two-hidden-test, compared
/// with the mean of the authors' 4 repeats, relative to the spread between those repeats.
@Suite("Parity with the authors' simulator (spiking mode, statistical)")
struct SpikingParityTests {
    static let directory = SharedPaths.spikingFixtures.appendingPathComponent("two-hidden-test")

    struct Comparison {
        /// RMS over images and neurons of (ours − mean of theirs).
        var ourDeviation: Double
        /// RMS over images, neurons and repeats of (one of theirs − mean of the others).
        var theirDeviation: Double
        var ourError: Double
        var theirError: Double
    }

    static func compare<Scalar: DendriteScalar>(_: Scalar.Type, sampler: SpikeSampler = .thinning) throws -> Comparison {
        let repeats = try NPY.read(path: directory.appendingPathComponent("test_output_potential.npy").path)
        let labels = try NPY.read(path: directory.appendingPathComponent("test_labels.npy").path).values.map { Int($0) }
        let (r, images, neurons) = (repeats.shape[0], repeats.shape[1], repeats.shape[2])
        let sizes = try WeightFiles.layerSizes(in: directory, prefix: "")
        let configuration = NetworkConfiguration(hiddenSizes: Array(sizes.layers.dropLast()), classCount: sizes.layers.last!)
        let weights: NetworkWeights<Scalar> = try WeightFiles.load(from: directory, prefix: "", configuration: configuration)
        var options = SpikingOptions()
        options.sampler = sampler
        let evaluator = SpikingEvaluator<Scalar>(configuration: configuration, options: options)
        let ours = evaluator.outputPotentials(images: MNISTData.dataset.test, indices: Array(0..<images), weights: weights, seed: 42)

        func theirs(_ k: Int, _ n: Int, _ i: Int) -> Double { repeats.values[(k * images + n) * neurons + i] }
        var ourSquares = 0.0, theirSquares = 0.0
        var ourWrong = 0, theirWrong = 0
        for n in 0..<images {
            #expect(labels[n] == Int(MNISTData.dataset.test.labels[n]))
            for i in 0..<neurons {
                let mean = (0..<r).map { theirs($0, n, i) }.reduce(0, +) / Double(r)
                ourSquares += pow(Double(ours[n][i]) - mean, 2)
                for k in 0..<r {
                    let others = ((0..<r).map { theirs($0, n, i) }.reduce(0, +) - theirs(k, n, i)) / Double(r - 1)
                    theirSquares += pow(theirs(k, n, i) - others, 2)
                }
            }
            if predictedClass(outputPotentials: ours[n], neuronsPerClass: 1) != labels[n] { ourWrong += 1 }
            if predictedClass(outputPotentials: (0..<neurons).map { theirs(0, n, $0) }, neuronsPerClass: 1) != labels[n] { theirWrong += 1 }
        }
        return Comparison(ourDeviation: (ourSquares / Double(images * neurons)).squareRoot(),
                          theirDeviation: (theirSquares / Double(images * neurons * r)).squareRoot(),
                          ourError: Double(ourWrong) / Double(images), theirError: Double(theirWrong) / Double(images))
    }

    @Test("float64: our potentials differ from the authors' mean no more than their repeats differ")
    func float64() throws {
        let c = try Self.compare(Double.self)
        print("spiking parity float64:", c)
        // One of ours against the mean of 4 of theirs; one of theirs against the mean of the other 3:
        // for the same distribution the first is expected to be √(1 + 1/4) / √(1 + 1/3) ≈ 0.97 of the second.
        #expect(c.ourDeviation < 1.15 * c.theirDeviation)
        #expect(c.ourDeviation > 0.8 * c.theirDeviation)
        #expect(abs(c.ourError - c.theirError) < 0.05)
    }

    @Test("float32: the same agreement as float64")
    func float32() throws {
        let c = try Self.compare(Float.self)
        print("spiking parity float32:", c)
        #expect(c.ourDeviation < 1.15 * c.theirDeviation)
        #expect(c.ourDeviation > 0.8 * c.theirDeviation)
        #expect(abs(c.ourError - c.theirError) < 0.05)
    }

    @Test("the per-neuron reference sampler and the vectorized per-neuron sampler agree the same way",
          arguments: [SpikeSampler.perNeuron, .vectorized])
    func perNeuronSampler(sampler: SpikeSampler) throws {
        let c = try Self.compare(Double.self, sampler: sampler)
        print("spiking parity \(sampler.rawValue) sampler:", c)
        #expect(c.ourDeviation < 1.15 * c.theirDeviation)
        #expect(c.ourDeviation > 0.8 * c.theirDeviation)
    }
}
