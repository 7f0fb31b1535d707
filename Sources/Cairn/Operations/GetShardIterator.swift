import CairnLSM
import Foundation

extension ItemDatabase {
    /// Returns an iterator into one shard (DynamoDB Streams' GetShardIterator): at its oldest
    /// record (TRIM_HORIZON), after its newest (LATEST), at or after a sequence number. Valid
    /// for 15 minutes.
    ///
    /// - Throws: `ValidationException` for a malformed ARN or sequence number, a
    ///   SequenceNumber missing with AT_/AFTER_SEQUENCE_NUMBER or given with TRIM_HORIZON or
    ///   LATEST; `ResourceNotFoundException` for a stream or shard that does not exist.
    public func getShardIterator(_ input: GetShardIteratorInput) throws -> GetShardIteratorOutput {
        var sequence: UInt64?
        switch input.shardIteratorType {
        case .atSequenceNumber, .afterSequenceNumber:
            guard let text = input.sequenceNumber else {
                throw DynamoDBError.validation(
                    "SequenceNumber is required with ShardIteratorType \(input.shardIteratorType.rawValue)")
            }
            guard let parsed = StreamShards.sequence(fromText: text) else {
                throw DynamoDBError.validation("Invalid SequenceNumber: \(text)")
            }
            sequence = parsed
        case .trimHorizon, .latest:
            guard input.sequenceNumber == nil else {
                throw DynamoDBError.validation(
                    "SequenceNumber must not be specified with ShardIteratorType \(input.shardIteratorType.rawValue)")
            }
        }
        let descriptor = try stream(arn: input.streamArn)
        guard let shard = descriptor.shards.first(where: { $0.id == input.shardId }) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Shard does not exist")
        }
        let after: UInt64
        switch input.shardIteratorType {
        case .trimHorizon: after = shard.start &- 1
        case .latest: after = min(lsm.latestSequenceNumber, shard.end ?? .max)
        case .atSequenceNumber, .afterSequenceNumber:
            let s = sequence ?? 0
            guard s >= shard.start, s <= shard.end ?? .max else {
                throw DynamoDBError.validation(
                    "Invalid SequenceNumber \(StreamShards.sequenceText(s)) for shard \(shard.id): it holds sequence numbers from \(StreamShards.sequenceText(shard.start))"
                        + (shard.end.map { " to \(StreamShards.sequenceText($0))" } ?? ""))
            }
            after = input.shardIteratorType == .atSequenceNumber ? s &- 1 : s
        }
        let iterator = StreamShards.Iterator(
            table: descriptor.tableNumber, ordinal: descriptor.stream.ordinal, lane: shard.lane, shardStart: shard.start,
            after: after, issuedMillis: UInt64(max(0, currentTime() * 1000)))
        return GetShardIteratorOutput(shardIterator: iterator.text)
    }
}
