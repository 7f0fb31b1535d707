import Foundation

/// A stream in ListStreams' answer.
public struct StreamSummary: Codable, Sendable, Hashable {
    /// The stream's ARN.
    public var streamArn: String
    /// Its table's name.
    public var tableName: String
    /// Its label (creation time).
    public var streamLabel: String

    enum CodingKeys: String, CodingKey {
        case streamArn = "StreamArn", tableName = "TableName", streamLabel = "StreamLabel"
    }
}

/// ListStreams' request.
public struct ListStreamsInput: Codable, Sendable {
    /// Only this table's streams.
    public var tableName: String?
    /// At most this many (1 to 100; default 100).
    public var limit: Int?
    /// Start after this stream (a previous page's LastEvaluatedStreamArn).
    public var exclusiveStartStreamArn: String?

    /// A request.
    public init(tableName: String? = nil, limit: Int? = nil, exclusiveStartStreamArn: String? = nil) {
        self.tableName = tableName
        self.limit = limit
        self.exclusiveStartStreamArn = exclusiveStartStreamArn
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", limit = "Limit", exclusiveStartStreamArn = "ExclusiveStartStreamArn"
    }
}

/// ListStreams' response.
public struct ListStreamsOutput: Codable, Sendable {
    /// The streams, oldest table first.
    public var streams: [StreamSummary]
    /// Set when there may be more: pass it as ExclusiveStartStreamArn.
    public var lastEvaluatedStreamArn: String?

    enum CodingKeys: String, CodingKey {
        case streams = "Streams", lastEvaluatedStreamArn = "LastEvaluatedStreamArn"
    }
}

/// The sequence numbers a shard holds.
public struct SequenceNumberRange: Codable, Sendable, Hashable {
    /// The first sequence number the shard may hold.
    public var startingSequenceNumber: String?
    /// The last one, once the shard is closed.
    public var endingSequenceNumber: String?

    enum CodingKeys: String, CodingKey {
        case startingSequenceNumber = "StartingSequenceNumber", endingSequenceNumber = "EndingSequenceNumber"
    }
}

/// One shard of a stream.
public struct Shard: Codable, Sendable, Hashable {
    /// The shard's ID.
    public var shardId: String
    /// Its sequence numbers.
    public var sequenceNumberRange: SequenceNumberRange
    /// The shard it continues, if any.
    public var parentShardId: String?

    enum CodingKeys: String, CodingKey {
        case shardId = "ShardId", sequenceNumberRange = "SequenceNumberRange", parentShardId = "ParentShardId"
    }
}

/// DescribeStream's request.
public struct DescribeStreamInput: Codable, Sendable {
    /// The stream.
    public var streamArn: String
    /// At most this many shards (1 to 100; default 100).
    public var limit: Int?
    /// Start after this shard.
    public var exclusiveStartShardId: String?

    /// A request.
    public init(streamArn: String, limit: Int? = nil, exclusiveStartShardId: String? = nil) {
        self.streamArn = streamArn
        self.limit = limit
        self.exclusiveStartShardId = exclusiveStartShardId
    }

    enum CodingKeys: String, CodingKey {
        case streamArn = "StreamArn", limit = "Limit", exclusiveStartShardId = "ExclusiveStartShardId"
    }
}

/// A stream as DescribeStream reports it.
public struct StreamDescription: Codable, Sendable, Hashable {
    public var streamArn: String
    public var streamLabel: String
    /// `ENABLED` or `DISABLED`.
    public var streamStatus: String
    public var streamViewType: StreamViewType
    /// Seconds since 1970.
    public var creationRequestDateTime: Double
    public var tableName: String
    public var keySchema: [KeySchemaElement]
    public var shards: [Shard]
    /// Set when more shards follow: pass it as ExclusiveStartShardId.
    public var lastEvaluatedShardId: String?

    enum CodingKeys: String, CodingKey {
        case streamArn = "StreamArn", streamLabel = "StreamLabel", streamStatus = "StreamStatus"
        case streamViewType = "StreamViewType", creationRequestDateTime = "CreationRequestDateTime"
        case tableName = "TableName", keySchema = "KeySchema", shards = "Shards"
        case lastEvaluatedShardId = "LastEvaluatedShardId"
    }
}

