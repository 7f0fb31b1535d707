/// Query's request.
public struct QueryInput: Codable, Sendable {
    /// The table to read.
    public var tableName: String
    /// Query this secondary index instead of the table: the key condition is on the index's
    /// keys, and items come in index-key order.
    public var indexName: String?
    /// `pk = :v`, optionally `AND` one condition on the sort key.
    public var keyConditionExpression: String?
    /// A condition on the items read; those it rejects are left out of `Items` and `Count` but
    /// count in `ScannedCount`. It may not use key attributes.
    public var filterExpression: String?
    /// The attributes to return from each item; all of them when absent.
    public var projectionExpression: String?
    /// Substitutions for `#name` placeholders in the expressions; every one must be used.
    public var expressionAttributeNames: [String: String]?
    /// Values for `:value` placeholders in the expressions; every one must be used.
    public var expressionAttributeValues: [String: AttributeValue]?
    /// Ascending sort-key order (default) or descending.
    public var scanIndexForward: Bool?
    /// The most items to read (before the filter) in this page.
    public var limit: Int?
    /// The previous page's LastEvaluatedKey.
    public var exclusiveStartKey: Item?
    /// ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES (indexes only, their default),
    /// SPECIFIC_ATTRIBUTES (needs a projection) or COUNT (items left out).
    public var select: Select?
    /// Reads of tables and of local and strong indexes are always strongly consistent; true
    /// on an eventually consistent global index is a ValidationException.
    public var consistentRead: Bool?

    /// A query of `tableName` with this key condition.
    public init(tableName: String, keyConditionExpression: String, filterExpression: String? = nil,
                projectionExpression: String? = nil, expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil, scanIndexForward: Bool? = nil,
                limit: Int? = nil, exclusiveStartKey: Item? = nil, select: Select? = nil, consistentRead: Bool? = nil,
                indexName: String? = nil) {
        self.tableName = tableName
        self.indexName = indexName
        self.keyConditionExpression = keyConditionExpression
        self.filterExpression = filterExpression
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.scanIndexForward = scanIndexForward
        self.limit = limit
        self.exclusiveStartKey = exclusiveStartKey
        self.select = select
        self.consistentRead = consistentRead
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", indexName = "IndexName", keyConditionExpression = "KeyConditionExpression"
        case filterExpression = "FilterExpression", projectionExpression = "ProjectionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames"
        case expressionAttributeValues = "ExpressionAttributeValues"
        case scanIndexForward = "ScanIndexForward", limit = "Limit", exclusiveStartKey = "ExclusiveStartKey"
        case select = "Select", consistentRead = "ConsistentRead"
    }
}

/// The response of Query and Scan.
public struct QueryOutput: Codable, Sendable {
    /// The matching items (absent with Select COUNT).
    public var items: [Item]?
    /// Items that passed the filter.
    public var count: Int
    /// Items read before the filter.
    public var scannedCount: Int
    /// Present when the page stopped early: pass it as the next ExclusiveStartKey.
    public var lastEvaluatedKey: Item?

    enum CodingKeys: String, CodingKey {
        case items = "Items", count = "Count", scannedCount = "ScannedCount", lastEvaluatedKey = "LastEvaluatedKey"
    }

    init(_ page: ItemPageReader.Page, countOnly: Bool) {
        items = countOnly ? nil : page.items
        count = page.count
        scannedCount = page.scannedCount
        lastEvaluatedKey = page.lastEvaluatedKey
    }
}

