/// Settings for writing one SSTable.
public struct TableBuilderOptions: Sendable {
    /// Target uncompressed size of a data block; a block is cut once it reaches this size.
    public var blockSize: Int = 4096
    /// Keys between restart points in data blocks.
    public var restartInterval: Int = 16
    /// Bloom filter bits per key; 0 writes no filter.
    public var bloomBitsPerKey: Int = 10
    /// Compression for data blocks.
    public var compression: CompressionType = .lz4
    /// Zstandard level when `compression == .zstd`.
    public var zstdLevel: Int32 = 1
    /// Bytes gathered before one append to the file (0: one append per block).
    public var writeBufferSize: Int = 256 << 10
    /// The identity recorded in the properties (`TableProperties.uniqueID`); empty for none.
    public var uniqueID: [UInt8] = []

    /// Default settings.
    public init() {}

    /// The table settings of database options.
    public init(_ options: Options) {
        blockSize = options.blockSize
        restartInterval = options.blockRestartInterval
        bloomBitsPerKey = options.bloomBitsPerKey
        compression = options.compression
        zstdLevel = options.zstdLevel
        writeBufferSize = max(0, options.tableWriteBufferSize)
    }
}

/// Writes an SSTable (format in Docs/table_format.md) to a `WritableFile`.
///
/// Point entries are added in strictly increasing internal-key order; range tombstones in any
/// order. `finish` writes the filter, range-deletion, properties, metaindex and index blocks
/// and the footer, and returns the table's properties; it neither syncs nor closes the file.
/// After a failed write the builder refuses further work. Single owner, not thread-safe.
public final class TableBuilder {
    /// Entries (internal key + value) must be smaller than this (1 GiB). `Database.write`
    /// rejects larger keys and values up front, so nothing acknowledged can fail to flush.
    public static let maxEntrySize = 1 << 30

    private let file: any WritableFile
    private let options: TableBuilderOptions
    private let dataBlock: BlockBuilder
    private let indexBlock = BlockBuilder(restartInterval: TableFormat.metaRestartInterval)
    private let filter: BloomFilterBuilder?
    private var tombstones: [RangeTombstone] = []
    private let lastKey = ByteBuffer(capacity: 256)
    private let scratch = ByteBuffer(capacity: 256)
    private let handleBuffer = ByteBuffer(capacity: 32)
    private let output = ByteBuffer(capacity: 8192)
    /// Blocks not yet handed to the file: written in pieces of `options.writeBufferSize` so a
    /// table costs one `append` per 256 KiB rather than one per block (RocksDB's writable-file
    /// buffer does the same). Nothing reads a table before `finish` returns.
    private let pendingWrites = ByteBuffer(capacity: 16 << 10)
    private let workspace = CompressionWorkspace()
    private var offset: UInt64 = 0
    private var pendingHandle: BlockHandle?
    private var props = TableProperties()
    private var smallestSequence = SequenceNumber.max
    private var largestSequence: SequenceNumber = 0
    private var finished = false
    private var failure: (any Error)?

    /// Starts a table at the current end of `file` (normally an empty new file).
    public init(file: any WritableFile, options: TableBuilderOptions) {
        self.file = file
        self.options = options
        self.dataBlock = BlockBuilder(restartInterval: options.restartInterval)
        self.filter = options.bloomBitsPerKey > 0 ? BloomFilterBuilder(bitsPerKey: options.bloomBitsPerKey) : nil
        self.offset = UInt64(max(0, file.size))
    }

    /// Number of point entries added so far.
    public var entryCount: UInt64 { props.entryCount }

    /// Bytes written so far plus the pending data block: what the file would hold if the
    /// table were finished now, minus the meta blocks.
    public var estimatedFileSize: Int64 {
        Int64(offset) + Int64(dataBlock.isEmpty ? 0 : dataBlock.currentSizeEstimate)
    }

