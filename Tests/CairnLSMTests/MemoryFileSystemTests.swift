import Synchronization
import Testing
@testable import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// Durability, crash, hook, fault, lock and damage semantics of `MemoryFileSystem`.
@Suite struct MemoryFileSystemTests {
    /// A file system with a durable directory "/db".
    private func makeFS() throws -> MemoryFileSystem {
        let fs = MemoryFileSystem()
        try fs.createDirectory("/db")
        return fs
    }

    /// Creates `path`, appends `bytes`, optionally syncs, and closes.
    private func write(_ fs: MemoryFileSystem, _ path: String, _ bytes: [UInt8], sync: Bool) throws {
        let f = try fs.newWritableFile(path)
        try f.append(bytes)
        if sync { try f.sync() }
        try f.close()
    }

    /// The errno of a `CairnError.io`, or nil.
    private func errnoOf(_ body: () throws -> Void) -> Int32? {
        do {
            try body()
            return nil
        } catch let CairnError.io(code, _, _) {
            return code
        } catch {
            return -1
        }
    }

    @Test func unsyncedDataIsLostSyncedDataKept() throws {
        let fs = try makeFS()
        let f = try fs.newWritableFile("/db/a")
        try f.append([1, 2, 3])
        try fs.syncDirectory("/db")
        #expect(fs.crashClone().contents(of: "/db/a") == [])
        try f.sync()
        try f.append([4, 5])
        #expect(fs.contents(of: "/db/a") == [1, 2, 3, 4, 5])
        let clone = fs.crashClone()
        #expect(clone.contents(of: "/db/a") == [1, 2, 3])
        #expect(try clone.fileSize("/db/a") == 3)
        try f.sync()
        #expect(fs.crashClone().contents(of: "/db/a") == [1, 2, 3, 4, 5])
        // The original keeps running.
        try f.append([6])
        #expect(fs.contents(of: "/db/a") == [1, 2, 3, 4, 5, 6])
    }

    @Test func creationIsDurableOnlyAfterDirectorySync() throws {
        let fs = try makeFS()
        try write(fs, "/db/a", [9, 9], sync: true)
        #expect(fs.crashClone().fileExists("/db/a") == false)
        #expect(fs.durableContents(of: "/db/a") == nil)
        try fs.syncDirectory("/db")
        let clone = fs.crashClone()
        #expect(clone.contents(of: "/db/a") == [9, 9])
        #expect(try clone.listDirectory("/db") == ["a"])
        // Directories are durable at once.
        try fs.createDirectory("/db/sub/deeper")
        #expect(fs.crashClone().fileExists("/db/sub/deeper"))
    }

    @Test func renameAndRemoveAreDurableOnlyAfterDirectorySync() throws {
        let fs = try makeFS()
        try write(fs, "/db/CURRENT.tmp", Array("x".utf8), sync: true)
        try fs.syncDirectory("/db")
        try fs.rename("/db/CURRENT.tmp", to: "/db/CURRENT")
        #expect(fs.fileExists("/db/CURRENT") && !fs.fileExists("/db/CURRENT.tmp"))
        var clone = fs.crashClone()
        #expect(clone.fileExists("/db/CURRENT.tmp") && !clone.fileExists("/db/CURRENT"))
        try fs.syncDirectory("/db")
        clone = fs.crashClone()
        #expect(!clone.fileExists("/db/CURRENT.tmp"))
        #expect(clone.contents(of: "/db/CURRENT") == Array("x".utf8))

        try fs.removeFile("/db/CURRENT")
        #expect(!fs.fileExists("/db/CURRENT"))
        #expect(fs.crashClone().fileExists("/db/CURRENT"))
        try fs.syncDirectory("/db")
        #expect(!fs.crashClone().fileExists("/db/CURRENT"))
    }

    @Test func renameIntoAnotherDirectoryNeedsBothSynced() throws {
        let fs = try makeFS()
        try fs.createDirectory("/other")
        try write(fs, "/db/f", [1], sync: true)
        try fs.syncDirectory("/db")
        try fs.rename("/db/f", to: "/other/g")
        try fs.syncDirectory("/other")
        let clone = fs.crashClone()
        // Source entry is still durable (its directory was not synced), target is too; both
        // name the same file.
        #expect(clone.contents(of: "/db/f") == [1])
        #expect(clone.contents(of: "/other/g") == [1])
        try fs.syncDirectory("/db")
        #expect(!fs.crashClone().fileExists("/db/f"))
    }

