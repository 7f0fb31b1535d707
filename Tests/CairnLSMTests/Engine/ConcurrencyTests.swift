import Dispatch
import Foundation
import Synchronization
import Testing
@testable import CairnLSM

/// Many threads writing and reading one database at once.
@Suite struct ConcurrencyTests {
    @Test func concurrentWritersAndReadersSeeConsistentData() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 32 << 10))
        let writers = 4, perWriter = 1500
        let failures = CairnMutex<[String]>([])
        let sequences = CairnMutex<[SequenceNumber]>([])
        let stop = Atomic<Bool>(false)
        let doneWriters = Atomic<Int>(0)

        let readerPasses = Atomic<Int>(0)
        runOnThreads(writers + 2) { worker in
            do {
                if worker < writers {
                    var mine: [SequenceNumber] = []
                    for i in 0..<perWriter {
                        // Each batch writes the same counter under two keys: readers must
                        // never see them disagree (batches are atomic).
                        var batch = WriteBatch()
                        batch.put(bytes("w\(worker)-a"), bytes("\(i)"))
                        batch.put(bytes("w\(worker)-b"), bytes("\(i)"))
                        batch.put(bytes("w\(worker)-item\(i)"), bytes("v\(i)"))
                        mine.append(try db.write(batch, sync: i % 100 == 0))
                    }
                    sequences.withLock { $0.append(contentsOf: mine) }
                    if doneWriters.add(1, ordering: .relaxed).newValue == writers { stop.store(true, ordering: .relaxed) }
                } else {
                    // Keep reading until the writers are done and at least a few passes overlapped them.
                    while !stop.load(ordering: .relaxed) || readerPasses.load(ordering: .relaxed) < 3 {
                        readerPasses.add(1, ordering: .relaxed)
                        let snapshot = db.snapshot()
                        for w in 0..<writers {
                            let a = try db.get(bytes("w\(w)-a"), snapshot: snapshot)
                            let b = try db.get(bytes("w\(w)-b"), snapshot: snapshot)
                            if a != b { failures.withLock { $0.append("torn batch for writer \(w): \(String(describing: a)) vs \(String(describing: b))") } }
                        }
                        let it = try db.makeIterator(ReadOptions(snapshot: snapshot))
                        try it.seekToFirst()
                        var previous: [UInt8]?
                        while it.isValid {
                            if let p = previous, compareBytes(p, it.key) >= 0 {
                                failures.withLock { $0.append("iterator out of order") }
                            }
                            previous = it.key
                            try it.next()
                        }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
        let all = sequences.withLock { $0 }
        #expect(Set(all).count == writers * perWriter, "every batch gets its own sequence number")
        #expect(all.allSatisfy { $0 % 3 == 1 }, "batches of 3 updates start at 1, 4, 7, ...")
        for w in 0..<writers {
            #expect(try db.get(bytes("w\(w)-a")) == bytes("\(perWriter - 1)"))
            for i in stride(from: 0, to: perWriter, by: 97) { #expect(try db.get(bytes("w\(w)-item\(i)")) == bytes("v\(i)")) }
        }
        let stats = db.statistics
        #expect(stats.batchesWritten == writers * perWriter)
        #expect(stats.flushes > 0)
        try db.close()
    }

    @Test func groupCommitJoinsConcurrentSyncedWriters() throws {
        // A disk whose fdatasync takes 2 ms, as a real one does: while a leader syncs, the
        // other writers queue up and the next leader takes them all in one group.
        let fs = MemoryFileSystem()
        fs.setOperationHook { op, _, _ in if op == .sync { usleep(2000) } }
        let db = try Database.open("/db", options: memoryOptions(fs))
        runOnThreads(8) { worker in
            for i in 0..<40 { _ = try? db.put(bytes("k\(worker)-\(i)"), bytes("v"), sync: true) }
        }
        let stats = db.statistics
        #expect(stats.batchesWritten == 320)
        // With 8 writers waiting on fdatasync, groups form: fewer syncs than batches.
        #expect(stats.walSyncs < stats.batchesWritten / 2)
        #expect(stats.walWrites == stats.walSyncs)
        try db.close()
        fs.setOperationHook(nil)
        let reopened = try Database.open("/db", options: memoryOptions(fs.crashClone()))
        for w in 0..<8 { #expect(try reopened.get(bytes("k\(w)-39")) == bytes("v")) }
        try reopened.close()
    }

    @Test func secondOpenOfTheSameDirectoryIsBusy() throws {
        let dir = TemporaryDirectory()
        let db = try Database.open(dir.path)
        #expect(throws: CairnError.self) { try Database.open(dir.path) }
        try db.close()
        try Database.open(dir.path).close()
    }
}

/// Runs `body(i)` for i in 0..<count, each on its own thread (not a pool, so every worker
/// really runs at once even on 2 cores), and waits for all.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(i)
            group.leave()
        }
    }
    group.wait()
}

@Suite struct LifecycleTests {
    @Test func operationsAfterCloseThrowClosed() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("a"), bytes("1"))
        try db.close()
        try db.close()  // a second close is harmless
        #expect(throws: CairnError.self) { try db.put(bytes("b"), bytes("2")) }
        #expect(throws: CairnError.self) { try db.get(bytes("a")) }
        #expect(throws: CairnError.self) { try db.makeIterator() }
    }

    @Test func openOptionsAreEnforced() throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs)
        options.createIfMissing = false
        #expect(throws: CairnError.self) { try Database.open("/nothing", options: options) }
        options.createIfMissing = true
        try Database.open("/db", options: options).close()
        options.errorIfExists = true
        #expect(throws: CairnError.self) { try Database.open("/db", options: options) }
        options.errorIfExists = false
        options.writeBufferSize = 10
        #expect(throws: CairnError.self) { try Database.open("/db", options: options) }
    }

    @Test func invalidRangesAreRejected() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        #expect(throws: CairnError.self) { try db.deleteRange(bytes("b"), bytes("a")) }
        #expect(throws: CairnError.self) { try db.deleteRange(bytes("a"), bytes("a")) }
        var batch = WriteBatch()
        batch.put(bytes("x"), bytes("1"))
        batch.deleteRange(bytes("z"), bytes("y"))
        #expect(throws: CairnError.self) { try db.write(batch) }
        #expect(try db.get(bytes("x")) == nil, "a rejected batch writes nothing")
        try db.close()
    }
}
