import Testing
@testable import CairnLSM

@Suite("TableTests")
struct TableTests {
    static func userKey(_ i: Int) -> [UInt8] {
        // Even numbers only, so odd numbers are absent keys between present ones.
        Array("user/\(String(repeating: "0", count: 8 - String(2 * i).count))\(2 * i)".utf8)
    }

    /// A model of `users` user keys with 1...3 versions each (some deletions), sequence
    /// numbers distinct and increasing with the version.
    static func versionedModel(users: Int, seed: UInt64) -> [ModelEntry] {
        var rng = SeededRandom(seed: seed)
        var entries: [ModelEntry] = []
        var sequence: UInt64 = 10
        for i in 0..<users {
            let user = userKey(i)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                sequence += UInt64.random(in: 1...3, using: &rng)
                let isDelete = Int.random(in: 0..<10, using: &rng) == 0
                let key = InternalKey.make(user, sequence: sequence, type: isDelete ? .deletion : .value)
                let value = isDelete ? [] : compressibleBytes(Int.random(in: 0...60, using: &rng), &rng)
                entries.append(ModelEntry(key: key, value: value))
            }
        }
        return sortedModel(entries)
    }

    @Test(arguments: CompressionType.allCases)
    func roundTrip(compression: CompressionType) throws {
        let model = Self.versionedModel(users: 26_000, seed: UInt64(compression.rawValue) + 1)
        #expect(model.count >= 50_000)
        var options = TableBuilderOptions()
        options.compression = compression
        let (bytes, props) = try buildTable(model, options: options)
        let cache = BlockCache(capacity: 1 << 20)
        let reader = try openTable(bytes, cache: cache)

        #expect(props == reader.properties)
        #expect(props.entryCount == UInt64(model.count))
        #expect(props.fileSize == UInt64(bytes.count))
        #expect(props.compression == compression)
        #expect(props.smallestPointKey == model.first?.key)
        #expect(props.largestPointKey == model.last?.key)
        #expect(props.smallestKey == model.first?.key)
        #expect(props.rawKeyBytes == UInt64(model.reduce(0) { $0 + $1.key.count }))
        #expect(props.rawValueBytes == UInt64(model.reduce(0) { $0 + $1.value.count }))
        #expect(props.dataBlockCount > 100)
        let layout = try reader.blockLayout()
        let dataBlocks = layout.filter { $0.kind == .data }
        #expect(dataBlocks.count == Int(props.dataBlockCount))
        #expect(dataBlocks.reduce(0) { $0 + ($1.entryCount ?? 0) } == model.count)
        if compression != .none {
            #expect(dataBlocks.allSatisfy { $0.compression == compression })
            #expect(props.dataBytes < props.rawKeyBytes + props.rawValueBytes)
        }
        #expect(layout.map(\.kind).suffix(4) == [.properties, .metaindex, .index, .footer])
        try reader.verifyAllBlocks()

        // Full scans in both directions.
        let it = reader.makeIterator()
        try it.seekToFirst()
        var i = 0
        while it.isValid {
            if Array(it.key) != model[i].key || Array(it.value) != model[i].value {
                Issue.record("forward scan mismatch at \(i)")
                break
            }
            i += 1
            try it.next()
        }
        #expect(i == model.count)
        try it.seekToLast()
        i = model.count - 1
        while it.isValid {
            if Array(it.key) != model[i].key {
                Issue.record("backward scan mismatch at \(i)")
                break
            }
            i -= 1
            try it.prev()
        }
        #expect(i == -1)

        // Random seeks with a few steps either way.
        var rng = SeededRandom(seed: 77)
        for _ in 0..<400 {
            let target = InternalKey.seekTarget(
                Self.userKey(Int.random(in: -5...26_005, using: &rng)) + (Bool.random(using: &rng) ? [] : [0x31]),
                sequence: UInt64.random(in: 0...80_000, using: &rng))
            let start = lowerBound(model, target)
            try it.seek(target)
            expectAt(it, model, start)
            try walkRandomly(it, model, from: start, steps: 4, &rng)
        }
        #expect(cache.hits > 0)

        // Point lookups: newest, older snapshot, before any version, absent keys.
        var byUser: [[UInt8]: [ModelEntry]] = [:]
        for e in model where e.key.withUnsafeBytes({ compareBytes(Self.userKey(3_000), InternalKey.userKey($0)) > 0 }) {
            byUser[Array(e.key.dropLast(8)), default: []].append(e)
        }
        for (user, versions) in byUser {
            // versions are newest first.
            let newest = versions[0]
            let found = try reader.get(InternalKey.seekTarget(user, sequence: maxSequenceNumber))
            try #require(found != nil)
            #expect(found?.sequence == newest.key.withUnsafeBytes { InternalKey.sequence($0) })
            #expect(found?.value == newest.value)
            let type = newest.key.withUnsafeBytes { InternalKey.typeByte($0) }
            #expect(found?.type.rawValue == type)
            for v in versions {
                let seq = v.key.withUnsafeBytes { InternalKey.sequence($0) }
                let atSeq = try reader.get(InternalKey.seekTarget(user, sequence: seq))
                #expect(atSeq?.sequence == seq)
                #expect(atSeq?.value == v.value)
            }
            let oldest = versions.last.map { e in e.key.withUnsafeBytes { InternalKey.sequence($0) } } ?? 0
            #expect(try reader.get(InternalKey.seekTarget(user, sequence: oldest - 1)) == nil)
        }
        for j in 0..<2_000 {
            var absent = Self.userKey(j)
            absent[absent.count - 1] += 1  // odd number: never written
            #expect(try reader.get(InternalKey.seekTarget(absent, sequence: maxSequenceNumber)) == nil)
        }
        #expect(try reader.get(InternalKey.seekTarget(Array("zzz".utf8), sequence: maxSequenceNumber)) == nil)
        #expect(try reader.get(InternalKey.seekTarget(Array("a".utf8), sequence: maxSequenceNumber)) == nil)
        #expect(reader.filterChecks > 2_000)
        #expect(reader.filterNegatives > 1_900)
    }

    /// Gathering blocks before appending changes only how the file is written: the bytes are
    /// the same as with one append per block, in a handful of appends.
    @Test func bufferedWritesProduceTheSameTableInFewAppends() throws {
        let model = Self.versionedModel(users: 20_000, seed: 77)
        var files: [MemoryWritableFile] = []
        for bufferSize in [0, 64 << 10, 256 << 10] {
            var options = TableBuilderOptions()
            options.writeBufferSize = bufferSize
            let file = MemoryWritableFile()
            let builder = TableBuilder(file: file, options: options)
            for e in model { try builder.add(e.key, e.value) }
            let props = try builder.finish()
            #expect(props.fileSize == UInt64(file.bytes.count))
            files.append(file)
        }
        #expect(files[1].bytes == files[0].bytes && files[2].bytes == files[0].bytes)
        let size = files[0].bytes.count
        #expect(files[0].appends > 100, "one append per block")
        #expect(files[1].appends <= size / (64 << 10) + 1)
        #expect(files[2].appends <= size / (256 << 10) + 1)
        try openTable(files[2].bytes).verifyAllBlocks()
    }

    @Test func rangeTombstonesAndProperties() throws {
        let model = Self.versionedModel(users: 300, seed: 9)
        let tombstones = [
            RangeTombstone(start: Array("user/00000100".utf8), end: Array("user/00000200".utf8), sequence: 5_000),
            RangeTombstone(start: Array("a".utf8), end: Array("b".utf8), sequence: 3),
            RangeTombstone(start: Array("user/00000100".utf8), end: Array("user/00000150".utf8), sequence: 6_000),
            RangeTombstone(start: Array("zz".utf8), end: Array("zzz".utf8), sequence: 7),
        ]
        var options = TableBuilderOptions()
        options.bloomBitsPerKey = 12
        options.compression = .zstd
        let (bytes, props) = try buildTable(model, tombstones: tombstones, options: options)
        let reader = try openTable(bytes)
        #expect(reader.properties == props)
        #expect(props.rangeTombstoneCount == 4)
        #expect(props.filterBitsPerKey == 12)
        #expect(props.formatVersion == 1)
        #expect(props.smallestSequence == 3)
        #expect(props.largestSequence == 6_000)
        #expect(props.smallestKey == InternalKey.make(Array("a".utf8), sequence: 3, type: .rangeDeletion))
        var largest = Array("zzz".utf8)
        Coding.appendFixed64(&largest, InternalKey.trailer(maxSequenceNumber, ValueType.seekMarker))
        #expect(props.largestKey == largest)
        #expect(props.smallestPointKey == model.first?.key)
        #expect(props.largestPointKey == model.last?.key)
        #expect(reader.rangeTombstones == [tombstones[1], tombstones[2], tombstones[0], tombstones[3]])
        #expect(try reader.blockLayout().contains { $0.kind == .rangeDeletion && $0.entryCount == 4 })
        try reader.verifyAllBlocks()
    }

    @Test func tombstoneOnlyAndEmptyTables() throws {
        let t = RangeTombstone(start: [1], end: [2], sequence: 9)
        let (bytes, props) = try buildTable([], tombstones: [t])
        let reader = try openTable(bytes)
        #expect(props.entryCount == 0 && props.dataBlockCount == 0)
        #expect(reader.rangeTombstones == [t])
        #expect(props.smallestSequence == 9 && props.largestSequence == 9)
        #expect(!reader.hasFilter)
        let it = reader.makeIterator()
        try it.seekToFirst()
        #expect(!it.isValid)
        try it.seekToLast()
        #expect(!it.isValid)
        #expect(try reader.get(InternalKey.seekTarget([1], sequence: 100)) == nil)

        let (empty, emptyProps) = try buildTable([])
        let emptyReader = try openTable(empty)
        #expect(emptyProps.smallestKey.isEmpty && emptyProps.largestKey.isEmpty)
        try emptyReader.verifyAllBlocks()
        try emptyReader.makeIterator().seek(InternalKey.seekTarget([0], sequence: 1))
    }

    @Test func builderRejectsBadInput() throws {
        let builder = TableBuilder(file: MemoryWritableFile(), options: TableBuilderOptions())
        let k1 = InternalKey.make([1, 2], sequence: 5, type: .value)
        try builder.add(k1, [1])
        func expectInvalid(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(what): no error")
            } catch CairnError.invalidArgument {
            } catch {
                Issue.record("\(what): \(error)")
            }
        }
        expectInvalid("duplicate") { try builder.add(k1, [2]) }
        expectInvalid("out of order") { try builder.add(InternalKey.make([1, 1], sequence: 9, type: .value), []) }
        expectInvalid("older version first") { try builder.add(InternalKey.make([1, 2], sequence: 6, type: .value), []) }
        expectInvalid("short key") { try builder.add([1, 2, 3], []) }
        expectInvalid("range deletion as a point") {
            try builder.add(InternalKey.make([3], sequence: 1, type: .rangeDeletion), [])
        }
        expectInvalid("empty range") { try builder.addRangeTombstone(RangeTombstone(start: [5], end: [5], sequence: 1)) }
        // Same user key, lower sequence: allowed.
        try builder.add(InternalKey.make([1, 2], sequence: 4, type: .deletion), [])
        _ = try builder.finish()
        expectInvalid("after finish") { try builder.add(InternalKey.make([9], sequence: 1, type: .value), []) }
    }

    @Test func separatorsAndSuccessors() throws {
        let builder = TableBuilder(file: MemoryWritableFile(), options: TableBuilderOptions())
        let out = ByteBuffer()
        func sep(_ a: String, _ b: String) -> [UInt8] {
            let ka = InternalKey.make(Array(a.utf8), sequence: 7, type: .value)
            let kb = InternalKey.make(Array(b.utf8), sequence: 3, type: .value)
            ka.withUnsafeBytes { pa in kb.withUnsafeBytes { pb in builder.shortestSeparator(pa, pb, into: out) } }
            let s = out.toArray()
            #expect(internalCompare(ka, s) <= 0 && internalCompare(s, kb) < 0)
            return Array(s.dropLast(8))
        }
        #expect(sep("abcdef", "abzzzz") == Array("abd".utf8))
        #expect(sep("abc", "abd") == Array("abc".utf8))  // cannot shorten
        #expect(sep("abc", "abcd") == Array("abc".utf8))  // prefix
        #expect(sep("same", "same") == Array("same".utf8))
        let k = InternalKey.make([0xff, 0xff, 0x10, 0x44], sequence: 1, type: .value)
        k.withUnsafeBytes { builder.shortSuccessor($0, into: out) }
        #expect(Array(out.toArray().dropLast(8)) == [0xff, 0xff, 0x11])
        let allFF = InternalKey.make([0xff, 0xff], sequence: 1, type: .value)
        allFF.withUnsafeBytes { builder.shortSuccessor($0, into: out) }
        #expect(out.toArray() == allFF)
    }

    @Test func smallBlocksAndRestartIntervalOne() throws {
        // Tiny blocks: many index entries, one entry per block at times; big values.
        var rng = SeededRandom(seed: 21)
        var entries: [ModelEntry] = []
        for i in 0..<600 {
            let value = randomBytes(Int.random(in: 0...700, using: &rng), &rng)
            entries.append(ModelEntry(key: InternalKey.make(Self.userKey(i), sequence: UInt64(i + 1), type: .value), value: value))
        }
        let model = sortedModel(entries)
        var options = TableBuilderOptions()
        options.blockSize = 256
        options.restartInterval = 1
        options.compression = .lz4
        let (bytes, _) = try buildTable(model, options: options)
        let reader = try openTable(bytes, verify: false)
        let it = reader.makeIterator()
        try it.seekToLast()
        var i = model.count - 1
        while it.isValid {
            expectAt(it, model, i)
            i -= 1
            try it.prev()
        }
        #expect(i == -1)
        for j in stride(from: 0, to: 600, by: 7) {
            let found = try reader.get(InternalKey.seekTarget(Self.userKey(j), sequence: maxSequenceNumber))
            #expect(found?.value == model[j].value)
        }
    }

    @Test func longKeys() throws {
        // Keys far longer than a block's restart interval worth of bytes and than the default
        // key buffers; separators in the index are long too.
        var rng = SeededRandom(seed: 31)
        let prefix = randomBytes(3_000, &rng)
        var entries: [ModelEntry] = []
        for i in 0..<300 {
            let user = prefix + Array("\(100_000 + i)".utf8) + randomBytes(Int.random(in: 0...2_000, using: &rng), &rng)
            entries.append(ModelEntry(key: InternalKey.make(user, sequence: UInt64(i + 1), type: .value), value: [UInt8(i & 0xff)]))
        }
        let model = sortedModel(entries)
        let (bytes, _) = try buildTable(model)
        let reader = try openTable(bytes)
        let it = reader.makeIterator()
        try it.seekToLast()
        var i = model.count - 1
        while it.isValid {
            expectAt(it, model, i)
            i -= 1
            try it.prev()
        }
        #expect(i == -1)
        for e in model {
            try it.seek(e.key)
            #expect(it.isValid && Array(it.key) == e.key)
            let found = try reader.get(InternalKey.seekTarget(Array(e.key.dropLast(8)), sequence: maxSequenceNumber))
            #expect(found?.value == e.value)
        }
        try reader.verifyAllBlocks()
    }

    @Test func optionsConvenience() {
        var o = Options()
        o.blockSize = 8192
        o.blockRestartInterval = 8
        o.bloomBitsPerKey = 0
        o.compression = .zstd
        o.zstdLevel = 5
        let t = TableBuilderOptions(o)
        #expect(t.blockSize == 8192 && t.restartInterval == 8 && t.bloomBitsPerKey == 0 && t.compression == .zstd && t.zstdLevel == 5)
    }

    @Test func concurrentReaders() async throws {
        let model = Self.versionedModel(users: 3_000, seed: 4)
        let (bytes, _) = try buildTable(model)
        let reader = try openTable(bytes, cache: BlockCache(capacity: 64 << 10))
        let expected = model.count
        try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<4 {
                group.addTask {
                    var count = 0
                    let it = reader.makeIterator()
                    try it.seekToFirst()
                    while it.isValid {
                        count += 1
                        try it.next()
                    }
                    for j in stride(from: t, to: 3_000, by: 5) {
                        if try reader.get(InternalKey.seekTarget(TableTests.userKey(j), sequence: maxSequenceNumber)) == nil {
                            count = -1
                        }
                    }
                    return count
                }
            }
            for try await count in group { #expect(count == expected) }
        }
    }
}

