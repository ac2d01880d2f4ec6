import Foundation

/// The built `dendrite-train` for tests that run it as a process: $DENDRITES_TRAIN_BINARY, else
/// the one beside this test executable (the same build), else the newest
/// <package>/.build*/release/dendrite-train that knows `resume`.
func dendriteTrainBinary() -> String? {
    let fm = FileManager.default
    if let explicit = ProcessInfo.processInfo.environment["DENDRITES_TRAIN_BINARY"] { return explicit }
    let testExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testExecutable.deletingLastPathComponent()
    // Inside an .xctest bundle the executable sits a few folders below the build folder.
    for _ in 0..<4 {
        let sibling = directory.appendingPathComponent("dendrite-train").path
        if fm.isExecutableFile(atPath: sibling) { return sibling }
        directory = directory.deletingLastPathComponent()
    }
    let root = SharedPaths.packageRoot
    let candidates = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? [])
        .filter { $0.hasPrefix(".build") }
        .map { root.appendingPathComponent($0).appendingPathComponent("release/dendrite-train").path }
        .filter { fm.isExecutableFile(atPath: $0) }
        .sorted {
            let a = (try? fm.attributesOfItem(atPath: $0)[.modificationDate] as? Date) ?? .distantPast
            let b = (try? fm.attributesOfItem(atPath: $1)[.modificationDate] as? Date) ?? .distantPast
            return a > b
        }
    return candidates.first { (try? runTool($0, ["resume", "--help"])) == 0 }
}

/// The binary, or nil after printing why the test named `test` is skipped.
func dendriteTrainBinary(orSkip test: String) -> String? {
    if let binary = dendriteTrainBinary() { return binary }
    print("SKIPPED \(test): no built dendrite-train beside the tests or under \(SharedPaths.packageRoot.path)/.build*/release; set DENDRITES_TRAIN_BINARY")
    return nil
}
