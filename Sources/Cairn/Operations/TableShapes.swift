import Foundation

/// One element of a table's key schema: `{"AttributeName": "pk", "KeyType": "HASH"}`.
public struct KeySchemaElement: Codable, Sendable, Hashable {
    /// `HASH` (partition key) or `RANGE` (sort key).
    public enum KeyType: String, Codable, Sendable, DynamoDBEnum {
        static let memberPath = "keySchema.member.keyType"
        static let allowedValues = "HASH, RANGE"

        case hash = "HASH"
        case range = "RANGE"

    }

    /// The key attribute's name.
    public var attributeName: String
    /// Whether it is the partition (HASH) or the sort (RANGE) key.
    public var keyType: KeyType

    /// The element making `attributeName` a key of type `keyType`.
    public init(attributeName: String, keyType: KeyType) {
        self.attributeName = attributeName
        self.keyType = keyType
    }

    enum CodingKeys: String, CodingKey {
        case attributeName = "AttributeName", keyType = "KeyType"
    }
}

/// The declared type of a key attribute: `{"AttributeName": "pk", "AttributeType": "S"}`.
public struct AttributeDefinition: Codable, Sendable, Hashable {
    /// The key attribute's name.
    public var attributeName: String
    /// "S", "N" or "B" (checked by CreateTable, so a bad value gets DynamoDB's message).
    public var attributeType: String

    /// The definition of `attributeName` with a key type.
    public init(attributeName: String, attributeType: KeyAttribute.KeyType) {
        self.attributeName = attributeName
        self.attributeType = attributeType.rawValue
    }

    /// The definition of `attributeName` with the type as text, checked only by CreateTable.
    public init(attributeName: String, attributeType: String) {
        self.attributeName = attributeName
        self.attributeType = attributeType
    }

    enum CodingKeys: String, CodingKey {
        case attributeName = "AttributeName", attributeType = "AttributeType"
    }
}

/// `PROVISIONED` (DynamoDB's default, which needs ProvisionedThroughput) or `PAY_PER_REQUEST`.
/// Cairn records the mode and the capacities and reports them back; it does not throttle.
public enum BillingMode: String, Codable, Sendable, DynamoDBEnum {
    static let memberPath = "billingMode"
    static let allowedValues = "PROVISIONED, PAY_PER_REQUEST"

    case provisioned = "PROVISIONED"
    case payPerRequest = "PAY_PER_REQUEST"

}

/// Read and write capacity units, as given to CreateTable or UpdateTable.
public struct ProvisionedThroughput: Codable, Sendable, Hashable {
    /// Read capacity units, at least 1 (given only with PROVISIONED billing).
    public var readCapacityUnits: Int64
    /// Write capacity units, at least 1 (given only with PROVISIONED billing).
    public var writeCapacityUnits: Int64

    /// These read and write capacities.
    public init(readCapacityUnits: Int64, writeCapacityUnits: Int64) {
        self.readCapacityUnits = readCapacityUnits
        self.writeCapacityUnits = writeCapacityUnits
    }

    enum CodingKeys: String, CodingKey {
        case readCapacityUnits = "ReadCapacityUnits", writeCapacityUnits = "WriteCapacityUnits"
    }
}

/// The throughput part of a table description.
public struct ProvisionedThroughputDescription: Codable, Sendable, Hashable {
    /// Always 0: Cairn does not count capacity decreases.
    public var numberOfDecreasesToday: Int64 = 0
    /// The table's read capacity units (0 with PAY_PER_REQUEST).
    public var readCapacityUnits: Int64
    /// The table's write capacity units (0 with PAY_PER_REQUEST).
    public var writeCapacityUnits: Int64

    enum CodingKeys: String, CodingKey {
        case numberOfDecreasesToday = "NumberOfDecreasesToday"
        case readCapacityUnits = "ReadCapacityUnits", writeCapacityUnits = "WriteCapacityUnits"
    }
}

/// The billing part of a table description.
public struct BillingModeSummary: Codable, Sendable, Hashable {
    /// The table's billing mode.
    public var billingMode: BillingMode
    /// When the table last switched to PAY_PER_REQUEST, in seconds since 1970.
    public var lastUpdateToPayPerRequestDateTime: Double?

    enum CodingKeys: String, CodingKey {
        case billingMode = "BillingMode"
        case lastUpdateToPayPerRequestDateTime = "LastUpdateToPayPerRequestDateTime"
    }
}

/// A table as DescribeTable, CreateTable, UpdateTable and DeleteTable report it.
public struct TableDescription: Codable, Sendable, Hashable {
    /// The types of the key attributes.
    public var attributeDefinitions: [AttributeDefinition]
    /// The table's name.
    public var tableName: String
    /// The partition (HASH) key, then the sort (RANGE) key if there is one.
    public var keySchema: [KeySchemaElement]
    /// Always `ACTIVE` (or `DELETING` in DeleteTable's answer): Cairn creates tables at once.
    public var tableStatus: String
    /// Seconds since 1970 (DynamoDB's JSON protocol sends timestamps as numbers).
    public var creationDateTime: Double
    /// The capacities the table records (0 with PAY_PER_REQUEST).
    public var provisionedThroughput: ProvisionedThroughputDescription
    /// The bytes of all items, by DynamoDB's item-size rules (counted when described).
    public var tableSizeBytes: Int64
    /// The number of items (counted when described).
    public var itemCount: Int64
    /// A local ARN, `arn:aws:dynamodb:local:000000000000:table/<name>`.
    public var tableArn: String
    /// A UUID chosen when the table was created.
    public var tableId: String
    /// The billing mode and when the table last switched to PAY_PER_REQUEST.
    public var billingModeSummary: BillingModeSummary?
    /// Whether DeleteTable is refused.
    public var deletionProtectionEnabled: Bool
    /// The stream setting, once the table has had a stream (`StreamEnabled` false after it
    /// was disabled).
    public var streamSpecification: StreamSpecification?
    /// The label of the table's latest stream (its creation time), if it ever had one.
    public var latestStreamLabel: String?
    /// The ARN of the table's latest stream, if it ever had one.
    public var latestStreamArn: String?
    /// The table's local secondary indexes, if it has any.
    public var localSecondaryIndexes: [LocalSecondaryIndexDescription]?
    /// The table's global secondary indexes, if it has any.
    public var globalSecondaryIndexes: [GlobalSecondaryIndexDescription]?

    /// When the table was created.
    public var creationDate: Date { Date(timeIntervalSince1970: creationDateTime) }

    enum CodingKeys: String, CodingKey {
        case attributeDefinitions = "AttributeDefinitions", tableName = "TableName", keySchema = "KeySchema"
        case tableStatus = "TableStatus", creationDateTime = "CreationDateTime"
        case provisionedThroughput = "ProvisionedThroughput", tableSizeBytes = "TableSizeBytes"
        case itemCount = "ItemCount", tableArn = "TableArn", tableId = "TableId"
        case billingModeSummary = "BillingModeSummary", deletionProtectionEnabled = "DeletionProtectionEnabled"
        case streamSpecification = "StreamSpecification", latestStreamLabel = "LatestStreamLabel"
        case latestStreamArn = "LatestStreamArn"
        case localSecondaryIndexes = "LocalSecondaryIndexes", globalSecondaryIndexes = "GlobalSecondaryIndexes"
    }
}
