import Foundation
import Synchronization
import Testing
@testable import CairnLSM

/// Snapshots and concurrent readers against a model while background compactions run all the
/// time (tiny levels), and what compaction leaves on disk once nothing needs old data.
@Suite struct BackgroundCompactionModelTests {
    /// Memtables of about 8 KiB, 8 KiB tables, level 1 of 16 KiB (level 2: 160 KiB).
    static func smallLevels(_ fs: MemoryFileSystem) -> Options {
        var o = memoryOptions(fs, writeBufferSize: 8 << 10, compression: .none)
        o.blockSize = 1024
        o.targetFileSize = 8 << 10
        o.maxBytesForLevelBase = 16 << 10
        return o
    }

    /// Every entry of every table file in the directory, and the files' total size.
    struct DiskContents {
        var entries: [FileInspector.Entry] = []
        var rangeTombstones = 0
        var bytes: Int64 = 0
        var tables: Set<UInt64> = []

        init(_ fs: MemoryFileSystem, _ dir: String = "/db") throws {
            for name in try fs.listDirectory(dir) {
                guard case .table(let n)? = FileNames.parse(name) else { continue }
                let table = try FileInspector.openTable(dir + "/" + name, fileSystem: fs)
                try table.verify()
                try table.forEachEntry { entries.append($0) }
                rangeTombstones += table.rangeTombstones.count
                bytes += try fs.fileSize(dir + "/" + name)
                tables.insert(n)
            }
        }

        /// Entries that are not the newest of their user key.
        var oldVersions: Int {
            var newest: [[UInt8]: SequenceNumber] = [:]
            for e in entries { newest[e.key] = max(newest[e.key] ?? 0, e.sequence) }
            return entries.filter { newest[$0.key] != $0.sequence }.count
        }
    }

    /// The database's live table numbers; with no reader holding an older version, and
    /// obsolete files deleted, the directory holds exactly these.
    static func liveTables(_ db: Database) -> Set<UInt64> {
        db.obsoleteFiles.drain()
        return Set(db.mutex.withLock { db.versions.current.allFiles.map(\.number) })
    }

