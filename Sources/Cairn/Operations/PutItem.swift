/// PutItem's request.
public struct PutItemInput: Codable, Sendable {
    /// The table to write.
    public var tableName: String
    /// The whole item, with the table's key attributes; it replaces any item with the same key.
    /// At most 400 KB by DynamoDB's size rules.
    public var item: Item
    /// The item must satisfy this condition (evaluated on the current item, or on no item)
    /// for the put to happen; unconditional when absent.
    public var conditionExpression: String?
    /// Substitutions for `#name` placeholders in the expressions; every one must be used.
    public var expressionAttributeNames: [String: String]?
    /// Values for `:value` placeholders in the expressions; every one must be used.
    public var expressionAttributeValues: [String: AttributeValue]?
    /// NONE (default) or ALL_OLD.
    public var returnValues: ReturnValue?
    /// ALL_OLD puts the current item in the error when the condition fails; NONE (default) does not.
    public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?
    /// SIZE returns the size of the item's collection (tables with local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics?

    /// A request putting `item` in `tableName`.
    public init(tableName: String, item: Item, conditionExpression: String? = nil,
                expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil,
                returnValues: ReturnValue? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.item = item
        self.conditionExpression = conditionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.returnValues = returnValues
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", item = "Item", conditionExpression = "ConditionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames"
        case expressionAttributeValues = "ExpressionAttributeValues"
        case returnValues = "ReturnValues"
        case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        case returnItemCollectionMetrics = "ReturnItemCollectionMetrics"
    }
}

/// PutItem's response: the replaced item, when ReturnValues is ALL_OLD and there was one.
public struct PutItemOutput: Codable, Sendable {
    /// The replaced item, or nil.
    public var attributes: Item?
    /// The item collection's size, with ReturnItemCollectionMetrics SIZE on a table with a
    /// local secondary index.
    public var itemCollectionMetrics: ItemCollectionMetrics?

    enum CodingKeys: String, CodingKey {
        case attributes = "Attributes", itemCollectionMetrics = "ItemCollectionMetrics"
    }
}

extension ItemDatabase {
    /// Creates or replaces an item (DynamoDB's PutItem), if the condition holds.
    ///
    /// The check and the write are atomic with respect to every other write of the item; the
    /// write is durable when this returns (unless `Options.syncWrites` is off).
    ///
    /// - Throws: `ConditionalCheckFailedException` if the condition is false (nothing is
    ///   written); `ValidationException`; `ResourceNotFoundException`.
    @discardableResult
    public func putItem(_ input: PutItemInput) throws -> PutItemOutput {
        let definition = try catalog.table(input.tableName)
        let returnValues = input.returnValues ?? .none
        try returnValues.checkAllOldOrNone()
        let write = try ItemWrite.put(
            definition, item: input.item, condition: input.conditionExpression,
            names: input.expressionAttributeNames, values: input.expressionAttributeValues)
        let (old, new) = try run(write, readOld: returnValues == .allOld, onFailure: input.returnValuesOnConditionCheckFailure)
        return PutItemOutput(
            attributes: returnValues == .allOld ? old : nil,
            itemCollectionMetrics: itemCollectionMetrics(input.returnItemCollectionMetrics, item: new, table: definition))
    }
}
