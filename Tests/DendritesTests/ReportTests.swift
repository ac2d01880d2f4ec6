import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Dendrites

/// Collects the elements of an SVG document (name and attributes), failing on malformed XML.
private final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    private var current = ""

    static func parse(_ url: URL) throws -> SVGElements {
        let collector = SVGElements()
        let parser = XMLParser(data: try Data(contentsOf: url))
        parser.delegate = collector
        guard parser.parse() else {
            throw ReportError("\(url.lastPathComponent): \(parser.parserError.map { "\($0)" } ?? "not well-formed")")
        }
        return collector
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        current = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current) }
        current = ""
    }

    /// data-name → data-points of every series group.
    var series: [String: Int] {
        var result: [String: Int] = [:]
        for e in elements where e.name == "g" && e.attributes["class"] == "series" {
            result[e.attributes["data-name"] ?? ""] = Int(e.attributes["data-points"] ?? "")
        }
        return result
    }
}

private func tinyRun(_ directory: URL, seed: UInt64, hidden: [Int] = [20]) throws {
    let network = NetworkConfiguration(hiddenSizes: hidden)
    var training = TrainingOptions(learningRates: TrainingOptions.defaultLearningRates(hiddenLayers: hidden.count))
    training.epochs = 2
    training.imagesPerEpoch = 300
    training.seed = seed
    training.quickTestInterval = 100
    training.quickTestImages = 20
    training.fullTestImages = 100
    var spec = TrainingRunSpec(network: network, training: training, outputDirectory: directory)
    spec.mode = .rate
    spec.measurements.readoutImages = 200
    try TrainingRun.run(spec, dataset: MNISTData.dataset, commandLine: ["test"], observers: [])
}

@Suite("Report: summary, SVG figures, index.html")
struct ReportTests {
    @Test func niceTicks() {
        #expect(SVGChart.niceTicks(0, 10) == [0, 2, 4, 6, 8, 10])
        #expect(SVGChart.niceTicks(0.3, 0.95) == [0.2, 0.4, 0.6, 0.8, 1.0].map { $0 } || SVGChart.niceTicks(0.3, 0.95).first! <= 0.3)
        let ticks = SVGChart.niceTicks(3.2, 97)
        #expect(ticks.first! <= 3.2 && ticks.last! >= 97 && ticks.count <= 8)
    }

    @Test func pngHasSignatureAndHeader() {
        let png = PNG.encode(width: 3, height: 2, rgb: [UInt8](repeating: 128, count: 18))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<24]) == [0, 0, 0, 3, 0, 0, 0, 2])
        #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
    }

    @Test func reportOnTinyRealRuns() throws {
        let root = try SharedPaths.temporaryDirectory()
        let a = root.appendingPathComponent("run-a"), b = root.appendingPathComponent("run-b")
        try tinyRun(a, seed: 1)
        try tinyRun(b, seed: 2, hidden: [20, 10])
        let runs = try [RunSummary(directory: a), RunSummary(directory: b)]
        let table = try RunReport.write(runs)
        #expect(table.contains("run-a") && table.contains("run-b"))
        #expect(table.contains("rate float64 784-20-10, 2 epochs × 300, seed 1"))
        #expect(table.contains("784-20-10-10"))
        #expect(runs[0].testErrors.count == 2)
        #expect(runs[1].finalUpdateAngles.count == 2)

        // Every figure is well-formed SVG with the expected series.
        let testError = try SVGElements.parse(a.appendingPathComponent("test_error.svg"))
        #expect(testError.elements.first?.name == "svg")
        #expect(testError.series["run-a"] == 2 && testError.series["run-b"] == 2)
        #expect(testError.series["run-a (quick)"] == 4 && testError.series["run-b (quick)"] == 4)
        #expect(testError.texts.contains("Test error") && testError.texts.contains("epoch") && testError.texts.contains("test error (%)"))
        #expect(testError.elements.filter { $0.attributes["class"] == "ytick" }.count >= 3)

        let angles = try SVGElements.parse(b.appendingPathComponent("update_angles.svg"))
        // 300 images per epoch in blocks of 100: 3 points per epoch.
        #expect(angles.series == ["hidden layer 0": 6, "hidden layer 1": 6])
        #expect(angles.elements.contains { $0.attributes["class"] == "reference" && $0.attributes["data-value"] == "90.0" })
        let weightAngles = try SVGElements.parse(a.appendingPathComponent("weight_angles.svg"))
        #expect(weightAngles.series == ["hidden layer 0": 6])
        let jacobian = try SVGElements.parse(a.appendingPathComponent("jacobian.svg"))
        #expect(jacobian.series == ["100-image mean": 6])
        #expect(jacobian.elements.contains { $0.attributes["class"] == "reference" && $0.attributes["data-value"] == "1.0" })
        let jacobianWeights = try SVGElements.parse(a.appendingPathComponent("jacobian_weights.svg"))
        #expect(jacobianWeights.series == ["U = k_D W Y": 6])
        let accuracy = try SVGElements.parse(b.appendingPathComponent("layer_accuracy.svg"))
        #expect(accuracy.series == ["read-out: input": 2, "read-out: hidden 0": 2, "read-out: hidden 1": 2,
                                    "read-out: output": 2, "network's own output": 2])
        let loss = try SVGElements.parse(a.appendingPathComponent("loss.svg"))
        #expect(loss.series == ["output loss": 6])
        let fields = try SVGElements.parse(a.appendingPathComponent("receptive_fields.svg"))
        let image = try #require(fields.elements.first { $0.name == "image" })
        #expect(image.attributes["data-neurons"] == "20")
        // The weights, and their change since initialization.
        #expect(fields.elements.filter { $0.name == "image" }.count == 2)
        #expect(image.attributes["href"]?.hasPrefix("data:image/png;base64,iVBORw0KGgo") == true)
        #expect(fields.texts.contains { $0.contains("epoch 2") })

        // index.html shows every figure, the summary and the configuration.
        let html = try String(contentsOf: a.appendingPathComponent("index.html"), encoding: .utf8)
        for name in RunReport.figureNames { #expect(html.contains("src=\"\(name)\"")) }
        #expect(html.contains("final test error") && html.contains("hiddenSizes"))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }

    @Test func reportRefusesADirectoryWithoutARun() throws {
        let root = try SharedPaths.temporaryDirectory()
        #expect(throws: ReportError.self) { try RunSummary(directory: root) }
    }
}
