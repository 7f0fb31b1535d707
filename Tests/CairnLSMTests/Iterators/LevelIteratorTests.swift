import Testing
@testable import CairnLSM

/// The level iterator over several sorted, non-overlapping tables with gaps between them and
/// tombstone-only (point-empty) tables at the start, in the middle and at the end.
@Suite struct LevelIteratorTests {
    /// A level of tables on an in-memory file system and the model of its point entries.
    struct Level {
        let files: [FileMetadata]
        let model: [ModelEntry]
        let fileSystem: MemoryFileSystem

        /// A fresh table cache over the level's directory (so tests can count opened files).
        func makeTableCache() -> TableCache {
            TableCache(fileSystem: fileSystem, directory: "/db", capacity: 100, blockCache: nil, verifyChecksums: true)
        }
    }

    /// What one table holds: user keys uNNN for the given numbers (two versions of every
    /// seventh) and range tombstones.
    struct Spec {
        var numbers: [Int] = []
        var tombstones: [(String, String)] = []
    }

    /// The level used by every test: gaps u050..<u100, u150..<u200 (with a tombstone-only
    /// table inside the first), point-empty tables before the first and after the last keys.
    static let specs: [Spec] = [
        Spec(tombstones: [("a00", "a05")]),
        Spec(numbers: Array(stride(from: 0, to: 50, by: 2))),
        Spec(tombstones: [("u060", "u070")]),
        Spec(numbers: Array(stride(from: 100, to: 150, by: 1))),
        Spec(numbers: [150]),
        Spec(numbers: Array(stride(from: 200, to: 250, by: 3))),
        Spec(tombstones: [("z00", "z10"), ("z20", "z30")]),
    ]

    static func makeLevel() throws -> Level {
        let fs = MemoryFileSystem()
        try fs.createDirectory("/db")
        var options = Options()
        options.blockSize = 128
        options.blockRestartInterval = 4
        var files: [FileMetadata] = []
        var model: [ModelEntry] = []
        var sequence: SequenceNumber = 1
        for (i, spec) in specs.enumerated() {
            var entries: [ModelEntry] = []
            for n in spec.numbers {
                let user = bytes("u" + String(n + 1000).dropFirst())
                let versions = n % 7 == 0 ? 2 : 1
                for _ in 0..<versions {
                    entries.append(ModelEntry(key: InternalKey.make(user, sequence: sequence, type: .value), value: bytes("v\(sequence)")))
                    sequence += 1
                }
            }
            let sorted = sortedModel(entries)
            let number = UInt64(10 + i)
            let props = try writeTable(number: number, fileSystem: fs, directory: "/db", options: options) { builder in
                for e in sorted { try builder.add(e.key, e.value) }
                for (start, end) in spec.tombstones {
                    try builder.addRangeTombstone(RangeTombstone(start: bytes(start), end: bytes(end), sequence: sequence))
                    sequence += 1
                }
            }
            guard let props else {
                Issue.record("table \(number) came out empty")
                continue
            }
            files.append(FileMetadata(VersionEdit.NewFile(level: 1, number: number, properties: props)))
            model += sorted
        }
        return Level(files: files, model: model, fileSystem: fs)
    }

    /// Seek targets across the whole range: stored keys, gaps between files, keys inside the
    /// tombstone-only tables, and keys before and after everything.
    static func randomTarget(_ rng: inout SeededRandom) -> [UInt8] {
        let user: [UInt8]
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: user = bytes(["0", "a00", "a03", "a05", "b"].randomElement(using: &rng) ?? "a")
        case 1: user = bytes(["z", "z05", "z15", "z25", "zz"].randomElement(using: &rng) ?? "z")
        default: user = bytes("u" + String(Int.random(in: 0..<260, using: &rng) + 1000).dropFirst())
        }
        let sequence = SequenceNumber.random(in: 0...400, using: &rng)
        var key = user
        Coding.appendFixed64(&key, InternalKey.trailer(sequence, ValueType.seekMarker))
        return key
    }

    @Test func scansAndRandomMovesMatchTheModel() throws {
        let level = try Self.makeLevel()
        #expect(level.files.count == Self.specs.count)
        let it = LevelIterator(files: level.files, tableCache: level.makeTableCache())
        #expect(!it.isValid)
        try expectFullScansMatch(it, level.model)
        // Exact seeks, including each file's first and last (largest) key.
        for (i, e) in level.model.enumerated() {
            try it.seek(e.key)
            expectAt(it, level.model, i)
        }
        var rng = SeededRandom(seed: 42)
        try checkRandomMoves(it, level.model, operations: 5000, &rng, targets: Self.randomTarget)
    }

    @Test func seeksIntoGapsLandOnTheNextFilesFirstKey() throws {
        let level = try Self.makeLevel()
        let it = LevelIterator(files: level.files, tableCache: level.makeTableCache())
        func seek(_ user: String) throws -> String? {
            try it.seek(InternalKey.seekTarget(bytes(user), sequence: maxSequenceNumber))
            return it.isValid ? String(decoding: InternalKey.userKey(it.key), as: UTF8.self) : nil
        }
        #expect(try seek("") == "u000")
        #expect(try seek("a03") == "u000")
        #expect(try seek("u049") == "u100")
        #expect(try seek("u065") == "u100")
        #expect(try seek("u151") == "u200")
        #expect(try seek("u249") == nil)
        #expect(try seek("z05") == nil)
        func seekForPrev(_ user: String) throws -> String? {
            try InternalKey.seekTarget(bytes(user), sequence: 0).withUnsafeBytes { try it.seekForPrev($0) }
            return it.isValid ? String(decoding: InternalKey.userKey(it.key), as: UTF8.self) : nil
        }
        #expect(try seekForPrev("u075") == "u048")
        #expect(try seekForPrev("u199") == "u150")
        #expect(try seekForPrev("zz") == "u248")
        #expect(try seekForPrev("a04") == nil)
    }

    @Test func opensOnlyTheTablesItReaches() throws {
        let level = try Self.makeLevel()
        let cache = level.makeTableCache()
        let it = LevelIterator(files: level.files, tableCache: cache)
        #expect(cache.openCount == 0)
        // A seek into the gap after the tombstone-only table opens just the next file.
        try it.seek(InternalKey.seekTarget(bytes("u075"), sequence: maxSequenceNumber))
        #expect(cache.openCount == 1)
        // Stepping within the file opens nothing; stepping back across the gap opens the
        // tombstone-only table and the one before it.
        try it.next()
        #expect(cache.openCount == 1)
        try it.prev()
        try it.prev()
        #expect(it.isValid && String(decoding: InternalKey.userKey(it.key), as: UTF8.self) == "u048")
        #expect(cache.openCount == 3)
    }

    @Test func emptyLevelIsAnEmptyIterator() throws {
        let fs = MemoryFileSystem()
        let it = LevelIterator(
            files: [], tableCache: TableCache(fileSystem: fs, directory: "/db", capacity: 10, blockCache: nil, verifyChecksums: true))
        try it.seekToFirst()
        #expect(!it.isValid)
        try it.seekToLast()
        #expect(!it.isValid)
        try it.seek(InternalKey.seekTarget(bytes("a"), sequence: 1))
        #expect(!it.isValid)
    }
}
