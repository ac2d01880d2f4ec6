/// A problem with a data or weight file (IDX, gzip, `.npy`): which file, and what is wrong with it.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
