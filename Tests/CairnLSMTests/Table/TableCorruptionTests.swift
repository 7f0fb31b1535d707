import Testing
@testable import CairnLSM

@Suite("TableCorruptionTests")
struct TableCorruptionTests {
    static let path = "/mem/000042.sst"

    static func model(count: Int) -> [ModelEntry] {
        var rng = SeededRandom(seed: 8)
        return sortedModel((0..<count).map { i in
            ModelEntry(
                key: InternalKey.make(Array("k\(100_000 + i)".utf8), sequence: UInt64(i + 1), type: .value),
                value: compressibleBytes(Int.random(in: 10...80, using: &rng), &rng))
        })
    }

    /// A table with a filter and a range tombstone, and its block layout.
    static func table(_ compression: CompressionType, count: Int = 3_000) throws -> ([UInt8], [BlockInfo], [ModelEntry]) {
        var options = TableBuilderOptions()
        options.compression = compression
        let m = model(count: count)
        let (bytes, _) = try buildTable(
            m, tombstones: [RangeTombstone(start: Array("k1".utf8), end: Array("k2".utf8), sequence: 1)],
            options: options, path: path)
        let layout = try openTable(bytes, path: path).blockLayout()
        return (bytes, layout, m)
    }

    /// Opens the table and reads everything: full scan, lookups of every 50th key, verify.
    static func readEverything(_ bytes: [UInt8], cache: BlockCache? = nil, model: [ModelEntry]) throws {
        let reader = try openTable(bytes, cache: cache, path: path)
        let it = reader.makeIterator()
        try it.seekToFirst()
        var i = 0
        while it.isValid {
            // Never wrong data: what we read must be what was written.
            #expect(i < model.count && Array(it.key) == model[i].key && Array(it.value) == model[i].value, "entry \(i) of \(model.count): \(Array(it.key))")
            i += 1
            try it.next()
        }
        for e in model.enumerated() where e.offset % 50 == 0 {
            let found = try reader.get(InternalKey.seekTarget(Array(e.element.key.dropLast(8)), sequence: maxSequenceNumber))
            #expect(found?.value == e.element.value)
        }
        try reader.verifyAllBlocks()
    }

    /// Replaces a block's contents and type, recomputing its checksum so that only the
    /// structural damage remains.
    static func rewriteBlock(_ bytes: inout [UInt8], _ info: BlockInfo, type: UInt8? = nil, _ change: (inout [UInt8]) -> Void) {
        let start = Int(info.offset), end = start + Int(info.size)
        var contents = Array(bytes[start..<end])
        change(&contents)
        precondition(contents.count == Int(info.size))
        let t = type ?? bytes[end]
        bytes.replaceSubrange(start..<end, with: contents)
        bytes[end] = t
        let crc = contents.withUnsafeBytes { BlockTrailer.checksum($0, type: t) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((end + 1)..<(end + 5), with: $0) }
    }

    @Test(arguments: [CompressionType.none, .lz4], [false, true])
    func flippedDataByte(compression: CompressionType, useCache: Bool) throws {
        let (good, layout, model) = try Self.table(compression)
        let data = layout.filter { $0.kind == .data }
        let victim = data[data.count / 2]
        var bad = good
        bad[Int(victim.offset) + 7] ^= 0x10
        let reader = try openTable(bad, cache: useCache ? BlockCache(capacity: 1 << 20) : nil, path: Self.path)
        let scan = expectCorruption("scan") {
            let it = reader.makeIterator()
            try it.seekToFirst()
            while it.isValid { try it.next() }
        }
        #expect(scan?.offset == Int64(victim.offset))
        #expect(scan?.file == Self.path)
        #expect(scan?.reason.contains("checksum") == true)
        // A backward scan and a lookup hit the same block.
        expectCorruption("backward scan") {
            let it = reader.makeIterator()
            try it.seekToLast()
            while it.isValid { try it.prev() }
        }
        let firstInVictim = data.prefix(data.count / 2).reduce(0) { $0 + ($1.entryCount ?? 0) }
        let user = Array(model[firstInVictim].key.dropLast(8))
        let lookup = expectCorruption("get") { _ = try reader.get(InternalKey.seekTarget(user, sequence: maxSequenceNumber)) }
        #expect(lookup?.offset == Int64(victim.offset))
        let verify = expectCorruption("verify") { try reader.verifyAllBlocks() }
        #expect(verify?.offset == Int64(victim.offset))
        // Other blocks still read fine.
        let other = Array(model[0].key.dropLast(8))
        #expect(try reader.get(InternalKey.seekTarget(other, sequence: maxSequenceNumber))?.value == model[0].value)
    }

    @Test(arguments: [BlockInfo.Kind.index, .filter, .metaindex, .properties, .rangeDeletion])
    func flippedMetaBlockByteFailsOpen(kind: BlockInfo.Kind) throws {
        let (good, layout, _) = try Self.table(.lz4)
        let block = try #require(layout.first { $0.kind == kind })
        var bad = good
        bad[Int(block.offset) + Int(block.size) / 2] ^= 0x01
        let e = expectCorruption("open") { _ = try openTable(bad, path: Self.path) }
        #expect(e?.offset == Int64(block.offset))
        #expect(e?.file == Self.path)
    }

