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
        guard let lane = StreamShards.lane(ofShardId: input.shardId, in: descriptor.stream) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Shard does not exist")
        }
        let after: UInt64
        switch input.shardIteratorType {
        case .trimHorizon: after = 0
        case .latest: after = lsm.latestSequenceNumber
        case .atSequenceNumber: after = (sequence ?? 1) &- 1
        case .afterSequenceNumber: after = sequence ?? 0
        }
        let iterator = StreamShards.Iterator(
            table: descriptor.tableNumber, ordinal: descriptor.stream.ordinal, lane: lane, after: after,
            issuedMillis: UInt64(max(0, currentTime() * 1000)))
        return GetShardIteratorOutput(shardIterator: iterator.text)
    }
}
