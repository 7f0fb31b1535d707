import Testing
@testable import CairnLSM

/// Damaged files give typed errors naming the file, never wrong data or a crash.
@Suite struct CorruptionTests {
    func files(_ fs: MemoryFileSystem, _ suffix: String) throws -> [String] {
        try fs.listDirectory("/db").filter { $0.hasSuffix(suffix) || $0.hasPrefix(suffix) }.sorted()
    }

    @Test func bitFlipInTheMiddleOfTheWalIsReportedAtOpen() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        for i in 0..<200 { try db.put(bytes("k\(i)"), bytes(String(repeating: "v", count: 100)), sync: true) }
        try db.close()
        let log = try #require(try files(fs, ".log").last)
        let size = try fs.fileSize("/db/" + log)
        try fs.flipBit(path: "/db/" + log, byteOffset: Int(size / 2), bit: 3)
        do {
            _ = try Database.open("/db", options: memoryOptions(fs))
            Issue.record("open succeeded on a damaged log")
        } catch let CairnError.corruption(file, offset, _) {
            #expect(file.hasSuffix(log))
            #expect(offset > 0 && offset <= size)
        }
    }

    @Test func verifyChecksEveryLiveFileIncludingTheWal() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(fs, writeBufferSize: 1 << 20))
        for i in 0..<300 { try db.put(bytes("k\(i)"), bytes(String(repeating: "v", count: 100))) }
        try db.flush()
        for i in 0..<300 { try db.put(bytes("j\(i)"), bytes(String(repeating: "w", count: 100))) }
        let report = try db.verify()
        #expect(report.tables == 1 && report.logs == 1)
        let log = try #require(try files(fs, ".log").last)
        try fs.flipBit(path: "/db/" + log, byteOffset: Int(try fs.fileSize("/db/" + log) / 3), bit: 2)
        do {
            try db.verify()
            Issue.record("verify missed a damaged WAL record")
        } catch let CairnError.corruption(file, _, _) {
            #expect(file.hasSuffix(log))
        }
        try db.close()
    }

    @Test func tornWalTailIsDroppedAndEarlierWritesKept() throws {
        let live = MemoryFileSystem()
        let db = try Database.open("/db", options: memoryOptions(live, writeBufferSize: 1 << 20))
        for i in 0..<99 { try db.put(bytes("k\(i)"), bytes("value-\(i)"), sync: true) }
        try db.put(bytes("k99"), bytes("value-99"))  // unsynced: a crash may tear it
        let fs = live.processCrashClone()
        try db.close()
        let log = "/db/" + (try #require(try files(fs, ".log").last))
        let size = try fs.fileSize(log)
        try fs.truncate(path: log, to: Int(size) - 5)
        let reopened = try Database.open("/db", options: memoryOptions(fs))
        for i in 0..<99 { #expect(try reopened.get(bytes("k\(i)")) == bytes("value-\(i)")) }
        #expect(try reopened.get(bytes("k99")) == nil)
        #expect(reopened.statistics.recoveredTornTailBytes > 0)
        try reopened.close()
    }

    func databaseWithOneTable() throws -> MemoryFileSystem {
        let fs = MemoryFileSystem()
        var options = memoryOptions(fs, writeBufferSize: 1 << 20)
        options.blockCacheCapacity = 0
        let db = try Database.open("/db", options: options)
        for i in 0..<2000 { try db.put(bytes("key\(1000 + i)"), bytes("value-\(i)-" + String(repeating: "z", count: 50))) }
        try db.flush()
        try db.close()
        return fs
    }

    @Test func bitFlipInATableBlockIsCorruptionOnReadAndVerify() throws {
        let fs = try databaseWithOneTable()
        let table = "/db/" + (try #require(try files(fs, ".sst").first))
        try fs.flipBit(path: table, byteOffset: 100, bit: 0)
        var options = memoryOptions(fs)
        options.blockCacheCapacity = 0
        let db = try Database.open("/db", options: options)
        do {
            _ = try scanAll(db)
            Issue.record("scan returned data from a damaged block")
        } catch let CairnError.corruption(file, offset, _) {
            #expect(file == table)
            #expect(offset == 0)
        }
        #expect(throws: CairnError.self) { try db.verify() }
        try db.close()
    }

    @Test func damagedFooterIsCorruptionNamingTheTable() throws {
        let fs = try databaseWithOneTable()
        let table = "/db/" + (try #require(try files(fs, ".sst").first))
        let size = try fs.fileSize(table)
        try fs.flipBit(path: table, byteOffset: Int(size) - 2, bit: 5)  // inside the magic number
        let db = try Database.open("/db", options: memoryOptions(fs))
        do {
            _ = try db.get(bytes("key1500"))
            Issue.record("read succeeded on a table with a bad footer")
        } catch let CairnError.corruption(file, _, _) {
            #expect(file == table)
        }
        try db.close()
    }

    @Test func truncatedTableIsCorruptionAtOpen() throws {
        let fs = try databaseWithOneTable()
        let table = "/db/" + (try #require(try files(fs, ".sst").first))
        try fs.truncate(path: table, to: 1000)
        do {
            _ = try Database.open("/db", options: memoryOptions(fs))
            Issue.record("open succeeded with a cut table")
        } catch let CairnError.corruption(file, offset, reason) {
            #expect(file == table)
            #expect(offset == 1000)
            #expect(reason.contains("table is 1000 bytes, but MANIFEST-"))
        }
    }

    @Test func bitFlipInTheManifestIsReportedAtOpen() throws {
        let fs = try databaseWithOneTable()
        let manifest = "/db/" + (try #require(try files(fs, "MANIFEST-").first))
        // Damage the first edit (the snapshot); later records follow, so this is not a torn tail.
        try fs.flipBit(path: manifest, byteOffset: 40, bit: 1)
        do {
            _ = try Database.open("/db", options: memoryOptions(fs))
            Issue.record("open succeeded with a damaged manifest")
        } catch let CairnError.corruption(file, _, _) {
            #expect(file == manifest)
        }
    }

    @Test func currentNamingAMissingManifestIsCorruption() throws {
        let fs = try databaseWithOneTable()
        try fs.writeFileAtomically("/db/CURRENT", bytes("MANIFEST-999999\n"), directory: "/db")
        #expect(throws: CairnError.self) { try Database.open("/db", options: memoryOptions(fs)) }
        try fs.writeFileAtomically("/db/CURRENT", bytes("garbage"), directory: "/db")
        #expect(throws: CairnError.self) { try Database.open("/db", options: memoryOptions(fs)) }
    }

    @Test func randomBitFlipsNeverCrashOrReturnWrongData() throws {
        let clean = try databaseWithOneTable()
        let table = "/db/" + (try #require(try files(clean, ".sst").first))
        let size = Int(try clean.fileSize(table))
        var rng = SeededRandom(seed: 99)
        for _ in 0..<60 {
            let fs = clean.crashClone()
            try fs.flipBit(path: table, byteOffset: Int.random(in: 0..<size, using: &rng), bit: Int.random(in: 0..<8, using: &rng))
            var options = memoryOptions(fs)
            options.blockCacheCapacity = 0
            guard let db = try? Database.open("/db", options: options) else { continue }
            // Either a typed error or exactly the right data.
            if let pairs = try? scanAll(db) {
                #expect(pairs.count == 2000)
                for (i, (k, v)) in pairs.enumerated() {
                    #expect(k == bytes("key\(1000 + i)") && v == bytes("value-\(i)-" + String(repeating: "z", count: 50)))
                }
            }
            try db.close()
        }
    }
}
