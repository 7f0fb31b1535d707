import CairnLSM

/// The engine options of a stress run, all drawn from its seed and cycle (RocksDB's
/// db_crashtest.py draws new options for each run of a database the same way): tiny
/// memtables and files so that flushes and compactions run all the time, block sizes,
/// compression, bloom filters, cache sizes, and whether writes are synced. Every file keeps
/// what it needs to be read whatever the options of later opens, so each cycle of a crash run
/// reopens the database with options of its own; only the value size, which the value bytes
/// depend on, is the database's for good (drawn from the seed alone).
struct StressConfiguration: Sendable, CustomStringConvertible {
    var writeBufferSize: Int
    var blockSize: Int
    var blockRestartInterval: Int
    var compression: CompressionType
    var bloomBitsPerKey: Int
    var blockCacheCapacity: Int
    var targetFileSize: Int
    var maxBytesForLevelBase: Int
    var level0FileNumCompactionTrigger: Int
    var maxOpenFiles: Int
    var mapTableFiles: Bool
    var syncWrites: Bool
    /// Seconds between the item layer's replication steps (its export traffic).
    var replicationInterval: Double
    /// Values carry 0...maxFiller bytes after their header.
    var maxFiller: Int

    init(seed: UInt64, cycle: UInt64 = 0) {
        var database = SplitMix64(seed: seed ^ 0x7661_6C75_6573)
        maxFiller = [0, 24, 200, 2000][Int(database.next() % 4)]
        // Its own stream, so that a change in how the workload draws does not change options.
        var random = SplitMix64(seed: seed ^ 0x6F70_7469_6F6E_73 ^ (cycle &* 0x9E37_79B9_7F4A_7C15))
        func pick<T>(_ choices: [T]) -> T { choices[Int(random.next() % UInt64(choices.count))] }
        writeBufferSize = pick([16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20])
        blockSize = pick([256, 1024, 4096, 16384])
        blockRestartInterval = pick([1, 4, 16])
        compression = pick(CompressionType.allCases)
        bloomBitsPerKey = pick([0, 4, 10])
        blockCacheCapacity = pick([0, 64 << 10, 8 << 20])
        targetFileSize = pick([32 << 10, 128 << 10, 1 << 20])
        maxBytesForLevelBase = pick([128 << 10, 512 << 10, 4 << 20])
        level0FileNumCompactionTrigger = pick([2, 4, 8])
        maxOpenFiles = pick([16, 1000])
        mapTableFiles = pick([true, false])
        syncWrites = pick([true, false, false, false])
        replicationInterval = pick([0.05, 0.3, 1.0])
    }

    func options(fileSystem: any FileSystem = PosixFileSystem()) -> Options {
        var options = Options()
        options.fileSystem = fileSystem
        options.writeBufferSize = writeBufferSize
        options.blockSize = blockSize
        options.blockRestartInterval = blockRestartInterval
        options.compression = compression
        options.bloomBitsPerKey = bloomBitsPerKey
        options.blockCacheCapacity = blockCacheCapacity
        options.targetFileSize = targetFileSize
        options.maxBytesForLevelBase = maxBytesForLevelBase
        options.level0FileNumCompactionTrigger = level0FileNumCompactionTrigger
        options.maxOpenFiles = maxOpenFiles
        options.mapTableFiles = mapTableFiles
        return options
    }

    var description: String {
        "writeBufferSize \(writeBufferSize), blockSize \(blockSize), restarts \(blockRestartInterval), "
            + "compression \(compression), bloom \(bloomBitsPerKey) bits/key, block cache \(blockCacheCapacity), "
            + "targetFileSize \(targetFileSize), level base \(maxBytesForLevelBase), L0 trigger \(level0FileNumCompactionTrigger), "
            + "maxOpenFiles \(maxOpenFiles), mapped tables \(mapTableFiles), sync \(syncWrites), replication every \(replicationInterval) s (items), values 8+0...\(maxFiller) bytes"
    }
}
