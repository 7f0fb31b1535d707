import CairnLSM

/// One read of a TransactGetItems request.
public struct TransactGetItem: Codable, Sendable, Equatable {
    /// The read.
    public var get: Get

    /// A read of one item.
    public init(get: Get) { self.get = get }

    /// TransactGetItems' Get: one item by key, optionally projected.
    public struct Get: Codable, Sendable, Equatable {
        /// The table.
        public var tableName: String
        /// Exactly the table's key attributes.
        public var key: Item
        /// The attributes to return (all when absent).
        public var projectionExpression: String?
        /// Substitutions for `#name` placeholders in the projection.
        public var expressionAttributeNames: [String: String]?

        /// A read of the item with `key` in `tableName`.
        public init(tableName: String, key: Item, projectionExpression: String? = nil,
                    expressionAttributeNames: [String: String]? = nil) {
            self.tableName = tableName
            self.key = key
            self.projectionExpression = projectionExpression
            self.expressionAttributeNames = expressionAttributeNames
        }

        enum CodingKeys: String, CodingKey {
            case tableName = "TableName", key = "Key", projectionExpression = "ProjectionExpression"
            case expressionAttributeNames = "ExpressionAttributeNames"
        }
    }

    enum CodingKeys: String, CodingKey {
        case get = "Get"
    }
}

/// TransactGetItems' request.
public struct TransactGetItemsInput: Codable, Sendable, Equatable {
    /// 1 to 100 reads, at most one per item.
    public var transactItems: [TransactGetItem]
    /// Accepted and ignored.
    public var returnConsumedCapacity: String?

    /// A transactional read of `transactItems`.
    public init(transactItems: [TransactGetItem]) {
        self.transactItems = transactItems
    }

    enum CodingKeys: String, CodingKey {
        case transactItems = "TransactItems", returnConsumedCapacity = "ReturnConsumedCapacity"
    }
}

/// TransactGetItems' response: one entry per requested item, in request order.
public struct TransactGetItemsOutput: Codable, Sendable, Equatable {
    /// One response per Get; an entry's item is nil when the item does not exist.
    public var responses: [ItemResponse]

    /// One item of a TransactGetItems response (DynamoDB's `ItemResponse`).
    public struct ItemResponse: Codable, Sendable, Equatable {
        /// The (projected) item, or nil if it does not exist (an empty `{}` in JSON).
        public var item: Item?

        /// A response holding `item`.
        public init(item: Item?) { self.item = item }

        enum CodingKeys: String, CodingKey {
            case item = "Item"
        }
    }

    enum CodingKeys: String, CodingKey {
        case responses = "Responses"
    }
}

extension ItemDatabase {
    /// Reads up to 100 items, across tables, as of one instant (DynamoDB's TransactGetItems):
    /// every item as it was at the same point between writes, so a reader never sees half of
    /// a TransactWriteItems (which commits as one write batch).
    ///
    /// - Throws: `ValidationException` (more than 100 reads, two reads of one item, bad keys or
    ///   projections), `ResourceNotFoundException`.
    public func transactGetItems(_ input: TransactGetItemsInput) throws -> TransactGetItemsOutput {
        try Self.checkTransactionSize(input.transactItems.count, field: "transactItems")
        let reads = try input.transactItems.map { entry -> (key: [UInt8], projection: Projection?) in
            let get = entry.get
            let definition = try catalog.table(get.tableName)
            let key = try definition.itemKey(try definition.keyValues(of: get.key, isKey: true))
            let projection = get.projectionExpression == nil && get.expressionAttributeNames == nil
                ? nil
                : try RequestExpressions(projection: get.projectionExpression, names: get.expressionAttributeNames).projection
            return (key, projection)
        }
        try Self.checkDistinct(reads.map(\.key))
        let snapshot = lsm.snapshot()
        let responses = try reads.map { read -> TransactGetItemsOutput.ItemResponse in
            let item = try readItem(read.key, snapshot: snapshot)
            return .init(item: item.map { read.projection?.apply(to: $0) ?? $0 })
        }
        return TransactGetItemsOutput(responses: responses)
    }
}
