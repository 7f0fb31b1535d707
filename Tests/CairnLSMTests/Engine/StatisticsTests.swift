import Testing
@testable import CairnLSM

/// The per-level "Compaction Stats" add up to the global counters and describe the work that
/// really happened: flushes at level 0, each compaction at its output level, trivial moves as
/// moved bytes, dropped entries as KeyDrop.
@Suite struct StatisticsTests {
    @Test func perLevelWorkAddsUpToTheCounters() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: smallLevelOptions(fs))
        var rng = SeededRandom(seed: 17)
        for i in 0..<16000 {
            // Overwrites of 6,000 keys: compactions must drop shadowed versions. The live data
            // (well over level 0's four files and level 1's 16 KiB, even compressed) must reach
            // level 2 however flushes and compactions interleave (with 2,000 keys it could fit
            // above level 2 when a loaded machine delayed compactions).
            try db.put(bytes("k\(Int.random(in: 0..<6000, using: &rng))"), bytes("v\(i)-" + String(repeating: "q", count: 40)))
        }
        db.waitForBackgroundWork()
        let stats = db.statistics
        let work = stats.levels.map(\.work)

        #expect(stats.flushes > 0 && stats.compactions > 0)
        #expect(work[0].count == stats.flushes)
        #expect(work[0].bytesWritten == Int64(stats.flushBytes))
        #expect(work[0].bytesRead == 0, "a flush reads no tables")
        #expect(work[0].entriesIn > 0)

        let deeper = work.dropFirst()
        #expect(deeper.reduce(0) { $0 + $1.count } == stats.compactions)
        #expect(deeper.reduce(0) { $0 + $1.bytesWritten } == Int64(stats.compactionBytesWritten))
        #expect(deeper.reduce(0) { $0 + $1.bytesRead } == Int64(stats.compactionBytesRead))
        #expect(work[1].bytesReadFromInputLevel > 0, "level 0 files were compacted into level 1")
        #expect(work[1].bytesReadFromOutputLevel > 0, "later level-0 compactions merged with level-1 files")
        #expect(work.dropFirst(2).contains { $0.count > 0 }, "compactions should reach level 2: \(stats)")
        #expect(deeper.reduce(0) { $0 + $1.entriesDropped } > 0, "overwritten versions are dropped")
        #expect(deeper.allSatisfy { $0.entriesDropped <= $0.entriesIn })
        #expect(work.allSatisfy { $0.count == 0 || $0.micros > 0 })

        let table = stats.compactionStatsTable
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.first == "** Compaction Stats **")
        let header = lines[1].split(separator: " ")
        #expect(header.first == "Level" && header.contains("W-Amp") && header.contains("KeyDrop"))
        let l1 = try #require(lines.first { $0.hasPrefix("L1 ") }).split(separator: " ")
        #expect(l1.count == header.count)
        #expect(l1[header.firstIndex(of: "Comp(cnt)")!] == Substring(String(work[1].count)))
        #expect(l1[header.firstIndex(of: "KeyIn")!] == Substring(String(work[1].entriesIn)))
        let sum = try #require(lines.first { $0.hasPrefix("Sum ") }).split(separator: " ")
        #expect(sum[header.firstIndex(of: "Comp(cnt)")!] == Substring(String(stats.flushes + stats.compactions)))
        #expect(table.contains("Stalls:"))
        try db.close()
    }

    @Test func trivialMovesCountAsMovedBytes() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: smallLevelOptions(fs))
        for i in 0..<8000 { try db.put(bytes("key\(100_000 + i)"), bytes(String(repeating: "s", count: 50))) }
        db.waitForBackgroundWork()
        let stats = db.statistics
        #expect(stats.trivialMoves > 0)
        // Level-0 files of a sequential load overlap nothing, so none is ever rewritten (all
        // of level 0 used to be merged into level 1 whatever the overlap).
        #expect(stats.compactions == 0 && stats.compactionBytesWritten == 0, "\(stats)")
        let moved = stats.levels.reduce(Int64(0)) { $0 + $1.work.bytesMoved }
        #expect(moved > 0)
        // Nothing is rewritten by a move, so moved bytes are bytes that flushes wrote.
        #expect(moved <= Int64(stats.flushBytes) * Int64(Version.levelCount))
        try db.close()
    }

    @Test func fixedFormatsDecimals() {
        #expect(fixed(0, 2) == "0.00")
        #expect(fixed(1.005, 1) == "1.0")
        #expect(fixed(12.345, 2) == "12.35" || fixed(12.345, 2) == "12.34")
        #expect(fixed(-0.5, 1) == "-0.5")
        #expect(fixed(-0.001, 1) == "0.0")
        #expect(fixed(3, 0) == "3")
        #expect(fixed(.infinity, 1) == "-")
    }

    @Test func levelZeroPicksTheOldestFileAndWhatOverlapsIt() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        // Files 1..4 in age order: [a0,a9], [c0,c9], [a5,b5] (overlaps the first), [e0,e9].
        for (lo, hi) in [("a0", "a9"), ("c0", "c9"), ("a5", "b5"), ("e0", "e9")] {
            try db.put(bytes(lo), bytes("v"))
            try db.put(bytes(hi), bytes("v"))
            try db.flush()
        }
        let levelZero = db.mutex.withLock { db.versions.current.levels[0] }
        #expect(levelZero.count == 4)
        let byAge = levelZero.sorted { $0.number < $1.number }
        let chosen = CompactionPicker.levelZeroInputs(levelZero).map(\.number).sorted()
        #expect(chosen == [byAge[0].number, byAge[2].number])
        // Without the oldest, the remaining files overlap nothing: each goes alone.
        #expect(CompactionPicker.levelZeroInputs(Array(byAge[1...])).map(\.number) == [byAge[1].number])
        try db.close()
    }

    @Test func compactionReadsDoNotFillTheBlockCache() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        for round in 0..<3 {
            for i in 0..<2000 { try db.put(bytes("k\(10_000 + i)"), bytes("r\(round)-\(i)")) }
            try db.flush()
        }
        try db.compactRange()
        let afterCompaction = db.statistics
        #expect(afterCompaction.blockCacheMisses > 0, "the compaction read its inputs through the cache")
        #expect(afterCompaction.blockCacheBytes == 0, "and left nothing in it")
        #expect(try db.get(bytes("k10000")) == bytes("r2-0"))
        #expect(db.statistics.blockCacheBytes > 0, "reads still fill it")
        try db.close()
    }

    @Test func deeperLevelsCompactTheFileWithTheLeastOverlapBelow() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20, compression: .none)
        options.disableAutoCompactions = true
        let db = try Database.open("/db", options: options)
        func table(_ keys: [String], value: Int) throws -> FileMetadata {
            for k in keys { try db.put(bytes(k), bytes(String(repeating: "v", count: value))) }
            try db.flush()
            return try #require(db.mutex.withLock { db.versions.current.levels[0].max { $0.number < $1.number } })
        }
        // Upper level: three equal files; below: a big file under "b", a small one under "c",
        // nothing under "d".
        let upper = [try table(["b1", "b2"], value: 500), try table(["c1", "c2"], value: 500), try table(["d1", "d2"], value: 500)]
        let below = [try table(["b0", "b9"], value: 4000), try table(["c0", "c9"], value: 100)]
        #expect(CompactionPicker.leastOverlappingFile(upper, below: below, startingAt: 0).number == upper[2].number)
        #expect(CompactionPicker.leastOverlappingFile(Array(upper[0...1]), below: below, startingAt: 0).number == upper[1].number)
        // Equal ratios (no overlap at all): the pointer decides.
        #expect(CompactionPicker.leastOverlappingFile(upper, below: [], startingAt: 1).number == upper[1].number)
        try db.close()
    }
}
