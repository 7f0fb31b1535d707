import Synchronization

/// The result of a point lookup in one SSTable: the newest entry for the user key that the
/// lookup's snapshot can see.
public struct TableLookup: Sendable, Equatable {
    /// `.value` or `.deletion`.
    public var type: ValueType
    /// The entry's sequence number.
    public var sequence: SequenceNumber
    /// The value (empty for a deletion).
    public var value: [UInt8]

    /// Creates a lookup result.
    public init(type: ValueType, sequence: SequenceNumber, value: [UInt8]) {
        self.type = type
        self.sequence = sequence
        self.value = value
    }
}

/// One stored block of an SSTable, as listed by `TableReader.blockLayout()`.
public struct BlockInfo: Sendable, Equatable {
    /// What a block holds.
    public enum Kind: String, Sendable {
        /// Point entries.
        case data
        /// The bloom filter.
        case filter
        /// Range tombstones.
        case rangeDeletion
        /// Table properties.
        case properties
        /// Names of the meta blocks.
        case metaindex
        /// Separator keys to data block handles.
        case index
        /// The fixed 48-byte footer.
        case footer
    }

    /// What the block holds.
    public var kind: Kind
    /// File offset of the block.
    public var offset: UInt64
    /// Stored size of the contents, excluding the 5-byte trailer (the footer: 48).
    public var size: UInt64
    /// How the block is stored.
    public var compression: CompressionType
    /// Size of the contents after decompression.
    public var uncompressedSize: UInt64
    /// Entries in the block (nil for the filter and the footer).
    public var entryCount: Int?
}

/// Reads one SSTable (format in Docs/table_format.md). Immutable after `open` and safe to use
/// from many threads at once.
///
/// `open` reads and validates the footer, index, metaindex, properties, filter and
/// range-deletion blocks (always checksum-verified) and keeps them in memory. Data blocks are
/// read on demand through the optional block cache; blocks that enter the cache are always
/// checksum-verified, blocks read around it are verified when `verifyChecksums` is set. Every
/// damaged block is reported as `.corruption(file:offset:reason:)` with the block's offset.
public final class TableReader: Sendable {
    /// The table file.
    let file: any RandomAccessFile
    /// The table's file number (block-cache key).
    public let fileNumber: UInt64
    /// The block cache data blocks go through, if any.
    let blockCache: BlockCache?
    /// Whether blocks read around the cache are checksum-verified.
    let verifyChecksums: Bool
    /// The decoded footer.
    let footer: Footer
    /// The index block (separator key -> data block handle).
    let indexBlock: Block
    /// Length of the longest separator key in the index block (sizes the key buffer of
    /// index cursors, which would otherwise be the size of the whole index block).
    let indexKeyCapacity: Int
    /// Fences over the index block for point lookups; nil if the index has restart points
    /// between entries (then lookups seek a cursor through it).
    let indexFences: IndexFences?
    /// The bloom filter; nil when the table has none or it has a version this build ignores.
    let filter: BloomFilter?
    /// Handles of the meta blocks found in the metaindex, by name.
    let metaBlocks: [String: BlockHandle]
    /// Facts about the table.
    public let properties: TableProperties
    /// The table's range tombstones in (start, sequence descending) order.
    public let rangeTombstones: [RangeTombstone]
    private let filterCheckCounter = Atomic<Int>(0)
    private let filterNegativeCounter = Atomic<Int>(0)

    /// Path of the table file.
    public var path: String { file.path }
    /// Size of the table file.
    public var fileSize: UInt64 { UInt64(max(0, file.size)) }
    /// File offset of the footer; every block must end at or before it.
    var footerOffset: UInt64 { fileSize - UInt64(Footer.encodedLength) }
    /// Bloom filter probes made by `get`.
    public var filterChecks: Int { filterCheckCounter.load(ordering: .relaxed) }
    /// `get` calls the bloom filter answered "absent" without reading a data block.
    public var filterNegatives: Int { filterNegativeCounter.load(ordering: .relaxed) }
    /// True when the table has a usable bloom filter.
    public var hasFilter: Bool { filter != nil }

