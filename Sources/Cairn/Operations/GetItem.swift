/// GetItem's request.
public struct GetItemInput: Codable, Sendable {
    /// The table to read.
    public var tableName: String
    /// Exactly the table's key attributes.
    public var key: Item
    /// The attributes to return; the whole item when absent.
    public var projectionExpression: String?
    /// Substitutions for `#name` placeholders in the projection; every one must be used.
    public var expressionAttributeNames: [String: String]?
    /// Accepted; every Cairn read is strongly consistent.
    public var consistentRead: Bool?

    /// A request for the item of `tableName` with this key.
    public init(tableName: String, key: Item, projectionExpression: String? = nil,
                expressionAttributeNames: [String: String]? = nil, consistentRead: Bool? = nil) {
        self.tableName = tableName
        self.key = key
        self.projectionExpression = projectionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.consistentRead = consistentRead
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", key = "Key", projectionExpression = "ProjectionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames", consistentRead = "ConsistentRead"
    }
}

/// GetItem's response: the item, absent if there is none.
public struct GetItemOutput: Codable, Sendable {
    /// The item (projected if asked), or nil if there is none with the key.
    public var item: Item?

    enum CodingKeys: String, CodingKey {
        case item = "Item"
    }
}

extension ItemDatabase {
    /// Reads one item by its key (DynamoDB's GetItem). Reads are always strongly consistent.
    ///
    /// - Throws: `ValidationException` if the key does not match the schema;
    ///   `ResourceNotFoundException`.
    public func getItem(_ input: GetItemInput) throws -> GetItemOutput {
        let definition = try catalog.table(input.tableName)
        let key = try definition.itemKey(try definition.keyValues(of: input.key, isKey: true))
        // Most GetItems have no projection: skip the expression machinery entirely then.
        let projection = input.projectionExpression == nil && input.expressionAttributeNames == nil
            ? nil
            : try RequestExpressions(projection: input.projectionExpression, names: input.expressionAttributeNames).projection
        guard let item = try readItem(key) else { return GetItemOutput(item: nil) }
        return GetItemOutput(item: projection.map { $0.apply(to: item) } ?? item)
    }
}
