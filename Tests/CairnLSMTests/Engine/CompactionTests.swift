import Foundation
import Testing
@testable import CairnLSM

/// Compaction output: split at the target size, non-overlapping, tombstones clipped, data intact.
@Suite struct CompactionTests {
    @Test func outputsAreSplitAtTheTargetSizeWithoutOverlapOrLoss() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 64 << 10)
        options.targetFileSize = 4 << 10
        options.blockSize = 1024
        let db = try Database.open("/db", options: options)
        var model = Model()
        for i in 0..<3000 {
            let k = bytes("key\(10_000 + i)"), v = bytes("value-\(i)-" + String(repeating: "q", count: 60))
            try db.put(k, v)
            model.put(k, v)
        }
        let before = model
        let snapshot = db.snapshot()  // keeps the range tombstone (and what it covers) alive
        try db.deleteRange(bytes("key10500"), bytes("key12500"))
        model.deleteRange(bytes("key10500"), bytes("key12500"))
        try db.compactRange()

        let files = db.mutex.withLock { db.versions.current.levels[1] }
        #expect(files.count > 5, "expected several outputs of about 4 KiB, got \(files.count)")
        for (a, b) in zip(files, files.dropFirst()) {
            #expect(compareBytes(a.largestUserKey, b.smallestUserKey) <= 0, "outputs overlap")
        }
        #expect(files.contains { $0.rangeDeletionCount > 0 }, "the tombstone must survive while a snapshot needs it")
        #expect(samePairs(try scanAll(db), model.sorted()))
        #expect(samePairs(try scanAll(db, ReadOptions(snapshot: snapshot)), before.sorted()))
        for i in stride(from: 0, to: 3000, by: 97) {
            let k = bytes("key\(10_000 + i)")
            #expect(try db.get(k) == model.entries[k])
            #expect(try db.get(k, snapshot: snapshot) == before.entries[k])
        }
        // Without the snapshot a second compaction drops the tombstone and what it covered.
        _ = consume snapshot
        try db.compactRange()
        let after = db.mutex.withLock { db.versions.current.levels[1] }
        #expect(after.allSatisfy { $0.rangeDeletionCount == 0 })
        #expect(after.reduce(0) { $0 + $1.entryCount } == UInt64(model.entries.count))
        #expect(samePairs(try scanAll(db), model.sorted()))
        try db.close()
        let reopened = try Database.open("/db", options: options)
        #expect(samePairs(try scanAll(reopened), model.sorted()))
        try reopened.close()
    }

    /// At the bottom, a value every reader sees is written with sequence 0 (its trailer then
    /// compresses); values a snapshot must tell apart keep theirs, and reads of both agree.
    @Test func bottommostValuesEveryReaderSeesGetSequenceZero() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        for i in 0..<100 { try db.put(bytes("k\(100 + i)"), bytes("old\(i)")) }
        let snapshot = db.snapshot()
        for i in 0..<50 { try db.put(bytes("k\(100 + i)"), bytes("new\(i)")) }
        try db.compactRange()
        func entries() throws -> [FileInspector.Entry] {
            var all: [FileInspector.Entry] = []
            db.obsoleteFiles.drain()
            for name in try fs.listDirectory("/db") where name.hasSuffix(".sst") {
                try FileInspector.openTable("/db/" + name, fileSystem: fs).forEachEntry { all.append($0) }
            }
            return all
        }
        var seen = try entries()
        // k100..k149: "new" keeps its sequence (the snapshot must not see it), "old" is 0.
        #expect(seen.filter { $0.sequence == 0 }.count == 100)
        #expect(seen.filter { $0.sequence != 0 }.allSatisfy { String(decoding: $0.value, as: UTF8.self).hasPrefix("new") })
        #expect(seen.count == 150)
        #expect(try db.get(bytes("k100"), snapshot: snapshot) == bytes("old0"))
        #expect(try db.get(bytes("k100")) == bytes("new0"))
        #expect(try db.get(bytes("k180")) == bytes("old80"))
        _ = consume snapshot
        try db.compactRange()
        seen = try entries()
        #expect(seen.count == 100 && seen.allSatisfy { $0.sequence == 0 })
        #expect(try db.get(bytes("k100")) == bytes("new0"))
        #expect(try db.get(bytes("k180")) == bytes("old80"))
        #expect(try scanAll(db).count == 100)
        // Newer writes (and range deletions) still win over the zeroed versions.
        try db.put(bytes("k180"), bytes("newest"))
        try db.deleteRange(bytes("k190"), bytes("k195"))
        #expect(try db.get(bytes("k180")) == bytes("newest"))
        #expect(try db.get(bytes("k191")) == nil)
        try db.flush()
        #expect(try db.get(bytes("k180")) == bytes("newest"))
        #expect(try db.get(bytes("k191")) == nil)
        #expect(try scanAll(db).count == 95)
        try db.close()
    }

    @Test func clippingKeepsOnlyTheOverlap() {
        let t = RangeTombstone(start: bytes("b"), end: bytes("m"), sequence: 7)
        #expect(CompactionJob.clip(t, lower: nil, upper: nil) == t)
        #expect(CompactionJob.clip(t, lower: bytes("d"), upper: bytes("f")) == RangeTombstone(start: bytes("d"), end: bytes("f"), sequence: 7))
        #expect(CompactionJob.clip(t, lower: bytes("m"), upper: nil) == nil)
        #expect(CompactionJob.clip(t, lower: nil, upper: bytes("b")) == nil)
    }
}