    private init(
        file: any RandomAccessFile, fileNumber: UInt64, blockCache: BlockCache?, verifyChecksums: Bool,
        footer: Footer, indexBlock: Block, indexKeyCapacity: Int, indexFences: IndexFences?, filter: BloomFilter?,
        metaBlocks: [String: BlockHandle], properties: TableProperties, rangeTombstones: [RangeTombstone]
    ) {
        self.file = file
        self.fileNumber = fileNumber
        self.blockCache = blockCache
        self.verifyChecksums = verifyChecksums
        self.footer = footer
        self.indexBlock = indexBlock
        self.indexKeyCapacity = indexKeyCapacity
        self.indexFences = indexFences
        self.filter = filter
        self.metaBlocks = metaBlocks
        self.properties = properties
        self.rangeTombstones = rangeTombstones
    }

    /// Checks that this file is the table a manifest recorded: `size` bytes long and, when the
    /// manifest recorded an identity, holding that `uniqueID` in its properties. Throws
    /// `.corruption` naming the file otherwise (a table replaced by a copy of another, or by a
    /// file of another database).
    func checkIdentity(size: Int64, uniqueID: [UInt8]) throws {
        guard Int64(fileSize) == size else {
            throw CairnError.corruption(
                file: file.path, offset: Int64(fileSize),
                reason: "table is \(fileSize) bytes but the manifest recorded \(size): not the file the database wrote")
        }
        guard uniqueID.isEmpty || properties.uniqueID == uniqueID else {
            let found = properties.uniqueID.isEmpty ? "none" : hexString(properties.uniqueID)
            throw CairnError.corruption(
                file: file.path, offset: 0,
                reason: "table identity \(found) does not match \(hexString(uniqueID)) recorded in the manifest: "
                    + "the file was replaced by another table")
        }
    }

    /// Opens a table: reads and validates the footer, index, metaindex, properties, filter and
    /// range-deletion blocks. Throws `.corruption` for damaged bytes (including "not an
    /// SSTable (bad magic)") and `.notSupported` for an unknown format version.
    public static func open(
        file: any RandomAccessFile, fileNumber: UInt64, blockCache: BlockCache?, verifyChecksums: Bool
    ) throws -> TableReader {
        let path = file.path
        let size = file.size
        guard size >= Int64(Footer.encodedLength) else {
            throw CairnError.corruption(file: path, offset: 0, reason: "file too short to be an SSTable (\(size) bytes)")
        }
        let footerBytes = try file.readExactly(at: size - Int64(Footer.encodedLength), count: Footer.encodedLength)
        let footer = try footerBytes.withUnsafeBytes { try Footer.decode($0, fileSize: UInt64(size), file: path) }
        let limit = UInt64(size) - UInt64(Footer.encodedLength)

        let reader = BlockReader(file: file, limit: limit)
        let indexBlock = try reader.readBlock(footer.index, verify: true)
        let metaindex = try reader.readBlock(footer.metaindex, verify: true)

        var metaBlocks: [String: BlockHandle] = [:]
        let it = metaindex.makeIterator(internalKeys: false)
        try it.seekToFirst()
        while it.isValid {
            let name = String(decoding: it.key, as: UTF8.self)
            guard let handle = BlockHandle.decode(it.value), handle.fits(before: limit) else {
                throw metaindex.corruption("bad handle for meta block \(name)")
            }
            metaBlocks[name] = handle
            try it.next()
        }

        guard let propertiesHandle = metaBlocks[TableFormat.propertiesBlockName] else {
            throw metaindex.corruption("metaindex lacks \(TableFormat.propertiesBlockName)")
        }
        var properties = try TableProperties.decode(reader.readBlock(propertiesHandle, verify: true))
        properties.fileSize = UInt64(size)

        var filter: BloomFilter?
        if let handle = metaBlocks[TableFormat.filterBlockName] {
            let (buffer, count, _) = try reader.readContents(handle, verify: true)
            defer { buffer.deallocate() }
            filter = try BloomFilter.parse(
                UnsafeRawBufferPointer(rebasing: buffer[0..<count]), file: path, offset: Int64(handle.offset))
        }

        var tombstones: [RangeTombstone] = []
        if let handle = metaBlocks[TableFormat.rangeDeletionBlockName] {
            let block = try reader.readBlock(handle, verify: true)
            tombstones = try RangeDeletionBlock.decode(block)
            guard UInt64(tombstones.count) == properties.rangeTombstoneCount else {
                throw block.corruption(
                    "\(tombstones.count) range tombstones, properties say \(properties.rangeTombstoneCount)")
            }
        } else if properties.rangeTombstoneCount != 0 {
            throw metaindex.corruption("properties list range tombstones but the table has no range-deletion block")
        }

        // Every index entry must point inside the file, so lookups can trust the handles.
        let indexIt = indexBlock.makeIterator()
        var indexKeyCapacity = 16
        try indexIt.seekToFirst()
        while indexIt.isValid {
            indexKeyCapacity = max(indexKeyCapacity, indexIt.key.count)
            guard let handle = BlockHandle.decode(indexIt.value), handle.fits(before: limit) else {
                throw indexBlock.corruption("bad data block handle at block offset \(indexIt.entryOffset)")
            }
            try indexIt.next()
        }

        return TableReader(
            file: file, fileNumber: fileNumber, blockCache: blockCache, verifyChecksums: verifyChecksums,
            footer: footer, indexBlock: indexBlock, indexKeyCapacity: indexKeyCapacity,
            indexFences: try IndexFences(index: indexBlock), filter: filter, metaBlocks: metaBlocks,
            properties: properties, rangeTombstones: tombstones)
    }

