/// DeleteItem's request.
public struct DeleteItemInput: Codable, Sendable {
    /// The table to delete from.
    public var tableName: String
    /// Exactly the table's key attributes.
    public var key: Item
    /// The item must satisfy this condition (evaluated on the current item, or on no item)
    /// for the delete to happen; unconditional when absent.
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

    /// A request deleting the item of `tableName` with this key.
    public init(tableName: String, key: Item, conditionExpression: String? = nil,
                expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil,
                returnValues: ReturnValue? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.key = key
        self.conditionExpression = conditionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.returnValues = returnValues
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", key = "Key", conditionExpression = "ConditionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames"
        case expressionAttributeValues = "ExpressionAttributeValues"
        case returnValues = "ReturnValues"
        case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        case returnItemCollectionMetrics = "ReturnItemCollectionMetrics"
    }
}

/// DeleteItem's response: the deleted item, when ReturnValues is ALL_OLD and there was one.
public struct DeleteItemOutput: Codable, Sendable {
    /// The deleted item, or nil.
    public var attributes: Item?
    /// The item collection's size, with ReturnItemCollectionMetrics SIZE on a table with a
    /// local secondary index.
    public var itemCollectionMetrics: ItemCollectionMetrics?

    enum CodingKeys: String, CodingKey {
        case attributes = "Attributes", itemCollectionMetrics = "ItemCollectionMetrics"
    }
}

extension ItemDatabase {
    /// Deletes an item by its key (DynamoDB's DeleteItem), if the condition holds. Deleting an
    /// item that does not exist succeeds (unless a condition fails).
    ///
    /// - Throws: `ConditionalCheckFailedException`, `ValidationException`,
    ///   `ResourceNotFoundException`.
    @discardableResult
    public func deleteItem(_ input: DeleteItemInput) throws -> DeleteItemOutput {
        let definition = try catalog.table(input.tableName)
        let returnValues = input.returnValues ?? .none
        try returnValues.checkAllOldOrNone()
        let write = try ItemWrite.delete(
            definition, key: input.key, condition: input.conditionExpression,
            names: input.expressionAttributeNames, values: input.expressionAttributeValues)
        let (old, _) = try run(write, readOld: returnValues == .allOld, onFailure: input.returnValuesOnConditionCheckFailure)
        return DeleteItemOutput(
            attributes: returnValues == .allOld ? old : nil,
            itemCollectionMetrics: itemCollectionMetrics(input.returnItemCollectionMetrics, item: input.key, table: definition))
    }
}