    /// Adds a point entry. `internalKey` must be `userKey ++ trailer` with type `.value` or
    /// `.deletion`, and sort strictly after the previous key; otherwise `.invalidArgument`.
    public func add(_ internalKey: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        try checkUsable()
        guard internalKey.count >= InternalKey.trailerSize else {
            throw CairnError.invalidArgument("table key of \(internalKey.count) bytes is not an internal key")
        }
        let type = InternalKey.typeByte(internalKey)
        guard type == ValueType.value.rawValue || type == ValueType.deletion.rawValue else {
            throw CairnError.invalidArgument("table point entry with value type \(type)")
        }
        guard internalKey.count + value.count < TableBuilder.maxEntrySize else {
            throw CairnError.invalidArgument("table entry of \(internalKey.count + value.count) bytes is too large")
        }
        if props.entryCount > 0 {
            guard InternalKey.compare(lastKey.bytes, internalKey) < 0 else {
                throw CairnError.invalidArgument("table keys not strictly increasing")
            }
        }
        if let handle = pendingHandle {
            // First key of a new block: the index entry for the previous block can now use a
            // short separator between that block's last key and this key.
            shortestSeparator(lastKey.bytes, internalKey, into: scratch)
            addIndexEntry(scratch.bytes, handle)
            pendingHandle = nil
        }
        let userKey = InternalKey.userKey(internalKey)
        // The filter builder skips repeats of the previous key's hash (older versions).
        filter?.add(userKey: userKey)
        if props.entryCount == 0 { props.smallestPointKey = Array(internalKey) }
        lastKey.removeAll()
        lastKey.append(internalKey)
        let sequence = InternalKey.sequence(internalKey)
        smallestSequence = min(smallestSequence, sequence)
        largestSequence = max(largestSequence, sequence)
        props.entryCount += 1
        props.rawKeyBytes += UInt64(internalKey.count)
        props.rawValueBytes += UInt64(value.count)
        dataBlock.add(internalKey, value)
        if dataBlock.currentSizeEstimate >= options.blockSize {
            try flushDataBlock()
        }
    }

    /// Adds a point entry given as arrays.
    public func add(_ internalKey: [UInt8], _ value: [UInt8]) throws {
        try internalKey.withUnsafeBytes { k in try value.withUnsafeBytes { v in try add(k, v) } }
    }

    /// Records a range tombstone (written to the range-deletion block by `finish`). An empty
    /// range (`start >= end`) is `.invalidArgument`.
    public func addRangeTombstone(_ t: RangeTombstone) throws {
        try checkUsable()
        guard compareBytes(t.start, t.end) < 0 else {
            throw CairnError.invalidArgument("empty range tombstone (start >= end)")
        }
        guard t.sequence <= maxSequenceNumber else {
            throw CairnError.invalidArgument("range tombstone sequence \(t.sequence) out of range")
        }
        tombstones.append(t)
    }

    /// Writes the remaining blocks and the footer. Does not sync or close the file.
    public func finish() throws -> TableProperties {
        try checkUsable()
        do {
            try flushDataBlock()
            finished = true
            var metaindex: [(String, BlockHandle)] = []

            if let filter, props.entryCount > 0 {
                output.removeAll()
                filter.finish(into: output)
                let handle = try writeRawBlock()
                metaindex.append((TableFormat.filterBlockName, handle))
            }

            if !tombstones.isEmpty {
                let block = BlockBuilder(restartInterval: TableFormat.metaRestartInterval)
                RangeDeletionBlock.encode(tombstones, into: block)
                let handle = try writeBlock(block.finish(), compress: false)
                metaindex.append((TableFormat.rangeDeletionBlockName, handle))
            }

            fillProperties()
            let propertiesBlock = BlockBuilder(restartInterval: TableFormat.metaRestartInterval)
            props.encode(into: propertiesBlock)
            let propertiesHandle = try writeBlock(propertiesBlock.finish(), compress: false)
            metaindex.append((TableFormat.propertiesBlockName, propertiesHandle))

            metaindex.sort { compareBytes(Array($0.0.utf8), Array($1.0.utf8)) < 0 }
            let metaBlock = BlockBuilder(restartInterval: TableFormat.metaRestartInterval)
            for (name, handle) in metaindex {
                Array(name.utf8).withUnsafeBytes { n in handle.encoded.withUnsafeBytes { v in metaBlock.add(n, v) } }
            }
            let metaindexHandle = try writeBlock(metaBlock.finish(), compress: false)

            if let handle = pendingHandle {
                shortSuccessor(lastKey.bytes, into: scratch)
                addIndexEntry(scratch.bytes, handle)
                pendingHandle = nil
            }
            let indexHandle = try writeBlock(indexBlock.finish(), compress: false)

            output.removeAll()
            Footer(metaindex: metaindexHandle, index: indexHandle).encode(into: output)
            pendingWrites.append(output.bytes)
            try file.append(pendingWrites.bytes)
            pendingWrites.removeAll()
            offset += UInt64(output.count)
            props.fileSize = offset
            return props
        } catch {
            failure = error
            throw error
        }
    }

    /// Throws the earlier write failure, or `.invalidArgument` once finished.
    private func checkUsable() throws {
        if let failure { throw failure }
        if finished { throw CairnError.invalidArgument("table builder already finished") }
    }