    /// Reads a block (no cache).
    func readBlock(_ handle: BlockHandle, verify: Bool) throws -> Block {
        try BlockReader(file: file, limit: footerOffset).readBlock(handle, verify: verify)
    }

    /// The data block at `handle`, from the block cache when there is one (a missing block is
    /// read, verified and, with `fillCache`, inserted), else read directly.
    func dataBlock(_ handle: BlockHandle, fillCache: Bool = true) throws -> Block {
        if let cache = blockCache, cache.isEnabled {
            if let block = cache.lookup(fileNumber: fileNumber, offset: handle.offset) { return block }
            let block = try BlockReader(file: file, limit: footerOffset).readBlock(handle, verify: true, pool: cache.bufferPool)
            if fillCache { cache.insert(fileNumber: fileNumber, offset: handle.offset, block: block) }
            return block
        }
        return try readBlock(handle, verify: verifyChecksums)
    }

    /// Decodes the data block handle stored as an index value.
    func decodeHandle(_ value: UnsafeRawBufferPointer, entryOffset: Int) throws -> BlockHandle {
        guard let handle = BlockHandle.decode(value), handle.fits(before: footerOffset) else {
            throw indexBlock.corruption("bad data block handle at block offset \(entryOffset)")
        }
        return handle
    }

    /// False if the table certainly holds no entry for `userKey` (bloom filter); true when
    /// it may, or when the table has no filter. Does not count in `filterChecks`.
    public func mayContain(userKey: UnsafeRawBufferPointer) -> Bool {
        filter?.mayContain(userKey: userKey) ?? true
    }

    /// `mayContain(userKey:)` for a key whose `BloomFilter.hash` the caller has.
    func mayContain(hash: UInt64) -> Bool {
        filter?.mayContain(hash: hash) ?? true
    }

    /// Array form of `mayContain(userKey:)`.
    public func mayContain(userKey: [UInt8]) -> Bool {
        userKey.withUnsafeBytes { mayContain(userKey: $0) }
    }

    /// Outcome of looking for a key in one data block.
    private enum BlockSearch {
        case found(TableLookup)
        case absent
        case pastEnd
    }

    /// Finds the newest entry for `seekKey`'s user key visible at `seekKey`'s sequence, where
    /// `seekKey` is `userKey ++ trailer(snapshot, ValueType.seekMarker)`. Consults the bloom
    /// filter first. Returns nil when the table has no such entry.
    public func get(_ seekKey: UnsafeRawBufferPointer) throws -> TableLookup? {
        try get(seekKey, checkFilter: true)
    }

