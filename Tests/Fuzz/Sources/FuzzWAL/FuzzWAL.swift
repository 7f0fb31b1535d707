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
    let (templateFS, log) = loadTemplate()
    let fs = image(of: templateFS, replacing: log, with: raw.dropFirst(), fixChecksums: flags & 1 != 0)
    openAndReadBack(fs, readOnly: flags & 4 != 0, strict: flags & 2 != 0)
    _ = try? FileInspector.forEachLogRecord(log, fileSystem: fs) { record in _ = record.updates.count }
    readLogRecords(fs, log, kind: .wal)
    return 0
}
