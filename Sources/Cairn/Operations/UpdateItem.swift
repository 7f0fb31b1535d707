/// UpdateItem's request.
public struct UpdateItemInput: Codable, Sendable {
    /// The table to write.
    public var tableName: String
    /// Exactly the table's key attributes.
    public var key: Item
    /// SET, REMOVE, ADD and DELETE clauses; without one, UpdateItem creates the item with only
    /// its key if it does not exist.
    public var updateExpression: String?
    /// The item must satisfy this condition (evaluated on the current item, or on no item)
    /// for the update to happen; unconditional when absent.
    public var conditionExpression: String?
    /// Substitutions for `#name` placeholders in the expressions; every one must be used.
    public var expressionAttributeNames: [String: String]?
    /// Values for `:value` placeholders in the expressions; every one must be used.
    public var expressionAttributeValues: [String: AttributeValue]?
    /// Any of the five; NONE by default.
    public var returnValues: ReturnValue?
    /// ALL_OLD puts the current item in the error when the condition fails; NONE (default) does not.
    public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?
    /// SIZE returns the size of the item's collection (tables with local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics?

    /// A request updating (or creating) the item of `tableName` with this key.
    public init(tableName: String, key: Item, updateExpression: String? = nil, conditionExpression: String? = nil,
                expressionAttributeNames: [String: String]? = nil,
                expressionAttributeValues: [String: AttributeValue]? = nil,
                returnValues: ReturnValue? = nil,
                returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
        self.tableName = tableName
        self.key = key
        self.updateExpression = updateExpression
        self.conditionExpression = conditionExpression
        self.expressionAttributeNames = expressionAttributeNames
        self.expressionAttributeValues = expressionAttributeValues
        self.returnValues = returnValues
        self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName", key = "Key", updateExpression = "UpdateExpression"
        case conditionExpression = "ConditionExpression"
        case expressionAttributeNames = "ExpressionAttributeNames"
        case expressionAttributeValues = "ExpressionAttributeValues"
        case returnValues = "ReturnValues"
        case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        case returnItemCollectionMetrics = "ReturnItemCollectionMetrics"
    }
}

/// UpdateItem's response: the attributes ReturnValues asked for (absent if there are none).
public struct UpdateItemOutput: Codable, Sendable {
    /// The whole item (ALL_OLD, ALL_NEW) or only the updated attributes (UPDATED_OLD,
    /// UPDATED_NEW), before or after the update; nil with NONE or when there is nothing to return.
    public var attributes: Item?
    /// The item collection's size, with ReturnItemCollectionMetrics SIZE on a table with a
    /// local secondary index.
    public var itemCollectionMetrics: ItemCollectionMetrics?

    enum CodingKeys: String, CodingKey {
        case attributes = "Attributes", itemCollectionMetrics = "ItemCollectionMetrics"
    }
}

extension ItemDatabase {
    /// Edits an item's attributes, creating the item if needed (DynamoDB's UpdateItem), if the
    /// condition holds. Reading the old item, checking, applying and writing are atomic with
    /// respect to every other write of the item.
    ///
    /// An update that only removes or deletes from attributes of an item that does not exist
    /// creates nothing, as in DynamoDB.
    ///
    /// - Throws: `ConditionalCheckFailedException` (nothing is written), `ValidationException`
    ///   (including updates of key attributes and operands of the wrong type),
    ///   `ResourceNotFoundException`.
    @discardableResult
    public func updateItem(_ input: UpdateItemInput) throws -> UpdateItemOutput {
        let definition = try catalog.table(input.tableName)
        let returnValues = input.returnValues ?? .none
        let write = try ItemWrite.update(
            definition, key: input.key, update: input.updateExpression, condition: input.conditionExpression,
            names: input.expressionAttributeNames, values: input.expressionAttributeValues)
        let (old, new) = try run(write, readOld: true, onFailure: input.returnValuesOnConditionCheckFailure)
        let updatedPaths: [DocumentPath]
        if case .update(let update?, _) = write.action { updatedPaths = update.updatedPaths } else { updatedPaths = [] }
        let paths = Projection(paths: updatedPaths)
        let attributes: Item?
        switch returnValues {
        case .none: attributes = nil
        case .allOld: attributes = old
        case .allNew: attributes = new
        case .updatedOld: attributes = old.map { paths.apply(to: $0) }
        case .updatedNew: attributes = new.map { paths.apply(to: $0) }
        }
        return UpdateItemOutput(
            attributes: attributes?.isEmpty == false ? attributes : nil,
            itemCollectionMetrics: itemCollectionMetrics(input.returnItemCollectionMetrics, item: new ?? old, table: definition))
    }
}
