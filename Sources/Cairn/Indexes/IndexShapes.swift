/// Which attributes a secondary index copies from the table (DynamoDB's `Projection`).
public struct IndexProjection: Codable, Sendable, Hashable {
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    public enum ProjectionType: String, Codable, Sendable, DynamoDBEnum {
        static let memberPath = "projection.projectionType"
        static let allowedValues = "ALL, KEYS_ONLY, INCLUDE"

        /// Every attribute of the item.
        case all = "ALL"
        /// The table's and the index's key attributes only.
        case keysOnly = "KEYS_ONLY"
        /// The keys and `nonKeyAttributes`.
        case include = "INCLUDE"
    }

    /// What is projected (DynamoDB's default when absent is KEYS_ONLY; CreateTable requires it).
    public var projectionType: ProjectionType?
    /// With INCLUDE: the other top-level attributes to copy.
    public var nonKeyAttributes: [String]?

    /// A projection of this type (and, for INCLUDE, these attributes).
    public init(projectionType: ProjectionType, nonKeyAttributes: [String]? = nil) {
        self.projectionType = projectionType
        self.nonKeyAttributes = nonKeyAttributes
    }

    enum CodingKeys: String, CodingKey {
        case projectionType = "ProjectionType", nonKeyAttributes = "NonKeyAttributes"
    }
}

/// How a global secondary index follows its table (a Cairn extension of DynamoDB's shape,
/// the request and description field `Consistency`).
public enum IndexConsistency: String, Codable, Sendable, DynamoDBEnum {
    static let memberPath = "globalSecondaryIndexes.member.consistency"
    static let allowedValues = "EVENTUAL, STRONG"

    /// DynamoDB's behaviour and the default: the index is updated in the background from the
    /// table's changes, shortly after each write; ConsistentRead is refused.
    case eventual = "EVENTUAL"
    /// Cairn's extension: the index is written in the same atomic batch as the item, so a
    /// read with ConsistentRead=true sees every acknowledged write.
    case strong = "STRONG"
}

/// A local secondary index in CreateTable: the table's partition key and another sort key.
public struct LocalSecondaryIndex: Codable, Sendable, Hashable {
    /// The index's name, unique among the table's indexes.
    public var indexName: String
    /// The table's partition key (HASH), then the index's sort key (RANGE).
    public var keySchema: [KeySchemaElement]
    /// The attributes copied into the index.
    public var projection: IndexProjection

    /// An index with this name, key schema and projection.
    public init(indexName: String, keySchema: [KeySchemaElement], projection: IndexProjection) {
        self.indexName = indexName
        self.keySchema = keySchema
        self.projection = projection
    }

    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName", keySchema = "KeySchema", projection = "Projection"
    }
}

/// A global secondary index in CreateTable or UpdateTable's Create: any key schema.
public struct GlobalSecondaryIndex: Codable, Sendable, Hashable {
    /// The index's name, unique among the table's indexes.
    public var indexName: String
    /// The index's partition key (HASH), then optionally its sort key (RANGE).
    public var keySchema: [KeySchemaElement]
    /// The attributes copied into the index.
    public var projection: IndexProjection
    /// Recorded and reported; Cairn does not throttle.
    public var provisionedThroughput: ProvisionedThroughput?
    /// EVENTUAL (default, DynamoDB's) or STRONG (Cairn's extension).
    public var consistency: IndexConsistency?

    /// An index with this name, key schema and projection.
    public init(indexName: String, keySchema: [KeySchemaElement], projection: IndexProjection,
                provisionedThroughput: ProvisionedThroughput? = nil, consistency: IndexConsistency? = nil) {
        self.indexName = indexName
        self.keySchema = keySchema
        self.projection = projection
        self.provisionedThroughput = provisionedThroughput
        self.consistency = consistency
    }

    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName", keySchema = "KeySchema", projection = "Projection"
        case provisionedThroughput = "ProvisionedThroughput", consistency = "Consistency"
    }
}

