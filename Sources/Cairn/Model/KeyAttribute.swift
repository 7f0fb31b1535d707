/// A key attribute of a table: its name, its type (S, N or B) and whether it is the partition
/// (hash) key or the sort (range) key.
public struct KeyAttribute: Sendable, Hashable, Codable {
    /// The scalar types a key attribute can have.
    public enum KeyType: String, Sendable, Hashable, Codable {
        case s = "S", n = "N", b = "B"
    }

    /// The attribute's name.
    public var name: String
    /// The attribute's type: S, N or B.
    public var type: KeyType
    /// True for the partition (hash) key, false for the sort (range) key.
    public var isPartitionKey: Bool

    /// The most bytes a partition key value may have (DynamoDB's limit).
    public static let maxPartitionKeyBytes = 2048
    /// The most bytes a sort key value may have (DynamoDB's limit).
    public static let maxSortKeyBytes = 1024

    /// A key attribute with this name, type and role.
    public init(name: String, type: KeyType, isPartitionKey: Bool) {
        self.name = name
        self.type = type
        self.isPartitionKey = isPartitionKey
    }

    /// Checks `value` as this key's value the way DynamoDB does: the declared type, a
    /// non-empty string or binary, and the size limit (2048 bytes for a partition key, 1024
    /// for a sort key).
    ///
    /// - Throws: `ValidationException` with DynamoDB's message.
    public func validate(_ value: AttributeValue) throws {
        let size: Int
        switch (type, value) {
        case (.s, .s(let s)):
            guard !s.isEmpty else {
                throw DynamoDBError.validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: \(name)")
            }
            size = s.utf8.count
        case (.b, .b(let b)):
            guard !b.isEmpty else {
                throw DynamoDBError.validation(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: \(name)")
            }
            size = b.count
        case (.n, .n(let n)):
            size = ItemSize.of(.n(n))
        default:
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Type mismatch for key \(name) expected: \(type.rawValue) actual: \(value.typeName)")
        }
        if isPartitionKey, size > Self.maxPartitionKeyBytes {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of \(Self.maxPartitionKeyBytes) bytes")
        }
        if !isPartitionKey, size > Self.maxSortKeyBytes {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of \(Self.maxSortKeyBytes) bytes")
        }
    }
}
