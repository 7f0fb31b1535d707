/// Scan's request.
public struct ScanInput: Codable, Sendable {
    /// The table to read.
    public var tableName: String
    /// Scan this secondary index's entries instead of the table's items.
    public var indexName: String?
    /// A condition on the items read; those it rejects are left out of `Items` and `Count` but
    /// count in `ScannedCount`.
    public var filterExpression: String?
    /// The attributes to return from each item; all of them when absent.
    public var projectionExpression: String?
    /// Substitutions for `#name` placeholders in the expressions; every one must be used.
    public var expressionAttributeNames: [String: String]?
    /// Values for `:value` placeholders in the expressions; every one must be used.
    public var expressionAttributeValues: [String: AttributeValue]?
    /// The most items to read (before the filter) in this page.
    public var limit: Int?
    /// The previous page's LastEvaluatedKey.
    public var exclusiveStartKey: Item?
    /// ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES (indexes only, their default),
    /// SPECIFIC_ATTRIBUTES (needs a projection) or COUNT (items left out).
    public var select: Select?
    /// This worker's segment of a parallel scan, 0 ..< totalSegments.
    public var segment: Int?
    /// The number of segments of a parallel scan, 1 to 1,000,000.
    public var totalSegments: Int?
    /// Reads of tables and of local and strong indexes are always strongly consistent; true
    /// on an eventually consistent global index is a ValidationException.
    public var consistentRead: Bool?

    /// A scan of `tableName` (the whole table unless `segment` and `totalSegments` are given).
    public init(tableName: String, filterExpression: String? = nil, projectionExpression: String? = nil,
                expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil, limit: Int? = nil,
                exclusiveStartKey: Item? = nil, select: Select? = nil, segment: Int? = nil,
                totalSegments: Int? = nil, consistentRead: Bool? = nil) {
        self.tableName = tableName
        self.filterExpression = filterExpression
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.limit = limit
        self.exclusiveStartKey = exclusiveStartKey
        self.select = select
        self.segment = segment
        self.totalSegments = totalSegments
        self.consistentRead = consistentRead
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", indexName = "IndexName"
        case filterExpression = "FilterExpression", projectionExpression = "ProjectionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames"
        case expressionAttributeValues = "ExpressionAttributeValues"
        case limit = "Limit", exclusiveStartKey = "ExclusiveStartKey", select = "Select"
        case segment = "Segment", totalSegments = "TotalSegments", consistentRead = "ConsistentRead"
    }
}

/// Scan's response has Query's shape.
public typealias ScanOutput = QueryOutput

extension ItemDatabase {
    /// Reads every item of a table (or of one segment of it), a page at a time (DynamoDB's
    /// Scan). Items come in partition-hash order, as in DynamoDB; segment `s` of `n` holds the
    /// partitions whose 32-bit hash falls in the `s`-th of `n` equal hash ranges, so parallel
    /// workers get equal shares of a table with many partitions.
    ///
    /// - Throws: `ValidationException`; `ResourceNotFoundException`.
    public func scan(_ input: ScanInput) throws -> ScanOutput {
        let definition = try catalog.table(input.tableName)
        try Self.checkLimit(input.limit)
        let (segment, total) = try Self.checkSegments(input.segment, input.totalSegments)
        let source = try readSource(definition, indexName: input.indexName, consistentRead: input.consistentRead)
        try Self.checkValuesHaveAnExpression(input.expressionAttributeValues, [("FilterExpression", input.filterExpression)])
        let expressions = try RequestExpressions(
            filter: input.filterExpression, projection: input.projectionExpression,
            names: input.expressionAttributeNames, values: input.expressionAttributeValues)
        let (countOnly, fetchItems) = try Self.checkSelect(input.select, projection: expressions.projection, source: source)
        let span = (UInt64(1) << 32)
        let lower = source.hashBoundary(span * UInt64(segment) / UInt64(total))
        let upper = source.hashBoundary(span * UInt64(segment + 1) / UInt64(total))
        var reader = ItemPageReader(source: source, lowerBound: lower, upperBound: upper, limit: input.limit,
                                    expressions: expressions, countOnly: countOnly)
        reader.fetchItems = fetchItems
        try reader.start(after: input.exclusiveStartKey, outside: DynamoDBError.validation(
            "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: \(total) Segment: \(segment)"))
        return ScanOutput(try reader.read(lsm), countOnly: countOnly)
    }

    /// Checks Segment and TotalSegments; without both, the whole table is segment 0 of 1.
    static func checkSegments(_ segment: Int?, _ total: Int?) throws -> (Int, Int) {
        var violations = ConstraintViolations()
        if let segment, segment < 0 {
            violations.add(value: "'\(segment)'", field: "segment", constraint: "Member must have value greater than or equal to 0")
        }
        if let segment, segment > 999_999 {
            violations.add(value: "'\(segment)'", field: "segment", constraint: "Member must have value less than or equal to 999999")
        }
        if let total, total < 1 {
            violations.add(value: "'\(total)'", field: "totalSegments", constraint: "Member must have value greater than or equal to 1")
        }
        if let total, total > 1_000_000 {
            violations.add(value: "'\(total)'", field: "totalSegments", constraint: "Member must have value less than or equal to 1000000")
        }
        try violations.check()
        switch (segment, total) {
        case (nil, nil):
            return (0, 1)
        case (.some, nil):
            throw DynamoDBError.validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
        case (nil, .some):
            throw DynamoDBError.validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
        case let (segment?, total?):
            guard segment < total else {
                throw DynamoDBError.validation(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: \(segment) is not less than TotalSegments: \(total)")
            }
            return (segment, total)
        }
    }
}
