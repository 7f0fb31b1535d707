import Synchronization
import Testing
@testable import CairnLSM

/// Crashes the in-memory file system at many points of a workload (every write, sync, rename
/// of the WAL, tables and manifest) and checks that each crash image reopens to a prefix of
/// the history that contains every acknowledged synced write.
@Suite struct CrashRecoveryTests {
    /// Crash images captured from inside the file system's operation hook.
    final class Captures: Sendable {
        struct Image: Sendable {
            let fs: MemoryFileSystem
            let completed: Int
            let durable: Int
            let operation: String
        }
        let images = CairnMutex<[Image]>([])
        /// Operations that have returned to the caller.
        let completed = Atomic<Int>(0)
        /// Length of the history prefix known to be durable.
        let durable = Atomic<Int>(0)
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func everyCrashPointRecoversAPrefixWithAllSyncedWrites(seed: UInt64) throws {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 6 << 10)
        options.blockSize = 512
        options.tableWriteBufferSize = 0  // one append per block: a crash point between blocks
        let db = try Database.open("/db", options: options)
        let captures = Captures()
        fs.setOperationHook { op, path, index in
            // Background threads run hooks too, concurrently with the writer: read the durable
            // bound before cloning (all of it was durable at the clone) and the completed bound
            // after (anything in the image had started by then).
            let durable = captures.durable.load(ordering: .sequentiallyConsistent)
            let clone = fs.crashClone()
            let completed = captures.completed.load(ordering: .sequentiallyConsistent)
            let image = Captures.Image(fs: clone, completed: completed, durable: durable, operation: "\(op) \(path) #\(index)")
            captures.images.withLock { $0.append(image) }
        }

        var rng = SeededRandom(seed: seed)
        var states: [Model] = [Model()]  // states[i] = model after i operations
        var model = Model()
        for i in 0..<400 {
            let k = bytes("k\(Int.random(in: 0..<120, using: &rng))")
            let sync = Int.random(in: 0..<4, using: &rng) == 0
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6:
                let v = bytes("v\(i)-" + String(repeating: "x", count: Int.random(in: 0..<80, using: &rng)))
                try db.put(k, v, sync: sync)
                model.put(k, v)
            case 6..<8:
                try db.delete(k, sync: sync)
                model.delete(k)
            case 8:
                let end = k + [0xff]
                try db.deleteRange(k, end, sync: sync)
                model.deleteRange(k, end)
            default:
                if Int.random(in: 0..<3, using: &rng) == 0 { try db.compactRange() } else { try db.flush() }
            }
            states.append(model)
            captures.completed.store(i + 1, ordering: .sequentiallyConsistent)
            if sync { captures.durable.store(i + 1, ordering: .sequentiallyConsistent) }
        }
        fs.setOperationHook(nil)
        try db.close()

        let images = captures.images.withLock { $0 }
        #expect(images.count > 200, "the workload should hit many file-system operations")
        for image in images {
            let recovered = try Database.open("/db", options: memoryOptions(image.fs, writeBufferSize: 6 << 10))
            let contents = try scanAll(recovered)
            try recovered.close()
            let candidates = image.durable...min(image.completed + 1, states.count - 1)
            let matched = candidates.contains { samePairs(states[$0].sorted(), contents) }
            #expect(matched, "crash at \(image.operation): state is not a prefix of history in \(candidates)")
            if !matched {
                var got: [[UInt8]: [UInt8]] = [:]
                for (k, v) in contents { got[k] = v }
                let want = states[image.durable].entries
                let missing = want.keys.filter { want[$0] != got[$0] }.prefix(5).map { String(decoding: $0, as: UTF8.self) }
                Issue.record("keys that differ from the durable state: \(missing)")
            }
        }
    }

    @Test func syncedWritesSurviveCrashAndUnsyncedMayBeLostAsASuffix() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<50 { try db.put(bytes("s\(i)"), bytes("v\(i)"), sync: true) }
        for i in 0..<50 { try db.put(bytes("u\(i)"), bytes("v\(i)"), sync: false) }
        let image = fs.crashClone()
        try db.close()
        let recovered = try Database.open("/db", options: memoryOptions(image))
        for i in 0..<50 { #expect(try recovered.get(bytes("s\(i)")) == bytes("v\(i)")) }
        // Unsynced writes were never made durable: the crash image drops all of them.
        #expect(try recovered.get(bytes("u0")) == nil)
        try recovered.close()
    }

    @Test func processCrashKeepsUnsyncedWritesBecauseTheyReachedTheOS() throws {
        // Closing without flushing leaves the data only in the WAL; reopening replays it.
        let dir = TemporaryDirectory()
        let db = try Database.open(dir.path)
        for i in 0..<1000 { try db.put(bytes("k\(i)"), bytes("v\(i)")) }
        try db.close()
        let reopened = try Database.open(dir.path)
        for i in stride(from: 0, to: 1000, by: 37) { #expect(try reopened.get(bytes("k\(i)")) == bytes("v\(i)")) }
        try reopened.close()
    }

    @Test func failedWalSyncFailsTheWriteAndStopsFurtherWrites() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        try db.put(bytes("a"), bytes("1"), sync: true)
        fs.injectFault(FaultRule(.sync, pathContains: ".log", trigger: .once))
        #expect(throws: CairnError.self) { try db.put(bytes("b"), bytes("2"), sync: true) }
        #expect(throws: CairnError.self) { try db.put(bytes("c"), bytes("3")) }
        #expect(try db.get(bytes("a")) == bytes("1"))
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        #expect(try reopened.get(bytes("a")) == bytes("1"))
        try reopened.put(bytes("d"), bytes("4"))
        try reopened.close()
    }

    @Test func failedFlushKeepsDataInTheLogAndReportsTheError() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<100 { try db.put(bytes("k\(i)"), bytes("v\(i)")) }
        fs.injectFault(FaultRule(.append, pathContains: ".sst", trigger: .always, errno: 28))
        #expect(throws: CairnError.self) { try db.flush() }
        fs.clearFaults()
        #expect(try db.get(bytes("k5")) == bytes("v5"))
        try db.close()
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<100 { #expect(try reopened.get(bytes("k\(i)")) == bytes("v\(i)")) }
        try reopened.close()
    }
}