    @Test func recreatingAFileKeepsOldDurableBytesUntilSync() throws {
        let fs = try makeFS()
        try write(fs, "/db/m", [1, 2, 3, 4], sync: true)
        try fs.syncDirectory("/db")
        let f = try fs.newWritableFile("/db/m")
        try f.append([7])
        #expect(fs.contents(of: "/db/m") == [7])
        #expect(fs.crashClone().contents(of: "/db/m") == [1, 2, 3, 4])
        try f.sync()
        #expect(fs.crashClone().contents(of: "/db/m") == [7])
    }

    @Test func crashInPlaceInvalidatesHandles() throws {
        let fs = try makeFS()
        let f = try fs.newWritableFile("/db/a")
        try f.append([1, 2])
        try f.sync()
        try fs.syncDirectory("/db")
        try f.append([3])
        let reader = try fs.newRandomAccessFile("/db/a")
        let lock = try fs.lockFile("/db/LOCK")
        fs.crash()
        #expect(fs.contents(of: "/db/a") == [1, 2])
        #expect(!fs.fileExists("/db/LOCK"))  // never made durable
        #expect(errnoOf { try f.append([4]) } == EIO)
        #expect(errnoOf { try f.sync() } == EIO)
        var buffer = [UInt8](repeating: 0, count: 2)
        #expect(errnoOf { _ = try buffer.withUnsafeMutableBytes { try reader.read(at: 0, into: $0) } } == EIO)
        // The lock died with the "process"; a new holder can take it, and the stale handle
        // cannot release the new holder's lock.
        let newLock = try fs.lockFile("/db/LOCK")
        lock.unlock()
        #expect(throws: CairnError.self) { _ = try fs.lockFile("/db/LOCK") }
        newLock.unlock()
        // New handles work.
        try write(fs, "/db/b", [5], sync: false)
        #expect(fs.contents(of: "/db/b") == [5])
    }

    @Test func hookSeesEveryMutationAndCanCrashCloneInside() throws {
        let fs = try makeFS()
        let seen = CairnMutex<[(MemoryFileSystem.Operation, String, Int, [UInt8]?)]>([])
        fs.setOperationHook { op, path, index in
            let clone = fs.crashClone()
            seen.withLock { $0.append((op, path, index, clone.contents(of: "/db/a"))) }
        }
        let f = try fs.newWritableFile("/db//a")
        try f.append([1])
        try f.sync()
        try fs.syncDirectory("/db/")
        try f.append([2])
        try f.sync()
        _ = try fs.fileSize("/db/a")
        _ = try fs.listDirectory("/db")
        _ = try fs.newRandomAccessFile("/db/a")
        try fs.rename("/db/a", to: "/db/b")
        try fs.removeFile("/db/b")
        fs.setOperationHook(nil)
        try fs.syncDirectory("/db")

        let log = seen.withLock { $0 }
        #expect(log.map(\.0) == [.create, .append, .sync, .syncDirectory, .append, .sync, .rename, .remove])
        #expect(log.map(\.1) == ["/db/a", "/db/a", "/db/a", "/db", "/db/a", "/db/a", "/db/a", "/db/b"])
        #expect(log.map(\.2) == Array(0..<8))
        // Durable contents of /db/a just before each operation.
        #expect(log.map(\.3) == [nil, nil, nil, nil, [1], [1], [1, 2], [1, 2]])
        #expect(fs.operationCount == 9)
    }

