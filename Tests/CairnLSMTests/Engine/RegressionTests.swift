import Foundation
import Synchronization
import Testing
@testable import CairnLSM

/// One test per bug found in review; each fails on the code before its fix.
@Suite struct RegressionTests {
    @Test func failedManifestWriteDuringCompactionKeepsEveryLiveTable() throws {
        let fs = MemoryFileSystem()
        var db: Database? = try Database.open("/db", options: memoryOptions(fs))
        for round in 0..<2 {
            for i in 0..<50 { try db?.put(bytes("k\(round)-\(i)"), bytes("v\(i)")) }
            try db?.flush()
        }
        let inputs = Set(try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") })
        #expect(inputs.count == 2)
        fs.injectFault(FaultRule(.append, pathContains: "MANIFEST", trigger: .once, errno: ENOSPC))
        #expect(throws: CairnError.self) { try db?.compactRange() }
        fs.clearFaults()
        try db?.close()
        // Release every version of the old instance, and let any deletion it queued run.
        let deleter = try #require(db?.obsoleteFiles)
        db = nil
        deleter.drain()
        #expect(inputs.isSubset(of: Set(try fs.listDirectory("/db"))), "a table the manifest lists was deleted")
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        for round in 0..<2 {
            for i in 0..<50 { #expect(try reopened.get(bytes("k\(round)-\(i)")) == bytes("v\(i)")) }
        }
        try reopened.close()
    }

    /// A writer queued when close() starts rotates the memtable and so starts a flush; close()
    /// must not return (and release the directory) while that flush still runs.
    @Test(SanitizerRuntime.hangLimit)
    func closeWaitsForAFlushStartedByAQueuedWriter() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 8 << 10)
        options.maxImmutableMemtables = 8
        let db = try Database.open("/db", options: options)
        let leaderInLog = DispatchSemaphore(value: 0), releaseLeader = DispatchSemaphore(value: 0)
        let flushInSync = DispatchSemaphore(value: 0), releaseFlush = DispatchSemaphore(value: 0)
        let armed = Atomic<Bool>(true)
        fs.setOperationHook { op, path, _ in
            if op == .append && path.hasSuffix(".log") && armed.exchange(false, ordering: .relaxed) {
                leaderInLog.signal()
                releaseLeader.wait()
            }
            if op == .sync && path.hasSuffix(".sst") {
                flushInSync.signal()
                releaseFlush.wait()
            }
        }
        let group = DispatchGroup()
        func background(_ body: @escaping @Sendable () -> Void) {
            group.enter()
            Thread.detachNewThread {
                body()
                group.leave()
            }
        }
        // The leader fills the memtable past its limit and stops inside its log append.
        background { _ = try? db.put(bytes("big"), [UInt8](repeating: 1, count: 9 << 10)) }
        leaderInLog.wait()
        // A second writer queues behind it; its turn will rotate the full memtable.
        background { _ = try? db.put(bytes("small"), bytes("x")) }
        usleep(20_000)
        let closed = Atomic<Bool>(false)
        background {
            try? db.close()
            closed.store(true, ordering: .sequentiallyConsistent)
        }
        usleep(20_000)
        releaseLeader.signal()
        // The second writer's rotation may start a flush (the fixed close() lets it stop
        // before it writes anything). If one is running, close() must still be waiting.
        if flushInSync.wait(timeout: .now() + 1) == .success {
            usleep(50_000)
            let closedDuringFlush = closed.load(ordering: .sequentiallyConsistent)
            #expect(!closedDuringFlush, "close() returned while a flush was running")
            releaseFlush.signal()
        }
        group.wait()
        let operationsAtClose = fs.operationCount
        usleep(50_000)
        #expect(fs.operationCount == operationsAtClose, "the closed instance kept using the directory")
        let closedAtEnd = closed.load(ordering: .sequentiallyConsistent)
        #expect(closedAtEnd)
        fs.setOperationHook(nil)
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        #expect(try reopened.get(bytes("small")) == bytes("x"))
        #expect(try reopened.get(bytes("big"))?.count == 9 << 10)
        try reopened.close()
    }

