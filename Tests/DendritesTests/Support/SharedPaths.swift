import Foundation

/// Where the test suite finds `../shared` (fixtures and MNIST): `$DENDRITES_SHARED`, else the
/// folder `shared` beside the package root.
enum SharedPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // DendritesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root

    static let shared: URL = {
        if let explicit = ProcessInfo.processInfo.environment["DENDRITES_SHARED"] {
            return URL(fileURLWithPath: explicit)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    static var mnist: URL { shared.appendingPathComponent("data/mnist") }
    static var rateFixtures: URL { shared.appendingPathComponent("fixtures/rate") }
    static var spikingFixtures: URL { shared.appendingPathComponent("fixtures/spiking") }

    /// A fresh empty directory for one test.
    static func temporaryDirectory(_ label: String = #function) throws -> URL {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("dendrites-tests-\(safe)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
