// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CairnLSM", targets: ["CairnLSM"]),
        .library(name: "Cairn", targets: ["Cairn"]),
        .library(name: "CairnExport", targets: ["CairnExport"]),
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "cairn-stress", targets: ["cairn-stress"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // System libraries (Debian: liblz4-dev, libzstd-dev, libedit-dev, zlib1g-dev).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CEditLine", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Small C kernels: hardware CRC32C with a portable fallback.
        .target(name: "CCairnSupport"),
        // The ordered byte key-value engine.
        .target(
            name: "CairnLSM",
            dependencies: [
                "CLZ4", "CZstd", "CCairnSupport",
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        // DynamoDB's item model on top of CairnLSM.
        .target(name: "Cairn", dependencies: ["CairnLSM"]),
        // Parquet files, Delta Lake tables and DynamoDB's export format from Cairn's tables.
        .target(name: "CairnExport", dependencies: [
            "Cairn", "CairnLSM", "CLZ4", "CZstd", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "Cairn", "CairnLSM", "CairnExport", "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The reliability harness (Docs/reliability.md): random operations against an expected
        // state, and kill -9 cycles of them.
        .executableTarget(
            name: "cairn-stress",
            dependencies: ["CairnLSM", "Cairn", "CairnExport", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "CairnLSMTests", dependencies: ["CairnLSM"]),
        .testTarget(name: "CairnTests", dependencies: ["Cairn"]),
        // Support/ holds the Python reader the tests run (pyarrow, DuckDB).
        .testTarget(name: "CairnExportTests", dependencies: ["CairnExport", "Cairn", "CairnLSM"], exclude: ["Support"]),
        // The cairn tool: its parsers (unit tests) and the built binaries (driven like a user).
        .testTarget(name: "CairnCLITests", dependencies: ["cairn", "cairn-stress"]),
    ]
)