    @Test func footerDamage() throws {
        let (good, _, _) = try Self.table(.none)
        let footer = good.count - Footer.encodedLength

        var badMagic = good
        badMagic[good.count - 3] ^= 0x20
        let magic = expectCorruption("magic") { _ = try openTable(badMagic, path: Self.path) }
        #expect(magic?.reason == "not an SSTable (bad magic)")
        #expect(magic?.offset == Int64(footer))

        var badCRC = good
        badCRC[footer + 3] ^= 0x01  // a handle byte: checksum no longer matches
        let crc = expectCorruption("crc") { _ = try openTable(badCRC, path: Self.path) }
        #expect(crc?.reason.contains("footer checksum") == true)

        var badCRCField = good
        badCRCField[footer + 37] ^= 0x01
        expectCorruption("crc field") { _ = try openTable(badCRCField, path: Self.path) }

        // A future version with a valid checksum: not supported (not corruption).
        var future = good
        future[footer + 32] = 2
        let sum = future[footer..<(footer + 36)].withUnsafeBytes { CRC32C.mask(CRC32C.checksum($0)) }
        withUnsafeBytes(of: sum.littleEndian) { future.replaceSubrange((footer + 36)..<(footer + 40), with: $0) }
        do {
            _ = try openTable(future, path: Self.path)
            Issue.record("future version opened")
        } catch CairnError.notSupported(let message) {
            #expect(message.contains("version 2"))
        }

        // A handle outside the file with a valid checksum.
        var outside = good
        outside[footer + 16 + 5] = 0x7f  // index offset becomes huge
        let sum2 = outside[footer..<(footer + 36)].withUnsafeBytes { CRC32C.mask(CRC32C.checksum($0)) }
        withUnsafeBytes(of: sum2.littleEndian) { outside.replaceSubrange((footer + 36)..<(footer + 40), with: $0) }
        let handle = expectCorruption("handle") { _ = try openTable(outside, path: Self.path) }
        #expect(handle?.reason.contains("index handle") == true)
    }

    @Test func truncatedFiles() throws {
        let (good, layout, _) = try Self.table(.lz4)
        for keep in [0, 10, 47, 48, good.count / 2, good.count - 1] {
            let e = expectCorruption("truncated to \(keep)") { _ = try openTable(Array(good.prefix(keep)), path: Self.path) }
            if keep < Footer.encodedLength {
                #expect(e?.reason.contains("too short") == true)
                #expect(e?.offset == 0)
            } else {
                #expect(e?.reason == "not an SSTable (bad magic)")
            }
        }
        // The footer kept but a data block cut out from under it: the reader sees a short read
        // (the file is shorter than the handles say).
        let last = try #require(layout.last { $0.kind == .data })
        let shortFile = MemoryReadFile(good, path: Self.path)
        let reader = try TableReader.open(file: shortFile, fileNumber: 1, blockCache: nil, verifyChecksums: true)
        _ = reader
        let cut = Array(good.prefix(Int(last.offset) + 3))
        expectCorruption("cut") { _ = try openTable(cut, path: Self.path) }
    }

    @Test func structuralDamageBehindValidChecksums() throws {
        let (plain, plainLayout, model) = try Self.table(.none)
        let data = try #require(plainLayout.first { $0.kind == .data })

        // Unknown compression type.
        var badType = plain
        Self.rewriteBlock(&badType, data, type: 9) { _ in }
        let e1 = expectCorruption("type") { try Self.readEverything(badType, model: model) }
        #expect(e1?.reason.contains("compression type 9") == true)
        #expect(e1?.offset == Int64(data.offset))

        // Garbage restart array.
        var badRestarts = plain
        Self.rewriteBlock(&badRestarts, data) { c in
            c[c.count - 4] = 0xff
            c[c.count - 3] = 0xff
        }
        let e2 = expectCorruption("restarts") { try Self.readEverything(badRestarts, model: model) }
        #expect(e2?.offset == Int64(data.offset))

        // The first entry claims to share 5 bytes with a previous key that does not exist.
        var badEntry = plain
        Self.rewriteBlock(&badEntry, data) { c in c[0] = 5 }
        let e3 = expectCorruption("entry") { try Self.readEverything(badEntry, model: model) }
        #expect(e3?.offset == Int64(data.offset))

        // Compressed payload that fails to decompress, and a wrong length prefix.
        let (packed, packedLayout, packedModel) = try Self.table(.lz4)
        let zdata = try #require(packedLayout.first { $0.kind == .data && $0.compression == .lz4 })
        var badPayload = packed
        Self.rewriteBlock(&badPayload, zdata) { c in
            for i in 3..<c.count { c[i] = 0xff }
        }
        let e4 = expectCorruption("payload") { try Self.readEverything(badPayload, model: packedModel) }
        #expect(e4?.offset == Int64(zdata.offset))
        var badLength = packed
        Self.rewriteBlock(&badLength, zdata) { c in c[0] = c[0] == 0x81 ? 0x82 : 0x81 }
        let e5 = expectCorruption("length") { try Self.readEverything(badLength, model: packedModel) }
        #expect(e5?.offset == Int64(zdata.offset))
    }

    /// Flips every byte of a small table, one at a time: every flip must be reported as
    /// corruption by open or verify (every byte is covered by a checksum or the magic), and
    /// nothing may crash or return wrong data.
    @Test(arguments: [CompressionType.none, .zstd])
    func everySingleByteFlipIsDetected(compression: CompressionType) throws {
        var options = TableBuilderOptions()
        options.compression = compression
        options.blockSize = 512
        let m = Self.model(count: 60)
        let (good, _) = try buildTable(
            m, tombstones: [RangeTombstone(start: Array("a".utf8), end: Array("b".utf8), sequence: 3)],
            options: options, path: Self.path)
        try Self.readEverything(good, model: m)
        var undetected: [Int] = []
        for position in 0..<good.count {
            var bad = good
            bad[position] ^= 0x04
            do {
                try Self.readEverything(bad, cache: BlockCache(capacity: 1 << 16), model: m)
                undetected.append(position)
            } catch let error as CairnError {
                if !error.isCorruption { Issue.record("flip at \(position): \(error)") }
            }
        }
        #expect(undetected.isEmpty, "undetected flips at \(undetected)")
    }
}
