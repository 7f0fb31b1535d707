import ArgumentParser
import Foundation

/// `cairn-bench`: db_bench-style workloads on Cairn and its peers, side by side.
@main
struct CairnBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn-bench",
        abstract: "Run db_bench-style workloads on Cairn, RocksDB, LevelDB, SQLite and LMDB side by side.",
        discussion: "Every engine gets the same seeded key sequence, values that compress to about half, and the same cache, bloom, compression, write buffer and sync settings where it has them (each engine prints what it applied). Each engine runs in fresh directories under --db, removed afterwards unless --keep.")

    @Option(help: "Comma-separated engines; the first is the baseline of the ratio column.")
    var engines = "cairn,rocksdb,leveldb,sqlite,lmdb"

    @Option(help: "Comma-separated workloads: \(Workload.allCases.map(\.rawValue).joined(separator: ",")).")
    var benchmarks = "fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,readseq,fillsync,readwhilewriting"

    @Option(help: "Number of keys.") var num = 1_000_000
    @Option(help: "Reads per read workload (default: --num).") var reads: Int?
    @Option(help: "Writes in fillsync (default: --num / 100, at least 100).") var syncNum: Int?
    @Option(help: "Key size in bytes.") var keySize = 16
    @Option(help: "Value size in bytes.") var valueSize = 100
    @Option(help: "Reader threads (read workloads, readwhilewriting) and writer threads (fillsync).") var threads = 1
    @Option(help: "Seed of the key sequences.") var seed: UInt64 = 301
    @Option(help: "Block cache bytes for every engine.") var cacheSize = 64 << 20
    @Option(help: "Bloom filter bits per key for every engine (0: none).") var bloomBits = 10
    @Option(help: "Write buffer (memtable) bytes for every engine.") var writeBufferSize = 64 << 20
    @Flag(help: "Disable LZ4 compression for every engine.") var noCompression = false
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "Directory for the databases.") var db = "./cairn-bench-data"
    @Flag(help: "Keep the databases afterwards.") var keep = false
    @Flag(help: "Print each engine's own statistics (compaction stats, stalls) to stderr after every workload.")
    var statistics = false

    func run() throws {
        let engineNames = engines.split(separator: ",").map(String.init)
        for name in engineNames where EngineRegistry.named(name) == nil && ItemEngineRegistry.named(name) == nil {
            throw ValidationError("unknown engine '\(name)'; known: \(EngineRegistry.all.map { $0.name }.joined(separator: ","))")
        }
        let workloads = try benchmarks.split(separator: ",").map { name -> Workload in
            guard let w = Workload(rawValue: String(name)) else {
                throw ValidationError("unknown benchmark '\(name)'; known: \(Workload.allCases.map(\.rawValue).joined(separator: ","))")
            }
            return w
        }
        guard num > 0, threads > 0, valueSize >= 0, keySize >= 4, keySize <= 1024 else {
            throw ValidationError("--num and --threads must be > 0, --key-size between 4 and 1024")
        }
        guard UInt64(num) <= KeyFormatter(keySize: keySize).capacity else {
            throw ValidationError("--num \(num) does not fit in \(keySize)-digit keys")
        }
        var engineOptions = EngineOptions()
        engineOptions.blockCacheBytes = cacheSize
        engineOptions.bloomBitsPerKey = bloomBits
        engineOptions.writeBufferBytes = writeBufferSize
        engineOptions.lz4 = !noCompression
        let config = RunConfig(
            num: num, reads: reads ?? num, syncNum: syncNum ?? max(100, num / 100), keySize: keySize,
            valueSize: valueSize, threads: threads, seed: seed, baseDirectory: db, keep: keep,
            engineOptions: engineOptions, printStatistics: statistics)
        try FileManager.default.createDirectory(atPath: db, withIntermediateDirectories: true)

        let machine = machineDescription()
        print("cairn-bench: \(machine)")
        print("keys \(keySize) B, values \(valueSize) B (about half compressible), num \(num), reads \(config.reads), fillsync \(config.syncNum), threads \(threads)")
        print("requested for every engine: block cache \(cacheSize >> 20) MiB, bloom \(bloomBits) bits/key, write buffer \(writeBufferSize >> 20) MiB, compression \(noCompression ? "none" : "lz4")")

        var results: [WorkloadResult] = []
        var infos: [Report.Document.EngineInfo] = []
        let kvWorkloads = workloads.filter { !$0.isItemWorkload }
        let itemWorkloads = workloads.filter(\.isItemWorkload)
        for name in engineNames {
            var settings: [String] = []
            if !kvWorkloads.isEmpty, let type = EngineRegistry.named(name) {
                let runner = EngineRunner(engineType: type, config: config)
                results.append(contentsOf: try runner.run(kvWorkloads))
                settings += runner.settings
            }
            if !itemWorkloads.isEmpty {
                if let type = ItemEngineRegistry.named(name) {
                    let runner = ItemRunner(engineType: type, config: config)
                    results.append(contentsOf: try runner.run(itemWorkloads))
                    settings += runner.settings.map { "items: " + $0 }
                } else {
                    printError("[\(name)] has no item adapter: item workloads skipped (item engines: \(ItemEngineRegistry.all.map { $0.name }.joined(separator: ",")))")
                }
            }
            infos.append(.init(name: name, settings: settings))
        }
        for info in infos {
            print("\n\(info.name): " + info.settings.joined(separator: "; "))
        }
        let baseline = engineNames[0]
        for w in workloads {
            print(Report.table(for: w, results, baseline: baseline), terminator: "")
        }
        if let json {
            let document = Report.Document(
                machine: machine, date: ISO8601DateFormatter().string(from: Date()),
                command: CommandLine.arguments.joined(separator: " "),
                parameters: .init(
                    num: num, reads: config.reads, syncNum: config.syncNum, keySize: keySize, valueSize: valueSize,
                    threads: threads, seed: seed, blockCacheBytes: cacheSize, bloomBitsPerKey: bloomBits,
                    writeBufferBytes: writeBufferSize, compression: noCompression ? "none" : "lz4"),
                engines: infos, results: results)
            try Report.json(document).write(to: URL(fileURLWithPath: json))
            print("\nwrote \(json)")
        }
    }
}