    /// A snapshot taken before eight rounds of overwrites keeps reading its values (gets and
    /// scans) through the background compactions they cause. Once it is released, later
    /// background compactions drop the versions only it needed, and after everything reaches
    /// the bottom level no deletion, range tombstone or old version is left in any table.
    @Test func snapshotSurvivesBackgroundCompactionsAndOldDataGoesOnceReleased() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: Self.smallLevels(fs))
        let keys = (0..<400).map { bytes(String(format: "key%04d", $0)) }
        var model = Model()
        func put(_ k: [UInt8], _ v: [UInt8]) throws {
            try db.put(k, v)
            model.put(k, v)
        }
        for (i, k) in keys.enumerated() { try put(k, bytes("v0-\(i)-" + String(repeating: "o", count: 60))) }
        var snapshot: Snapshot? = db.snapshot()
        let old = model
        let compactionsAtSnapshot = db.statistics.compactions

        // Eight rounds overwriting every key: the snapshot's versions are compacted over and
        // over, down the levels, while later versions pile up above them.
        var rng = SeededRandom(seed: 3)
        for round in 1...8 {
            for (i, k) in keys.enumerated() { try put(k, bytes("r\(round)-\(i)-" + String(repeating: "n", count: 60))) }
            for _ in 0..<20 {
                let k = keys[Int.random(in: 0..<keys.count, using: &rng)]
                #expect(try db.get(k, snapshot: snapshot) == old.entries[k], "round \(round)")
            }
        }
        db.waitForBackgroundWork()
        let held = db.statistics
        #expect(held.compactions - compactionsAtSnapshot >= 10, "background compactions while the snapshot was held: \(held)")
        #expect(held.levels.dropFirst(2).contains { $0.fileCount > 0 }, "data should reach level 2: \(held)")
        do {
            let at = ReadOptions(snapshot: snapshot)
            for k in keys {
                #expect(try db.get(k, snapshot: snapshot) == old.entries[k])
                #expect(try db.get(k) == model.entries[k])
            }
            #expect(samePairs(try scanAll(db, at), old.sorted()))
            #expect(samePairs(try scanAllBackward(db, at), old.sorted()))
            let bounded = ReadOptions(snapshot: snapshot, lowerBound: keys[100], upperBound: keys[300])
            #expect(samePairs(try scanAll(db, bounded), old.sorted(lower: keys[100], upper: keys[300])))
            #expect(samePairs(try scanAll(db), model.sorted()))
        }
        /// Entries written before the last round that overwrote every key: garbage once the
        /// snapshot is gone.
        func stale(_ d: DiskContents) -> Int {
            d.entries.filter { e in (0...7).contains { e.value.starts(with: bytes($0 == 0 ? "v0-" : "r\($0)-")) } }.count
        }
        // The snapshot's versions are in the tables (not in a memtable), exactly once each.
        let live = Self.liveTables(db)
        let whileHeld = try DiskContents(fs)
        #expect(whileHeld.tables == live)
        let v0OnDisk = whileHeld.entries.filter { $0.value.starts(with: bytes("v0-")) }.count
        #expect(v0OnDisk == keys.count, "every key's snapshot version is in a table exactly once")
        #expect(stale(whileHeld) > 2 * keys.count)

        // Release the snapshot, delete half the keys (and a range), keep overwriting the rest: the
        // background compactions that follow may drop what only the snapshot could see.
        snapshot = nil
        #expect(db.statistics.liveSnapshots == 0)
        let compactionsAtRelease = db.statistics.compactions
        for (i, k) in keys.enumerated() where i % 2 == 0 {
            try db.delete(k)
            model.delete(k)
        }
        try db.deleteRange(keys[351], keys[381])
        model.deleteRange(keys[351], keys[381])
        for round in 9...12 {
            for (i, k) in keys.enumerated() where i % 2 == 1 {
                try put(k, bytes("r\(round)-\(i)-" + String(repeating: "n", count: 60)))
            }
        }
        db.waitForBackgroundWork()
        let liveAfterRelease = Self.liveTables(db)
        let afterRelease = try DiskContents(fs)
        #expect(afterRelease.tables == liveAfterRelease)
        #expect(db.statistics.compactions - compactionsAtRelease >= 3, "background compactions after the release: \(db.statistics)")
        #expect(
            stale(afterRelease) < stale(whileHeld),
            "background compactions drop versions only the released snapshot needed: \(stale(afterRelease)) vs \(stale(whileHeld))")
        #expect(samePairs(try scanAll(db), model.sorted()))

        // Push everything to the bottom: no deletion and no old version may remain.
        try db.compactRange()
        let liveAtEnd = Self.liveTables(db)
        let final = try DiskContents(fs)
        #expect(final.tables == liveAtEnd)
        let shape = db.statistics.levels
        let bottom = try #require(shape.lastIndex { $0.fileCount > 0 })
        #expect(shape.indices.allSatisfy { $0 == bottom || shape[$0].fileCount == 0 }, "one level left: \(db.statistics)")
        #expect(final.entries.allSatisfy { $0.type == .value }, "no deletion survives at the bottom")
        #expect(final.rangeTombstones == 0)
        #expect(final.oldVersions == 0, "no overwritten version survives at the bottom")
        #expect(final.entries.count == model.entries.count)
        #expect(final.entries.allSatisfy { model.entries[$0.key] == $0.value })
        #expect(final.bytes * 5 < whileHeld.bytes, "on-disk bytes shrink: \(final.bytes) vs \(whileHeld.bytes) while the snapshot was held")
        #expect(final.bytes < afterRelease.bytes)
        #expect(samePairs(try scanAll(db), model.sorted()))
        try db.close()
        let reopened = try Database.open("/db", options: Self.smallLevels(fs))
        #expect(samePairs(try scanAll(reopened), model.sorted()))
        try reopened.close()
    }

    /// One writer applies random puts, deletes, range deletions and batches, tracked in a
    /// model; readers meanwhile take snapshots (with a copy of the model made under the same
    /// lock), check gets and scans at them, and check unpinned reads for sanity, while tiny
    /// levels keep background compactions running. At the end the database, and the reopened
    /// database, equal the model.
    @Test func concurrentReadersAgreeWithTheModelWhileCompactionsRun() throws {
        let fs = MemoryFileSystem()
        var options = Self.smallLevels(fs)
        options.writeBufferSize = 6 << 10
        options.targetFileSize = 4 << 10
        options.maxBytesForLevelBase = 8 << 10
        options.level0FileNumCompactionTrigger = 2
        options.compression = .lz4
        let db = try Database.open("/db", options: options)

        let keySpace = 500
        @Sendable func key(_ n: Int) -> [UInt8] { bytes(String(format: "key%04d", n)) }
        /// Values start with their key, so unpinned reads can be checked for sanity.
        @Sendable func value(_ k: [UInt8], _ i: Int, _ length: Int) -> [UInt8] {
            k + bytes("=\(i)-") + [UInt8](repeating: UInt8(ascii: "a") + UInt8(i % 26), count: length)
        }
        let model = CairnMutex(Model())
        let writerDone = Atomic<Bool>(false)
        let failures = CairnMutex<[String]>([])
        let snapshotChecks = Atomic<Int>(0)
        let compactionsAtStart = db.statistics.compactions
        let compactionsWhileWriting = Atomic<Int>(0)
        @Sendable func fail(_ message: String) { failures.withLock { if $0.count < 20 { $0.append(message) } } }

        runOnThreads(3) { worker in
            do {
                if worker == 0 {
                    defer { writerDone.store(true, ordering: .releasing) }
                    var rng = SeededRandom(seed: 17)
                    for i in 0..<6000 {
                        let k = key(Int.random(in: 0..<keySpace, using: &rng))
                        let sync = i % 500 == 0
                        let choice = Int.random(in: 0..<100, using: &rng)
                        let length = Int.random(in: 10..<90, using: &rng)
                        let other = key(Int.random(in: 0..<keySpace, using: &rng))
                        // The write and the model update happen under the model's lock, so a
                        // reader's snapshot and model copy (taken under it too) agree.
                        try model.withLock { m in
                            switch choice {
                            case 0..<60:
                                try db.put(k, value(k, i, length), sync: sync)
                                m.put(k, value(k, i, length))
                            case 60..<85:
                                try db.delete(k, sync: sync)
                                m.delete(k)
                            case 85..<90:
                                let end = key(min(keySpace, Int(String(decoding: k.dropFirst(3), as: UTF8.self))! + 1 + length / 10))
                                if compareBytes(k, end) < 0 {
                                    try db.deleteRange(k, end, sync: sync)
                                    m.deleteRange(k, end)
                                }
                            default:
                                var batch = WriteBatch()
                                batch.put(k, value(k, i, length))
                                batch.delete(other)
                                batch.put(other, value(other, i, 5))
                                try db.write(batch, sync: sync)
                                m.put(k, value(k, i, length))
                                m.put(other, value(other, i, 5))
                            }
                        }
                    }
                    compactionsWhileWriting.store(db.statistics.compactions - compactionsAtStart, ordering: .relaxed)
                } else {
                    var rng = SeededRandom(seed: UInt64(100 + worker))
                    var passes = 0
                    while !writerDone.load(ordering: .acquiring) || passes < 3 {
                        passes += 1
                        let (snapshot, frozen) = model.withLock { m in (db.snapshot(), m) }
                        for _ in 0..<30 {
                            let k = key(Int.random(in: 0..<keySpace, using: &rng))
                            let got = try db.get(k, snapshot: snapshot)
                            if got != frozen.entries[k] {
                                let again = try db.get(k, snapshot: snapshot)
                                let s = { (v: [UInt8]?) in v.map { String(decoding: $0.prefix(20), as: UTF8.self) } ?? "nil" }
                                fail("get \(String(decoding: k, as: UTF8.self)) at snapshot \(snapshot.sequence): got \(s(got)), want \(s(frozen.entries[k])), again \(s(again)), latest \(db.latestSequenceNumber)")
                            }
                        }
                        let at = ReadOptions(snapshot: snapshot)
                        if passes % 2 == 0 {
                            if !samePairs(try scanAll(db, at), frozen.sorted()) { fail("forward scan at snapshot \(snapshot.sequence)") }
                        } else {
                            let lower = key(Int.random(in: 0..<keySpace, using: &rng))
                            let upper = key(Int.random(in: 0..<keySpace, using: &rng))
                            let bounded = ReadOptions(snapshot: snapshot, lowerBound: lower, upperBound: upper)
                            if !samePairs(try scanAllBackward(db, bounded), frozen.sorted(lower: lower, upper: upper)) {
                                fail("backward bounded scan at snapshot \(snapshot.sequence)")
                            }
                        }
                        snapshotChecks.add(1, ordering: .relaxed)
                        // Unpinned reads race the writer: check ordering and that each value
                        // belongs to its key.
                        for _ in 0..<10 {
                            let k = key(Int.random(in: 0..<keySpace, using: &rng))
                            if let v = try db.get(k), !v.starts(with: k + bytes("=")) { fail("get returned a foreign value") }
                        }
                        let it = try db.makeIterator()
                        try it.seek(key(Int.random(in: 0..<keySpace, using: &rng)))
                        var previous: [UInt8]?
                        for _ in 0..<50 where it.isValid {
                            let k = it.key
                            if let p = previous, compareBytes(p, k) >= 0 { fail("unpinned iterator out of order") }
                            if !it.value.starts(with: k + bytes("=")) { fail("unpinned iterator returned a foreign value") }
                            previous = k
                            try it.next()
                        }
                    }
                }
            } catch {
                fail("worker \(worker): \(error)")
            }
        }
        let found = failures.withLock { $0 }
        #expect(found.isEmpty, "\(found)")
        #expect(snapshotChecks.load(ordering: .relaxed) >= 6)
        #expect(compactionsWhileWriting.load(ordering: .relaxed) >= 10, "compactions should run while readers read: \(db.statistics)")
        db.waitForBackgroundWork()
        let stats = db.statistics
        #expect(stats.levels.dropFirst(2).contains { $0.fileCount > 0 }, "data should reach level 2: \(stats)")

        let final = model.withLock { $0 }
        #expect(samePairs(try scanAll(db), final.sorted()))
        #expect(samePairs(try scanAllBackward(db), final.sorted()))
        for n in 0..<keySpace { #expect(try db.get(key(n)) == final.entries[key(n)]) }
        try db.verify()
        try db.close()
        let reopened = try Database.open("/db", options: options)
        #expect(samePairs(try scanAll(reopened), final.sorted()))
        for n in stride(from: 0, to: keySpace, by: 7) { #expect(try reopened.get(key(n)) == final.entries[key(n)]) }
        try reopened.close()
    }
}
