import Foundation
import Testing
import Dendrites

@Suite("Measurements: angles, eigenvalues, the Jacobian condition, read-outs")
struct MeasurementTests {
    @Test func anglesOfHandComputedVectors() {
        #expect(abs(Angles.degrees([1, 2, 3], [2, 4, 6])) < 1e-6)
        #expect(abs(Angles.degrees([1, 0, 0], [0, 3, 0]) - 90) < 1e-12)
        #expect(abs(Angles.degrees([1, -2], [-3, 6]) - 180) < 1e-6)
        #expect(abs(Angles.degrees([1, 0], [1, 1]) - 45) < 1e-12)
        // cos θ = 32 / (√14 √77)
        let expected = acos(32 / (14.0.squareRoot() * 77.0.squareRoot())) * 180 / .pi
        #expect(abs(Angles.degrees([1, 2, 3], [4, 5, 6]) - expected) < 1e-12)
        #expect(abs(expected - 12.933154491899135) < 1e-9)
        #expect(Angles.degrees([0, 0], [1, 2]).isNaN)
        // Matrices are compared as flattened vectors.
        let a = Matrix<Double>(rows: 2, columns: 2, values: [1, 0, 0, 0])
        let b = Matrix<Double>(rows: 2, columns: 2, values: [0, 0, 0, 1])
        #expect(abs(Angles.degrees(a, b) - 90) < 1e-12)
    }

