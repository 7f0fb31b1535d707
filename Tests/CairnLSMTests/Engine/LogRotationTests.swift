import Dispatch
import Synchronization
import Testing
@testable import CairnLSM

/// Memtable rotation leaves the old log unsynced (its flush or a later synced write makes it
/// durable). These tests hold the flush back, so the old log stays the only copy of its
/// writes, and check the two rules that keep recovery a prefix of history.
@Suite struct LogRotationTests {
    /// Blocks the first table creation (the flush of the rotated memtable) until `release()`.
    final class FlushGate: Sendable {
        let blocking = Atomic<Bool>(true)
        let released = DispatchSemaphore(value: 0)

        func install(on fs: MemoryFileSystem) {
            fs.setOperationHook { [self] op, path, _ in
                if op == .create && path.hasSuffix(".sst") && blocking.exchange(false, ordering: .sequentiallyConsistent) {
                    released.wait()
                }
            }
        }

        func release() { released.signal() }
    }

    /// Writes unsynced puts until the memtable rotates; returns how many went to the first
    /// log (the put that triggered the rotation went to the new log).
    func writeUntilRotation(_ db: Database) throws -> Int {
        for i in 0..<10_000 {
            try db.put(bytes("key\(100_000 + i)"), bytes("value-\(i)-" + String(repeating: "v", count: 60)))
            if db.statistics.immutableMemtables == 1 { return i }
        }
        Issue.record("the memtable never rotated")
        return 0
    }

    func options(_ fs: MemoryFileSystem) -> Options {
        var options = memoryOptions(fs, writeBufferSize: 8 << 10)
        options.disableAutoCompactions = true
        return options
    }

    @Test(SanitizerRuntime.hangLimit)
    func aSyncedWriteMakesOlderUnsyncedLogsDurable() throws {
        let fs = MemoryFileSystem()
        let gate = FlushGate()
        gate.install(on: fs)
        let db = try Database.open("/db", options: options(fs))
        let inFirstLog = try writeUntilRotation(db)
        #expect(inFirstLog > 10)
        try db.put(bytes("synced"), bytes("yes"), sync: true)
        let image = fs.crashClone()
        gate.release()
        db.waitForBackgroundWork()
        fs.setOperationHook(nil)
        try db.close()

        // Everything before the synced write survives the machine crash, the old log's
        // unsynced writes included.
        let recovered = try Database.open("/db", options: options(image))
        #expect(try recovered.get(bytes("synced")) == bytes("yes"))
        for i in 0...inFirstLog {
            #expect(try recovered.get(bytes("key\(100_000 + i)")) != nil, "key \(i) written before the synced write")
        }
        try recovered.close()
    }

    @Test(SanitizerRuntime.hangLimit)
    func recoveryStopsAtASequenceGapBetweenLogs() throws {
        let fs = MemoryFileSystem()
        let gate = FlushGate()
        gate.install(on: fs)
        let db = try Database.open("/db", options: options(fs))
        let inFirstLog = try writeUntilRotation(db)
        for i in 0..<5 { try db.put(bytes("later\(i)"), bytes("in the second log")) }
        // A machine crash that kept the newer log's unsynced writes but lost the older log's
        // last record: everything reached the OS, then the old log loses its tail.
        let image = fs.processCrashClone()
        gate.release()
        db.waitForBackgroundWork()
        fs.setOperationHook(nil)
        try db.close()

        let logs = try image.listDirectory("/db").filter { $0.hasSuffix(".log") }.sorted()
        try #require(logs.count == 2, "the first log and the one rotation started: \(logs)")
        let oldLog = "/db/" + logs[0]
        try image.truncate(path: oldLog, to: Int(try image.fileSize(oldLog)) - 10)

        let recovered = try Database.open("/db", options: options(image))
        let contents = try scanAll(recovered)
        // A prefix: the old log's records before the torn one, and nothing after the gap.
        let expected = (0..<(inFirstLog - 1)).map { bytes("key\(100_000 + $0)") }
        #expect(contents.map(\.0) == expected)
        #expect(recovered.statistics.recoveredTornTailBytes > 0)
        try recovered.put(bytes("after"), bytes("recovery"), sync: true)
        try recovered.close()

        let again = try Database.open("/db", options: options(image))
        #expect(try scanAll(again).count == expected.count + 1)
        #expect(try again.get(bytes("later0")) == nil)
        try again.close()
    }
}
