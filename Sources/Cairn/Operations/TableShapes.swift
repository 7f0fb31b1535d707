import Foundation

/// One element of a table's key schema: `{"AttributeName": "pk", "KeyType": "HASH"}`.
public struct KeySchemaElement: Codable, Sendable, Hashable {
    /// `HASH` (partition key) or `RANGE` (sort key).
    public enum KeyType: String, Codable, Sendable {
        case hash = "HASH"
        case range = "RANGE"

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let value = KeyType(rawValue: text) else {
                throw DynamoDBError.validation(
                    "1 validation error detected: Value '\(text)' at 'keySchema.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]")
            }
            self = value
        }
    }

    public var attributeName: String
    public var keyType: KeyType

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
    public var attributeName: String
    /// "S", "N" or "B" (checked by CreateTable, so a bad value gets DynamoDB's message).
    public var attributeType: String

    public init(attributeName: String, attributeType: KeyAttribute.KeyType) {
        self.attributeName = attributeName
        self.attributeType = attributeType.rawValue
    }

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
public enum BillingMode: String, Codable, Sendable {
    case provisioned = "PROVISIONED"
    case payPerRequest = "PAY_PER_REQUEST"

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = BillingMode(rawValue: text) else {
            throw DynamoDBError.validation(
                "1 validation error detected: Value '\(text)' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]")
        }
        self = value
    }
}

/// Read and write capacity units, as given to CreateTable or UpdateTable.
public struct ProvisionedThroughput: Codable, Sendable, Hashable {
    public var readCapacityUnits: Int64
    public var writeCapacityUnits: Int64

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
    public var numberOfDecreasesToday: Int64 = 0
    public var readCapacityUnits: Int64
    public var writeCapacityUnits: Int64

    enum CodingKeys: String, CodingKey {
        case numberOfDecreasesToday = "NumberOfDecreasesToday"
        case readCapacityUnits = "ReadCapacityUnits", writeCapacityUnits = "WriteCapacityUnits"
    }
}

/// The billing part of a table description.
public struct BillingModeSummary: Codable, Sendable, Hashable {
    public var billingMode: BillingMode
    /// When the table last switched to PAY_PER_REQUEST, in seconds since 1970.
    public var lastUpdateToPayPerRequestDateTime: Double?

    enum CodingKeys: String, CodingKey {
        case billingMode = "BillingMode"
        case lastUpdateToPayPerRequestDateTime = "LastUpdateToPayPerRequestDateTime"
    }
}

/// A secondary index in a request. Cairn does not support indexes yet; the shape exists so a
/// request that defines one is recognized and refused with a clear message.
public struct SecondaryIndexRequest: Codable, Sendable, Hashable {
    public var indexName: String?

    enum CodingKeys: String, CodingKey {
        case indexName = "IndexName"
    }
}

/// A table as DescribeTable, CreateTable, UpdateTable and DeleteTable report it.
public struct TableDescription: Codable, Sendable, Hashable {
    public var attributeDefinitions: [AttributeDefinition]
    public var tableName: String
    public var keySchema: [KeySchemaElement]
    /// Always `ACTIVE` (or `DELETING` in DeleteTable's answer): Cairn creates tables at once.
    public var tableStatus: String
    /// Seconds since 1970 (DynamoDB's JSON protocol sends timestamps as numbers).
    public var creationDateTime: Double
    public var provisionedThroughput: ProvisionedThroughputDescription
    /// The bytes of all items, by DynamoDB's item-size rules (counted when described).
    public var tableSizeBytes: Int64
    /// The number of items (counted when described).
    public var itemCount: Int64
    public var tableArn: String
    public var tableId: String
    public var billingModeSummary: BillingModeSummary?
    public var deletionProtectionEnabled: Bool

    /// When the table was created.
    public var creationDate: Date { Date(timeIntervalSince1970: creationDateTime) }

    enum CodingKeys: String, CodingKey {
        case attributeDefinitions = "AttributeDefinitions", tableName = "TableName", keySchema = "KeySchema"
        case tableStatus = "TableStatus", creationDateTime = "CreationDateTime"
        case provisionedThroughput = "ProvisionedThroughput", tableSizeBytes = "TableSizeBytes"
        case itemCount = "ItemCount", tableArn = "TableArn", tableId = "TableId"
        case billingModeSummary = "BillingModeSummary", deletionProtectionEnabled = "DeletionProtectionEnabled"
    }
}
