import CairnLSM

/// The keys to read from one table in a BatchGetItem, and how (DynamoDB's `KeysAndAttributes`).
public struct KeysAndAttributes: Codable, Sendable, Equatable {
    /// The keys: each exactly the table's key attributes.
    public var keys: [Item]
    /// The attributes to return (all when absent).
    public var projectionExpression: String?
    /// Substitutions for `#name` placeholders in the projection.
    public var expressionAttributeNames: [String: String]?
    /// Accepted; Cairn's reads are always strongly consistent.
    public var consistentRead: Bool?

    /// Reads of `keys`.
    public init(keys: [Item], projectionExpression: String? = nil, expressionAttributeNames: [String: String]? = nil,
                consistentRead: Bool? = nil) {
        self.keys = keys
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.consistentRead = consistentRead
    }

    enum CodingKeys: String, CodingKey {
        case keys = "Keys", projectionExpression = "ProjectionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames", consistentRead = "ConsistentRead"
    }
}

/// BatchGetItem's request.
public struct BatchGetItemInput: Codable, Sendable, Equatable {
    /// Table name to the keys to read there: 1 to 100 keys in all.
    public var requestItems: [String: KeysAndAttributes]
    /// Accepted and ignored.
    public var returnConsumedCapacity: String?

    /// A batch read of `requestItems`.
    public init(requestItems: [String: KeysAndAttributes]) {
        self.requestItems = requestItems
    }

    enum CodingKeys: String, CodingKey {
        case requestItems = "RequestItems", returnConsumedCapacity = "ReturnConsumedCapacity"
    }
}

/// BatchGetItem's response.
public struct BatchGetItemOutput: Codable, Sendable, Equatable {
    /// Table name to the items found (missing items are simply absent), in no particular order.
    public var responses: [String: [Item]]
    /// Keys not read because the response reached 16 MB, with their table's projection: pass
    /// them as the next request's `requestItems`.
    public var unprocessedKeys: [String: KeysAndAttributes]

    /// A response.
    public init(responses: [String: [Item]], unprocessedKeys: [String: KeysAndAttributes] = [:]) {
        self.responses = responses
        self.unprocessedKeys = unprocessedKeys
    }

    enum CodingKeys: String, CodingKey {
        case responses = "Responses", unprocessedKeys = "UnprocessedKeys"
    }
}

extension ItemDatabase {
    /// The most keys in one BatchGetItem.
    static let maxBatchGetKeys = 100
    /// The most bytes of items one BatchGetItem returns (DynamoDB's 16 MB).
    static let maxBatchGetBytes = 16 << 20

    /// Reads up to 100 items by key across tables (DynamoDB's BatchGetItem), all as of one
    /// instant.
    ///
    /// Items are returned until their sizes (DynamoDB's item size, before projection) reach
    /// 16 MB; the keys left are returned in `unprocessedKeys`, with their projection, for the
    /// next call. Every request reads at least one item.
    ///
    /// - Throws: `ValidationException` (no keys or more than 100, a key twice in one table, bad
    ///   keys or projections), `ResourceNotFoundException`.
    public func batchGetItem(_ input: BatchGetItemInput) throws -> BatchGetItemOutput {
        var violations = ConstraintViolations()
        if input.requestItems.isEmpty {
            violations.add(value: "'{}'", field: "requestItems", constraint: "Member must have length greater than or equal to 1")
        }
        try violations.check()
        guard input.requestItems.values.reduce(0, { $0 + $1.keys.count }) <= Self.maxBatchGetKeys else {
            throw DynamoDBError.validation("Too many items requested for the BatchGetItem call")
        }
        struct TableReads {
            var name: String
            var request: KeysAndAttributes
            var keys: [[UInt8]]
            var projection: Projection?
        }
        var tables: [TableReads] = []
        for (name, request) in input.requestItems.sorted(by: { $0.key < $1.key }) {
            let definition = try catalog.table(name)
            guard !request.keys.isEmpty else {
                throw DynamoDBError.validation(
                    "1 validation error detected: Value '[]' at 'requestItems.\(name).member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1")
            }
            let keys = try request.keys.map { try definition.itemKey(try definition.keyValues(of: $0, isKey: true)) }
            guard Set(keys).count == keys.count else {
                throw DynamoDBError.validation("Provided list of item keys contains duplicates")
            }
            let projection = request.projectionExpression == nil && request.expressionAttributeNames == nil
                ? nil
                : try RequestExpressions(projection: request.projectionExpression, names: request.expressionAttributeNames).projection
            tables.append(TableReads(name: name, request: request, keys: keys, projection: projection))
        }
        let snapshot = lsm.snapshot()
        var responses: [String: [Item]] = [:]
        var unprocessed: [String: KeysAndAttributes] = [:]
        var bytes = 0
        for table in tables {
            var found: [Item] = []
            for (i, key) in table.keys.enumerated() {
                if bytes >= Self.maxBatchGetBytes {
                    var rest = table.request
                    rest.keys = Array(table.request.keys[i...])
                    unprocessed[table.name] = rest
                    break
                }
                guard let item = try readItem(key, snapshot: snapshot) else { continue }
                bytes += ItemSize.of(item)
                found.append(table.projection?.apply(to: item) ?? item)
            }
            responses[table.name] = found
        }
        return BatchGetItemOutput(responses: responses, unprocessedKeys: unprocessed)
    }
}
