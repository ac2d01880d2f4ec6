// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Dendrites",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Dendrites", targets: ["Dendrites"]),
        .executable(name: "dendrite-train", targets: ["dendrite-train"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // The runtime only: the TensorBoard event code is generated once by
        // Scripts/generate-protos.sh and committed (no build plugin, no protoc at build time).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // OpenBLAS: CBLAS for the matrix-vector work, LAPACK for the eigen-solver.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // zlib: reading the gzip-compressed IDX files.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "Dendrites",
            dependencies: [
                "CBLAS", "CZlib",
                .product(name: "Numerics", package: "swift-numerics"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            plugins: ["BuildInfo"]
        ),
        // Records the git commit the library is built from (BuildInfo.commit).
        .plugin(name: "BuildInfo", capability: .buildTool()),
        .executableTarget(
            name: "dendrite-train",
            dependencies: [
                "Dendrites",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DendritesTests",
            dependencies: ["Dendrites"]
        ),
    ],
    swiftLanguageModes: [.v5]
)

// The libFuzzer harness for the readers of every file the tool reads back (Tests/Fuzz), added
// only when Scripts/fuzz.sh builds it (DENDRITES_FUZZ=1, with -sanitize=fuzzer,address): it has
// no main of its own, libFuzzer supplies it, so it cannot link in a normal build.
if Context.environment["DENDRITES_FUZZ"] == "1" {
    package.targets.append(.executableTarget(
        name: "dendrites-fuzz",
        dependencies: ["Dendrites"],
        path: "Tests/Fuzz/Sources"
    ))
    package.products.append(.executable(name: "dendrites-fuzz", targets: ["dendrites-fuzz"]))
}