    @Test func faultOnceAlwaysAfterAndOnceAfter() throws {
        let fs = try makeFS()
        let f = try fs.newWritableFile("/db/w")

        fs.injectFault(FaultRule(.sync, trigger: .once))
        #expect(errnoOf { try f.sync() } == EIO)
        try f.sync()

        fs.injectFault(FaultRule(.append, pathContains: "w", trigger: .onceAfter(2), errno: ENOSPC))
        try f.append([1])
        try f.append([2])
        #expect(errnoOf { try f.append([3]) } == ENOSPC)
        try f.append([4])
        #expect(fs.contents(of: "/db/w") == [1, 2, 4])
        fs.clearFaults()

        fs.injectFault(FaultRule(.syncDirectory, trigger: .after(1)))
        try fs.syncDirectory("/db")
        #expect(errnoOf { try fs.syncDirectory("/db") } == EIO)
        #expect(errnoOf { try fs.syncDirectory("/db") } == EIO)
        fs.clearFaults()
        try fs.syncDirectory("/db")

        fs.injectFault(FaultRule(.rename, pathContains: "CURRENT", trigger: .always))
        try write(fs, "/db/tmp", [1], sync: true)
        #expect(errnoOf { try fs.rename("/db/tmp", to: "/db/CURRENT") } == EIO)  // matches target
        #expect(errnoOf { try fs.rename("/db/tmp", to: "/db/CURRENT") } == EIO)
        #expect(fs.fileExists("/db/tmp") && !fs.fileExists("/db/CURRENT"))
        try fs.rename("/db/tmp", to: "/db/other")
        #expect(fs.injectedFaultCount == 6)
        fs.clearFaults()

        for op: MemoryFileSystem.Operation in [.open, .create, .remove, .lock] {
            fs.injectFault(FaultRule(op))
        }
        #expect(errnoOf { _ = try fs.newRandomAccessFile("/db/other") } == EIO)
        #expect(errnoOf { _ = try fs.newWritableFile("/db/new") } == EIO)
        #expect(!fs.fileExists("/db/new"))
        #expect(errnoOf { try fs.removeFile("/db/other") } == EIO)
        #expect(fs.fileExists("/db/other"))
        #expect(errnoOf { _ = try fs.lockFile("/db/LOCK") } == EIO)

        fs.clearFaults()
        // An `.open` rule also fails opening for writing; `.create` does not fail reads.
        fs.injectFault(FaultRule(.open, pathContains: "new", trigger: .always))
        #expect(errnoOf { _ = try fs.newWritableFile("/db/new") } == EIO)
        fs.clearFaults()
        fs.injectFault(FaultRule(.create, trigger: .always))
        _ = try fs.newRandomAccessFile("/db/other")
        fs.clearFaults()

        fs.injectFault(FaultRule(.read, pathContains: "other"))
        let r = try fs.newRandomAccessFile("/db/other")
        #expect(errnoOf { _ = try r.readExactly(at: 0, count: 1) } == EIO)
        #expect(try r.readExactly(at: 0, count: 1) == [1])
    }

    @Test func failedAppendCanLeaveAPartialWrite() throws {
        let fs = try makeFS()
        let f = try fs.newWritableFile("/db/w")
        fs.injectFault(FaultRule(.append, trigger: .always, errno: ENOSPC, partialWriteBytes: 3))
        do {
            try f.append([1, 2, 3, 4, 5])
            Issue.record("append should fail")
        } catch let CairnError.io(code, path, operation) {
            #expect(code == ENOSPC && path == "/db/w" && operation == "write")
        }
        #expect(fs.contents(of: "/db/w") == [1, 2, 3])
        #expect(f.size == 3)
    }

    @Test func locksGrantOneHolder() throws {
        let fs = try makeFS()
        let lock = try fs.lockFile("/db/LOCK")
        #expect(fs.fileExists("/db/LOCK"))
        do {
            _ = try fs.lockFile("/db//LOCK")
            Issue.record("second lock must fail")
        } catch let error as CairnError {
            guard case .busy = error else {
                Issue.record("expected .busy, got \(error)")
                return
            }
        }
        let other = try fs.lockFile("/db/OTHER")
        lock.unlock()
        lock.unlock()
        let again = try fs.lockFile("/db/LOCK")
        again.unlock()
        other.unlock()
    }

    @Test func bitFlipsTruncationAndOverwriteHitCurrentAndDurableBytes() throws {
        let fs = try makeFS()
        let f = try fs.newWritableFile("/db/t")
        try f.append([0, 0, 0, 0])
        try f.sync()
        try f.append([9, 9])  // not durable
        try fs.syncDirectory("/db")

        try fs.flipBit(path: "/db/t", byteOffset: 1, bit: 7)
        #expect(fs.contents(of: "/db/t") == [0, 0x80, 0, 0, 9, 9])
        #expect(fs.durableContents(of: "/db/t") == [0, 0x80, 0, 0])
        try fs.flipBit(path: "/db/t", byteOffset: 5, bit: 0)
        #expect(fs.contents(of: "/db/t") == [0, 0x80, 0, 0, 9, 8])
        #expect(fs.crashClone().contents(of: "/db/t") == [0, 0x80, 0, 0])
        #expect(throws: CairnError.self) { try fs.flipBit(path: "/db/t", byteOffset: 6, bit: 0) }
        #expect(throws: CairnError.self) { try fs.flipBit(path: "/db/t", byteOffset: 0, bit: 8) }
        #expect(throws: CairnError.self) { try fs.flipBit(path: "/db/none", byteOffset: 0, bit: 0) }

        try fs.overwrite(path: "/db/t", at: 2, bytes: [5, 5, 5])
        #expect(fs.contents(of: "/db/t") == [0, 0x80, 5, 5, 5, 8])
        #expect(fs.durableContents(of: "/db/t") == [0, 0x80, 5, 5])

        try fs.truncate(path: "/db/t", to: 3)
        #expect(fs.contents(of: "/db/t") == [0, 0x80, 5])
        #expect(fs.durableContents(of: "/db/t") == [0, 0x80, 5])
        // Extending a fully durable file extends the durable bytes too (zero-filled).
        try fs.truncate(path: "/db/t", to: 5)
        #expect(fs.contents(of: "/db/t") == [0, 0x80, 5, 0, 0])
        #expect(fs.crashClone().contents(of: "/db/t") == [0, 0x80, 5, 0, 0])
        // The handle's size follows the damage.
        #expect(f.size == 5)
    }

