import Testing
@testable import CairnLSM

/// Compaction output: split at the target size, non-overlapping, tombstones clipped, data intact.
@Suite struct CompactionTests {
    @Test func outputsAreSplitAtTheTargetSizeWithoutOverlapOrLoss() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 64 << 10)
        options.targetFileSize = 8 << 10
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
        #expect(files.count > 5, "expected several outputs of about 8 KiB, got \(files.count)")
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

    @Test func clippingKeepsOnlyTheOverlap() {
        let t = RangeTombstone(start: bytes("b"), end: bytes("m"), sequence: 7)
        #expect(CompactionJob.clip(t, lower: nil, upper: nil) == t)
        #expect(CompactionJob.clip(t, lower: bytes("d"), upper: bytes("f")) == RangeTombstone(start: bytes("d"), end: bytes("f"), sequence: 7))
        #expect(CompactionJob.clip(t, lower: bytes("m"), upper: nil) == nil)
        #expect(CompactionJob.clip(t, lower: nil, upper: bytes("b")) == nil)
    }
}
