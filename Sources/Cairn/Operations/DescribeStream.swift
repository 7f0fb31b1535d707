import CairnLSM
import Foundation

extension ItemDatabase {
    /// Describes a change stream and its shards (DynamoDB Streams' DescribeStream). Shards
    /// come in ShardId order, at most Limit (1 to 100) per call.
    public func describeStream(_ input: DescribeStreamInput) throws -> DescribeStreamOutput {
        try Self.checkStreamLimit(input.limit, field: "limit")
        let descriptor = try stream(arn: input.streamArn)
        let stream = descriptor.stream
        let open = descriptor.disabledAt == nil
        var shards: [Shard] = []
        for lane in 0..<stream.lanes {
            let (first, last) = try laneBounds(descriptor, lane: lane)
            let start = first ?? descriptor.stream.startSequence ?? 1
            shards.append(Shard(
                shardId: StreamShards.shardId(stream, lane: lane),
                sequenceNumberRange: SequenceNumberRange(
                    startingSequenceNumber: StreamShards.sequenceText(start),
                    endingSequenceNumber: open ? nil : StreamShards.sequenceText(last ?? start)),
                parentShardId: nil))
        }
        if let after = input.exclusiveStartShardId {
            shards = shards.filter { $0.shardId > after }
        }
        let limit = input.limit ?? 100
        let page = Array(shards.prefix(limit))
        return DescribeStreamOutput(streamDescription: StreamDescription(
            streamArn: descriptor.arn, streamLabel: stream.label, streamStatus: open ? "ENABLED" : "DISABLED",
            streamViewType: stream.viewType, creationRequestDateTime: stream.createdAt, tableName: descriptor.tableName,
            keySchema: descriptor.keySchema, shards: page,
            lastEvaluatedShardId: shards.count > limit ? page.last?.shardId : nil))
    }

    /// The first and last commit sequence of a lane's records (nil when it has none).
    func laneBounds(_ descriptor: StreamDescriptor, lane: UInt16) throws -> (first: UInt64?, last: UInt64?) {
        let prefix = StreamKeys.lanePrefix(table: descriptor.tableNumber, ordinal: descriptor.stream.ordinal, lane: lane)
        let iterator = try lsm.makeIterator(ReadOptions(lowerBound: prefix, upperBound: prefix.prefixSuccessor))
        try iterator.seekToFirst()
        guard iterator.isValid else { return (nil, nil) }
        let first = StreamKeys.sequence(ofRecordKey: iterator.key)
        try iterator.seekToLast()
        return (first, iterator.isValid ? StreamKeys.sequence(ofRecordKey: iterator.key) : first)
    }
}
