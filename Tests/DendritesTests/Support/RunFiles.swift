import Foundation

/// Hand-written run directories for the readers' tests.
enum RunFiles {
    /// A minimal config.json: the three fields the CSV files depend on (`RunLayout`).
    /// `formatVersion` nil leaves the field out, as the oldest runs did (format 1).
    static func writeConfig(in directory: URL, formatVersion: Int? = 1, hiddenLayers: Int, imagesPerEpoch: Int = 100) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let version = formatVersion.map { #""formatVersion": \#($0), "# } ?? ""
        let hidden = Array(repeating: "5", count: hiddenLayers).joined(separator: ",")
        try Data(#"{\#(version)"network": {"hiddenSizes": [\#(hidden)]}, "training": {"imagesPerEpoch": \#(imagesPerEpoch)}}"#.utf8)
            .write(to: directory.appendingPathComponent("config.json"))
    }
}
