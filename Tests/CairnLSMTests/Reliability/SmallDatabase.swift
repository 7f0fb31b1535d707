import Foundation
@testable import CairnLSM

/// A small CairnLSM database that holds every kind of file and block the engine writes, built
/// deterministically (same operations, same keys and values) on any file system. The format
/// compatibility fixture (`Tests/Fixtures/formats/lsm`) and the bit-flip harness both use it.
///
/// What it leaves, after `build`:
/// - level 1: one table written by `compactRange` with compression none (values at sequence 0);
/// - level 0: a Zstandard table holding a range tombstone, and an LZ4 table;
/// - every table has a bloom filter block, properties, metaindex, index and footer, and data
///   blocks of 256 bytes (so several per table, compressed where that saves 12.5 %);
/// - the live write-ahead log: unflushed puts, a delete, a range delete and a stamped put,
///   synced at close (the manifest records its synced size);
/// - MANIFEST and CURRENT.
enum SmallDatabase {
    /// Options of every phase: tiny blocks so each table has several, no background
    /// compactions so each table stays at the level it was written to.
    static func options(_ fileSystem: any FileSystem, compression: CompressionType) -> Options {
        var options = Options()
        options.fileSystem = fileSystem
        options.compression = compression
        options.blockSize = 256
        options.writeBufferSize = 1 << 20
        options.disableAutoCompactions = true
        options.blockCacheCapacity = 1 << 20
        return options
    }

    /// A deterministic value: compressible (a repeated word) with a per-key tail.
    static func value(_ key: String, _ round: Int, length: Int = 40) -> [UInt8] {
        let word = "value-\(round)-"
        var text = ""
        while text.utf8.count < length { text += word }
        return Array(text.utf8.prefix(length)) + Array(key.utf8)
    }

    static func key(_ prefix: String, _ i: Int) -> [UInt8] { Array((prefix + "/" + String(format: "%03d", i)).utf8) }

    /// Builds the database in `path` (which must not hold one yet) in four opens.
    static func build(path: String, fileSystem: any FileSystem) throws {
        // 1. Uncompressed: 40 keys, a delete and a range delete, compacted into level 1.
        do {
            let db = try Database.open(path, options: options(fileSystem, compression: .none))
            for i in 0..<40 { _ = try db.put(key("a", i), value("a\(i)", 1)) }
            _ = try db.delete(key("a", 20))
            _ = try db.deleteRange(key("a", 10), key("a", 15))
            try db.compactRange()
            try db.close()
        }
        // 2. Zstandard: new keys, an overwrite and a range tombstone, flushed to level 0.
        do {
            let db = try Database.open(path, options: options(fileSystem, compression: .zstd))
            for i in 0..<30 { _ = try db.put(key("b", i), value("b\(i)", 2, length: 60)) }
            _ = try db.put(key("a", 5), value("a5", 2))
            _ = try db.deleteRange(key("a", 30), key("a", 35))
            try db.flush()
            try db.close()
        }
        // 3. LZ4: new keys and a point deletion, flushed to level 0.
        do {
            let db = try Database.open(path, options: options(fileSystem, compression: .lz4))
            for i in 0..<30 { _ = try db.put(key("c", i), value("c\(i)", 3, length: 60)) }
            _ = try db.delete(key("b", 3))
            try db.flush()
            try db.close()
        }
        // 4. Left in the write-ahead log: a batch of puts, single writes, a delete, a range
        //    delete and a stamped put (the change stream's kind of key).
        do {
            let db = try Database.open(path, options: options(fileSystem, compression: .lz4))
            var batch = WriteBatch()
            for i in 0..<8 { batch.put(key("d", i), value("d\(i)", 4)) }
            _ = try db.write(batch)
            _ = try db.put(key("c", 7), value("c7", 4))
            _ = try db.delete(key("c", 1))
            _ = try db.deleteRange(key("b", 10), key("b", 12))
            var stamped = WriteBatch()
            stamped.putStamped(Array("s/".utf8), Array("stamped".utf8))
            _ = try db.write(stamped, sync: true)
            try db.close()
        }
    }

    /// Every (key, value) a forward scan returns.
    static func scan(_ db: Database) throws -> [([UInt8], [UInt8])] {
        let it = try db.makeIterator()
        var out: [([UInt8], [UInt8])] = []
        try it.seekToFirst()
        while it.isValid {
            out.append((it.key, it.value))
            try it.next()
        }
        return out
    }

    /// A scan as text: `hex(key) TAB hex(value)` lines.
    static func listing(_ pairs: [([UInt8], [UInt8])]) -> String {
        pairs.map { hex($0.0) + "\t" + hex($0.1) + "\n" }.joined()
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
