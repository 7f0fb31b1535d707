// swift-tools-version: 6.0
// libFuzzer targets for Cairn, in a package of their own so that `swift build` and
// `swift test` of the main package never link them. Build and run with `run.sh`
// (`swift build -c release --sanitize fuzzer --sanitize address`). See README.md.
import PackageDescription

let fuzzTargets = [
    "FuzzWAL", "FuzzTable", "FuzzManifest", "FuzzItemCodec", "FuzzKeyEncoding",
    "FuzzExpression", "FuzzRequestJSON", "FuzzRequestExecution", "FuzzShorthand",
]

let package = Package(
    name: "CairnFuzz",
    platforms: [.macOS(.v15)],
    products: fuzzTargets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(name: "Cairn", path: "../..")],
    targets: [
        // Helpers shared by the targets: seed writing, log checksum repair, files in memory.
        .target(name: "FuzzSupport", dependencies: [.product(name: "CairnLSM", package: "Cairn")]),
    ] + fuzzTargets.map { name in
        .executableTarget(name: name, dependencies: [
            "FuzzSupport",
            .product(name: "CairnLSM", package: "Cairn"),
            .product(name: "Cairn", package: "Cairn"),
        ])
    }
)
