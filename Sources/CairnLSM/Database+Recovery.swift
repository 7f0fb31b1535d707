#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How recovery treats damage in the write-ahead logs it replays (RocksDB's
/// `WALRecoveryMode`). Either way, damage to data known to be durable is always corruption.
public enum WALRecoveryMode: Sendable, Equatable, CustomStringConvertible {
    /// Recover the longest consistent prefix of the history: a damaged or missing stretch
    /// that lies past everything known durable (a torn write, an unsynced tail a power loss
    /// dropped, records after a gap between logs) is dropped and reported in
    /// `Database.recoveryReport`; the open succeeds. RocksDB's default (kPointInTimeRecovery).
    case pointInTime
    /// Refuse to open (`CairnError.corruption`) if anything at all would be dropped, even a
    /// torn last write (RocksDB's kAbsoluteConsistency): for databases closed cleanly, or for
    /// an operator who wants to inspect the files before anything is given up.
    case absoluteConsistency

    public var description: String {
        switch self {
        case .pointInTime: return "pointInTime"
        case .absoluteConsistency: return "absoluteConsistency"
        }
    }
}

/// What the last open's recovery gave up. Empty after a clean shutdown; after a crash it may
/// list a torn write. Nothing in it was ever known durable: damage to synced data makes the
/// open throw instead.
public struct RecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// One stretch of a file that recovery did not replay.
    public struct DroppedData: Sendable, Equatable, CustomStringConvertible {
        /// The file.
        public var file: String
        /// Byte offset where the dropped stretch begins.
        public var offset: Int64
        /// Bytes dropped.
        public var bytes: Int64
        /// Complete, valid records among the dropped bytes (write batches, or manifest edits).
        public var records: Int
        /// Why they were dropped.
        public var reason: String

        /// One line: file, offset, bytes, records and reason.
        public var description: String {
            "\(file): dropped \(bytes) bytes (\(records) valid record\(records == 1 ? "" : "s")) from offset \(offset): \(reason)"
        }
    }

    /// Everything dropped, in the order recovery met it.
    public var dropped: [DroppedData] = []

    /// Creates an empty report.
    public init() {}

    /// True if nothing was dropped.
    public var isEmpty: Bool { dropped.isEmpty }

    /// Bytes dropped over all files.
    public var droppedBytes: Int64 { dropped.reduce(0) { $0 + $1.bytes } }

    /// One warning line per dropped stretch ("recovery dropped ..."); empty if nothing was.
    public var warnings: [String] { dropped.map { "recovery \($0)" } }

    public var description: String { isEmpty ? "nothing dropped" : warnings.joined(separator: "\n") }
}

extension Database {
    /// What `replayLogs` recovered.
    struct RecoveryResult {
        /// Every write replayed from the logs (nil if none).
        var memtable: Memtable?
        /// Logs replayed, in order, with their sizes.
        var replayedLogs: [(number: UInt64, size: Int64)] = []
        var lastSequence: SequenceNumber
        var report = RecoveryReport()
    }

