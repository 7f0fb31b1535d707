import Synchronization
import Testing
@testable import CairnLSM

#if canImport(Glibc)
import Glibc
#endif

/// Issue 24: a damaged, missing or misplaced file never loses or invents data silently. Each
/// case either opens with the exact data (and reports what recovery dropped) or refuses with a
/// typed corruption error naming the file.
@Suite struct DamagedFilesTests {
    func names(_ fs: MemoryFileSystem, _ suffix: String) throws -> [String] {
        try fs.listDirectory("/db").filter { $0.hasSuffix(suffix) || $0.hasPrefix(suffix) }.sorted()
    }

    func path(_ fs: MemoryFileSystem, _ suffix: String) throws -> String {
        "/db/" + (try #require(try names(fs, suffix).last))
    }

    /// Offsets of the records of the log at `path` (manifest or WAL).
    func recordOffsets(_ fs: MemoryFileSystem, _ path: String, kind: LogKind) throws -> [Int64] {
        let reader = try LogReader(file: fs.newRandomAccessFile(path), kind: kind, expectedFileNumber: nil)
        var offsets: [Int64] = []
        while try reader.readRecord() != nil { offsets.append(reader.lastRecordOffset) }
        return offsets
    }

    func baseName(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }

    func value(_ i: Int) -> [UInt8] { bytes("value-\(i)-" + String(repeating: "x", count: 40)) }

    // MARK: - 1. The manifest's last edit

    @Test func bitFlipInTheManifestsLastRecordIsCorruptionNotATornTail() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<500 { try db.put(bytes("k\(i)"), value(i)) }
        try db.flush()
        try db.close()
        let manifest = try path(fs, "MANIFEST-")
        let last = try #require(try recordOffsets(fs, manifest, kind: .manifest).last)
        let size = try fs.fileSize(manifest)
        // Every bit of the last record's payload and checksum: never taken for a torn write.
        for offset in [last, last + 3, last + 7, (last + size) / 2, size - 1] {
            let copy = fs.processCrashClone()
            try copy.flipBit(path: manifest, byteOffset: Int(offset), bit: 4)
            let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(copy)) }
            #expect(damage?.file == manifest)
            #expect(damage?.offset == last)
        }
    }

    @Test func cutManifestWhoseFlushRetiredALogIsCorruption() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<300 { try db.put(bytes("k\(i)"), value(i)) }
        let manifest = try path(fs, "MANIFEST-")
        let before = try recordOffsets(fs, manifest, kind: .manifest).count
        let retiredLog = try path(fs, ".log")
        try db.flush()  // edits: the new log tracked; the new table, and the old log retired (then deleted)
        let offsets = try recordOffsets(fs, manifest, kind: .manifest)
        #expect(offsets.count == before + 2)
        // The flush deletes the retired log just after its edit is applied, outside the lock,
        // so `flush()` can return first (seen under AddressSanitizer, where everything is
        // slower): wait for the deletion.
        let deadline = ContinuousClock.now + .seconds(10)
        while fs.fileExists(retiredLog), ContinuousClock.now < deadline { usleep(1_000) }
        // The deletion reached the disk (a process crash, or the directory written back later).
        let crashed = fs.processCrashClone()
        try db.close()
        #expect(!crashed.fileExists(retiredLog))
        let table = try path(crashed, ".sst")
        // Cut inside the flush's edit: the manifest's state still needs the deleted log.
        try crashed.truncate(path: manifest, to: Int(offsets[before + 1]) + 5)
        let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(crashed)) }
        #expect(damage?.file == retiredLog)
        #expect(damage?.reason.contains("write-ahead log is missing") == true)
        #expect(crashed.fileExists(table), "a refused open deletes nothing")
    }

    @Test func cutManifestWhoseCompactionDeletedTablesIsCorruption() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        for round in 0..<3 {
            for i in 0..<200 { try db.put(bytes("k\(i)"), value(i + round)) }
            try db.flush()
        }
        let manifest = try path(fs, "MANIFEST-")
        let inputs = try names(fs, ".sst")
        let before = try recordOffsets(fs, manifest, kind: .manifest).count
        try db.compactRange()
        let offsets = try recordOffsets(fs, manifest, kind: .manifest)
        #expect(offsets.count == before + 1)
        let crashed = fs.processCrashClone()
        try db.close()
        for name in inputs { #expect(!crashed.fileExists("/db/" + name)) }
        try crashed.truncate(path: manifest, to: Int(offsets[before]) + 9)
        let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(crashed)) }
        #expect(inputs.map { "/db/" + $0 }.contains(damage?.file ?? ""))
        #expect(damage?.reason.contains("table is missing") == true)
    }

    @Test func verifyChecksTheManifestAsRecoveryReadsIt() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<300 { try db.put(bytes("k\(i)"), value(i)) }
        try db.flush()
        let manifest = try path(fs, "MANIFEST-")
        let last = try #require(try recordOffsets(fs, manifest, kind: .manifest).last)
        try fs.flipBit(path: manifest, byteOffset: Int(last) + 8, bit: 0)
        let damage = expectCorruption("") { try db.verify() }
        #expect(damage?.file == manifest)
        try db.close()
    }

    /// Delete, zero or flip each kind of file of a closed database: every outcome is a
    /// corruption error naming the damaged file, at open or at the first read of the file.
    @Test func everyFileKindDeletedZeroedOrFlippedIsNamed() throws {
        func fresh() throws -> MemoryFileSystem {
            let fs = MemoryFileSystem()
            let db = try Database.open("/db", options: memoryOptions(fs))
            for i in 0..<400 { try db.put(bytes("k\(i)"), value(i)) }
            try db.flush()
            for i in 400..<420 { try db.put(bytes("k\(i)"), value(i), sync: true) }
            try db.close()
            return fs
        }
        let probe = try fresh()
        let table = try path(probe, ".sst"), log = try path(probe, ".log"), manifest = try path(probe, "MANIFEST-")
        let damages: [(String, String, (MemoryFileSystem) throws -> Void)] = [
            ("deleted table", table, { try $0.removeFile(table) }),
            ("zeroed table block", table, { try $0.overwrite(path: table, at: 10, bytes: [UInt8](repeating: 0, count: 64)) }),
            ("deleted log", log, { try $0.removeFile(log) }),
            ("zeroed synced log records", log, { fs in
                let offsets = try self.recordOffsets(fs, log, kind: .wal)
                try fs.overwrite(path: log, at: Int(offsets[2]), bytes: [UInt8](repeating: 0, count: 40))
            }),
            ("flipped synced log record", log, { try $0.flipBit(path: log, byteOffset: 200, bit: 6) }),
            ("deleted manifest", "/db/CURRENT", { try $0.removeFile(manifest) }),
            ("zeroed manifest record", manifest, { try $0.overwrite(path: manifest, at: 40, bytes: [UInt8](repeating: 0, count: 16)) }),
            ("flipped CURRENT", "/db/CURRENT", { try $0.flipBit(path: "/db/CURRENT", byteOffset: 3, bit: 1) }),
        ]
        for (what, file, damage) in damages {
            let fs = try fresh()
            try damage(fs)
            var options = memoryOptions(fs)
            options.blockCacheCapacity = 0
            let found = expectCorruption(what) {
                let db = try Database.open("/db", options: options)
                defer { try? db.close() }
                _ = try scanAll(db)
            }
            #expect(found?.file == file, "\(what): \(found.map { "\($0)" } ?? "no error")")
        }
    }

    // MARK: - 2. A missing CURRENT

    @Test func missingCurrentRefusesToOpenAndChangesNothing() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<300 { try db.put(bytes("k\(i)"), value(i)) }
        try db.flush()
        for i in 300..<400 { try db.put(bytes("k\(i)"), value(i)) }
        try db.close()
        try fs.removeFile("/db/CURRENT")
        let before = try fs.listDirectory("/db")
        let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(fs)) }
        #expect(damage?.file == "/db/CURRENT")
        #expect(damage?.reason.contains("repair") == true)
        _ = expectCorruption("") { _ = try Database.openReadOnly("/db", options: memoryOptions(fs)) }
        #expect(try fs.listDirectory("/db") == before)
    }

    @Test func noDatabaseIsCreatedUnlessAsked() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs)
        options.createIfMissing = false
        #expect(throws: CairnError.notFound("no database at /db: the directory does not exist")) {
            _ = try Database.open("/db", options: options)
        }
        #expect(!fs.fileExists("/db"))
        #expect(throws: CairnError.self) { _ = try Database.openReadOnly("/db", options: memoryOptions(fs)) }
        #expect(!fs.fileExists("/db"))
        try fs.createDirectory("/db")
        #expect(throws: CairnError.notFound("no database at /db: the directory holds no database files")) {
            _ = try Database.openReadOnly("/db", options: memoryOptions(fs))
        }
        #expect(try fs.listDirectory("/db").filter { $0 != "LOCK" } == [])
    }

    @Test func aCreationInterruptedBeforeCurrentStillOpens() throws {
        let fs = MemoryFileSystem()
        try fs.createDirectory("/db")
        try VersionSet.createNew(fileSystem: fs, directory: "/db")
        try fs.removeFile("/db/CURRENT")
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("a"), bytes("1"), sync: true)
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        #expect(try reopened.get(bytes("a")) == bytes("1"))
        try reopened.close()
    }

    // MARK: - 3. A misplaced table file

    /// Two databases written identically: their tables match byte for byte except identity.
    func twinDatabases() throws -> (MemoryFileSystem, MemoryFileSystem) {
        func make() throws -> MemoryFileSystem {
            let fs = MemoryFileSystem()
            let db = try Database.open("/db", options: memoryOptions(fs))
            for i in 0..<400 { try db.put(bytes("k\(i)"), value(i)) }
            try db.flush()
            try db.close()
            return fs
        }
        return (try make(), try make())
    }

    @Test func aTableReplacedByAnotherDatabasesTableIsCorruption() throws {
        let (a, b) = try twinDatabases()
        let table = try path(a, ".sst")
        #expect(try names(a, ".sst") == names(b, ".sst"))
        let other = try #require(b.contents(of: table))
        #expect(other.count == (try a.fileSize(table)), "same size: only the identity tells them apart")
        let file = try a.newWritableFile(table)
        try file.append(other)
        try file.sync()
        try file.close()
        var options = memoryOptions(a)
        options.blockCacheCapacity = 0
        let db = try Database.open("/db", options: options)
        let damage = expectCorruption("") { _ = try db.get(bytes("k7")) }
        #expect(damage?.file == table)
        #expect(damage?.reason.contains("does not match") == true)
        let verified = expectCorruption("") { try db.verify() }
        #expect(verified?.file == table)
        try db.close()
    }

    @Test func tableIdentityIsInThePropertiesAndTheManifest() throws {
        let (a, _) = try twinDatabases()
        let table = try FileInspector.openTable(try path(a, ".sst"), fileSystem: a)
        #expect(table.properties.uniqueID.count == TableProperties.uniqueIDLength)
        let db = try Database.open("/db", options: memoryOptions(a))
        let recorded = db.mutex.withLock { db.versions.current.allFiles.map(\.uniqueID) }
        #expect(recorded == [table.properties.uniqueID])
        try db.close()
    }

    // MARK: - 4. The write-ahead log

    /// A database whose log holds `synced` synced writes followed by `unsynced` unsynced ones,
    /// as a process crash leaves it (everything written reached the OS).
    func crashedWithLog(synced: Int, unsynced: Int) throws -> MemoryFileSystem {
        let live = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(live, writeBufferSize: 1 << 20))
        for i in 0..<synced { try db.put(bytes("k\(i)"), value(i), sync: true) }
        for i in synced..<(synced + unsynced) { try db.put(bytes("k\(i)"), value(i)) }
        let crashed = live.processCrashClone()
        try db.close()
        return crashed
    }

    @Test func aBadLastRecordIsDroppedAndReportedOrRefusedWhenStrict() throws {
        let fs = try crashedWithLog(synced: 20, unsynced: 1)
        let log = try path(fs, ".log")
        let last = try #require(try recordOffsets(fs, log, kind: .wal).last)
        let size = try fs.fileSize(log)
        try fs.flipBit(path: log, byteOffset: Int(last) + 12, bit: 2)

        var strict = memoryOptions(fs)
        strict.walRecoveryMode = .absoluteConsistency
        let refused = expectCorruption("") { _ = try Database.open("/db", options: strict) }
        #expect(refused?.file == log)
        #expect(refused?.offset == last)
        #expect(refused?.reason.contains("absoluteConsistency") == true)

        let db = try Database.open("/db", options: memoryOptions(fs))
        #expect(db.recoveryReport.dropped == [
            .init(file: log, offset: last, bytes: size - last, records: 0, reason: "checksum mismatch")
        ])
        for i in 0..<20 { #expect(try db.get(bytes("k\(i)")) == value(i)) }
        #expect(try db.get(bytes("k20")) == nil)
        #expect(db.statistics.recoveryWarnings.count == 1)
        #expect(db.statistics.description.contains("dropped \(size - last) bytes"))
        try db.close()
        // Reported once: the damaged log was retired by that open.
        let again = try Database.open("/db", options: memoryOptions(fs))
        #expect(again.recoveryReport.isEmpty)
        #expect(try again.get(bytes("k19")) == value(19))
        try again.close()
    }

    @Test func damageBeforeTheSyncedExtentIsCorruption() throws {
        // Records 0..<10 were synced before record 10 was written, so record 10 carries a
        // synced extent past them: damage there is damage to synced data.
        let fs = try crashedWithLog(synced: 10, unsynced: 5)
        let log = try path(fs, ".log")
        let offsets = try recordOffsets(fs, log, kind: .wal)
        try fs.flipBit(path: log, byteOffset: Int(offsets[4]) + 10, bit: 1)
        for mode in [WALRecoveryMode.pointInTime, .absoluteConsistency] {
            var options = memoryOptions(fs.processCrashClone())
            options.walRecoveryMode = mode
            let damage = expectCorruption("") { _ = try Database.open("/db", options: options) }
            #expect(damage?.file == log)
            #expect(damage?.offset == offsets[4])
            #expect(damage?.reason.contains("known durable") == true)
        }
    }

    @Test func zerosFromAPowerLossBeforeAnUnsyncedRecordAreATailToDrop() throws {
        // ext4 data=writeback: the file's new size survived, some unsynced pages read as
        // zeros, and a later unsynced record is intact. Nothing after the hole was synced.
        let fs = try crashedWithLog(synced: 5, unsynced: 10)
        let log = try path(fs, ".log")
        let offsets = try recordOffsets(fs, log, kind: .wal)
        let hole = Int(offsets[8])
        try fs.overwrite(path: log, at: hole, bytes: [UInt8](repeating: 0, count: Int(offsets[10]) - hole))
        let size = try fs.fileSize(log)
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<8 { #expect(try db.get(bytes("k\(i)")) == value(i)) }
        for i in 8..<15 { #expect(try db.get(bytes("k\(i)")) == nil, "k\(i) is past the hole") }
        #expect(db.recoveryReport.dropped.count == 1)
        let dropped = try #require(db.recoveryReport.dropped.first)
        #expect(dropped.file == log && dropped.offset == Int64(hole) && dropped.bytes == size - Int64(hole))
        #expect(dropped.records == 5)  // records 10..<15 were intact but follow the hole
        try db.close()
    }

    @Test func aDeletedLogIsCorruption() throws {
        let fs = try crashedWithLog(synced: 0, unsynced: 30)
        let log = try path(fs, ".log")
        try fs.removeFile(log)
        let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(fs)) }
        #expect(damage?.file == log)
        #expect(damage?.reason.contains("write-ahead log is missing") == true)
    }

    @Test func aCutLogAfterACleanCloseIsCorruption() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        for i in 0..<50 { try db.put(bytes("k\(i)"), value(i)) }
        try db.close()  // syncs the log and records its size
        let log = try path(fs, ".log")
        let size = try fs.fileSize(log)
        try fs.truncate(path: log, to: Int(size) - 20)
        let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(fs)) }
        #expect(damage?.file == log)
        #expect(damage?.offset == size - 20)
        #expect(damage?.reason.contains("bytes synced") == true)
    }

    @Test func aRotatedLogSyncedByALaterWriteIsTracked() throws {
        let live = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(live, writeBufferSize: 16 << 10))
        db.suspendBackgroundWork()  // keep the rotated log unflushed
        var i = 0
        while db.immutableMemtableCount == 0 {
            try db.put(bytes("k\(i)"), value(i))
            i += 1
        }
        try db.put(bytes("synced"), bytes("1"), sync: true)  // syncs the rotated log first
        let crashed = live.crashClone()
        db.resumeBackgroundWork()
        try db.close()
        let rotated = try #require(try names(crashed, ".log").first)
        let size = try crashed.fileSize("/db/" + rotated)
        try crashed.truncate(path: "/db/" + rotated, to: Int(size) - 30)
        let damage = expectCorruption("") { _ = try Database.open("/db", options: memoryOptions(crashed)) }
        #expect(damage?.file == "/db/" + rotated)
        #expect(damage?.reason.contains("synced writes were cut off") == true)
    }

    // MARK: - 5. Repair

    @Test func repairKeepsWhatIsIntactAndSetsAsideWhatIsDamaged() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        for prefix in ["a", "b", "c"] {
            for i in 0..<100 { try db.put(bytes("\(prefix)\(i)"), value(i)) }
            try db.flush()
        }
        for i in 0..<50 { try db.put(bytes("d\(i)"), value(i)) }
        try db.close()
        let tables = try names(fs, ".sst")
        #expect(tables.count == 3)
        let damagedTable = "/db/" + tables[1]  // the "b" keys
        try fs.flipBit(path: damagedTable, byteOffset: 100, bit: 3)
        let log = try path(fs, ".log")
        let offsets = try recordOffsets(fs, log, kind: .wal)
        try fs.flipBit(path: log, byteOffset: Int(offsets[20]) + 20, bit: 5)
        try fs.removeFile("/db/CURRENT")
        _ = expectCorruption("") { _ = try Database.open("/db", options: options) }

        let report = try Database.repair("/db", options: options)
        #expect(report.setAside.filter { !$0.name.hasPrefix("MANIFEST-") }.map(\.name).sorted() == [tables[1], baseName(log)].sorted())
        #expect(report.keptTables.count == 3)  // a, c and the table written from the log
        let converted = try #require(report.convertedLogs.first { $0.name == baseName(log) })
        #expect(converted.records == 49 && converted.damage.count == 1)
        #expect(fs.fileExists("/db/lost/" + tables[1]))
        #expect(fs.fileExists("/db/lost/" + baseName(log)))

        let repaired = try Database.open("/db", options: options)
        var expected = Model()
        for prefix in ["a", "c"] { for i in 0..<100 { expected.put(bytes("\(prefix)\(i)"), value(i)) } }
        for i in 0..<50 where i != 20 { expected.put(bytes("d\(i)"), value(i)) }
        let scanned = try scanAll(repaired)
        #expect(scanned.map(\.0) == expected.sorted().map(\.0))
        #expect(scanned.map(\.1) == expected.sorted().map(\.1))
        _ = try repaired.verify()
        #expect(repaired.statistics.levels.dropFirst().contains { $0.fileCount > 0 }, "repair compacted out of level 0")
        try repaired.close()
    }

    @Test func repairOfAnIntactDatabaseKeepsEveryVersionOrderedByNewest() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        var model = Model()
        // Overwrites spread over levels and the log: repair must not let an old version win.
        for round in 0..<4 {
            for i in stride(from: round, to: 200, by: 2) {
                try db.put(bytes("k\(i)"), value(i * 10 + round))
                model.put(bytes("k\(i)"), value(i * 10 + round))
            }
            if round == 1 { try db.compactRange() } else if round < 3 { try db.flush() }
        }
        try db.delete(bytes("k5"))
        model.delete(bytes("k5"))
        try db.close()
        let report = try Database.repair("/db", options: options)
        #expect(report.setAside.allSatisfy { $0.name.hasPrefix("MANIFEST-") })
        let repaired = try Database.open("/db", options: options)
        #expect(try scanAll(repaired).map(\.1) == model.sorted().map(\.1))
        for (k, v) in model.sorted() { #expect(try repaired.get(k) == v) }
        #expect(try repaired.get(bytes("k5")) == nil)
        try repaired.close()
    }

    // MARK: - 6. Read-only open and opening without free space

    @Test func readOnlyOpenOnAFullDiskReadsEverythingAndWritesNothing() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        for i in 0..<300 { try db.put(bytes("k\(i)"), value(i)) }
        try db.flush()
        for i in 300..<400 { try db.put(bytes("k\(i)"), value(i), sync: true) }
        let crashed = fs.crashClone()
        try db.close()
        for op in [MemoryFileSystem.Operation.create, .append, .sync, .rename, .remove, .syncDirectory] {
            crashed.injectFault(FaultRule(op, trigger: .always, errno: ENOSPC))
        }
        #expect(throws: CairnError.self) { _ = try Database.open("/db", options: memoryOptions(crashed)) }
        let before = crashed.operationCount
        let ro = try Database.openReadOnly("/db", options: memoryOptions(crashed))
        #expect(ro.isReadOnly)
        for i in 0..<400 { #expect(try ro.get(bytes("k\(i)")) == value(i)) }
        #expect(try scanAll(ro).count == 400)
        #expect(throws: CairnError.self) { try ro.put(bytes("x"), bytes("y")) }
        #expect(throws: CairnError.self) { try ro.flush() }
        #expect(throws: CairnError.self) { try ro.compactRange() }
        _ = try ro.verify()
        try ro.close()
        #expect(crashed.operationCount == before, "a read-only open attempts no mutating operation")
    }

    @Test func openingNeedsNoSpaceForTheReplayedWrites() throws {
        let fs = try crashedWithLog(synced: 200, unsynced: 0)
        // No table can be written: open still succeeds and serves the replayed writes.
        fs.injectFault(FaultRule(.create, pathContains: ".sst", trigger: .always, errno: ENOSPC))
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        for i in 0..<200 { #expect(try db.get(bytes("k\(i)")) == value(i)) }
        db.waitForBackgroundWork()
        // The background flush failed; writes are refused rather than risked, reads go on.
        #expect(throws: CairnError.self) { try db.put(bytes("new"), bytes("1")) }
        #expect(try db.get(bytes("k199")) == value(199))
        try? db.close()
        fs.clearFaults()
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<200 { #expect(try reopened.get(bytes("k\(i)")) == value(i)) }
        try reopened.flush()
        try reopened.close()
    }
}

/// A power loss at any point of a recovery (replaying, syncing the kept logs, the manifest
/// edits, the background flush of the replayed writes) and of the writes and close after it
/// must leave a database that opens and holds every synced write.
@Suite struct RecoveryCrashTests {
    final class Images: Sendable {
        let list = CairnMutex<[(fs: MemoryFileSystem, acknowledged: Int, label: String)]>([])
        let acknowledged = Atomic<Int>(0)
    }

    @Test(arguments: [false, true])
    func crashAtEveryOperationOfARecovery(tornTail: Bool) throws {
        // The database a crash left: tables, rotated logs, synced and unsynced writes.
        let live = MemoryFileSystem()
        let options = { (fs: MemoryFileSystem) -> Options in
            var o = memoryOptions(fs, writeBufferSize: 8 << 10)
            o.blockSize = 512
            return o
        }
        let db = try Database.open("/db", options: options(live))
        var synced: [([UInt8], [UInt8])] = []
        for i in 0..<300 {
            let k = bytes("k\(i % 150)"), v = bytes("v\(i)-" + String(repeating: "x", count: 40))
            let sync = i % 7 == 0
            try db.put(k, v, sync: sync)
            if sync { synced.append((k, v)) } else { synced.removeAll { $0.0 == k } }
        }
        let base = live.processCrashClone()
        try db.close()
        if tornTail {
            let log = "/db/" + (try #require(try base.listDirectory("/db").filter { $0.hasSuffix(".log") }.last))
            try base.overwrite(path: log, at: Int(try base.fileSize(log)) - 3, bytes: [0xee, 0xee, 0xee])
        }
        // The latest synced value of each key that was synced last.
        var mustHave: [[UInt8]: [UInt8]] = [:]
        for (k, v) in synced { mustHave[k] = v }

        let images = Images()
        base.setOperationHook { op, path, index in
            let acknowledged = images.acknowledged.load(ordering: .sequentiallyConsistent)
            let clone = base.crashClone()
            images.list.withLock { $0.append((clone, acknowledged, "\(op) \(path) #\(index)")) }
        }
        let recovered = try Database.open("/db", options: options(base))
        var newWrites: [([UInt8], [UInt8])] = []
        for i in 0..<40 {
            let k = bytes("n\(i)"), v = bytes("new-\(i)")
            try recovered.put(k, v, sync: true)
            newWrites.append((k, v))
            images.acknowledged.store(i + 1, ordering: .sequentiallyConsistent)
        }
        recovered.waitForBackgroundWork()
        try recovered.close()
        base.setOperationHook(nil)

        let all = images.list.withLock { $0 }
        #expect(all.count > 20)
        #expect(all.contains { $0.label.hasPrefix("sync") && $0.label.contains(".log") })
        var failures = 0
        for image in all {
            do {
                let reopened = try Database.open("/db", options: options(image.fs))
                for (k, v) in mustHave where try reopened.get(k) != v {
                    throw CairnError.invalidArgument("synced key \(String(decoding: k, as: UTF8.self)) lost")
                }
                for (k, v) in newWrites.prefix(image.acknowledged) where try reopened.get(k) != v {
                    throw CairnError.invalidArgument("acknowledged new write \(String(decoding: k, as: UTF8.self)) lost")
                }
                try reopened.close()
            } catch {
                failures += 1
                if failures <= 3 { Issue.record("crash at \(image.label): \(error)") }
            }
        }
        #expect(failures == 0, "\(failures) of \(all.count) crash images failed")
    }
}

/// The bytes issue 24 added to the manifest and the WAL: malformed ones are typed corruption.
@Suite struct NewRecordFieldTests {
    func corruptionReason(_ body: () throws -> Void) -> String? {
        do {
            try body()
        } catch let CairnError.corruption(_, _, reason) {
            return reason
        } catch {
            Issue.record("expected corruption, got \(error)")
        }
        return nil
    }

    @Test func versionEditLogTrackingAndTableIdentityRoundTripAndRejectDamage() throws {
        var edit = VersionEdit()
        edit.addedLogs = [7, 9]
        edit.syncedLogs = [.init(number: 7, size: 4096)]
        edit.newFiles = [VersionEdit.NewFile(
            level: 0, number: 12, size: 100, smallest: bytes("a") + [UInt8](repeating: 0, count: 8),
            largest: bytes("z") + [UInt8](repeating: 0, count: 8), smallestSequence: 1, largestSequence: 2,
            entryCount: 2, rangeDeletionCount: 0, uniqueID: [UInt8](repeating: 0xab, count: 16))]
        let encoded = edit.encode()
        #expect(try VersionEdit.decode(encoded, file: "m", offset: 0) == edit)

        // A unique ID of the wrong length (tag 6 with 15 bytes).
        var shortID = edit
        shortID.newFiles[0].uniqueID = [UInt8](repeating: 1, count: 15)
        #expect(corruptionReason { _ = try VersionEdit.decode(shortID.encode(), file: "m", offset: 0) }?
            .contains("malformed unique ID") == true)
        // A synced size of 2^48 or more.
        var huge = VersionEdit()
        huge.syncedLogs = [.init(number: 3, size: 1 << 50)]
        #expect(corruptionReason { _ = try VersionEdit.decode(huge.encode(), file: "m", offset: 0) }?
            .contains("out of range") == true)
        // A log-tracking field cut short.
        var cut = VersionEdit()
        cut.syncedLogs = [.init(number: 3, size: 300)]
        #expect(corruptionReason { _ = try VersionEdit.decode(Array(cut.encode().dropLast()), file: "m", offset: 0) }?
            .contains("truncated") == true)
    }

    @Test func walRecordExtentRejectsMalformedVarintsAndHugeExtents() throws {
        var batch = WriteBatch()
        batch.put(bytes("k"), bytes("v"))
        batch.sequence = 5
        var record: [UInt8] = []
        Coding.appendVarint(&record, 300)
        record += batch.rep
        let (extent, decoded) = try WriteBatch.decodeWALRecord(record, version: 2, file: "w", offset: 0)
        #expect(extent == 300 && decoded.sequence == 5 && decoded.count == 1)
        // Version 1 records have no extent.
        #expect(try WriteBatch.decodeWALRecord(batch.rep, version: 1, file: "w", offset: 0).syncedExtent == 0)
        #expect(corruptionReason {
            _ = try WriteBatch.walRecordExtent([UInt8](repeating: 0x80, count: 11), version: 2, file: "w", offset: 0)
        }?.contains("malformed synced extent") == true)
        var huge: [UInt8] = []
        Coding.appendVarint(&huge, 1 << 50)
        #expect(corruptionReason { _ = try WriteBatch.walRecordExtent(huge + batch.rep, version: 2, file: "w", offset: 0) }?
            .contains("out of range") == true)
    }
}
