import Synchronization
import Testing
@testable import CairnLSM

/// `Database.writeSide`: batches logged with the write queue but put into the memtable's
/// side lane from the writer's own thread.
@Suite struct SideWriteTests {
    /// After the call, reads see the whole batch, in the memtable and after a flush, and the
    /// newer of a side and an ordinary entry of one key wins either way round.
    @Test func sideWritesReadLikeOrdinaryOnes() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("a"), bytes("main-1"))
        try db.put(bytes("b"), bytes("main-1"))
        var batch = WriteBatch()
        batch.put(bytes("a"), bytes("side-2"))  // newer than the ordinary write
        batch.put(bytes("c"), bytes("side-2"))
        batch.delete(bytes("b"))
        batch.deleteRange(bytes("x"), bytes("z"))
        try db.writeSide(batch)
        try db.put(bytes("c"), bytes("main-3"))  // newer than the side write
        try db.put(bytes("y"), bytes("main-3"))
        let expected = [(bytes("a"), bytes("side-2")), (bytes("c"), bytes("main-3")), (bytes("y"), bytes("main-3"))]
        func check(_ db: Database, _ stage: String) throws {
            #expect(try db.get(bytes("a")) == bytes("side-2"), "\(stage)")
            #expect(try db.get(bytes("b")) == nil, "\(stage)")
            #expect(try db.get(bytes("c")) == bytes("main-3"), "\(stage)")
            #expect(samePairs(try scanAll(db), expected), "\(stage)")
            #expect(samePairs(try scanAllBackward(db), expected), "\(stage)")
        }
        try check(db, "memtable")
        try db.flush()
        try check(db, "flushed")
        try db.close()
    }

    /// A side write is in the log like any other: it survives a crash (synced) and a reopen.
    @Test func sideWritesAreLoggedAndRecovered() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("k1"), bytes("v1"))
        var batch = WriteBatch()
        batch.put(bytes("k2"), bytes("side"))
        batch.delete(bytes("k1"))
        try db.writeSide(batch, sync: true)
        try db.put(bytes("k3"), bytes("v3"), sync: true)
        let crashed = fs.crashClone()
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(crashed))
        #expect(samePairs(try scanAll(reopened), [(bytes("k2"), bytes("side")), (bytes("k3"), bytes("v3"))]))
        try reopened.close()
    }

    /// Ordinary writers and a side writer at once, with a write buffer small enough that the
    /// memtable rotates and flushes under them: every write is there afterwards, before and
    /// after a reopen, and once a side write returns its whole batch reads back.
    @Test func sideAndOrdinaryWritersRunTogether() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 32 << 10))
        let perWriter = 1_500
        let missing = Atomic<Int>(0)
        runOnThreads(3) { worker in
            if worker < 2 {
                for i in 0..<perWriter {
                    _ = try? db.put(bytes("main/\(worker)/\(i)"), bytes("value \(i) of writer \(worker)"))
                }
                return
            }
            for round in 0..<(perWriter / 50) {
                var batch = WriteBatch()
                for i in 0..<50 { batch.put(bytes("side/\(round * 50 + i)"), bytes("side value \(round)")) }
                guard (try? db.writeSide(batch)) != nil else {
                    missing.add(1, ordering: .relaxed)
                    continue
                }
                for i in 0..<50 where (try? db.get(bytes("side/\(round * 50 + i)"))) != bytes("side value \(round)") {
                    missing.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(missing.load(ordering: .relaxed) == 0)
        func count(_ db: Database) throws -> (main: Int, side: Int) {
            let all = try scanAll(db)
            return (all.filter { $0.0.starts(with: bytes("main/")) }.count, all.filter { $0.0.starts(with: bytes("side/")) }.count)
        }
        #expect(try count(db) == (2 * perWriter, perWriter))
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 32 << 10))
        #expect(try count(reopened) == (2 * perWriter, perWriter))
        try reopened.close()
    }
}

extension SideWriteTests {
    /// Side and ordinary writes of the same keys, puts and deletes in random order, under a
    /// small write buffer: reads (get, forward and backward scans) always equal a model that
    /// applies the writes in commit order, and so does the database reopened.
    @Test func sideAndOrdinaryWritesOfOneKeySpaceMatchAModel() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 16 << 10))
        var model: [[UInt8]: [UInt8]] = [:]
        var state: UInt64 = 0x5DEE_CE66_D1CE_4E5B
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: (state >> 33) % UInt64(bound))
        }
        for round in 0..<400 {
            var batch = WriteBatch()
            var changes: [([UInt8], [UInt8]?)] = []
            for _ in 0..<(1 + next(8)) {
                let key = bytes("k\(next(60))")
                if next(4) == 0 {
                    batch.delete(key)
                    changes.append((key, nil))
                } else {
                    let value = bytes("v\(round)-\(next(1000))")
                    batch.put(key, value)
                    changes.append((key, value))
                }
            }
            if next(2) == 0 { try db.writeSide(batch) } else { try db.write(batch) }
            for (key, value) in changes { model[key] = value }
            if round % 50 == 49 {
                let expected = model.sorted { compareBytes($0.key, $1.key) < 0 }.map { ($0.key, $0.value) }
                #expect(samePairs(try scanAll(db), expected), "round \(round)")
                #expect(samePairs(try scanAllBackward(db), expected), "round \(round)")
                for key in (0..<60).map({ bytes("k\($0)") }) { #expect(try db.get(key) == model[key], "round \(round)") }
            }
        }
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 16 << 10))
        let expected = model.sorted { compareBytes($0.key, $1.key) < 0 }.map { ($0.key, $0.value) }
        #expect(samePairs(try scanAll(reopened), expected))
        try reopened.close()
    }
}

extension SideWriteTests {
    /// Regression: an ordinary batch written in a commit group with a side write is put into
    /// the memtable on its own, and its stamped keys must still end in its own sequence
    /// number (they once got the batch's unset one, and the index log lost records).
    @Test func stampedKeysInAGroupWithASideWriteEndInTheirSequence() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        let written = CairnMutex<[(SequenceNumber, [UInt8])]>([])
        let stop = Atomic<Bool>(false)
        runOnThreads(4) { worker in
            if worker == 3 {
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    var batch = WriteBatch()
                    for i in 0..<20 { batch.put(bytes("side/\(round)/\(i)"), bytes("x")) }
                    _ = try? db.writeSide(batch)
                    round += 1
                }
                return
            }
            for i in 0..<400 {
                var batch = WriteBatch()
                batch.put(bytes("item/\(worker)/\(i)"), bytes("v"))
                let value = bytes("\(worker)-\(i)")
                batch.putStamped(bytes("log/"), value)
                if let sequence = try? db.write(batch) { written.withLock { $0.append((sequence + 1, value)) } }
            }
            if worker == 0 { stop.store(true, ordering: .relaxed) }
        }
        stop.store(true, ordering: .relaxed)
        let all = written.withLock { $0 }
        #expect(all.count == 3 * 400)
        var wrong = 0
        for (sequence, value) in all where try db.get(StampedKeyTests().stamp(bytes("log/"), sequence)) != value { wrong += 1 }
        #expect(wrong == 0)
        #expect(try scanAll(db, ReadOptions(lowerBound: bytes("log/"), upperBound: bytes("log0"))).count == 3 * 400)
        try db.close()
    }
}
