import Foundation
@testable import CairnLSM

/// A small deterministic PRNG (SplitMix64) so failures reproduce from the printed seed.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The reference model: a sorted dictionary of byte strings.
struct Model: Equatable {
    var entries: [[UInt8]: [UInt8]] = [:]

    mutating func put(_ k: [UInt8], _ v: [UInt8]) { entries[k] = v }
    mutating func delete(_ k: [UInt8]) { entries[k] = nil }
    mutating func deleteRange(_ start: [UInt8], _ end: [UInt8]) {
        for k in entries.keys where compareBytes(k, start) >= 0 && compareBytes(k, end) < 0 { entries[k] = nil }
    }

    /// Sorted (key, value) pairs within [lower, upper).
    func sorted(lower: [UInt8]? = nil, upper: [UInt8]? = nil) -> [([UInt8], [UInt8])] {
        entries.filter { k, _ in
            (lower.map { compareBytes(k, $0) >= 0 } ?? true) && (upper.map { compareBytes(k, $0) < 0 } ?? true)
        }
        .map { ($0.key, $0.value) }
        .sorted { compareBytes($0.0, $1.0) < 0 }
    }
}

/// A temporary directory removed when the value is released.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cairn-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Options for tests on the in-memory file system.
func memoryOptions(_ fs: MemoryFileSystem, writeBufferSize: Int = 64 << 10, compression: CompressionType = .lz4) -> Options {
    var o = Options()
    o.fileSystem = fs
    o.writeBufferSize = writeBufferSize
    o.compression = compression
    o.blockCacheCapacity = 1 << 20
    return o
}

/// Reads every (key, value) of the database with a forward scan.
func scanAll(_ db: Database, _ options: ReadOptions = ReadOptions()) throws -> [([UInt8], [UInt8])] {
    let it = try db.makeIterator(options)
    var out: [([UInt8], [UInt8])] = []
    try it.seekToFirst()
    while it.isValid {
        out.append((it.key, it.value))
        try it.next()
    }
    return out
}

/// Reads every (key, value) with a backward scan, returned in ascending order.
func scanAllBackward(_ db: Database, _ options: ReadOptions = ReadOptions()) throws -> [([UInt8], [UInt8])] {
    let it = try db.makeIterator(options)
    var out: [([UInt8], [UInt8])] = []
    try it.seekToLast()
    while it.isValid {
        out.append((it.key, it.value))
        try it.prev()
    }
    return out.reversed()
}

func samePairs(_ a: [([UInt8], [UInt8])], _ b: [([UInt8], [UInt8])]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
}

/// Options under which data flows through several levels within a few thousand writes:
/// 16 KiB memtables, tables and level-1 target, 1 KiB blocks.
func smallLevelOptions(_ fs: MemoryFileSystem) -> Options {
    var options = memoryOptions(fs, writeBufferSize: 16 << 10)
    options.targetFileSize = 16 << 10
    options.maxBytesForLevelBase = 16 << 10
    options.blockSize = 1024
    return options
}
