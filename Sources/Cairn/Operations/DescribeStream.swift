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
        var shards = descriptor.shards.map { shard in
            Shard(
                shardId: shard.id,
                sequenceNumberRange: SequenceNumberRange(
                    startingSequenceNumber: StreamShards.sequenceText(shard.start),
                    endingSequenceNumber: shard.end.map(StreamShards.sequenceText)),
                parentShardId: shard.parent)
        }.sorted { $0.shardId < $1.shardId }
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
}