    /// Completes `props`: sequence range, counts, settings and key bounds over points and
    /// tombstones.
    private func fillProperties() {
        for t in tombstones {
            smallestSequence = min(smallestSequence, t.sequence)
            largestSequence = max(largestSequence, t.sequence)
        }
        if props.entryCount == 0 && tombstones.isEmpty { smallestSequence = 0 }
        props.smallestSequence = smallestSequence
        props.largestSequence = largestSequence
        props.rangeTombstoneCount = UInt64(tombstones.count)
        props.compression = options.compression
        props.uniqueID = options.uniqueID
        props.filterBitsPerKey = filter == nil ? 0 : UInt32(clamping: options.bloomBitsPerKey)
        if props.entryCount > 0 { props.largestPointKey = lastKey.toArray() }
        var smallest = props.smallestPointKey
        var largest = props.largestPointKey
        for t in tombstones {
            let low = InternalKey.make(t.start, sequence: t.sequence, type: .rangeDeletion)
            var high = t.end
            Coding.appendFixed64(&high, InternalKey.trailer(maxSequenceNumber, ValueType.seekMarker))
            if smallest.isEmpty || compareInternal(low, smallest) < 0 { smallest = low }
            if largest.isEmpty || compareInternal(high, largest) > 0 { largest = high }
        }
        props.smallestKey = smallest
        props.largestKey = largest
    }

    /// Adds `separator -> handle` to the index block.
    private func addIndexEntry(_ separator: UnsafeRawBufferPointer, _ handle: BlockHandle) {
        handleBuffer.removeAll()
        handle.encode(into: handleBuffer)
        indexBlock.add(separator, handleBuffer.bytes)
    }

    /// Writes the pending data block (if any) and remembers its handle for the index entry
    /// that the next key (or `finish`) completes.
    private func flushDataBlock() throws {
        guard !dataBlock.isEmpty else { return }
        let handle = try writeBlock(dataBlock.finish(), compress: true)
        dataBlock.reset()
        props.dataBlockCount += 1
        props.dataBytes += handle.size + UInt64(BlockTrailer.size)
        pendingHandle = handle
    }

    /// Writes `contents` (compressed if asked and worthwhile) plus its trailer in one append.
    private func writeBlock(_ contents: UnsafeRawBufferPointer, compress: Bool) throws -> BlockHandle {
        output.removeAll()
        var type = CompressionType.none
        if compress && options.compression != .none
            && Compression.compress(options.compression, contents, zstdLevel: options.zstdLevel, into: output, workspace: workspace)
        {
            type = options.compression
        } else {
            output.removeAll()
            output.append(contents)
        }
        return try writeRawBlock(type: type)
    }

    /// Writes the block contents already in `output` with type `type`, appending the trailer.
    private func writeRawBlock(type: CompressionType = .none) throws -> BlockHandle {
        let size = output.count
        let crc = BlockTrailer.checksum(output.bytes, type: type.rawValue)
        output.append(byte: type.rawValue)
        output.appendFixed32(crc)
        pendingWrites.append(output.bytes)
        if pendingWrites.count >= options.writeBufferSize {
            do {
                try file.append(pendingWrites.bytes)
            } catch {
                failure = error
                throw error
            }
            pendingWrites.removeAll()
        }
        let handle = BlockHandle(offset: offset, size: UInt64(size))
        offset += UInt64(output.count)
        return handle
    }

    /// Writes into `out` an internal key `k` with `start <= k < limit`, as short as possible:
    /// if the user keys differ at some byte that can be incremented while staying below
    /// `limit`'s user key, the user key is cut after that byte and given the largest trailer
    /// (so it sorts first among its user key); otherwise `start` itself.
    func shortestSeparator(_ start: UnsafeRawBufferPointer, _ limit: UnsafeRawBufferPointer, into out: ByteBuffer) {
        out.removeAll()
        let a = InternalKey.userKey(start)
        let b = InternalKey.userKey(limit)
        let n = min(a.count, b.count)
        var i = 0
        while i < n && a[i] == b[i] { i += 1 }
        if i < n {
            let byte = a[i]
            if byte < 0xff && byte + 1 < b[i] {
                out.append(UnsafeRawBufferPointer(rebasing: a[0..<i]))
                out.append(byte: byte + 1)
                out.appendFixed64(InternalKey.trailer(maxSequenceNumber, ValueType.seekMarker))
                if InternalKey.compare(start, out.bytes) < 0 && InternalKey.compare(out.bytes, limit) < 0 {
                    return
                }
                out.removeAll()
            }
        }
        out.append(start)
    }

    /// Writes into `out` a short internal key `>= key`: the user key cut after its first byte
    /// that is not 0xff, that byte incremented, with the largest trailer; `key` itself if the
    /// user key is all 0xff.
    func shortSuccessor(_ key: UnsafeRawBufferPointer, into out: ByteBuffer) {
        out.removeAll()
        let user = InternalKey.userKey(key)
        for i in 0..<user.count where user[i] != 0xff {
            out.append(UnsafeRawBufferPointer(rebasing: user[0..<i]))
            out.append(byte: user[i] + 1)
            out.appendFixed64(InternalKey.trailer(maxSequenceNumber, ValueType.seekMarker))
            return
        }
        out.append(key)
    }
}