/// Tables assembled block by block, for layouts `TableBuilder` never writes.
@Suite("TableHandmadeTests")
struct TableHandmadeTests {
    /// Writes a table whose data blocks hold exactly `blocks` (some may be empty), with an
    /// index entry per block keyed by the block's last key (an empty block repeats the
    /// previous key, which the index tolerates: seeks land on the first of equal keys).
    static func handmade(_ blocks: [[ModelEntry]]) -> [UInt8] {
        let out = ByteBuffer()
        func write(_ contents: UnsafeRawBufferPointer) -> BlockHandle {
            let handle = BlockHandle(offset: UInt64(out.count), size: UInt64(contents.count))
            out.append(contents)
            out.append(byte: 0)
            out.appendFixed32(BlockTrailer.checksum(contents, type: 0))
            return handle
        }
        let index = BlockBuilder(restartInterval: 1)
        var lastKey = InternalKey.make([0], sequence: 1, type: .value)
        var entries: UInt64 = 0
        for block in blocks {
            let builder = BlockBuilder(restartInterval: 2)
            for e in block {
                e.key.withUnsafeBytes { k in e.value.withUnsafeBytes { v in builder.add(k, v) } }
                lastKey = e.key
                entries += 1
            }
            let handle = write(builder.finish())
            lastKey.withUnsafeBytes { k in handle.encoded.withUnsafeBytes { v in index.add(k, v) } }
        }
        var props = TableProperties()
        props.entryCount = entries
        props.dataBlockCount = UInt64(blocks.count)
        let propsBlock = BlockBuilder(restartInterval: 1)
        props.encode(into: propsBlock)
        let propsHandle = write(propsBlock.finish())
        let meta = BlockBuilder(restartInterval: 1)
        Array(TableFormat.propertiesBlockName.utf8).withUnsafeBytes { n in
            propsHandle.encoded.withUnsafeBytes { v in meta.add(n, v) }
        }
        let metaHandle = write(meta.finish())
        let indexHandle = write(index.finish())
        Footer(metaindex: metaHandle, index: indexHandle).encode(into: out)
        return out.toArray()
    }

