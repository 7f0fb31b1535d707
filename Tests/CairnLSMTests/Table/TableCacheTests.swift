import Testing
@testable import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

@Suite("TableCacheTests")
struct TableCacheTests {
    /// A fresh temporary directory, removed by `cleanup`.
    static func temporaryDirectory() throws -> String {
        let dir = "/tmp/cairn-tests-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        try PosixFileSystem().createDirectory(dir)
        return dir
    }

    static func cleanup(_ dir: String, _ fs: PosixFileSystem) {
        for name in (try? fs.listDirectory(dir)) ?? [] { try? fs.removeFile(joinPath(dir, name)) }
        rmdir(dir)
    }

    @Test func boundedOpenReadersAndEviction() async throws {
        let fs = PosixFileSystem()
        let dir = try Self.temporaryDirectory()
        defer { Self.cleanup(dir, fs) }
        var models: [UInt64: [ModelEntry]] = [:]
        for n in UInt64(1)...6 {
            let model = TableTests.versionedModel(users: 200, seed: n)
            models[n] = model
            let file = try fs.newWritableFile(FileNames.table(dir, n))
            let builder = TableBuilder(file: file, options: TableBuilderOptions())
            for e in model { try builder.add(e.key, e.value) }
            let props = try builder.finish()
            try file.sync()
            try file.close()
            #expect(try fs.fileSize(FileNames.table(dir, n)) == Int64(props.fileSize))
        }
        let blockCache = BlockCache(capacity: 1 << 20)
        let cache = TableCache(fileSystem: fs, directory: dir, capacity: 3, blockCache: blockCache, verifyChecksums: true)
        for round in 0..<3 {
            for n in UInt64(1)...6 {
                let reader = try cache.reader(fileNumber: n)
                #expect(reader.fileNumber == n)
                #expect(reader.properties.entryCount == UInt64(models[n]?.count ?? -1))
                #expect(cache.openCount <= 3)
                _ = round
            }
        }
        #expect(cache.misses == 18)  // cyclic access over 6 files with room for 3: always a miss
        let a = try cache.reader(fileNumber: 6)
        let b = try cache.reader(fileNumber: 6)
        #expect(a === b)
        #expect(cache.hits == 2)  // 6 was used last in the loop, so both are hits

        // Concurrent readers of the same files.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask {
                    for i in 0..<30 {
                        let n = UInt64((t + i) % 6 + 1)
                        let reader = try cache.reader(fileNumber: n)
                        let user = TableTests.userKey(i % 200)
                        let found = try reader.get(InternalKey.seekTarget(user, sequence: maxSequenceNumber))
                        if found == nil { throw CairnError.notFound("key \(i) in table \(n)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(cache.openCount <= 3)

        _ = try cache.reader(fileNumber: 2)
        #expect(blockCache.entryCount > 0)
        let it = try cache.reader(fileNumber: 2).makeIterator()
        try it.seekToFirst()
        cache.evict(fileNumber: 2)
        // The evicted reader stays usable by its holder.
        #expect(it.isValid)
        try it.next()
        let before = cache.misses
        _ = try cache.reader(fileNumber: 2)
        #expect(cache.misses == before + 1)

        // Missing file: an I/O error, not a crash.
        #expect(throws: CairnError.self) { _ = try cache.reader(fileNumber: 99) }
    }
}