    /// `get`, optionally without consulting the bloom filter (for a caller that already did).
    func get(_ seekKey: UnsafeRawBufferPointer, checkFilter: Bool) throws -> TableLookup? {
        guard seekKey.count >= InternalKey.trailerSize else {
            throw CairnError.invalidArgument("lookup key of \(seekKey.count) bytes is not an internal key")
        }
        let userKey = InternalKey.userKey(seekKey)
        if checkFilter, let filter {
            filterCheckCounter.add(1, ordering: .relaxed)
            if !filter.mayContain(userKey: userKey) {
                filterNegativeCounter.add(1, ordering: .relaxed)
                return nil
            }
        }
        if let fences = indexFences {
            // The first separator >= seekKey names the only block that can hold the key; a
            // block that ends before it (the key's versions continue in the next block)
            // passes the search on.
            let range = fences.candidates(for: userKey)
            var lo = range.lowerBound, hi = range.upperBound
            while lo < hi {
                let mid = (lo + hi) >> 1
                if InternalKey.compare(try indexBlock.restartEntry(mid).key, seekKey) < 0 { lo = mid + 1 } else { hi = mid }
            }
            while lo < fences.count {
                let entry = try indexBlock.restartEntry(lo)
                let handle = try decodeHandle(entry.value, entryOffset: indexBlock.restartPoint(lo))
                switch try search(handle, seekKey: seekKey, userKey: userKey) {
                case .found(let lookup): return lookup
                case .absent: return nil
                case .pastEnd: lo += 1
                }
            }
            return nil
        }
        return try indexBlock.withCursor(keyCapacity: indexKeyCapacity) { index -> TableLookup? in
            try index.seek(seekKey)
            while index.isValid {
                let handle = try decodeHandle(index.value, entryOffset: index.entryOffset)
                switch try search(handle, seekKey: seekKey, userKey: userKey) {
                case .found(let lookup): return lookup
                case .absent: return nil
                case .pastEnd: try index.next()
                }
            }
            return nil
        }
    }

    /// Looks for `userKey`'s newest entry visible at `seekKey` in the data block at `handle`.
    private func search(_ handle: BlockHandle, seekKey: UnsafeRawBufferPointer, userKey: UnsafeRawBufferPointer) throws -> BlockSearch {
        let block = try dataBlock(handle)
        return try block.withCursor { entry -> BlockSearch in
            try entry.seek(seekKey)
            guard entry.isValid else { return .pastEnd }
            let key = entry.key
            guard compareBytes(InternalKey.userKey(key), userKey) == 0 else { return .absent }
            let typeByte = InternalKey.typeByte(key)
            guard let type = ValueType(rawValue: typeByte), type != .rangeDeletion else {
                throw block.corruption("entry with unknown value type \(typeByte) at block offset \(entry.entryOffset)")
            }
            return .found(TableLookup(type: type, sequence: InternalKey.sequence(key), value: Array(entry.value)))
        }
    }

    /// Array form of `get`.
    public func get(_ seekKey: [UInt8]) throws -> TableLookup? {
        try seekKey.withUnsafeBytes { try get($0) }
    }

    /// A two-level iterator over the table's point entries (not its range tombstones).
    func makeIterator(fillCache: Bool = true) -> TableIterator {
        TableIterator(self, fillCache: fillCache)
    }

