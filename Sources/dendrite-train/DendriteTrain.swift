import ArgumentParser
import Dendrites

@main
struct DendriteTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dendrite-train",
        abstract: "Train and test segregated-dendrite networks (Guerguiev, Lillicrap & Richards, eLife 2017) on MNIST.",
        version: "dendrite-train, built from commit \(RunRecord.buildCommit)",
        subcommands: [Train.self, Test.self, Bench.self, Report.self, Resume.self, Presets.self, Ablate.self, Paper.self, Collect.self, SweepTask.self],
        defaultSubcommand: Train.self
    )
}