    @Test func pathsDirectoriesAndErrors() throws {
        let fs = try makeFS()
        try write(fs, "/db/x", [1], sync: false)
        try write(fs, "/db/./y/", [2], sync: false)
        try fs.createDirectory("/db/sub")
        #expect(try fs.listDirectory("/db/") == ["sub", "x", "y"])
        #expect(fs.fileExists(joinPath("/db/", "x")))
        #expect(fs.fileExists("/db/sub/../y"))
        #expect(try fs.fileSize("//db//y") == 1)
        #expect(errnoOf { _ = try fs.newWritableFile("/nodir/f") } == ENOENT)
        #expect(errnoOf { _ = try fs.newRandomAccessFile("/db/missing") } == ENOENT)
        #expect(errnoOf { try fs.removeFile("/db/missing") } == ENOENT)
        #expect(errnoOf { try fs.rename("/db/missing", to: "/db/z") } == ENOENT)
        #expect(errnoOf { try fs.rename("/db/x", to: "/nodir/z") } == ENOENT)
        #expect(errnoOf { _ = try fs.listDirectory("/db/x") } == ENOTDIR)
        #expect(errnoOf { _ = try fs.fileSize("/db/missing") } == ENOENT)
        // Relative paths live under ".".
        try fs.createDirectory("rel/a")
        try write(fs, "rel/a/f", [3], sync: false)
        #expect(try fs.listDirectory("rel") == ["a"])
        #expect(try fs.listDirectory(".").contains("rel"))
        #expect(MemoryFileSystem.normalize("a//b/") == "a/b")
        #expect(MemoryFileSystem.normalize("/") == "/")
        #expect(MemoryFileSystem.normalize("./") == ".")
    }

    @Test func readsSeeDataAppendedAfterOpening() throws {
        let fs = try makeFS()
        let f = try fs.newWritableFile("/db/live")
        try f.append([1, 2])
        let r = try fs.newRandomAccessFile("/db/live")
        #expect(r.size == 2)
        try f.append([3, 4])
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = try buffer.withUnsafeMutableBytes { try r.read(at: 1, into: $0) }
        #expect(n == 3 && Array(buffer[0..<3]) == [2, 3, 4])
        #expect(try buffer.withUnsafeMutableBytes { try r.read(at: 10, into: $0) } == 0)
        #expect(try fs.readFile("/db/live") == [1, 2, 3, 4])
    }

    @Test func writeFileAtomicallySurvivesCrashAtEveryStep() throws {
        let fs = try makeFS()
        try fs.writeFileAtomically("/db/CURRENT", Array("old".utf8), directory: "/db")
        let clones = CairnMutex<[MemoryFileSystem]>([])
        fs.setOperationHook { _, _, _ in
            let clone = fs.crashClone()
            clones.withLock { $0.append(clone) }
        }
        try fs.writeFileAtomically("/db/CURRENT", Array("new".utf8), directory: "/db")
        fs.setOperationHook(nil)
        var states = clones.withLock { $0 }
        states.append(fs.crashClone())
        #expect(states.count == 6)  // create, append, sync, rename, syncDirectory, final
        for clone in states {
            let text = clone.contents(of: "/db/CURRENT").map { String(decoding: $0, as: UTF8.self) }
            #expect(text == "old" || text == "new")
        }
        #expect(states.last?.contents(of: "/db/CURRENT") == Array("new".utf8))
    }

    @Test func concurrentWritersAndCrashClones() async throws {
        let fs = try makeFS()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    let f = try fs.newWritableFile("/db/f\(writer)")
                    for i in 0..<300 {
                        try f.append([UInt8(truncatingIfNeeded: i)])
                        if i % 10 == 9 { try f.sync() }
                    }
                }
            }
            group.addTask {
                for _ in 0..<200 {
                    let clone = fs.crashClone()
                    for name in try clone.listDirectory("/db") {
                        _ = try clone.readFile(joinPath("/db", name))
                    }
                    try fs.syncDirectory("/db")
                }
            }
            try await group.waitForAll()
        }
        try fs.syncDirectory("/db")
        let clone = fs.crashClone()
        for writer in 0..<4 {
            #expect(clone.contents(of: "/db/f\(writer)") == (0..<300).map { UInt8(truncatingIfNeeded: $0) })
        }
    }
}
