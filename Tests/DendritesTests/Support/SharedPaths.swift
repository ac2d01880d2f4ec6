import Foundation

/// Where the test suite finds its data: the authors' fixtures in the package (`Tests/Fixtures`),
/// and MNIST where a run would look for it: `$DENDRITES_DATA`, `./data/mnist` in the package,
/// `$DENDRITES_SHARED/data/mnist`, or `../shared/data/mnist` beside the package
/// (`Scripts/test.sh` fetches it into `data/mnist` when none has it).
enum SharedPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // DendritesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root

    static let mnist: URL = {
        let environment = ProcessInfo.processInfo.environment
        let shared = environment["DENDRITES_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
        let candidates = [environment["DENDRITES_DATA"].map { URL(fileURLWithPath: $0) },
                          packageRoot.appendingPathComponent("data/mnist"),
                          shared.appendingPathComponent("data/mnist")].compactMap { $0 }
        func hasImages(_ directory: URL) -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            return names.contains { $0.hasPrefix("train-images") }
        }
        return candidates.first(where: hasImages) ?? candidates[candidates.count - 1]
    }()

    static var fixtures: URL { packageRoot.appendingPathComponent("Tests/Fixtures") }
    static var rateFixtures: URL { fixtures.appendingPathComponent("rate") }
    static var spikingFixtures: URL { fixtures.appendingPathComponent("spiking") }

    /// A fresh empty directory for one test.
    static func temporaryDirectory(_ label: String = #function) throws -> URL {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dendrites-tests-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