/// DescribeStream's response.
public struct DescribeStreamOutput: Codable, Sendable {
    public var streamDescription: StreamDescription

    enum CodingKeys: String, CodingKey {
        case streamDescription = "StreamDescription"
    }
}

/// Where a shard iterator starts.
public enum ShardIteratorType: String, Codable, Sendable, DynamoDBEnum {
    static let memberPath = "shardIteratorType"
    static let allowedValues = "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER"

    /// The oldest record still kept.
    case trimHorizon = "TRIM_HORIZON"
    /// After the newest record: only records written from now on.
    case latest = "LATEST"
    /// At the record with `SequenceNumber`.
    case atSequenceNumber = "AT_SEQUENCE_NUMBER"
    /// Just after the record with `SequenceNumber`.
    case afterSequenceNumber = "AFTER_SEQUENCE_NUMBER"
}

/// GetShardIterator's request.
public struct GetShardIteratorInput: Codable, Sendable {
    public var streamArn: String
    public var shardId: String
    public var shardIteratorType: ShardIteratorType
    /// Required with AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER.
    public var sequenceNumber: String?

    /// A request.
    public init(streamArn: String, shardId: String, shardIteratorType: ShardIteratorType, sequenceNumber: String? = nil) {
        self.streamArn = streamArn
        self.shardId = shardId
        self.shardIteratorType = shardIteratorType
        self.sequenceNumber = sequenceNumber
    }

    enum CodingKeys: String, CodingKey {
        case streamArn = "StreamArn", shardId = "ShardId", shardIteratorType = "ShardIteratorType"
        case sequenceNumber = "SequenceNumber"
    }
}

/// GetShardIterator's response.
public struct GetShardIteratorOutput: Codable, Sendable {
    /// Pass to GetRecords; valid for 15 minutes.
    public var shardIterator: String?

    enum CodingKeys: String, CodingKey {
        case shardIterator = "ShardIterator"
    }
}

/// GetRecords' request.
public struct GetRecordsInput: Codable, Sendable {
    public var shardIterator: String
    /// At most this many records (1 to 1,000; default 1,000).
    public var limit: Int?

    /// A request.
    public init(shardIterator: String, limit: Int? = nil) {
        self.shardIterator = shardIterator
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case shardIterator = "ShardIterator", limit = "Limit"
    }
}

/// Who made a change: set only for deletions by Time to Live (`Service`,
/// `dynamodb.amazonaws.com`).
public struct StreamIdentity: Codable, Sendable, Hashable {
    public var principalId: String
    public var type: String

    enum CodingKeys: String, CodingKey {
        case principalId = "PrincipalId", type = "Type"
    }
}

/// The `dynamodb` part of a stream record.
public struct StreamRecordData: Codable, Sendable, Hashable {
    /// Seconds since 1970 (to the millisecond) when the change was written.
    public var approximateCreationDateTime: Double
    public var keys: Item
    public var newImage: Item?
    public var oldImage: Item?
    /// A decimal string of 21 digits, increasing within a shard.
    public var sequenceNumber: String
    /// Size of the keys and images by DynamoDB's item-size rules.
    public var sizeBytes: Int64
    public var streamViewType: StreamViewType

    enum CodingKeys: String, CodingKey {
        case approximateCreationDateTime = "ApproximateCreationDateTime", keys = "Keys", newImage = "NewImage"
        case oldImage = "OldImage", sequenceNumber = "SequenceNumber", sizeBytes = "SizeBytes"
        case streamViewType = "StreamViewType"
    }
}

/// One change record, in DynamoDB Streams' shape.
public struct StreamRecord: Codable, Sendable, Hashable {
    /// Unique per record.
    public var eventID: String
    public var eventName: StreamEventName
    /// "1.1".
    public var eventVersion: String
    /// "aws:dynamodb".
    public var eventSource: String
    /// "local".
    public var awsRegion: String
    public var dynamodb: StreamRecordData
    /// Set for deletions by Time to Live.
    public var userIdentity: StreamIdentity?
}

/// GetRecords' response.
public struct GetRecordsOutput: Codable, Sendable {
    public var records: [StreamRecord]
    /// Where to read next; absent once a closed shard has been read to its end.
    public var nextShardIterator: String?

    enum CodingKeys: String, CodingKey {
        case records = "Records", nextShardIterator = "NextShardIterator"
    }
}
