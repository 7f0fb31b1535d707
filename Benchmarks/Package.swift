// swift-tools-version: 6.0
// cairn-bench: Cairn beside RocksDB, LevelDB, SQLite and LMDB. A package of its own so the
// main package never links a peer engine.
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Cairn", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // Peers from Debian: librocksdb-dev, libleveldb-dev, libsqlite3-dev, liblmdb-dev.
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
        .systemLibrary(name: "CLevelDB", providers: [.apt(["libleveldb-dev"])]),
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .executableTarget(
            name: "cairn-bench",
            dependencies: [
                "CRocksDB", "CLevelDB", "CSQLite3", "CLMDB",
                .product(name: "CairnLSM", package: "Cairn"),
                .product(name: "Cairn", package: "Cairn"),
                .product(name: "CairnExport", package: "Cairn"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
    ]
)
