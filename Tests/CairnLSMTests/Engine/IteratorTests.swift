import Testing
@testable import CairnLSM

/// Iteration across the active memtable, an immutable memtable and several level-0 tables at
/// once, forward and backward, with bounds and snapshots.
@Suite struct IteratorTests {
    @Test func iteratesAcrossEverySourceBothWays() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        var model = Model()
        func put(_ k: String, _ v: String) throws {
            try db.put(bytes(k), bytes(v))
            model.put(bytes(k), bytes(v))
        }
        for i in stride(from: 0, to: 300, by: 2) { try put("k\(1000 + i)", "t1-\(i)") }
        try db.flush()
        for i in stride(from: 0, to: 300, by: 3) { try put("k\(1000 + i)", "t2-\(i)") }
        try db.deleteRange(bytes("k1100"), bytes("k1120"))
        model.deleteRange(bytes("k1100"), bytes("k1120"))
        try db.flush()
        for i in stride(from: 0, to: 300, by: 5) {
            try db.delete(bytes("k\(1000 + i)"))
            model.delete(bytes("k\(1000 + i)"))
        }
        db.suspendBackgroundWork()
        try db.flush(wait: false)
        #expect(db.immutableMemtableCount == 1)
        for i in stride(from: 1, to: 300, by: 7) { try put("k\(1000 + i)", "mem-\(i)") }
        let snapshot = db.snapshot()
        let frozen = model
        try put("k1001", "after-snapshot")

        #expect(db.statistics.levels[0].fileCount == 2)
        #expect(samePairs(try scanAll(db), model.sorted()))
        #expect(samePairs(try scanAllBackward(db), model.sorted()))
        #expect(samePairs(try scanAll(db, ReadOptions(snapshot: snapshot)), frozen.sorted()))
        #expect(samePairs(try scanAllBackward(db, ReadOptions(snapshot: snapshot)), frozen.sorted()))
        let bounded = ReadOptions(lowerBound: bytes("k1050"), upperBound: bytes("k1200"))
        let want = model.sorted(lower: bytes("k1050"), upper: bytes("k1200"))
        #expect(samePairs(try scanAll(db, bounded), want))
        #expect(samePairs(try scanAllBackward(db, bounded), want))