/// One change of UpdateTable's `GlobalSecondaryIndexUpdates`: exactly one of its members.
public struct GlobalSecondaryIndexUpdate: Codable, Sendable, Hashable {
    /// Creates an index online: CREATING (backfilling) until every item is indexed, then ACTIVE.
    public var create: GlobalSecondaryIndex?
    /// Deletes an index and its entries.
    public var delete: DeleteGlobalSecondaryIndexAction?
    /// Changes an index's recorded throughput.
    public var update: UpdateGlobalSecondaryIndexAction?

    /// An update with one of its members.
    public init(create: GlobalSecondaryIndex? = nil, delete: DeleteGlobalSecondaryIndexAction? = nil,
                update: UpdateGlobalSecondaryIndexAction? = nil) {
        self.create = create
        self.delete = delete
        self.update = update
    }

    enum CodingKeys: String, CodingKey {
        case create = "Create", delete = "Delete", update = "Update"
    }
}

/// UpdateTable's deletion of a global secondary index.
public struct DeleteGlobalSecondaryIndexAction: Codable, Sendable, Hashable {
    /// The index to delete.
    public var indexName: String

    /// The deletion of `indexName`.
    public init(indexName: String) { self.indexName = indexName }

    enum CodingKeys: String, CodingKey { case indexName = "IndexName" }
}

/// UpdateTable's change of a global secondary index's throughput.
public struct UpdateGlobalSecondaryIndexAction: Codable, Sendable, Hashable {
    /// The index to change.
    public var indexName: String
    /// Its new capacities.
    public var provisionedThroughput: ProvisionedThroughput?

    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName", provisionedThroughput = "ProvisionedThroughput"
    }
}

/// A local secondary index in a table description.
public struct LocalSecondaryIndexDescription: Codable, Sendable, Hashable {
    /// The index's name.
    public var indexName: String
    /// The table's partition key, then the index's sort key.
    public var keySchema: [KeySchemaElement]
    /// The attributes copied into the index.
    public var projection: IndexProjection
    /// Bytes of the index's entries (counted when described).
    public var indexSizeBytes: Int64
    /// Entries in the index (counted when described).
    public var itemCount: Int64
    /// `arn:aws:dynamodb:local:000000000000:table/<table>/index/<index>`.
    public var indexArn: String

    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName", keySchema = "KeySchema", projection = "Projection"
        case indexSizeBytes = "IndexSizeBytes", itemCount = "ItemCount", indexArn = "IndexArn"
    }
}

/// A global secondary index in a table description.
public struct GlobalSecondaryIndexDescription: Codable, Sendable, Hashable {
    /// The index's name.
    public var indexName: String
    /// The index's partition key, then its sort key if it has one.
    public var keySchema: [KeySchemaElement]
    /// The attributes copied into the index.
    public var projection: IndexProjection
    /// CREATING while the index is backfilled, then ACTIVE.
    public var indexStatus: String
    /// True while CREATING.
    public var backfilling: Bool?
    /// The recorded capacities (0 with PAY_PER_REQUEST).
    public var provisionedThroughput: ProvisionedThroughputDescription
    /// Bytes of the index's entries (counted when described).
    public var indexSizeBytes: Int64
    /// Entries in the index (counted when described).
    public var itemCount: Int64
    /// `arn:aws:dynamodb:local:000000000000:table/<table>/index/<index>`.
    public var indexArn: String
    /// EVENTUAL or STRONG (Cairn's extension).
    public var consistency: IndexConsistency

    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName", keySchema = "KeySchema", projection = "Projection"
        case indexStatus = "IndexStatus", backfilling = "Backfilling"
        case provisionedThroughput = "ProvisionedThroughput", indexSizeBytes = "IndexSizeBytes"
        case itemCount = "ItemCount", indexArn = "IndexArn", consistency = "Consistency"
    }
}
