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
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
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