    @Test(SanitizerRuntime.hangLimit)
    func smallestWriteBufferDoesNotLivelock() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 4096)
        options.maxImmutableMemtables = 1
        let db = try Database.open("/db", options: options)
        for i in 0..<300 { try db.put(bytes("k\(i)"), bytes("value-\(i)")) }
        for i in 0..<300 { #expect(try db.get(bytes("k\(i)")) == bytes("value-\(i)")) }
        #expect(db.statistics.flushes > 0)
        try db.close()
    }

    @Test func oversizedEntriesAreRejectedBeforeTheLog() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        let huge = [UInt8](repeating: 1, count: TableBuilder.maxEntrySize)
        #expect(throws: CairnError.self) { try db.put(bytes("big"), huge) }
        #expect(db.latestSequenceNumber == 0, "nothing was logged")
        try db.put(bytes("ok"), bytes("fine"))
        try db.close()
        try Database.open("/db", options: memoryOptions(fs)).close()
    }

    @Test func strayFileWithAHugeNumberIsIgnored() throws {
        let fs = MemoryFileSystem()
        try Database.open("/db", options: memoryOptions(fs)).close()
        let stray = try fs.newWritableFile("/db/18446744073709551615.log")
        try stray.append(bytes("not a log"))
        try stray.close()
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("a"), bytes("1"))
        try db.close()
    }

    /// Writes a manifest holding `edit` and points CURRENT at it.
    func installManifest(_ fs: MemoryFileSystem, number: UInt64, _ edit: VersionEdit) throws {
        let file = try fs.newWritableFile(FileNames.manifest("/db", number))
        let log = try LogWriter(file: file, fileNumber: number, kind: .manifest)
        try log.addRecord(edit.encode())
        try log.sync()
        try log.close()
        try fs.writeFileAtomically("/db/CURRENT", bytes("MANIFEST-" + FileNames.padded(number) + "\n"), directory: "/db")
    }

    @Test func manifestCountersOutOfRangeAreCorruption() throws {
        let fs = MemoryFileSystem()
        try Database.open("/db", options: memoryOptions(fs)).close()
        var edit = VersionEdit()
        edit.logNumber = 0
        edit.nextFileNumber = UInt64.max
        edit.lastSequence = 0
        try installManifest(fs, number: 50, edit)
        #expect { try Database.open("/db", options: memoryOptions(fs)) } throws: { ($0 as? CairnError)?.isCorruption == true }
        edit.nextFileNumber = 100
        edit.lastSequence = UInt64.max
        try installManifest(fs, number: 51, edit)
        #expect { try Database.open("/db", options: memoryOptions(fs)) } throws: { ($0 as? CairnError)?.isCorruption == true }
    }

    /// Regression (FuzzManifest, input in Tests/Fuzz/Regressions/FuzzManifest): a manifest
    /// whose next file number is far above the logs present. The open replays the log into a
    /// memtable, starts a new log numbered from the manifest's counter (about 2^40) and flushes;
    /// the flush then removed the now obsolete logs by trying every number from the replayed
    /// log's up to the new one, about 10^12 unlinks, and `close()` waited for it without end.
    @Test func aFlushAfterAFileNumberJumpRemovesOnlyTheLogsThatExist() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("a"), bytes("1"))
        try db.put(bytes("b"), bytes("2"))
        let image = fs.processCrashClone()  // the writes are in the log only
        try db.close()
        let logs = try image.listDirectory("/db").filter { $0.hasSuffix(".log") }.sorted()
        let replayed = try #require(logs.first.flatMap { UInt64($0.dropLast(4)) })
        var edit = VersionEdit()
        edit.logNumber = replayed
        edit.nextFileNumber = 1 << 40
        edit.lastSequence = 0
        try installManifest(image, number: 60, edit)

        // Open, read and close on another thread, so that a return of the bug fails the test
        // instead of hanging the suite.
        let outcome = Mutex<Result<[[UInt8]?], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let result = Result { () throws -> [[UInt8]?] in
                let reopened = try Database.open("/db", options: memoryOptions(image))
                let values = try [reopened.get(bytes("a")), reopened.get(bytes("b"))]
                try reopened.flush()
                try reopened.close()
                return values
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        let finished = done.wait(timeout: .now() + (SanitizerRuntime.isActive ? 300 : 30)) == .success
        #expect(finished, "open, flush and close did not finish: the flush is removing logs number by number")
        guard finished else { return }
        let values = try #require(outcome.withLock { $0 }).get()
        #expect(values == [bytes("1"), bytes("2")])
        // The replayed log is gone (its writes are in a table now); the new log is the only one.
        let after = try image.listDirectory("/db").filter { $0.hasSuffix(".log") }
        #expect(!after.contains(FileNames.padded(replayed) + ".log"), "\(after)")
        #expect(after.count == 1 && (after.first.flatMap { UInt64($0.dropLast(4)) } ?? 0) >= 1 << 40, "\(after)")
    }

    @Test func walBatchWithSequenceOutOfRangeIsCorruption() throws {
        let fs = MemoryFileSystem()
        try Database.open("/db", options: memoryOptions(fs)).close()
        let logs = try fs.listDirectory("/db").filter { $0.hasSuffix(".log") }
        for name in logs { try fs.removeFile("/db/" + name) }
        var batch = WriteBatch()
        batch.put(bytes("k"), bytes("v"))
        batch.put(bytes("k2"), bytes("v"))
        batch.sequence = maxSequenceNumber
        let file = try fs.newWritableFile(FileNames.log("/db", 90))
        let log = try LogWriter(file: file, fileNumber: 90, kind: .wal)
        try log.addRecord(batch.rep)
        try log.sync()
        try log.close()
        #expect { try Database.open("/db", options: memoryOptions(fs)) } throws: { ($0 as? CairnError)?.isCorruption == true }
    }

    @Test func obsoleteTablesStayWhileAnIteratorReadsThemAndGoAfterwards() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for round in 0..<3 {
            for i in 0..<100 { try db.put(bytes("k\(i)"), bytes("r\(round)")) }
            try db.flush()
        }
        let tables = { try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") }.sorted() }
        let before = try tables()
        #expect(before.count == 3)
        var it: DatabaseIterator? = try db.makeIterator()
        try db.compactRange()
        db.obsoleteFiles.drain()
        #expect(Set(before).isSubset(of: Set(try tables())), "inputs deleted while an iterator still pins them")
        try it?.seekToFirst()
        #expect(it?.value == bytes("r2"))
        it = nil
        db.obsoleteFiles.drain()
        let after = try tables()
        #expect(after.count == 1 && !before.contains(after[0]), "compaction inputs were not deleted")
        try db.close()
    }
}

