import ArgumentParser
import Dendrites
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure per-image training and test times (release build; compare with the authors' code).",
        discussion: """
        The speed-up columns divide the authors' figures for a spiking 784-500-10 network by ours. \
        The defaults are the medians of the clean blocks measured on the 2026-12-01 machine (Zen 1), \
        side by side with ours: 77 ms per training image, 146 ms per 250-step test image, and 87 ms per \
        training image for their train() with its quick tests (Results/benchmark.md); on another \
        machine, measure theirs there and pass --authors-train, --authors-test and --authors-job. \
        Training runs on one core; tests use all cores. The whole-job table times one epoch of the \
        default train job (--job-images) against the kernel's training time.
        """
    )

    @Option(help: "Networks to measure, as hidden sizes separated by spaces: e.g. '500' '500,100'.")
    var hidden: [HiddenSizes] = [HiddenSizes([500]), HiddenSizes([500, 100])]

    @Option(help: "Modes to measure.")
    var mode: [SimulationMode] = [.spiking, .rate]

    @Option(help: "Precisions to measure in spiking mode (float32 is the fast one the speed target is met with).")
    var precision: [Precision] = [.float64, .float32]

    @Option(help: "Spike samplers to measure in spiking mode: any of 'thinning', 'vectorized' and 'per-neuron'.")
    var spikeSampler: [SpikeSampler] = [.thinning]

    @Option(help: "Timed training images per measurement (spiking; rate mode uses 20× as many).")
    var trainImages = 500

    @Option(help: "Timed test images per measurement (spiking; rate mode uses 20× as many).")
    var testImages = 200

    @Option(help: ArgumentHelp("Training images of the whole-job measurement: one epoch of the default `train` job (quick tests, full test, read-outs, angles, checkpoints) of the first network, per precision; 0 skips it.", valueName: "n"))
    var jobImages = 60_000

    @Option(help: ArgumentHelp("The authors' ms per training image of spiking 784-500-10, without tests (for the speed-up columns).", valueName: "ms"))
    var authorsTrain = Self.authorsTrainMilliseconds

    @Option(help: ArgumentHelp("The authors' ms per 250-step test image of spiking 784-500-10.", valueName: "ms"))
    var authorsTest = Self.authorsTestMilliseconds

    @Option(help: ArgumentHelp("The authors' ms per training image of their whole training job (their quick tests included).", valueName: "ms"))
    var authorsJob = Self.authorsJobMilliseconds

    @Option(help: ArgumentHelp("Directory with MNIST (searched as for `train` otherwise).", valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("Also write the table as Markdown to this file.", valueName: "file"))
    var markdown: String?

    static let authorsTrainMilliseconds = 77.0
    static let authorsTestMilliseconds = 146.0
    static let authorsJobMilliseconds = 87.0

    func run() throws {
        let dataset: ImageDataset
        do { dataset = try TrainingRun.loadDataset(.mnist, explicit: data) } catch { throw CleanExit.message("Error: \(CommandLineOptions.describe(error))") }
        var lines = [
            "| network | mode | precision | sampler | train ms/image (1 core) | test ms/image (1 core) | test ms/image (\(ProcessInfo.processInfo.activeProcessorCount) cores) | train speed-up | test speed-up |",
            "|---|---|---|---|---:|---:|---:|---:|---:|",
        ]
        print(lines.joined(separator: "\n"))
        var kernels: [Precision: (hidden: [Int], milliseconds: Double)] = [:]
        for h in hidden {
            for m in mode {
                let variants: [(Precision, SpikeSampler)] = m == .rate
                    ? [(.float64, .thinning)]
                    : precision.flatMap { p in spikeSampler.map { (p, $0) } }
                for (p, sampler) in variants {
                    let scale = m == .rate ? 20 : 1
                    var spiking = SpikingOptions()
                    spiking.sampler = sampler
                    let r = Benchmark.measure(hidden: h.sizes, mode: m, precision: p, dataset: dataset,
                                              trainImages: trainImages * scale, testImages: testImages * scale, spiking: spiking)
                    // The authors' figures are for a spiking 784-500-10 network only.
                    let speedups = m == .spiking && h.sizes == [500]
                        ? String(format: "%.0f× | %.0f×", authorsTrain / r.trainMilliseconds,
                                 authorsTest / r.testMillisecondsAllThreads)
                        : "– | –"
                    let line = String(format: "| %@ | %@ | %@ | %@ | %.3f | %.3f | %.3f | %@ |", r.network, m.rawValue, p.rawValue,
                                      m == .rate ? "–" : sampler.rawValue,
                                      r.trainMilliseconds, r.testMillisecondsOneThread, r.testMillisecondsAllThreads, speedups)
                    print(line)
                    fflush(stdout)
                    lines.append(line)
                    if m == .spiking { kernels[p] = kernels[p] ?? (h.sizes, r.trainMilliseconds) }
                }
            }
        }
        if jobImages > 0, let first = hidden.first, mode.contains(.spiking) {
            let header = [
                "",
                "Whole job: one epoch of `train --hidden \(SweepPlan.hiddenOption(first.sizes)) --images-per-epoch \(jobImages)` with the default recording, ms per training image all in, against the kernel's training time above:",
                "",
                "| network | precision | job ms/image | kernel ms/image | job / kernel | job speed-up |",
                "|---|---|---:|---:|---:|---:|",
            ]
            print(header.joined(separator: "\n"))
            lines += header
            for p in precision {
                let kernel = kernels[p].flatMap { $0.hidden == first.sizes ? $0.milliseconds : nil }
                let job = try Benchmark.measureJob(hidden: first.sizes, precision: p, dataset: dataset, imagesPerEpoch: jobImages)
                let ratio = kernel.map { String(format: "%.2f", job / $0) } ?? "–"
                let speedup = first.sizes == [500] ? String(format: "%.0f×", authorsJob / job) : "–"
                let line = String(format: "| %@ | %@ | %.3f | %@ | %@ | %@ |", SweepPlan.label(first.sizes), p.rawValue, job,
                                  kernel.map { String(format: "%.3f", $0) } ?? "–", ratio, speedup)
                print(line)
                fflush(stdout)
                lines.append(line)
            }
        }
        if let markdown {
            try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: URL(fileURLWithPath: markdown))
        }
    }
}
