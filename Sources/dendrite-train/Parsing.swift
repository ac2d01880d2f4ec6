import Foundation
import ArgumentParser
import Dendrites

/// `--hidden 500,100`, `--hidden 500`, `--hidden none`
struct HiddenSizes: ExpressibleByArgument, CustomStringConvertible {
    var sizes: [Int]
    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "none" || text == "0" || text.isEmpty { sizes = []; return }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var sizes: [Int] = []
        for part in parts {
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            sizes.append(n)
        }
        self.sizes = sizes
    }
    init(_ sizes: [Int]) { self.sizes = sizes }
    var description: String { sizes.isEmpty ? "none" : sizes.map(String.init).joined(separator: ",") }
}

/// `--learning-rates 0.23,0.23,0.12`
struct NumberList: ExpressibleByArgument, CustomStringConvertible {
    var values: [Double]
    init?(argument: String) {
        var values: [Double] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Double(part.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(v)
        }
        self.values = values
    }
    var description: String { values.map { "\($0)" }.joined(separator: ",") }
}

extension DatasetKind: ExpressibleByArgument {}
extension SimulationMode: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension PixelOrder: ExpressibleByArgument {}
extension SpikeSampler: ExpressibleByArgument {}
extension FeedbackWiring: ExpressibleByArgument {}

