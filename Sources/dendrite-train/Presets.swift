import ArgumentParser
import Dendrites

struct Presets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the presets of `train --preset NAME`: the paper's runs (spiking, 60 epochs).")

    @Flag(help: "Also print the equivalent train options of each preset.")
    var verbose = false

    func run() throws {
        let width = Preset.all.map(\.name.count).max() ?? 0
        for p in Preset.all {
            let name = p.name.padding(toLength: width, withPad: " ", startingAt: 0)
            print("\(name)  \(p.summary) (paper: \(p.paperResult))")
            if verbose { print(String(repeating: " ", count: width + 2) + p.trainOptions) }
        }
    }
}
