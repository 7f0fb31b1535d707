/// A handle on one table, with a shorter API than the request/response methods of
/// `ItemDatabase`: items in, items out, and `Codable` values in and out.
///
/// ```swift
/// let db = try ItemDatabase.open("./music-data")
/// let songs = try db.createTable("Songs", partitionKey: ("Artist", .s), sortKey: ("Title", .s))
/// try songs.put(["Artist": "Nina Simone", "Title": "Sinnerman", "Year": 1965])
/// let song = try songs.get(["Artist": "Nina Simone", "Title": "Sinnerman"])
/// let sixties = try songs.query("Artist = :a", filter: "#y BETWEEN :from AND :to",
///                               names: ["#y": "Year"], values: [":a": "Nina Simone", ":from": 1960, ":to": 1969])
/// ```
///
/// A `Table` is a value: cheap to create, `Sendable`, usable from any thread or task. Every
/// call is one DynamoDB operation (or, for `query` and `scan`, as many pages as it takes) and
/// throws what that operation throws.
public struct Table: Sendable {
    /// The table's name.
    public let name: String
    /// The database the table lives in.
    public let database: ItemDatabase

    /// A handle on table `name` of `database` (the table is looked up on each call).
    public init(_ name: String, in database: ItemDatabase) {
        self.name = name
        self.database = database
    }

    /// Writes `item`, replacing any item with its key, if `condition` holds.
    ///
    /// - Throws: `ConditionalCheckFailedException` if the condition is false.
    public func put(_ item: Item, if condition: String? = nil, names: [String: String]? = nil,
                    values: [String: AttributeValue]? = nil) throws {
        try database.putItem(PutItemInput(tableName: name, item: item, conditionExpression: condition,
                                          expressionAttributeNames: names, expressionAttributeValues: values))
    }

    /// The item with `key`, or nil; `projection` selects attributes (`"a, b.c[0]"`).
    public func get(_ key: Item, projection: String? = nil, names: [String: String]? = nil) throws -> Item? {
        try database.getItem(GetItemInput(tableName: name, key: key, projectionExpression: projection,
                                          expressionAttributeNames: names)).item
    }

    /// Deletes the item with `key` if `condition` holds; returns the deleted item, if any.
    @discardableResult
    public func delete(_ key: Item, if condition: String? = nil, names: [String: String]? = nil,
                       values: [String: AttributeValue]? = nil) throws -> Item? {
        try database.deleteItem(DeleteItemInput(tableName: name, key: key, conditionExpression: condition,
                                                expressionAttributeNames: names, expressionAttributeValues: values,
                                                returnValues: .allOld)).attributes
    }

    /// Applies an update expression (`"SET n = n + :one REMOVE old"`) to the item with `key`,
    /// creating it if needed, if `condition` holds; returns the item as updated (nil if the
    /// update created nothing).
    @discardableResult
    public func update(_ key: Item, _ expression: String, if condition: String? = nil,
                       names: [String: String]? = nil, values: [String: AttributeValue]? = nil) throws -> Item? {
        try database.updateItem(UpdateItemInput(tableName: name, key: key, updateExpression: expression,
                                                conditionExpression: condition, expressionAttributeNames: names,
                                                expressionAttributeValues: values, returnValues: .allNew)).attributes
    }

    /// The items of one partition that match, in sort-key order (reversed if `forward` is
    /// false), reading as many pages as needed; `limit` caps the number of items returned.
    /// With `index`, one partition of that secondary index, in its sort-key order (what it
    /// projects; a local index reads the rest from the table when `projection` asks for it).
    public func query(_ keyCondition: String, filter: String? = nil, projection: String? = nil,
                      names: [String: String]? = nil, values: [String: AttributeValue]? = nil,
                      forward: Bool = true, limit: Int? = nil, index: String? = nil) throws -> [Item] {
        var input = QueryInput(tableName: name, keyConditionExpression: keyCondition, filterExpression: filter,
                               projectionExpression: projection, expressionAttributeNames: names,
                               expressionAttributeValues: values, scanIndexForward: forward, indexName: index)
        return try collect(limit) { start in
            input.exclusiveStartKey = start
            return try database.query(input)
        }
    }

    /// Every item of the table (or, with `index`, every entry of that secondary index) that
    /// matches `filter`, reading as many pages as needed; `limit` caps the number returned.
    public func scan(filter: String? = nil, projection: String? = nil, names: [String: String]? = nil,
                     values: [String: AttributeValue]? = nil, limit: Int? = nil, index: String? = nil) throws -> [Item] {
        var input = ScanInput(tableName: name, filterExpression: filter, projectionExpression: projection,
                              expressionAttributeNames: names, expressionAttributeValues: values)
        input.indexName = index
        return try collect(limit) { start in
            input.exclusiveStartKey = start
            return try database.scan(input)
        }
    }

    /// Follows LastEvaluatedKey from page to page until the end or `limit` items.
    private func collect(_ limit: Int?, _ page: (Item?) throws -> QueryOutput) throws -> [Item] {
        if let limit, limit < 1 { return [] }
        var items: [Item] = []
        var start: Item?
        repeat {
            let output = try page(start)
            items += output.items ?? []
            if let limit, items.count >= limit { return Array(items.prefix(limit)) }
            start = output.lastEvaluatedKey
        } while start != nil
        return items
    }
}

extension ItemDatabase {
    /// A handle on table `name` (which need not exist yet).
    public func table(_ name: String) -> Table {
        Table(name, in: self)
    }

    /// Creates a PAY_PER_REQUEST table with the given key attributes and returns its handle.
    ///
    /// - Throws: `ResourceInUseException` if it exists; `ValidationException` for a bad name.
    @discardableResult
    public func createTable(_ name: String, partitionKey: (String, KeyAttribute.KeyType),
                            sortKey: (String, KeyAttribute.KeyType)? = nil) throws -> Table {
        try createTable(CreateTableInput(tableName: name, partitionKey: partitionKey, sortKey: sortKey))
        return table(name)
    }
}