/// Background leveled compaction, trivial moves and write back-pressure.
@Suite struct BackgroundCompactionTests {
    @Test func dataFlowsDownTheLevelsAndStaysCorrect() throws {
        let fs = MemoryFileSystem()
        let options = smallLevelOptions(fs)
        let db = try Database.open("/db", options: options)
        var model = Model()
        var rng = SeededRandom(seed: 5)
        for i in 0..<6000 {
            let k = bytes("k\(Int.random(in: 0..<3000, using: &rng))")
            if i % 10 == 9 {
                try db.delete(k)
                model.delete(k)
            } else {
                let v = bytes("v\(i)-" + String(repeating: "p", count: 40))
                try db.put(k, v)
                model.put(k, v)
            }
        }
        db.waitForBackgroundWork()
        let stats = db.statistics
        #expect(stats.compactions > 0)
        #expect(stats.levels[0].fileCount < options.level0FileNumCompactionTrigger)
        #expect(stats.levels.dropFirst(2).contains { $0.fileCount > 0 }, "data should reach level 2 or deeper: \(stats)")
        for level in 1..<Version.levelCount {
            let files = db.mutex.withLock { db.versions.current.levels[level] }
            for (a, b) in zip(files, files.dropFirst()) {
                #expect(compareBytes(a.largestUserKey, b.smallestUserKey) < 0, "level \(level) files overlap")
            }
        }
        #expect(samePairs(try scanAll(db), model.sorted()))
        #expect(samePairs(try scanAllBackward(db), model.sorted()))
        for i in stride(from: 0, to: 3000, by: 7) { #expect(try db.get(bytes("k\(i)")) == model.entries[bytes("k\(i)")]) }
        try db.close()
        let reopened = try Database.open("/db", options: options)
        #expect(samePairs(try scanAll(reopened), model.sorted()))
        try reopened.close()
    }

    @Test func sequentialKeysMoveDownWithoutRewriting() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: smallLevelOptions(fs))
        for i in 0..<8000 { try db.put(bytes("key\(100_000 + i)"), bytes(String(repeating: "s", count: 50))) }
        db.waitForBackgroundWork()
        #expect(db.statistics.trivialMoves > 0, "non-overlapping files should move down by a manifest edit")
        #expect(try scanAll(db).count == 8000)
        try db.close()
    }

    @Test func writesSlowDownAndStopWhileLevelZeroIsFull() throws {
        let fs = MemoryFileSystem()
        // A slow disk for compaction outputs, so level 0 piles up behind it.
        fs.setOperationHook { op, path, _ in if op == .sync && path.hasSuffix(".sst") { usleep(3000) } }
        var options = smallLevelOptions(fs)
        options.writeBufferSize = 8 << 10
        options.level0FileNumCompactionTrigger = 2
        options.level0SlowdownWritesTrigger = 3
        options.level0StopWritesTrigger = 4
        options.maxImmutableMemtables = 4
        let db = try Database.open("/db", options: options)
        for i in 0..<3000 { try db.put(bytes("k\(i % 1500)"), bytes("v\(i)-" + String(repeating: "x", count: 60))) }
        let stats = db.statistics
        #expect(stats.writeSlowdowns > 0)
        #expect(stats.stallMicros > 0)
        db.waitForBackgroundWork()
        #expect(db.statistics.levels[0].fileCount <= options.level0StopWritesTrigger)
        for i in 1500..<1510 { #expect(try db.get(bytes("k\(i % 1500)")) == bytes("v\(i)-" + String(repeating: "x", count: 60))) }
        fs.setOperationHook(nil)
        try db.close()
    }
}