@Suite struct VersionEditRegressionTests {
    /// A trivial move deletes a file at one level and adds it at the next in one edit; the
    /// file must stay on disk (it was deleted as obsolete before the fix).
    @Test func aFileMovedBetweenLevelsIsNotDeleted() throws {
        let deletedNumbers = CairnMutex<[UInt64]>([])
        let sink: @Sendable (UInt64) -> Void = { n in deletedNumbers.withLock { $0.append(n) } }
        let file = VersionEdit.NewFile(
            level: 1, number: 7, size: 100, smallest: InternalKey.make(bytes("a"), sequence: 1, type: .value),
            largest: InternalKey.make(bytes("b"), sequence: 1, type: .value), smallestSequence: 1, largestSequence: 1,
            entryCount: 2, rangeDeletionCount: 0)
        var add = VersionEdit()
        add.newFiles = [file]
        var v: Version? = try Version().applying(add, manifest: "m").version
        var move = VersionEdit()
        move.deletedFiles = [.init(level: 1, number: 7)]
        var moved = file
        moved.level = 2
        move.newFiles = [moved]
        let (next, removed) = try #require(v).applying(move, manifest: "m")
        #expect(removed.isEmpty)
        for f in removed { f.markObsolete(sink) }
        v = nil
        #expect(next.levels[2].map(\.number) == [7])
        #expect(deletedNumbers.withLock { $0 }.isEmpty)
    }

    /// A compaction output whose range tombstone was clipped at the split key ends (its
    /// largest key) at that user key, with the largest trailer, while the next output starts
    /// with that key's entries. A point lookup compared only user keys when choosing the file
    /// of a level, picked the first output (which does not hold the key), and fell through to
    /// older data: a key written after a range deletion read as deleted.
    @Test func getFindsTheSplitKeyOfOutputsCutInsideARangeTombstone() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20, compression: .none)
        options.targetFileSize = 1 << 10
        options.blockSize = 256
        let db = try Database.open("/db", options: options)
        func key(_ i: Int) -> [UInt8] { bytes(String(format: "k%03d", i)) }
        for i in 0..<200 { try db.put(key(i), bytes("old-\(i)-" + String(repeating: "o", count: 40))) }
        let snapshot = db.snapshot()  // keeps the tombstone through the bottommost compaction
        try db.deleteRange(key(20), key(180))
        for i in 0..<200 { try db.put(key(i), bytes("new-\(i)")) }
        try db.compactRange()

        let files = db.mutex.withLock { db.versions.current.levels[1] }
        let cutInside = zip(files, files.dropFirst()).filter { a, b in
            a.rangeDeletionCount > 0 && a.largestUserKey == b.smallestUserKey
        }
        #expect(!cutInside.isEmpty, "the test needs an output cut inside the tombstone")
        for i in 0..<200 { #expect(try db.get(key(i)) == bytes("new-\(i)"), "k\(i)") }
        for i in 0..<200 {
            #expect(try db.get(key(i), snapshot: snapshot) == bytes("old-\(i)-" + String(repeating: "o", count: 40)), "k\(i) at the snapshot")
        }
        #expect(try scanAll(db).map(\.1) == (0..<200).map { bytes("new-\($0)") })
        try db.close()
    }
}