extension ItemDatabase {
    /// Reads one partition's items in sort-key order, a page at a time (DynamoDB's Query); with
    /// `indexName`, one partition of a secondary index in index sort-key order (then table-key
    /// order).
    ///
    /// - Throws: `ValidationException` (bad key condition, a filter on key attributes, a start
    ///   key outside the condition, an unknown or backfilling index, ...);
    ///   `ResourceNotFoundException`.
    public func query(_ input: QueryInput) throws -> QueryOutput {
        let definition = try catalog.table(input.tableName)
        try Self.checkLimit(input.limit)
        let source = try readSource(definition, indexName: input.indexName, consistentRead: input.consistentRead)
        guard let keyConditionText = input.keyConditionExpression else {
            throw DynamoDBError.validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
        }
        let expressions = try RequestExpressions(
            keyCondition: keyConditionText, filter: input.filterExpression, projection: input.projectionExpression,
            names: input.expressionAttributeNames, values: input.expressionAttributeValues)
        guard let parsedKeyCondition = expressions.keyCondition else {
            throw DynamoDBError.validation("Invalid KeyConditionExpression: The expression can not be empty;")
        }
        let (countOnly, fetchItems) = try Self.checkSelect(input.select, projection: expressions.projection, source: source)
        let keyCondition = try KeyCondition(parsedKeyCondition, partitionKey: source.partitionKey,
                                            sortKey: source.sortKey)
        try source.partitionKey.validate(keyCondition.partitionKeyValue)
        if let sortKey = source.sortKey {
            switch keyCondition.sortKey {
            case .equal(let v)?, .less(let v)?, .lessOrEqual(let v)?, .greater(let v)?, .greaterOrEqual(let v)?:
                try sortKey.validate(v)
            case .between(let low, let high)?:
                try sortKey.validate(low)
                try sortKey.validate(high)
            case .beginsWith, nil:
                break  // a prefix may be empty or shorter than any key
            }
        }
        if let filter = expressions.filter {
            let keyNames = Set([source.partitionKey.name] + (source.sortKey.map { [$0.name] } ?? []))
            if let keyPath = filter.referencedPaths.first(where: { keyNames.contains($0.attribute) }) {
                throw DynamoDBError.validation(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: \(keyPath.attribute)")
            }
        }
        let (lower, upper) = try Self.keyRange(source, keyCondition)
        var reader = ItemPageReader(source: source, lowerBound: lower, upperBound: upper, limit: input.limit,
                                    expressions: expressions, countOnly: countOnly)
        reader.forward = input.scanIndexForward ?? true
        reader.fetchItems = fetchItems
        try reader.start(after: input.exclusiveStartKey, outside: DynamoDBError.validation(
            "The provided starting key is outside query boundaries based on provided conditions"))
        return QueryOutput(try reader.read(lsm), countOnly: countOnly)
    }

    /// The CairnLSM key range holding exactly the items (or index entries) a key condition
    /// selects.
    static func keyRange(_ source: ReadSource, _ condition: KeyCondition) throws -> ([UInt8], [UInt8]) {
        let partition = try source.partitionPrefix(condition.partitionKeyValue)
        let partitionEnd = partition.prefixSuccessor ?? source.end
        func key(_ value: AttributeValue) throws -> [UInt8] {
            var key = partition
            try KeyEncoding.append(value, to: &key)
            return key
        }
        func after(_ value: AttributeValue) throws -> [UInt8] {
            try key(value).prefixSuccessor ?? partitionEnd
        }
        switch condition.sortKey {
        case nil: return (partition, partitionEnd)
        case .equal(let v)?: return (try key(v), try after(v))
        case .less(let v)?: return (partition, try key(v))
        case .lessOrEqual(let v)?: return (partition, try after(v))
        case .greater(let v)?: return (try after(v), partitionEnd)
        case .greaterOrEqual(let v)?: return (try key(v), partitionEnd)
        case .between(let low, let high)?: return (try key(low), try after(high))
        case .beginsWith(let prefix)?:
            var start = partition
            try KeyEncoding.appendPrefix(prefix, to: &start)
            return (start, start.prefixSuccessor ?? partitionEnd)
        }
    }
}

extension Condition {
    /// Every document path the condition reads.
    var referencedPaths: [DocumentPath] {
        func paths(_ operand: Operand) -> [DocumentPath] {
            switch operand {
            case .path(let p): return [p]
            case .value: return []
            case .size(let o): return paths(o)
            case .ifNotExists(let p, let o): return [p] + paths(o)
            case .listAppend(let a, let b), .plus(let a, let b), .minus(let a, let b): return paths(a) + paths(b)
            }
        }
        switch self {
        case .comparison(let a, _, let b), .beginsWith(let a, let b), .contains(let a, let b):
            return paths(a) + paths(b)
        case .between(let a, let b, let c): return paths(a) + paths(b) + paths(c)
        case .isIn(let a, let list): return paths(a) + list.flatMap(paths)
        case .and(let a, let b), .or(let a, let b): return a.referencedPaths + b.referencedPaths
        case .not(let a): return a.referencedPaths
        case .attributeExists(let p), .attributeNotExists(let p): return [p]
        case .attributeType(let p, let o): return [p] + paths(o)
        }
    }
}