@Suite struct CompactionFailureTests {
    /// A background compaction whose output writes fail (a full disk) stops further writes
    /// with the error, loses nothing acknowledged, and the database reopens intact.
    @Test func failedBackgroundCompactionStopsWritesAndLosesNothing() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 64 << 10)
        options.disableAutoCompactions = true
        var model = Model()
        let db = try Database.open("/db", options: options)
        for round in 0..<3 {
            for i in 0..<200 {
                let k = bytes("k\(i)"), v = bytes("r\(round)-\(i)")
                try db.put(k, v)
                model.put(k, v)
            }
            try db.flush()
        }
        try db.close()

        options.disableAutoCompactions = false
        options.level0FileNumCompactionTrigger = 2
        fs.injectFault(FaultRule(.append, pathContains: ".sst", trigger: .always, errno: ENOSPC))
        let failing = try Database.open("/db", options: options)  // schedules the compaction
        failing.waitForBackgroundWork()
        #expect(throws: CairnError.self) { try failing.put(bytes("after"), bytes("x")) }
        #expect(samePairs(try scanAll(failing), model.sorted()), "reads still see every table")
        try failing.close()

        fs.clearFaults()
        let reopened = try Database.open("/db", options: options)
        reopened.waitForBackgroundWork()
        #expect(samePairs(try scanAll(reopened), model.sorted()))
        #expect(reopened.statistics.compactions > 0, "the compaction succeeds once the disk has room")
        try reopened.close()
    }

    /// A compaction that fails after finishing some of its outputs removes them at once and
    /// releases their numbers; the database keeps only the tables its version names.
    @Test func failedCompactionRemovesTheOutputsItFinished() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 64 << 10, compression: .none)
        options.disableAutoCompactions = true
        options.targetFileSize = 4 << 10
        options.blockSize = 512
        let db = try Database.open("/db", options: options)
        for round in 0..<2 {
            for i in 0..<600 { try db.put(bytes("k\(1000 + i)"), bytes("r\(round)-" + String(repeating: "z", count: 30))) }
            try db.flush()
        }
        let tablesBefore = Set(try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") })
        // The syncs of the first outputs succeed; a later one fails.
        fs.injectFault(FaultRule(.sync, pathContains: ".sst", trigger: .onceAfter(3), errno: EIO))
        #expect(throws: CairnError.self) { try db.compactRange() }
        let tablesAfter = Set(try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") })
        #expect(tablesAfter == tablesBefore, "finished outputs of the failed compaction are gone")
        #expect(db.mutex.withLock { db.pendingOutputs.isEmpty })
        // Regression (issue 23's fault sweep): a failed manual compaction used to leave the
        // database taking writes; like a failed background one, it now stops them until a
        // reopen, and the reopen holds everything.
        #expect(throws: CairnError.self) { try db.put(bytes("after"), bytes("the-failure")) }
        try? db.close()
        let reopened = try Database.open("/db", options: options)
        #expect(try reopened.get(bytes("k1000")) == bytes("r1-" + String(repeating: "z", count: 30)))
        try reopened.put(bytes("after"), bytes("the-reopen"))
        try reopened.close()
    }
}