    /// Fails unless the files the manifest's state needs are there: every live table with the
    /// size the manifest recorded, and every write-ahead log the manifest tracks as live, at
    /// least as long as its recorded durable size. A missing or short file means the directory
    /// lost something the database already acted on (or the manifest lost the edit that
    /// retired it); opening anyway would silently lose its data or bring deleted data back.
    ///
    /// Also reserves every file number found in the directory, so a new file never takes the
    /// name of one the manifest does not know (an orphan of a cut manifest).
    static func checkLiveFiles(fileSystem fs: any FileSystem, directory: String, versions: VersionSet) throws {
        var present: Set<String> = []
        for name in try fs.listDirectory(directory) {
            switch FileNames.parse(name) {
            case .log(let n)?, .table(let n)?, .manifest(let n)?:
                versions.markFileNumberUsed(n)
                present.insert(name)
            default:
                break
            }
        }
        // Sizes of the files the manifest needs (only those: obsolete tables the manifest's
        // own edits deleted may be vanishing meanwhile).
        func size(_ path: String) throws -> Int64? {
            guard present.contains(baseName(path)) else { return nil }
            do {
                return try fs.fileSize(path)
            } catch CairnError.io(let code, _, _) where code == ENOENT {
                return nil
            }
        }
        let manifest = "MANIFEST-" + FileNames.padded(versions.manifestNumber)
        for (level, files) in versions.current.levels.enumerated() {
            for file in files {
                let path = FileNames.table(directory, file.number)
                guard let size = try size(path) else {
                    throw CairnError.corruption(
                        file: path, offset: 0,
                        reason: "table is missing, but \(manifest) lists it at level \(level) "
                            + "(\(file.size) bytes); its data would be lost. \(repairAdvice)")
                }
                guard size == file.size else {
                    throw CairnError.corruption(
                        file: path, offset: min(size, file.size),
                        reason: "table is \(size) bytes, but \(manifest) recorded \(file.size): "
                            + "it is not the file the database wrote. \(repairAdvice)")
                }
            }
        }
        for (number, synced) in versions.trackedLogs.sorted(by: { $0.key < $1.key }) where number >= versions.logNumber {
            let path = FileNames.log(directory, number)
            guard let size = try size(path) else {
                throw CairnError.corruption(
                    file: path, offset: 0,
                    reason: "write-ahead log is missing, but \(manifest) records it as live"
                        + (synced > 0 ? " with \(synced) bytes synced" : "")
                        + "; its unflushed writes would be lost. \(repairAdvice)")
            }
            guard size >= synced else {
                throw CairnError.corruption(
                    file: path, offset: size,
                    reason: "write-ahead log is \(size) bytes, but \(manifest) records \(synced) bytes synced: "
                        + "synced writes were cut off. \(repairAdvice)")
            }
        }
    }

    /// What every "refuse to open" message ends with.
    static let repairAdvice = "Copy the directory somewhere safe, then run `cairn kv repair` to rebuild the database from its intact files."