    @Test(arguments: [FeedbackWiring.broadcast, .layerwise])
    func weightAngleIsZeroForSymmetricFeedback(wiring: FeedbackWiring) {
        var configuration = NetworkConfiguration(hiddenSizes: [40, 25], inputSize: 60, classCount: 10, feedbackWiring: wiring)
        var generator = Xoshiro256(seed: 5)
        // Random feedback first; then the same network made symmetric.
        var weights: NetworkWeights<Double> = WeightInitialization(maximumRate: 0.2).makeWeights(for: configuration, using: &generator)
        configuration.variants.symmetric = true
        let random = Angles.weightAngles(weights: weights, wiring: wiring)
        #expect(random.count == 2 && random.allSatisfy { $0 > 1 && $0 < 179 }, "\(random)")
        FeedbackPathway.makeSymmetric(&weights, configuration: configuration, using: &generator)
        let angles = Angles.weightAngles(weights: weights, wiring: wiring)
        #expect(angles.count == 2)
        for angle in angles { #expect(abs(angle) < 1e-5) }
    }

    @Test func eigenvaluesOfKnownMatrices() throws {
        let diagonal = Matrix<Double>(rows: 3, columns: 3, values: [3, 0, 0, 0, -1, 0, 0, 0, 2])
        #expect(try SymmetricEigen.eigenvalues(diagonal) == [-1, 2, 3])
        let pair = Matrix<Double>(rows: 2, columns: 2, values: [2, 1, 1, 2])
        let values = try SymmetricEigen.eigenvalues(pair)
        #expect(abs(values[0] - 1) < 1e-12 && abs(values[1] - 3) < 1e-12)
        // [[4,1,2],[1,3,0],[2,0,5]]: characteristic polynomial λ³ − 12λ² + 42λ − 43.
        let general = Matrix<Double>(rows: 3, columns: 3, values: [4, 1, 2, 1, 3, 0, 2, 0, 5])
        let (w, vectors) = try SymmetricEigen.decompose(general, vectors: true)
        for lambda in w {
            #expect(abs(lambda * lambda * lambda - 12 * lambda * lambda + 42 * lambda - 43) < 1e-9)
        }
        #expect(abs(w.reduce(0, +) - 12) < 1e-12)
        // A v = λ v for each eigenvector (a column), and unit length.
        let v = try #require(vectors)
        for k in 0..<3 {
            let column = (0..<3).map { v[$0, k] }
            let av = general.applied(to: column)
            for i in 0..<3 { #expect(abs(av[i] - w[k] * column[i]) < 1e-10) }
            #expect(abs(column.map { $0 * $0 }.reduce(0, +) - 1) < 1e-12)
        }
        // A random symmetric matrix Q diag(λ) Qᵀ with known spectrum (Q from a Householder reflection).
        let n = 6
        var generator = Xoshiro256(seed: 11)
        let u = (0..<n).map { _ in generator.standardNormal() }
        let norm2 = u.map { $0 * $0 }.reduce(0, +)
        let q = Matrix<Double>(rows: n, columns: n) { r, c in (r == c ? 1 : 0) - 2 * u[r] * u[c] / norm2 }
        let spectrum: [Double] = [-2.5, -0.1, 0, 0.7, 1.9, 8.25]
        let d = Matrix<Double>(rows: n, columns: n) { r, c in r == c ? spectrum[r] : 0 }
        let a = q.multiplied(by: d).multiplied(by: q.transposed)
        let found = try SymmetricEigen.eigenvalues(a)
        for (x, y) in zip(found, spectrum) { #expect(abs(x - y) < 1e-10) }
        #expect(abs(try SymmetricEigen.largestEigenvalue(a) - 8.25) < 1e-10)
    }

    @Test func jacobianCondition() throws {
        // U = 0: (I − U)ᵀ(I − U) = I; U = I: 0; U = 0.5 I: 0.25.
        #expect(abs(try JacobianCondition.largestEigenvalue(of: Matrix(rows: 3, columns: 3)) - 1) < 1e-12)
        let identity = Matrix<Double>(rows: 3, columns: 3) { r, c in r == c ? 1 : 0 }
        #expect(abs(try JacobianCondition.largestEigenvalue(of: identity)) < 1e-12)
        let half = Matrix<Double>(rows: 3, columns: 3) { r, c in r == c ? 0.5 : 0 }
        #expect(abs(try JacobianCondition.largestEigenvalue(of: half) - 0.25) < 1e-12)
        // Not symmetric: U = [[0, 2], [0, 0]]: (I−U)ᵀ(I−U) = [[1, −2], [−2, 5]], λ_max = 3 + 2√2.
        let shear = Matrix<Double>(rows: 2, columns: 2, values: [0, 2, 0, 0])
        #expect(abs(try JacobianCondition.largestEigenvalue(of: shear) - (3 + 2 * 2.0.squareRoot())) < 1e-12)

        // J_β J_γ by hand for a 2-output, 3-hidden network.
        let w = Matrix<Double>(rows: 2, columns: 3, values: [0.5, -1, 2, 1.5, 0.25, -0.75])
        let y = Matrix<Double>(rows: 3, columns: 2, values: [1, -2, 0.5, 3, -1, 0.25])
        let c: [Double] = [0.3, -1.2]
        let (kD, rMax) = (0.6 / 0.7, 0.2)
        func s(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        func ds(_ x: Double) -> Double { s(x) * (1 - s(x)) }
        let rates = c.map { rMax * s($0) }
        let u = JacobianCondition.product(outputSomatic: c, outputWeights: w, feedback: y, dendriticCoupling: kD, maximumRate: rMax)
        for i in 0..<2 {
            for j in 0..<2 {
                var sum = 0.0
                for k in 0..<3 {
                    let drive = y[k, 0] * rates[0] + y[k, 1] * rates[1]
                    sum += rMax * ds(c[i]) * kD * w[i, k] * ds(drive) * y[k, j]
                }
                #expect(abs(u[i, j] - sum) < 1e-15)
            }
        }
        let uw = JacobianCondition.weightProduct(outputWeights: w, feedback: y, dendriticCoupling: kD)
        #expect(abs(uw[0, 1] - kD * (0.5 * -2 + -1 * 3 + 2 * 0.25)) < 1e-14)
    }

    /// The Cholesky solve equals the ridge solution through the eigen-decomposition,
    /// B = V diag(1/(w + λ)) Vᵀ Zᵀ T, on the same standardized random data.
    @Test func readoutCholeskyEqualsEigenSolution() throws {
        var generator = Xoshiro256(seed: 5)
        let (n, d, classes) = (60, 12, 3)
        let x = Matrix<Double>(rows: n, columns: d) { _, _ in generator.standardNormal() }
        let labels = (0..<n).map { $0 % classes }
        let readout = try LinearReadout(features: x, labels: labels, classes: classes, ridgePerSample: 0.5)
        var z = x
        for r in 0..<n { for c in 0..<d { z[r, c] = (x[r, c] - readout.mean[c]) * readout.scale[c] } }
        let t = Matrix<Double>(rows: n, columns: classes) { r, k in (k == labels[r] ? 1 : 0) - 1 / Double(classes) }
        let (values, vectors) = try SymmetricEigen.decompose(z.transposed.multiplied(by: z), vectors: true)
        let v = try #require(vectors)
        var projected = v.transposed.multiplied(by: z.transposed.multiplied(by: t))
        for i in 0..<d { for k in 0..<classes { projected[i, k] /= values[i] + 0.5 * Double(n) } }
        let reference = v.multiplied(by: projected)
        for i in reference.values.indices {
            #expect(abs(readout.coefficients.values[i] - reference.values[i]) < 1e-12)
        }
    }

    @Test func readoutSeparatesLinearlySeparableData() throws {
        // Five classes, each a Gaussian blob around its own corner in 30 dimensions.
        var generator = Xoshiro256(seed: 3)
        func sample(_ count: Int) -> (Matrix<Double>, [Int]) {
            var values: [Double] = []
            var labels: [Int] = []
            for n in 0..<count {
                let label = n % 5
                labels.append(label)
                for d in 0..<30 { values.append((d % 5 == label ? 3 : 0) + 0.5 * generator.standardNormal()) }
            }
            return (Matrix(rows: count, columns: 30, values: values), labels)
        }
        let (train, trainLabels) = sample(400)
        let (test, testLabels) = sample(1000)
        let readout = try LinearReadout(features: train, labels: trainLabels, classes: 5)
        #expect(readout.accuracy(train, labels: trainLabels) == 100)
        #expect(readout.accuracy(test, labels: testLabels) > 99)
        // Constant features (SD 0) do not break it.
        var padded = Matrix<Double>(rows: 400, columns: 31) { r, c in c == 30 ? 1 : train[r, c] }
        padded[0, 30] = 1
        #expect(try LinearReadout(features: padded, labels: trainLabels, classes: 5).accuracy(padded, labels: trainLabels) == 100)
    }

    @Test func rateModeRunRecordsMeasurements() throws {
        let dir = try SharedPaths.temporaryDirectory().appendingPathComponent("run")
        let network = NetworkConfiguration(hiddenSizes: [30, 20])
        var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: 2))
        training.imagesPerEpoch = 250
        training.epochs = 2
        training.quickTestInterval = 0
        training.fullTestImages = 200
        var spec = TrainingRunSpec(network: network, training: training, outputDirectory: dir)
        spec.mode = .rate
        spec.measurements.readoutImages = 300
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])

        func rows(_ name: String) throws -> [[String]] {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        }
        let angles = try rows("update_angles.csv")
        // Format 2: `step` first (the global image count), hidden_<l>_deg.
        #expect(angles[0] == ["step", "epoch", "image", "hidden_0_deg", "hidden_1_deg"])
        #expect(angles.count == 1 + 2 * 25)
        #expect(angles[1][0...2] == ["10", "1", "10"])
        #expect(angles[26][0...2] == ["260", "2", "10"])
        for row in angles.dropFirst() {
            for value in row[3...] { let x = try #require(Double(value)); #expect(x >= 0 && x <= 180) }
        }
        let smoothed = try rows("update_angles_smoothed.csv")
        #expect(smoothed[0] == ["step", "epoch", "first_image", "last_image", "hidden_0_deg", "hidden_1_deg"])
        #expect(smoothed.dropFirst().map { $0[0...3].joined(separator: ",") }
                == ["100,1,1,100", "200,1,101,200", "250,1,201,250", "350,2,1,100", "450,2,101,200", "500,2,201,250"])
        #expect(smoothed.dropFirst().allSatisfy { Double($0[5])! > 0 && Double($0[5])! < 180 })
        let weightAngles = try rows("weight_angles.csv")
        #expect(weightAngles.count == 1 + 2 * 2)
        #expect(weightAngles[1][0...2] == ["100", "1", "100"])
        let jacobian = try rows("jacobian.csv")
        #expect(jacobian[0] == ["step", "epoch", "image", "max_eigenvalue", "max_eigenvalue_weights"])
        #expect(jacobian.count == 1 + 2 * 2)
        for row in jacobian.dropFirst() {
            #expect(try #require(Double(row[3])) > 0)
            #expect(try #require(Double(row[4])) > 0)
        }
        let accuracy = try rows("layer_accuracy.csv")
        #expect(accuracy[0] == ["step", "epoch", "layer", "accuracy_percent"])
        #expect(accuracy.dropFirst().map { "\($0[0]),\($0[1]),\($0[2])" }
                == ["250,1,input", "250,1,hidden_0", "250,1,hidden_1", "250,1,output", "250,1,network",
                    "500,2,input", "500,2,hidden_0", "500,2,hidden_1", "500,2,output", "500,2,network"])
        for row in accuracy.dropFirst() {
            let value = try #require(Double(row[3]))
            #expect(value >= 0 && value <= 100)
        }
        // Even 300 training images give a linear read-out of the pixels well above chance.
        #expect(try #require(Double(accuracy[1][3])) > 60)
        let metrics = try rows("metrics.csv")
        #expect(abs(Double(accuracy[5][3])! - (100 - Double(metrics[1][2])!)) < 1e-3)
        let record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: dir.appendingPathComponent("config.json")))
        #expect(record.measurements?.readoutImages == 300)
    }

    /// The angles are recorded in every feedback variant; the backprop control's is 0.
    @Test(arguments: ["backprop", "layerwise", "sparse", "symmetric", "learned"])
    func anglesInEveryVariant(variant: String) throws {
        let dir = try SharedPaths.temporaryDirectory("angles-\(variant)").appendingPathComponent("run")
        var network = NetworkConfiguration(hiddenSizes: [30, 20])
        switch variant {
        case "backprop": network.variants.backprop = true
        case "layerwise": network.feedbackWiring = .layerwise
        case "sparse": network.variants.sparseZeroedFraction = 0.8
        case "symmetric": network.variants.symmetric = true
        default: network.variants.feedbackLearningRates = [0.05, 0.05]
        }
        var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: 2))
        training.imagesPerEpoch = 200
        training.quickTestInterval = 0
        training.fullTestImages = 50
        var spec = TrainingRunSpec(network: network, training: training, outputDirectory: dir)
        spec.mode = .rate
        spec.measurements.readoutImages = 0
        try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: [], observers: [])
        let text = try String(contentsOf: dir.appendingPathComponent("update_angles_smoothed.csv"), encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 2)
        for row in rows {
            let angles = row[4...].map { Double($0)! }
            #expect(angles.count == 2)
            if variant == "backprop" {
                for a in angles { #expect(a < 1e-3) }
            } else if variant == "layerwise" {
                // Layer 0 hears layer 1, whose rates do not change between the phases in rate
                // mode (g_A = 0): E^0 = 0 and the angle is undefined, written as nan.
                #expect(angles[0].isNaN)
                #expect(angles[1] > 0 && angles[1] < 180)
            } else {
                for a in angles { #expect(a > 0 && a < 180) }
            }
        }
        let weightAngles = try String(contentsOf: dir.appendingPathComponent("weight_angles.csv"), encoding: .utf8)
        let last = try #require(weightAngles.split(separator: "\n").last?.split(separator: ",").map(String.init))
        if variant == "symmetric" {
            for a in last[3...] { #expect(Double(a)! < 1e-4) }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("layer_accuracy.csv").path))
    }

    @Test func spikingLayerPotentialsMatchOutputPotentials() throws {
        let network = NetworkConfiguration(hiddenSizes: [15])
        var generator = Xoshiro256(seed: 2)
        let drawn: NetworkWeights<Double> = WeightInitialization(maximumRate: 0.2).makeWeights(for: network, using: &generator)
        let weights: NetworkWeights<Float> = drawn.converted()
        var options = SpikingOptions()
        options.testLength = 60
        options.testAveragingWindow = 40
        let evaluator = SpikingEvaluator<Float>(configuration: network, options: options, threads: 2)
        let images = MNISTData.dataset.test
        let layers = evaluator.layerPotentials(images: images, indices: [0, 5, 9], weights: weights, seed: 4)
        let outputs = evaluator.outputPotentials(images: images, indices: [0, 5, 9], weights: weights, seed: 4)
        #expect(layers.count == 3)
        for row in 0..<3 {
            #expect(layers[row].count == 2 && layers[row][0].count == 15)
            #expect(layers[row][1] == outputs[row])
        }
        let activity = evaluator.testActivity(images: images, indices: [0, 5, 9], weights: weights, seed: 4)
        let rates = activity.layerRates
        #expect(rates.map(\.columns) == [784, 15, 10])
        #expect(rates[2].values.allSatisfy { $0 > 0 && $0 < 0.2 })
        // The same tests: the output potentials, and the rates are λ_max σ(C̄) of the potentials.
        for row in 0..<3 {
            #expect(Array(activity.outputPotentials.values[row * 10..<(row + 1) * 10]) == outputs[row].map(Double.init))
            for i in 0..<15 {
                #expect(rates[1][row, i] == 0.2 * sigmoid(Double(layers[row][0][i])))
            }
        }
    }
}