    /// Reads every block around the cache with checksums verified, decodes every entry, and
    /// checks key order within and across blocks, index separators, value types and the
    /// entry and block counts recorded in the properties. For `cairn kv verify`.
    public func verifyAllBlocks() throws {
        let limit = footerOffset
        let fresh = BlockReader(file: file, limit: limit)
        let index = try fresh.readBlock(footer.index, verify: true)
        let metaindex = try fresh.readBlock(footer.metaindex, verify: true)
        _ = try metaindex.countEntries(internalKeys: false)
        for (name, handle) in metaBlocks {
            let (buffer, count, _) = try fresh.readContents(handle, verify: true)
            defer { buffer.deallocate() }
            if name == TableFormat.filterBlockName {
                _ = try BloomFilter.parse(
                    UnsafeRawBufferPointer(rebasing: buffer[0..<count]), file: path, offset: Int64(handle.offset))
            }
        }

        let previous = ByteBuffer(capacity: 256)
        var entries: UInt64 = 0
        var blocks: UInt64 = 0
        let indexIt = index.makeIterator()
        var dataIt: Block.Iterator?
        try indexIt.seekToFirst()
        while indexIt.isValid {
            let handle = try decodeHandle(indexIt.value, entryOffset: indexIt.entryOffset)
            let block = try fresh.readBlock(handle, verify: true)
            let it: Block.Iterator
            if let dataIt {
                dataIt.attach(block)
                it = dataIt
            } else {
                it = block.makeIterator()
                dataIt = it
            }
            blocks += 1
            try it.seekToFirst()
            while it.isValid {
                let key = it.key
                let type = InternalKey.typeByte(key)
                guard type == ValueType.value.rawValue || type == ValueType.deletion.rawValue else {
                    throw block.corruption("entry with value type \(type) at block offset \(it.entryOffset)")
                }
                if previous.count > 0 && InternalKey.compare(previous.bytes, key) >= 0 {
                    throw block.corruption("keys out of order at block offset \(it.entryOffset)")
                }
                previous.removeAll()
                previous.append(key)
                entries += 1
                try it.next()
            }
            if previous.count > 0 && InternalKey.compare(previous.bytes, indexIt.key) > 0 {
                throw block.corruption("block's last key is above its index separator")
            }
            try indexIt.next()
        }
        guard entries == properties.entryCount else {
            throw CairnError.corruption(
                file: path, offset: Int64(footer.index.offset),
                reason: "table holds \(entries) entries, properties say \(properties.entryCount)")
        }
        guard blocks == properties.dataBlockCount else {
            throw CairnError.corruption(
                file: path, offset: Int64(footer.index.offset),
                reason: "table holds \(blocks) data blocks, properties say \(properties.dataBlockCount)")
        }
    }

    /// Every block of the file in offset order, with its kind, stored size, compression,
    /// decoded size and entry count (reads every block around the cache). For `dump-sst`.
    public func blockLayout() throws -> [BlockInfo] {
        let fresh = BlockReader(file: file, limit: footerOffset)
        var result: [BlockInfo] = []
        func describe(_ kind: BlockInfo.Kind, _ handle: BlockHandle, internalKeys: Bool?) throws {
            let (buffer, count, type) = try fresh.readContents(handle, verify: true)
            var entries: Int?
            if let internalKeys {
                let block = try Block.make(owning: buffer, count: count, file: path, offset: Int64(handle.offset))
                entries = try block.countEntries(internalKeys: internalKeys)
            } else {
                buffer.deallocate()
            }
            result.append(
                BlockInfo(
                    kind: kind, offset: handle.offset, size: handle.size, compression: type,
                    uncompressedSize: UInt64(count), entryCount: entries))
        }
        let indexIt = indexBlock.makeIterator()
        try indexIt.seekToFirst()
        while indexIt.isValid {
            try describe(.data, try decodeHandle(indexIt.value, entryOffset: indexIt.entryOffset), internalKeys: true)
            try indexIt.next()
        }
        for (name, handle) in metaBlocks {
            switch name {
            case TableFormat.filterBlockName: try describe(.filter, handle, internalKeys: nil)
            case TableFormat.rangeDeletionBlockName: try describe(.rangeDeletion, handle, internalKeys: true)
            case TableFormat.propertiesBlockName: try describe(.properties, handle, internalKeys: false)
            default: continue
            }
        }
        try describe(.metaindex, footer.metaindex, internalKeys: false)
        try describe(.index, footer.index, internalKeys: true)
        result.append(
            BlockInfo(
                kind: .footer, offset: footerOffset, size: UInt64(Footer.encodedLength), compression: .none,
                uncompressedSize: UInt64(Footer.encodedLength), entryCount: nil))
        result.sort { $0.offset < $1.offset }
        return result
    }
}
