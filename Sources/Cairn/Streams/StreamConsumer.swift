import CairnLSM
import Foundation

/// A named, durable reader of a table's change stream: its position (the sequence number of
/// the last record it finished) is stored in the database, so a restarted consumer resumes
/// where it left off.
///
/// A consumer that stores its output in this database commits its position in the same
/// CairnLSM batch as that output (`commit(_:in:)`), so after any crash the output and the
/// position agree: every record is applied exactly once. Secondary indexes and the exporter
/// build on this.
///
/// Stored under `0x00 'C' <table number: 4> <stream ordinal: 2> <name>` as a fixed64
/// (Docs/stream_format.md); a stream enabled again is a new stream, with positions of its own.
public final class StreamConsumer: Sendable {
    /// The consumer's name.
    public let name: String
    let database: ItemDatabase
    let table: UInt32
    let stream: StreamState
    let keys: [KeyAttribute]
    let key: [UInt8]

    init(name: String, database: ItemDatabase, table: UInt32, stream: StreamState, keys: [KeyAttribute]) {
        self.name = name
        self.database = database
        self.table = table
        self.stream = stream
        self.keys = keys
        var key: [UInt8] = [KeySpace.catalogTag, UInt8(ascii: "C")]
        KeySpace.appendBigEndian(table, to: &key)
        KeySpace.appendBigEndian(stream.ordinal, to: &key)
        key.append(contentsOf: name.utf8)
        self.key = key
    }

    /// The sequence number of the last record committed (0 before the first commit).
    public func position() throws -> UInt64 {
        try database.storage.storedUInt64(key, file: "stream consumer \(name)", what: "position") ?? 0
    }

    /// The stream's records after the committed position.
    public func changes() throws -> ChangeStream {
        ChangeStream(database: database, table: table, stream: stream, keys: keys, after: try position())
    }

    /// Adds "position = `sequence`" to `batch`, which the caller writes with its own output
    /// (`ItemDatabase.storage.write(batch, sync: true)`): both or neither survive a crash.
    public func commit(_ sequence: UInt64, in batch: inout WriteBatch) {
        var value: [UInt8] = []
        KeySpace.appendBigEndian(sequence, to: &value)
        batch.put(key, value)
    }

    /// Stores the position on its own (synced).
    public func commit(_ sequence: UInt64) throws {
        var batch = WriteBatch()
        commit(sequence, in: &batch)
        _ = try database.storage.write(batch, sync: true)
    }
}

extension ItemDatabase {
    /// The durable consumer `name` of `tableName`'s current stream (created on first use; its
    /// position starts at 0, before every record).
    ///
    /// - Throws: `ResourceNotFoundException` for a missing table; `ValidationException` for a
    ///   table without an enabled stream or an empty name.
    public func consumer(named name: String, of tableName: String) throws -> StreamConsumer {
        guard !name.isEmpty, name.utf8.count <= 255 else {
            throw DynamoDBError.validation("A consumer name must have 1 to 255 bytes")
        }
        let table = try catalog.table(named: tableName)
        guard let stream = table.activeStream else {
            throw DynamoDBError.validation("Table \(tableName) has no enabled stream")
        }
        return StreamConsumer(name: name, database: self, table: table.number, stream: stream, keys: table.keyAttributes)
    }
}