    /// Replays every write-ahead log numbered at or after the manifest's log number into one
    /// memtable, in number order.
    ///
    /// Damage is judged against what is known durable (Docs/wal_format.md): a log's durable
    /// extent is the larger of the size the manifest recorded as synced and the largest synced
    /// extent any record in the log carries. Damage before that extent is corruption and
    /// throws; damage past it, and every record after it (in this log and in later ones, whose
    /// sequence numbers would no longer follow on), is dropped and reported, unless `mode` is
    /// `.absoluteConsistency`, which throws instead. Version 1 logs carry no extents; for them
    /// damage followed by a valid record is corruption, as it always was.
    static func replayLogs(
        fileSystem fs: any FileSystem, directory: String, options: Options, versions: VersionSet
    ) throws -> RecoveryResult {
        var logs: [UInt64] = []
        for name in try fs.listDirectory(directory) {
            if case .log(let n)? = FileNames.parse(name), n >= versions.logNumber { logs.append(n) }
        }
        logs.sort()
        var result = RecoveryResult(lastSequence: versions.lastSequence)
        if let tail = versions.droppedManifestTail {
            // A cut edit was never acknowledged (the manifest is synced before any edit is
            // acted on); report it all the same.
            result.report.dropped.append(
                .init(file: FileNames.manifest(directory, versions.manifestNumber), offset: tail.offset, bytes: tail.bytes,
                      records: 0, reason: tail.reason))
        }
        let mem = Memtable.sized(for: options)
        // Batches carry consecutive sequence numbers across logs. A gap means a machine crash
        // lost the unsynced tail of an older log while a newer log's unsynced writes reached
        // the disk (rotation does not sync the old log; see `rotateMemtable`). No synced write
        // can follow a gap (it would have synced the older log first), so replay stops there
        // and recovers the prefix before it, as RocksDB's point-in-time recovery does.
        var expectedSequence: SequenceNumber? = nil
        var stopped: (file: String, reason: String)? = nil
        for number in logs {
            let logPath = FileNames.log(directory, number)
            let file = try fs.newRandomAccessFile(logPath)
            let reader = try LogReader(file: file, kind: .wal, expectedFileNumber: number, policy: .skipDamage)
            let version = reader.header?.version ?? LogFormat.formatVersion
            result.replayedLogs.append((number, file.size))
            var durableExtent = versions.trackedLogs[number] ?? 0
            // Where this log's replay stopped (a gap, or the first damage), and the valid
            // records read after that point.
            var stopOffset: Int64? = stopped == nil ? nil : 0
            var recordsAfterStop = 0
            while let record = try reader.readRecord() {
                let offset = reader.lastRecordOffset
                let (extent, batchStart) = try WriteBatch.walRecordExtent(record, version: version, file: logPath, offset: offset)
                durableExtent = max(durableExtent, extent)
                if stopOffset != nil || !reader.damages.isEmpty {
                    if stopOffset == nil { stopOffset = reader.damages[0].offset }
                    recordsAfterStop += 1
                    continue
                }
                let batch = try WriteBatch.decodeLogRecord(record, from: batchStart, file: logPath, offset: offset)
                if batch.count > 0 {
                    if let expected = expectedSequence, batch.sequence != expected {
                        stopOffset = offset
                        recordsAfterStop = 1
                        stopped = (logPath, "sequence gap: expected batch sequence \(expected), found \(batch.sequence) "
                                   + "(a crash lost the unsynced tail of an earlier log)")
                        continue
                    }
                    expectedSequence = batch.sequence + UInt64(batch.count)
                }
                var sequence = batch.sequence
                try batch.forEachUpdate(file: logPath, offset: offset) { type, key, value, stamped in
                    mem.add(sequence: sequence, type: type, key: key, value: value, stamped: stamped)
                    sequence += 1
                }
                if batch.count > 0 { result.lastSequence = max(result.lastSequence, sequence - 1) }
            }
            let firstDamage = reader.damages.first
            if stopOffset == nil, let damage = firstDamage { stopOffset = damage.offset }
            guard let dropFrom = stopOffset else { continue }

            // Something in this log is not replayed. Is any of it known durable?
            let reason: String
            if let damage = firstDamage, damage.offset <= dropFrom {
                if version < 2 && (recordsAfterStop > 0 || !damage.atTail) {
                    throw CairnError.corruption(
                        file: logPath, offset: damage.offset,
                        reason: "\(damage.reason); a valid record follows, so this is not a torn tail")
                }
                if damage.offset < durableExtent {
                    throw CairnError.corruption(
                        file: logPath, offset: damage.offset,
                        reason: "\(damage.reason); the log is known durable through offset \(durableExtent), "
                            + "so synced writes are damaged")
                }
                reason = damage.reason + (recordsAfterStop > 0 ? "; the records after it were never synced" : "")
            } else {
                reason = stopped?.reason ?? "an earlier log ended early, so the sequence numbers here do not follow on"
                if dropFrom < durableExtent {
                    throw CairnError.corruption(
                        file: logPath, offset: dropFrom,
                        reason: "\(reason), but the log is known durable through offset \(durableExtent)")
                }
            }
            var end = file.size
            if let last = reader.damages.last, last.atTail { end = last.offset + last.bytes }
            let dropped = RecoveryReport.DroppedData(
                file: logPath, offset: dropFrom, bytes: max(0, end - dropFrom), records: recordsAfterStop, reason: reason)
            if dropped.bytes == 0 && dropped.records == 0 { continue }
            if options.walRecoveryMode == .absoluteConsistency {
                throw CairnError.corruption(
                    file: logPath, offset: dropFrom,
                    reason: "\(reason); recovery mode absoluteConsistency refuses to drop \(dropped.bytes) bytes "
                        + "(\(dropped.records) records). Open with pointInTime recovery to keep the prefix before it.")
            }
            result.report.dropped.append(dropped)
            if stopped == nil { stopped = (logPath, "an earlier log (\(logPath)) ended early: \(reason)") }
        }
        if !mem.isEmpty || !mem.rangeTombstones.isEmpty { result.memtable = mem }
        return result
    }
}
