// Helpers shared by Cairn's fuzz targets (see Tests/Fuzz/README.md).
import CairnLSM

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Seeds

/// Called from each target's `LLVMFuzzerInitialize`: when `CAIRN_FUZZ_WRITE_SEEDS` names a
/// directory, writes the target's seed inputs there (one file each) and exits. This is how
/// `Tests/Fuzz/Corpus/<target>/` is generated (`Tests/Fuzz/make-corpus.sh`), so the seeds
/// come from the same code (and the same engine) as the harness.
public func writeSeedsIfAsked(_ seeds: () throws -> [(name: String, bytes: [UInt8])]) {
    guard let dir = getenv("CAIRN_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return }
    do {
        for seed in try seeds() {
            let path = dir + "/" + seed.name
            guard let f = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            _ = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
        }
    } catch {
        fatalError("seed generation failed: \(error)")
    }
    exit(0)
}

/// The bytes of `text` (UTF-8).
public func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The fuzz input as an array.
public func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Text from fuzz bytes (invalid UTF-8 repaired, as a server decoding a body would).
public func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

// MARK: - Files in memory

/// Replaces (or creates) the file at `path` with `contents`, synced.
public func writeFile(_ fs: MemoryFileSystem, _ path: String, _ contents: [UInt8]) throws {
    if fs.fileExists(path) { try fs.removeFile(path) }
    let file = try fs.newWritableFile(path)
    try contents.withUnsafeBytes { try file.append($0) }
    try file.sync()
    try file.close()
}

/// Options for a small in-memory database: tiny blocks (many blocks per table), no background
/// compaction, a small cache.
public func memoryOptions(_ fs: MemoryFileSystem, compression: CompressionType = .none) -> Options {
    var o = Options()
    o.fileSystem = fs
    o.writeBufferSize = 1 << 20
    o.blockSize = 256
    o.blockRestartInterval = 4
    o.blockCacheCapacity = 64 << 10
    o.maxOpenFiles = 20
    o.disableAutoCompactions = true
    o.compression = compression
    return o
}

/// Reads everything a database holds, forwards and backwards, with point reads and a verify,
/// so that whatever recovery accepted is also decoded. Errors propagate (they are fine).
public func readEverything(_ db: Database) throws {
    let it = try db.makeIterator()
    try it.seekToFirst()
    var keys: [[UInt8]] = []
    var n = 0
    while it.isValid && n < 10_000 {
        if keys.count < 16 { keys.append(it.key) }
        _ = it.value
        try it.next()
        n += 1
    }
    try it.seekToLast()
    n = 0
    while it.isValid && n < 64 {
        try it.prev()
        n += 1
    }
    for key in keys {
        _ = try db.get(key)
        try it.seek(key)
        try it.seekForPrev(key)
    }
    _ = try db.get(bytes("k0005"))
    _ = try db.verify()
}

/// The template database as a crashed process left it, with the file at `path` replaced by
/// `file` (each log record's checksum recomputed first with `fixChecksums`).
public func image(of template: MemoryFileSystem, replacing path: String, with file: ArraySlice<UInt8>, fixChecksums: Bool) -> MemoryFileSystem {
    var bytes = Array(file)
    if fixChecksums { fixLogChecksums(&bytes) }
    let fs = template.processCrashClone()
    do { try writeFile(fs, path, bytes) } catch { fatalError("cannot write \(path) in memory: \(error)") }
    return fs
}

/// Opens the database in `fs` (read-only, or with `absoluteConsistency` recovery) and reads
/// everything back; every error is an accepted outcome.
public func openAndReadBack(_ fs: MemoryFileSystem, readOnly: Bool, strict: Bool) {
    var options = memoryOptions(fs)
    if strict { options.walRecoveryMode = .absoluteConsistency }
    do {
        let db = readOnly ? try Database.openReadOnly(databasePath, options: options) : try Database.open(databasePath, options: options)
        _ = db.recoveryReport
        do { try readEverything(db) } catch {}
        try? db.close()
    } catch {}
}

/// Reads the log file at `path` record by record with the repair path's `.skipDamage` policy.
public func readLogRecords(_ fs: MemoryFileSystem, _ path: String, kind: LogKind) {
    guard let reader = try? LogReader(file: fs.newRandomAccessFile(path), kind: kind, expectedFileNumber: nil, policy: .skipDamage) else { return }
    var n = 0
    while n < 100_000, let record = try? reader.nextRecord() {
        _ = record.payload.count
        n += 1
    }
    _ = reader.damages
}

/// Where a template database lives in its file system.
public let databasePath = "/db"

/// Builds a small database in memory: one flushed table (puts, a delete, a range deletion)
/// and a live write-ahead log holding more writes (puts, deletes, a batch, a range deletion).
/// Returns the file system as a process crash would leave it, before any close.
public func makeTemplateDatabase(compression: CompressionType = .none) throws -> MemoryFileSystem {
    let fs = MemoryFileSystem()
    let db = try Database.open(databasePath, options: memoryOptions(fs, compression: compression))
    for i in 0..<60 {
        _ = try db.put(bytes("k" + pad(i)), bytes("value-\(i)-" + String(repeating: "v", count: i % 7)))
    }
    _ = try db.delete(bytes("k0003"))
    _ = try db.deleteRange(bytes("k0010"), bytes("k0013"))
    try db.flush()
    for i in 40..<80 where i % 3 != 0 {
        _ = try db.put(bytes("k" + pad(i)), bytes("second-\(i)"))
    }
    var batch = WriteBatch()
    batch.put(bytes("b1"), bytes("one"))
    batch.delete(bytes("k0041"))
    batch.deleteRange(bytes("k0050"), bytes("k0052"))
    batch.put(bytes("b2"), [])
    _ = try db.write(batch)
    _ = try db.delete(bytes("k0001"))
    // One record longer than a 32 KiB log block: FIRST, MIDDLE... LAST fragments.
    _ = try db.put(bytes("big"), [UInt8](repeating: 0x61, count: 33_000))
    let image = fs.processCrashClone()
    try db.close()
    return image
}

func pad(_ i: Int) -> String {
    let s = String(i)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

/// The files of the template database whose names end with (or start with) `pattern`.
public func files(_ fs: MemoryFileSystem, matching pattern: String) throws -> [String] {
    try fs.listDirectory(databasePath)
        .filter { $0.hasSuffix(pattern) || $0.hasPrefix(pattern) }
        .sorted()
        .map { databasePath + "/" + $0 }
}

// MARK: - Checksums

/// Recomputes the checksum of every physical record of a log (WAL or manifest) whose header
/// and payload fit in its 32 KiB block, so that mutated record payloads reach the decoders
/// behind the framing instead of stopping at "checksum mismatch".
public func fixLogChecksums(_ bytes: inout [UInt8]) {
    let blockSize = LogFormat.blockSize
    let header = LogFormat.recordHeaderSize
    var blockStart = 0
    while blockStart < bytes.count {
        let blockEnd = min(blockStart + blockSize, bytes.count)
        var p = blockStart
        while p + header <= blockEnd {
            let length = Int(bytes[p + 4]) | Int(bytes[p + 5]) << 8
            let type = bytes[p + 6]
            guard p + header + length <= blockEnd else { break }
            let crc = bytes.withUnsafeBytes {
                LogFormat.recordChecksum(type: type, payload: UnsafeRawBufferPointer(rebasing: $0[(p + header)..<(p + header + length)]))
            }
            storeFixed32(&bytes, at: p, crc)
            p += header + length
        }
        blockStart += blockSize
    }
}

/// Writes `value` little-endian at `offset`.
public func storeFixed32(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
    for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
}
