import CairnLSM

/// One request of a BatchWriteItem: exactly one of a put or a delete.
public struct WriteRequest: Codable, Sendable, Equatable {
    /// Creates or replaces an item.
    public var putRequest: PutRequest?
    /// Deletes an item.
    public var deleteRequest: DeleteRequest?

    /// A request; set exactly one member.
    public init(putRequest: PutRequest? = nil, deleteRequest: DeleteRequest? = nil) {
        self.putRequest = putRequest
        self.deleteRequest = deleteRequest
    }

    /// A put of `item`.
    public static func put(_ item: Item) -> WriteRequest { WriteRequest(putRequest: PutRequest(item: item)) }
    /// A delete of the item with `key`.
    public static func delete(key: Item) -> WriteRequest { WriteRequest(deleteRequest: DeleteRequest(key: key)) }

    /// BatchWriteItem's PutRequest.
    public struct PutRequest: Codable, Sendable, Equatable {
        /// The whole item, with the table's key attributes.
        public var item: Item
        /// A put of `item`.
        public init(item: Item) { self.item = item }
        enum CodingKeys: String, CodingKey { case item = "Item" }
    }

    /// BatchWriteItem's DeleteRequest.
    public struct DeleteRequest: Codable, Sendable, Equatable {
        /// Exactly the table's key attributes.
        public var key: Item
        /// A delete of the item with `key`.
        public init(key: Item) { self.key = key }
        enum CodingKeys: String, CodingKey { case key = "Key" }
    }

    enum CodingKeys: String, CodingKey {
        case putRequest = "PutRequest", deleteRequest = "DeleteRequest"
    }
}

/// BatchWriteItem's request.
public struct BatchWriteItemInput: Codable, Sendable, Equatable {
    /// Table name to its requests: 1 to 25 requests in all, at most one per item.
    public var requestItems: [String: [WriteRequest]]
    /// Accepted and ignored.
    public var returnConsumedCapacity: String?
    /// SIZE returns the sizes of the item collections the batch changed (tables with local
    /// secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics?

    /// A batch of `requestItems`.
    public init(requestItems: [String: [WriteRequest]]) {
        self.requestItems = requestItems
    }

    enum CodingKeys: String, CodingKey {
        case requestItems = "RequestItems", returnConsumedCapacity = "ReturnConsumedCapacity"
        case returnItemCollectionMetrics = "ReturnItemCollectionMetrics"
    }
}

/// BatchWriteItem's response.
public struct BatchWriteItemOutput: Codable, Sendable, Equatable {
    /// Requests not written, to retry. Cairn writes every request of a valid batch, so this is
    /// always empty (`{}`), which is what DynamoDB clients loop on.
    public var unprocessedItems: [String: [WriteRequest]]
    /// With ReturnItemCollectionMetrics SIZE: per table with a local secondary index, the size
    /// of each item collection the batch changed.
    public var itemCollectionMetrics: [String: [ItemCollectionMetrics]]?

    /// A response with these unprocessed requests.
    public init(unprocessedItems: [String: [WriteRequest]] = [:]) {
        self.unprocessedItems = unprocessedItems
    }

    enum CodingKeys: String, CodingKey {
        case unprocessedItems = "UnprocessedItems", itemCollectionMetrics = "ItemCollectionMetrics"
    }
}

extension ItemDatabase {
    /// The most requests in one BatchWriteItem.
    static let maxBatchWriteRequests = 25

    /// Puts and deletes up to 25 items across tables (DynamoDB's BatchWriteItem), without
    /// conditions.
    ///
    /// Cairn validates the whole batch first, then writes it as one CairnLSM write batch under
    /// the items' locks: unlike DynamoDB, which may leave some requests in `UnprocessedItems`,
    /// either every request is written or (on an error) none is. The response's
    /// `unprocessedItems` is therefore always empty.
    ///
    /// - Throws: `ValidationException` (no requests or more than 25, two requests for one
    ///   item, a request that is not exactly one of a put or a delete, invalid items or keys),
    ///   `ResourceNotFoundException`.
    @discardableResult
    public func batchWriteItem(_ input: BatchWriteItemInput) throws -> BatchWriteItemOutput {
        var violations = ConstraintViolations()
        if input.requestItems.isEmpty {
            violations.add(value: "'{}'", field: "requestItems", constraint: "Member must have length greater than or equal to 1")
        }
        for (table, requests) in input.requestItems.sorted(by: { $0.key < $1.key }) where requests.isEmpty {
            violations.add(
                value: "'{\(table)=[]}'", field: "requestItems",
                constraint: "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]")
        }
        try violations.check()
        guard input.requestItems.values.reduce(0, { $0 + $1.count }) <= Self.maxBatchWriteRequests else {
            throw DynamoDBError.validation("Too many items requested for the BatchWriteItem call")
        }
        var writes: [ItemWrite] = []
        for (table, requests) in input.requestItems.sorted(by: { $0.key < $1.key }) {
            let definition = try catalog.table(table)
            for request in requests {
                switch (request.putRequest, request.deleteRequest) {
                case (let put?, nil):
                    writes.append(try ItemWrite.put(definition, item: put.item, condition: nil, names: nil, values: nil))
                case (nil, let delete?):
                    writes.append(try ItemWrite.delete(definition, key: delete.key, condition: nil, names: nil, values: nil))
                default:
                    throw DynamoDBError.validation(
                        "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest")
                }
            }
        }
        let keys = writes.map(\.key)
        guard Set(keys).count == keys.count else {
            throw DynamoDBError.validation("Provided list of item keys contains duplicates")
        }
        let changed = try locks.withLocks(keys) {
            var batch = WriteBatch()
            var changed: [(table: TableDefinition, item: Item?)] = []
            for write in writes {
                guard let table = catalog.live(write.definition) else { throw DynamoDBError.resourceNotFound() }
                let old = needsOldItem(table) ? try readItem(write.key) : nil
                let (new, effect) = try write.outcome(old: old)
                try add(effect, old: old, new: new, key: write.key, table: table, to: &batch)
                changed.append((table, new ?? old))
            }
            try commit(batch, sync: options.syncWrites)
            return changed
        }
        var output = BatchWriteItemOutput()
        output.itemCollectionMetrics = itemCollectionMetrics(input.returnItemCollectionMetrics, changed: changed)
        return output
    }
}
