import CairnLSM
import Foundation

extension ItemDatabase {
    /// Reads records from a shard (DynamoDB Streams' GetRecords): at most Limit (1 to 1,000)
    /// and about 1 MB, in commit order, with the iterator to read on from. A shard of a
    /// disabled stream read to its end returns no NextShardIterator.
    ///
    /// Records are read at one snapshot, and a record's key is its commit sequence number
    /// (`WriteBatch.putStamped`), so a reader never skips a record that commits later with a
    /// smaller number.
    ///
    /// - Throws: `ValidationException` for an iterator Cairn did not issue or a bad Limit;
    ///   `ExpiredIteratorException` for one older than 15 minutes;
    ///   `ResourceNotFoundException` if its stream is gone.
    public func getRecords(_ input: GetRecordsInput) throws -> GetRecordsOutput {
        try Self.checkStreamLimit(input.limit, field: "limit", maximum: 1000)
        guard let position = StreamShards.Iterator(input.shardIterator) else {
            throw DynamoDBError.validation("Invalid ShardIterator")
        }
        let now = UInt64(max(0, currentTime() * 1000))
        if now > position.issuedMillis &+ StreamShards.iteratorLifetimeMillis {
            throw DynamoDBError(name: "ExpiredIteratorException", message: "Shard iterator has expired")
        }
        guard let descriptor = catalog.streamDescriptor(key: StreamKeys.descriptorKey(table: position.table, ordinal: position.ordinal)) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Stream not found")
        }
        guard let shard = descriptor.shards.first(where: { $0.lane == position.lane && $0.start == position.shardStart }) else {
            throw DynamoDBError(
                name: "TrimmedDataAccessException",
                message: "The shard was trimmed: its records are older than the stream's retention period")
        }
        let limit = input.limit ?? 1000
        var records: [StreamRecord] = []
        var bytes = 0
        var last = position.after
        let end = shard.end ?? .max
        var reachedEnd = false
        let exhausted = try scanLane(
            table: position.table, ordinal: position.ordinal, lane: position.lane, after: position.after,
            snapshot: lsm.snapshot()
        ) { sequence, value in
            guard records.count < limit, bytes < 1 << 20 else { return false }
            guard sequence <= end else {
                reachedEnd = true
                return false
            }
            let stored = try StreamRecordCodec.decode(value, keys: descriptor.keyAttributes)
            bytes += value.count
            records.append(Self.streamRecord(stored, sequence: sequence, table: descriptor.tableNumber, stream: descriptor.stream))
            last = sequence
            return true
        }
        // A closed shard takes no more records: read to its end, it is done.
        let finished = shard.end != nil && (reachedEnd || exhausted)
        var next = position
        next.after = last
        next.issuedMillis = now
        return GetRecordsOutput(records: records, nextShardIterator: finished ? nil : next.text)
    }

    /// A stored record in DynamoDB Streams' shape.
    static func streamRecord(_ stored: StoredStreamRecord, sequence: UInt64, table: UInt32, stream: StreamState) -> StreamRecord {
        let size = ItemSize.of(stored.keys) + (stored.newImage.map(ItemSize.of) ?? 0) + (stored.oldImage.map(ItemSize.of) ?? 0)
        var id: [UInt8] = []
        KeySpace.appendBigEndian(table, to: &id)
        KeySpace.appendBigEndian(stream.ordinal, to: &id)
        KeySpace.appendBigEndian(sequence, to: &id)
        return StreamRecord(
            eventID: hexString(id),
            eventName: stored.eventName, eventVersion: "1.1", eventSource: "aws:dynamodb", awsRegion: "local",
            dynamodb: StreamRecordData(
                approximateCreationDateTime: Double(stored.createdAtMillis) / 1000, keys: stored.keys,
                newImage: stored.newImage, oldImage: stored.oldImage, sequenceNumber: StreamShards.sequenceText(sequence),
                sizeBytes: Int64(size), streamViewType: stream.viewType),
            userIdentity: stored.byTimeToLive ? StreamIdentity(principalId: "dynamodb.amazonaws.com", type: "Service") : nil)
    }
}
