/// Query's request.
public struct QueryInput: Codable, Sendable {
    /// The table to read.
    public var tableName: String
    /// Secondary indexes are not supported yet: naming one is an error.
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
    /// ALL_ATTRIBUTES, SPECIFIC_ATTRIBUTES (needs a projection) or COUNT (items left out);
    /// ALL_PROJECTED_ATTRIBUTES needs an index, so it is refused.
    public var select: Select?
    /// Accepted; every Cairn read is strongly consistent.
    public var consistentRead: Bool?

    /// A query of `tableName` with this key condition.
    public init(tableName: String, keyConditionExpression: String, filterExpression: String? = nil,
                projectionExpression: String? = nil, expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil, scanIndexForward: Bool? = nil,
                limit: Int? = nil, exclusiveStartKey: Item? = nil, select: Select? = nil, consistentRead: Bool? = nil) {
        self.tableName = tableName
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
    /// Reads one partition's items in sort-key order, a page at a time (DynamoDB's Query).
    ///
    /// - Throws: `ValidationException` (bad key condition, a filter on key attributes, a start
    ///   key outside the condition, ...); `ResourceNotFoundException`.
    public func query(_ input: QueryInput) throws -> QueryOutput {
        let definition = try catalog.table(input.tableName)
        try Self.checkLimit(input.limit)
        let countOnly = try Self.checkSelect(input.select, hasProjection: input.projectionExpression != nil,
                                             indexName: input.indexName)
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
        let keyCondition = try KeyCondition(parsedKeyCondition, partitionKey: definition.partitionKey,
                                            sortKey: definition.sortKey)
        try definition.partitionKey.validate(keyCondition.partitionKeyValue)
        if let sortKey = definition.sortKey {
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
            let keyNames = Set(definition.keyAttributes.map(\.name))
            if let keyPath = filter.referencedPaths.first(where: { keyNames.contains($0.attribute) }) {
                throw DynamoDBError.validation(
                    "Filter Expression can only contain non-primary key attributes: Primary key attribute: \(keyPath.attribute)")
            }
        }
        let (lower, upper) = try Self.keyRange(definition, keyCondition)
        var reader = ItemPageReader(definition: definition, lowerBound: lower, upperBound: upper, limit: input.limit,
                                    expressions: expressions, countOnly: countOnly)
        reader.forward = input.scanIndexForward ?? true
        try reader.start(after: input.exclusiveStartKey, outside: DynamoDBError.validation(
            "The provided starting key is outside query boundaries based on provided conditions"))
        return QueryOutput(try reader.read(lsm), countOnly: countOnly)
    }

    /// The CairnLSM key range holding exactly the items a key condition selects.
    static func keyRange(_ definition: TableDefinition, _ condition: KeyCondition) throws -> ([UInt8], [UInt8]) {
        let partition = try KeySpace.partitionPrefix(table: definition.number, partitionKey: condition.partitionKeyValue)
        let partitionEnd = partition.prefixSuccessor ?? KeySpace.tableEnd(definition.number)
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

    /// Checks an ExclusiveStartKey against the key schema and returns its item key.
    static func startKey(_ definition: TableDefinition, _ start: Item) throws -> [UInt8] {
        do {
            return try definition.itemKey(try definition.keyValues(of: start, isKey: true))
        } catch let error as DynamoDBError {
            throw DynamoDBError.validation("The provided starting key is invalid: \(error.message)")
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
