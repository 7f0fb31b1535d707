// Fuzz target: the write-ahead log reader and WAL replay.
//
// Input: one flags byte, then the bytes of a WAL file. The file replaces the live log of a
// small template database (in a MemoryFileSystem), which is then opened (recovery replays the
// log: framing, fragments, write-batch decoding, memtable inserts, the flush at open) and read
// back. The same file is also read by `FileInspector.forEachLogRecord` (the `dump-wal` path)
// and by `LogReader` with the `.skipDamage` policy (the repair path).
// Flags: bit 0 recomputes every record checksum first (so mutations reach the decoders behind
// the framing), bit 1 opens with `absoluteConsistency`, bit 2 opens read-only.
// Every thrown error is fine; only a crash, trap, hang or sanitizer report is a finding.
import Cairn
import CairnLSM
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var template: (fs: MemoryFileSystem, log: String)?

func loadTemplate() -> (fs: MemoryFileSystem, log: String) {
    if let template { return template }
    let fs = try! makeTemplateDatabase()
    let log = try! files(fs, matching: ".log").last!
    template = (fs, log)
    return (fs, log)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        let (fs, log) = loadTemplate()
        let wal = fs.contents(of: log)!
        // The same database's log after one more small write: a second, shorter variant.
        let header = Array(wal.prefix(LogFormat.fileHeaderRecordSize))
        return [
            ("template-log", [0] + wal),
            ("template-log-fixed", [1] + wal),
            ("template-log-strict", [2] + wal),
            ("template-log-readonly", [5] + wal),
            ("header-only", [1] + header),
            ("empty", [0]),
        ]
    }
    _ = loadTemplate()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let flags = raw.first else { return 0 }
    var file = Array(raw.dropFirst())
    if flags & 1 != 0 { fixLogChecksums(&file) }
    let (templateFS, log) = loadTemplate()
    let fs = templateFS.processCrashClone()
    do { try writeFile(fs, log, file) } catch { fatalError("cannot write the log: \(error)") }

    var options = memoryOptions(fs)
    if flags & 2 != 0 { options.walRecoveryMode = .absoluteConsistency }
    do {
        let db = flags & 4 != 0
            ? try Database.openReadOnly(databasePath, options: options)
            : try Database.open(databasePath, options: options)
        _ = db.recoveryReport
        do { try readEverything(db) } catch {}
        try? db.close()
    } catch {}

    _ = try? FileInspector.forEachLogRecord(log, fileSystem: fs) { record in _ = record.updates.count }

    if let reader = try? LogReader(file: fs.newRandomAccessFile(log), kind: .wal, expectedFileNumber: nil, policy: .skipDamage) {
        var n = 0
        while n < 100_000, let record = try? reader.nextRecord() {
            _ = record.payload.count
            n += 1
        }
        _ = reader.damages
    }
    return 0
}