    @Test func emptyDataBlocksAreSkippedBothWays() throws {
        func entry(_ s: String, _ seq: UInt64) -> ModelEntry {
            ModelEntry(key: InternalKey.make(Array(s.utf8), sequence: seq, type: .value), value: Array("v-\(s)".utf8))
        }
        let blocks: [[ModelEntry]] = [
            [], [entry("b", 5), entry("c", 5)], [], [entry("d", 9)], [entry("e", 1), entry("f", 1), entry("g", 1)], [],
        ]
        let bytes = Self.handmade(blocks)
        let model = blocks.flatMap { $0 }
        let reader: TableReader
        do {
            reader = try openTable(bytes)
        } catch {
            Issue.record("open: \(error)")
            return
        }
        let it = reader.makeIterator()
        try expectFullScansMatch(it, model)
        for (i, e) in model.enumerated() {
            try it.seek(e.key)
            expectAt(it, model, i)
            #expect(try reader.get(InternalKey.seekTarget(Array(e.key.dropLast(8)), sequence: 100))?.value == e.value)
        }
        // "cc" falls after block [b, c], before the empty block and [d].
        try it.seek(InternalKey.seekTarget(Array("cc".utf8), sequence: 100))
        expectAt(it, model, 2)
        try it.prev()
        expectAt(it, model, 1)
        try it.seek(InternalKey.seekTarget(Array("h".utf8), sequence: 100))
        #expect(!it.isValid)
    }
}
