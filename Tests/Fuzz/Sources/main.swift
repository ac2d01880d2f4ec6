// libFuzzer harness for the readers of every file dendrite-train reads back (issue 16).
// Built only by Scripts/fuzz.sh (DENDRITES_FUZZ=1 adds this target to Package.swift), with
// `-sanitize=fuzzer,address`, which instruments every module and links the toolchain's
// libFuzzer. The program's own main (this file's top-level code) hands control to libFuzzer's
// driver, LLVMFuzzerRunDriver, with LLVMFuzzerTestOneInput as the function to fuzz: SwiftPM
// renames an executable's entry point in debug builds, so letting libFuzzer's own `main` take
// over (`-parse-as-library`) fails to link ("undefined symbol 'dendrites_fuzz_main'").
// One binary serves every target; DENDRITES_FUZZ_TARGET picks the reader:
//   npy        .npy decoding, in memory and through the header-first file reader
//   idx        IDX files (raw and gzip) through IDX.read / IDX.dimensions
//   gzip       Gzip.decompress with a 1 MiB cap
//   checkpoint checkpoint.json decoding and validation against a spiking run's config.json
//   config     config.json decoding and validation against a small data set
//   plan       plan.tsv lines as a Slurm array task reads them (sweep-task)
//   sweep      sweep.json as collect reads it
//   csv        a run's CSV file through CSVReader, in formats 1 and 2, as report and resume read it
// A reader may throw for any input; it must never crash, trap, hang or touch memory it
// does not own (AddressSanitizer checks the last).
import Dendrites
import Foundation

private let target = ProcessInfo.processInfo.environment["DENDRITES_FUZZ_TARGET"] ?? ""

/// A scratch directory for the inputs that readers take as files (one per process).
private let scratch: URL = {
    let base = ProcessInfo.processInfo.environment["DENDRITES_FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("dendrites-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// Writes `bytes` to `name` in the scratch directory with plain POSIX calls (Foundation's
/// createFile writes atomically through a temporary file, ten times slower here).
private func file(_ name: String, _ bytes: [UInt8]) -> URL {
    let url = scratch.appendingPathComponent(name)
    let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(descriptor >= 0, "cannot write \(url.path)")
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            precondition(written > 0, "cannot write \(url.path)")
            offset += written
        }
    }
    close(descriptor)
    return url
}

/// The run every checkpoint is validated against: spiking, sparse feedback, 784-20-10.
private let spikingRecord: RunRecord? = {
    guard let path = ProcessInfo.processInfo.environment["DENDRITES_FUZZ_CONFIG"],
          let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONDecoder().decode(RunRecord.self, from: data)
}()

/// A data set of the MNIST image size, as small as validation needs.
private let dataset: ImageDataset = {
    func images(_ count: Int) -> LabeledImages {
        LabeledImages(count: count, rows: 28, columns: 28, pixels: [UInt8](repeating: 0, count: count * 784),
                      labels: [UInt8](repeating: 0, count: count))
    }
    return ImageDataset(kind: .mnist, directory: "/nonexistent", train: images(1000), test: images(500))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch target {
    case "npy":
        _ = try? NPY.read(data: Data(bytes), name: "input.npy")
        let url = file("input.npy", bytes)
        _ = try? NPY.header(path: url.path)
        _ = try? NPY.read(path: url.path) { header in
            guard header.elementCount <= 1 << 16 else { throw DataError(file: url.path, problem: "too big for the fuzzer") }
        }
    case "idx":
        let url = file("input-idx", bytes)
        for dimensions in [1, 3] {
            _ = try? IDX.dimensions(path: url.path, expectedDimensions: dimensions)
            _ = try? IDX.read(path: url.path, expectedDimensions: dimensions)
        }
    case "gzip":
        _ = try? Gzip.decompress(bytes, file: "input.gz", maximumOutputBytes: 1 << 20)
    case "checkpoint":
        guard let checkpoint = try? JSONFile.decode(Checkpoint.self, from: Data(bytes), name: "checkpoint.json") else { break }
        if let record = spikingRecord { try? checkpoint.validate(against: record, file: "checkpoint.json") }
    case "config":
        guard let record = try? JSONFile.decode(RunRecord.self, from: Data(bytes), name: "config.json") else { break }
        try? record.validate(dataset: dataset, file: "config.json")
    case "plan":
        let url = file("plan.tsv", bytes)
        for task in [1, 2] { _ = try? SweepManifest.taskArguments(planFile: url, task: task) }
    case "sweep":
        _ = file("sweep.json", bytes)
        if let manifest = try? SweepManifest.readIfPresent(from: scratch) {
            _ = manifest.plan(sweepDirectory: scratch)
        }
    case "csv":
        let url = file("update_angles.csv", bytes)
        _ = try? CSVReader.read(url.path)
        for version in [1, 2] {
            let layout = RunLayout(formatVersion: version, hiddenLayers: 2, imagesPerEpoch: 100)
            _ = try? layout.read(.updateAngles, in: scratch)
        }
    default:
        fputs("set DENDRITES_FUZZ_TARGET to one of npy, idx, gzip, checkpoint, config, plan, sweep, csv\n", stderr)
        exit(2)
    }
    return 0
}

/// libFuzzer's driver (FuzzerDriver.cpp): parses libFuzzer's flags from argv and fuzzes
/// `callback`. Declared here by its C symbol; its arguments are two pointers and a function
/// pointer, passed the same way by the C and Swift calling conventions.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var argumentCount = CommandLine.argc
var arguments = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argumentCount, &arguments, fuzzOneInput))