        // seekForPrev lands on the last key <= target; seek on the first >= target.
        let it = try db.makeIterator()
        try it.seekForPrev(bytes("k1110"))
        #expect(it.key == model.sorted().last { compareBytes($0.0, bytes("k1110")) <= 0 }?.0)
        try it.seek(bytes("k1100"))
        #expect(it.key == model.sorted().first { compareBytes($0.0, bytes("k1100")) >= 0 }?.0)
        db.resumeBackgroundWork()
        try db.close()
    }

    @Test func iteratorKeepsItsViewWhileTheDatabaseChanges() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 16 << 10))
        for i in 0..<500 { try db.put(bytes("k\(1000 + i)"), bytes("old")) }
        let it = try db.makeIterator()
        for i in 0..<500 { try db.put(bytes("k\(1000 + i)"), bytes("new")) }
        try db.flush()
        try db.compactRange()
        try it.seekToFirst()
        var count = 0
        while it.isValid {
            #expect(it.value == bytes("old"))
            count += 1
            try it.next()
        }
        #expect(count == 500)
        try db.close()
    }

    @Test func snapshotSurvivesCompactionAndTombstonesVanishWhenUnneeded() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 16 << 10))
        for i in 0..<300 { try db.put(bytes("k\(1000 + i)"), bytes("v1")) }
        let snapshot = db.snapshot()
        for i in 0..<300 { try db.put(bytes("k\(1000 + i)"), bytes("v2")) }
        for i in 0..<150 { try db.delete(bytes("k\(1000 + i)")) }
        try db.compactRange()
        #expect(try db.get(bytes("k1000"), snapshot: snapshot) == bytes("v1"))
        #expect(try db.get(bytes("k1000")) == nil)
        #expect(try db.get(bytes("k1200")) == bytes("v2"))
        let withSnapshot = db.statistics.levels.reduce(0) { $0 + $1.bytes }
        _ = consume snapshot
        #expect(db.statistics.liveSnapshots == 0)
        try db.compactRange()
        db.obsoleteFiles.drain()
        let files = db.statistics.levels.reduce(0) { $0 + $1.fileCount }
        #expect(files == 1)
        // Without the snapshot, v1, the deletions and the deleted keys' v2 are all gone.
        let table = try #require(try fs.listDirectory("/db").first { $0.hasSuffix(".sst") })
        let inspected = try FileInspector.openTable("/db/" + table, fileSystem: fs)
        #expect(inspected.properties.entryCount == 150)
        try inspected.forEachEntry { #expect($0.type == .value && $0.value == bytes("v2")) }
        #expect(db.statistics.levels.reduce(0) { $0 + $1.bytes } < withSnapshot)
        #expect(try scanAll(db).count == 150)
        try db.close()
    }

    /// Range tombstones in three sources at once — a level-1 table, a level-0 table and a
    /// memtable that holds only a tombstone (so it adds no point iterator) — hide what they
    /// cover in both directions, with bounds, at seeks and under an older snapshot.
    @Test func tombstonesFromEverySourceApplyTogether() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        var model = Model()
        for i in 0..<200 {
            try db.put(bytes("k\(1000 + i)"), bytes("v1"))
            model.put(bytes("k\(1000 + i)"), bytes("v1"))
        }
        let old = db.snapshot()
        let oldModel = model
        try db.deleteRange(bytes("k1010"), bytes("k1020"))
        model.deleteRange(bytes("k1010"), bytes("k1020"))
        try db.compactRange()
        for i in stride(from: 0, to: 200, by: 2) {
            try db.put(bytes("k\(1000 + i)"), bytes("v2"))
            model.put(bytes("k\(1000 + i)"), bytes("v2"))
        }
        try db.deleteRange(bytes("k1050"), bytes("k1060"))
        model.deleteRange(bytes("k1050"), bytes("k1060"))
        try db.flush()
        try db.deleteRange(bytes("k1100"), bytes("k1110"))
        model.deleteRange(bytes("k1100"), bytes("k1110"))
        #expect(db.statistics.levels[0].fileCount == 1)
        #expect(db.statistics.levels[1].fileCount == 1)

        #expect(samePairs(try scanAll(db), model.sorted()))
        #expect(samePairs(try scanAllBackward(db), model.sorted()))
        let bounded = ReadOptions(lowerBound: bytes("k1015"), upperBound: bytes("k1105"))
        #expect(samePairs(try scanAll(db, bounded), model.sorted(lower: bytes("k1015"), upper: bytes("k1105"))))
        #expect(samePairs(try scanAllBackward(db, bounded), model.sorted(lower: bytes("k1015"), upper: bytes("k1105"))))
        #expect(samePairs(try scanAll(db, ReadOptions(snapshot: old)), oldModel.sorted()))
        #expect(samePairs(try scanAllBackward(db, ReadOptions(snapshot: old)), oldModel.sorted()))
        let it = try db.makeIterator()
        for target in ["k1009", "k1010", "k1055", "k1099", "k1100", "k1105"] {
            try it.seek(bytes(target))
            #expect(it.key == model.sorted().first { compareBytes($0.0, bytes(target)) >= 0 }?.0, "seek \(target)")
            try it.seekForPrev(bytes(target))
            #expect(it.key == model.sorted().last { compareBytes($0.0, bytes(target)) <= 0 }?.0, "seekForPrev \(target)")
        }
        try db.close()
    }

    /// More sources with range tombstones than an iterator checks one by one: seven level-0
    /// tables and the memtable each hold some, overlapping, so the iterator fragments their
    /// union. Scans, seeks and a snapshot taken midway match the model.
    @Test func tombstonesFromManySourcesApplyTogether() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        var model = Model()
        var rng = SeededRandom(seed: 7)
        var midway: (Snapshot, Model)?
        for round in 0..<8 {
            for _ in 0..<60 {
                let k = bytes("k\(Int.random(in: 1000..<1300, using: &rng))")
                let v = bytes("r\(round)")
                try db.put(k, v)
                model.put(k, v)
            }
            let start = Int.random(in: 1000..<1280, using: &rng)
            let end = start + Int.random(in: 1..<40, using: &rng)
            try db.deleteRange(bytes("k\(start)"), bytes("k\(end)"))
            model.deleteRange(bytes("k\(start)"), bytes("k\(end)"))
            if round == 4 { midway = (db.snapshot(), model) }
            if round < 7 { try db.flush() }
        }
        #expect(db.statistics.levels[0].fileCount == 7)
        #expect(samePairs(try scanAll(db), model.sorted()))
        #expect(samePairs(try scanAllBackward(db), model.sorted()))
        if let (snapshot, old) = midway {
            #expect(samePairs(try scanAll(db, ReadOptions(snapshot: snapshot)), old.sorted()))
            #expect(samePairs(try scanAllBackward(db, ReadOptions(snapshot: snapshot)), old.sorted()))
        }
        let it = try db.makeIterator()
        let sorted = model.sorted()
        for n in stride(from: 995, to: 1305, by: 7) {
            let target = bytes("k\(n)")
            try it.seek(target)
            #expect((it.isValid ? it.key : nil) == sorted.first { compareBytes($0.0, target) >= 0 }?.0, "seek \(n)")
            try it.seekForPrev(target)
            #expect((it.isValid ? it.key : nil) == sorted.last { compareBytes($0.0, target) <= 0 }?.0, "seekForPrev \(n)")
        }
        midway = nil
        try db.close()
    }

    /// An iterator opens deeper levels' tables lazily, possibly after a compaction replaced
    /// them: the files it was made with must stay readable until it is released.
    @Test func lazilyOpenedTablesSurviveTheirCompaction() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 16 << 10)
        options.targetFileSize = 4 << 10
        options.maxOpenFiles = 2
        let db = try Database.open("/db", options: options)
        for i in 0..<2000 { try db.put(bytes("k\(10000 + i)"), bytes("old-\(i)")) }
        try db.compactRange()
        #expect(db.statistics.levels[1].fileCount >= 3)
        let it = try db.makeIterator()
        for i in 0..<2000 { try db.put(bytes("k\(10000 + i)"), bytes("new-\(i)")) }
        try db.compactRange()
        db.obsoleteFiles.drain()
        var count = 0
        try it.seekToFirst()
        while it.isValid {
            #expect(it.value == bytes("old-\(count)"))
            count += 1
            try it.next()
        }
        #expect(count == 2000)
        try it.seek(bytes("k11500"))
        #expect(it.value == bytes("old-1500"))
        try it.prev()
        #expect(it.value == bytes("old-1499"))
        #expect(try scanAll(db).allSatisfy { $0.1.starts(with: bytes("new-")) })
        try db.close()
    }
}
