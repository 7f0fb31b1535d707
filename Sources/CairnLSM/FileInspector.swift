/// Read-only access to individual SSTable and WAL files, for tools such as `cairn kv dump-sst`
/// and `dump-wal`. Every check the engine makes on reads is made here too: damaged bytes give
/// `CairnError.corruption` naming the file and offset.
public enum FileInspector {
    /// One entry of a table or a log record.
    public struct Entry: Sendable {
        /// The user key (for a range deletion: its start).
        public var key: [UInt8]
        /// Sequence number of the entry.
        public var sequence: SequenceNumber
        /// What the entry does.
        public var type: ValueType
        /// The value (for a range deletion: the end key; empty for a deletion).
        public var value: [UInt8]
    }

    /// An opened SSTable.
    public struct Table: Sendable {
        let reader: TableReader
        /// The table's properties block.
        public var properties: TableProperties { reader.properties }
        /// Every block with its offset, size and compression.
        public func blocks() throws -> [BlockInfo] { try reader.blockLayout() }
        /// The table's range tombstones.
        public var rangeTombstones: [RangeTombstone] { reader.rangeTombstones }

        /// Calls `body` for each point entry in key order.
        public func forEachEntry(_ body: (Entry) throws -> Void) throws {
            let it = reader.makeIterator()
            try it.seekToFirst()
            while it.isValid {
                let key = it.key
                guard key.count >= InternalKey.trailerSize,
                      let type = ValueType(rawValue: InternalKey.typeByte(key))
                else {
                    throw CairnError.corruption(file: reader.file.path, offset: 0, reason: "malformed internal key")
                }
                try body(Entry(key: Array(InternalKey.userKey(key)), sequence: InternalKey.sequence(key), type: type, value: Array(it.value)))
                try it.next()
            }
        }

        /// Reads and checksums every block.
        public func verify() throws { try reader.verifyAllBlocks() }
    }

    /// Opens the SSTable at `path`.
    public static func openTable(_ path: String, fileSystem: any FileSystem = PosixFileSystem()) throws -> Table {
        let file = try fileSystem.newRandomAccessFile(path)
        let number: UInt64
        if case .table(let n)? = FileNames.parse(String(path.split(separator: "/").last ?? "")) { number = n } else { number = 0 }
        return Table(reader: try TableReader.open(file: file, fileNumber: number, blockCache: nil, verifyChecksums: true))
    }

    /// One write-ahead log record: a write batch.
    public struct LogRecord: Sendable {
        /// Byte offset of the record in the file.
        public var offset: Int64
        /// Sequence number of the batch's first update.
        public var sequence: SequenceNumber
        /// The batch's updates.
        public var updates: [Entry]
    }

    /// Calls `body` for each record of the write-ahead log at `path`; returns the number of
    /// bytes dropped from a torn tail.
    @discardableResult
    public static func forEachLogRecord(
        _ path: String, fileSystem: any FileSystem = PosixFileSystem(), _ body: (LogRecord) throws -> Void
    ) throws -> Int64 {
        let reader = try LogReader(file: try fileSystem.newRandomAccessFile(path), kind: .wal, expectedFileNumber: nil)
        let version = reader.header?.version ?? LogFormat.formatVersion
        while let record = try reader.readRecord() {
            let batch = try WriteBatch.decodeWALRecord(record, version: version, file: path, offset: reader.lastRecordOffset).batch
            var updates: [Entry] = []
            var sequence = batch.sequence
            try batch.forEach(file: path, offset: reader.lastRecordOffset) { type, key, value in
                updates.append(Entry(key: Array(key), sequence: sequence, type: type, value: Array(value)))
                sequence += 1
            }
            try body(LogRecord(offset: reader.lastRecordOffset, sequence: batch.sequence, updates: updates))
        }
        return reader.droppedTailBytes
    }
}
