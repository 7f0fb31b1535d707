import CairnLSM
import Foundation

/// One action of a TransactWriteItems request: exactly one of its four members is set.
public struct TransactWriteItem: Codable, Sendable, Equatable {
    /// Checks a condition on an item without writing it.
    public var conditionCheck: ConditionCheck?
    /// Creates or replaces an item.
    public var put: Put?
    /// Deletes an item.
    public var delete: Delete?
    /// Updates an item.
    public var update: Update?

    /// An action; set exactly one member.
    public init(conditionCheck: ConditionCheck? = nil, put: Put? = nil, delete: Delete? = nil, update: Update? = nil) {
        self.conditionCheck = conditionCheck
        self.put = put
        self.delete = delete
        self.update = update
    }

    /// A ConditionCheck action.
    public static func conditionCheck(_ check: ConditionCheck) -> TransactWriteItem { TransactWriteItem(conditionCheck: check) }
    /// A Put action.
    public static func put(_ put: Put) -> TransactWriteItem { TransactWriteItem(put: put) }
    /// A Delete action.
    public static func delete(_ delete: Delete) -> TransactWriteItem { TransactWriteItem(delete: delete) }
    /// An Update action.
    public static func update(_ update: Update) -> TransactWriteItem { TransactWriteItem(update: update) }

    /// The action's ReturnValuesOnConditionCheckFailure, whichever member is set.
    var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? {
        conditionCheck?.returnValuesOnConditionCheckFailure ?? put?.returnValuesOnConditionCheckFailure
            ?? delete?.returnValuesOnConditionCheckFailure ?? update?.returnValuesOnConditionCheckFailure
    }

    /// TransactWriteItems' ConditionCheck: the item must satisfy the condition.
    public struct ConditionCheck: Codable, Sendable, Equatable {
        /// The table.
        public var tableName: String
        /// Exactly the table's key attributes.
        public var key: Item
        /// The condition (required).
        public var conditionExpression: String
        /// Substitutions for `#name` placeholders.
        public var expressionAttributeNames: [String: String]?
        /// Values for `:value` placeholders.
        public var expressionAttributeValues: [String: AttributeValue]?
        /// ALL_OLD puts the item in the cancellation reason when the condition fails.
        public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

        /// A condition check of the item with `key`.
        public init(tableName: String, key: Item, conditionExpression: String,
                    expressionAttributeNames: [String: String]? = nil,
                    expressionAttributeValues: [String: AttributeValue]? = nil,
                    returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
            self.tableName = tableName
            self.key = key
            self.conditionExpression = conditionExpression
            self.expressionAttributeNames = expressionAttributeNames
            self.expressionAttributeValues = expressionAttributeValues
            self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
        }

        enum CodingKeys: String, CodingKey {
            case tableName = "TableName", key = "Key", conditionExpression = "ConditionExpression"
            case expressionAttributeNames = "ExpressionAttributeNames"
            case expressionAttributeValues = "ExpressionAttributeValues"
            case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        }
    }

    /// TransactWriteItems' Put.
    public struct Put: Codable, Sendable, Equatable {
        /// The table.
        public var tableName: String
        /// The whole item, with the table's key attributes.
        public var item: Item
        /// The condition the current item must satisfy, if any.
        public var conditionExpression: String?
        /// Substitutions for `#name` placeholders.
        public var expressionAttributeNames: [String: String]?
        /// Values for `:value` placeholders.
        public var expressionAttributeValues: [String: AttributeValue]?
        /// ALL_OLD puts the item in the cancellation reason when the condition fails.
        public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

        /// A put of `item` into `tableName`.
        public init(tableName: String, item: Item, conditionExpression: String? = nil,
                    expressionAttributeNames: [String: String]? = nil,
                    expressionAttributeValues: [String: AttributeValue]? = nil,
                    returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
            self.tableName = tableName
            self.item = item
            self.conditionExpression = conditionExpression
            self.expressionAttributeNames = expressionAttributeNames
            self.expressionAttributeValues = expressionAttributeValues
            self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
        }

        enum CodingKeys: String, CodingKey {
            case tableName = "TableName", item = "Item", conditionExpression = "ConditionExpression"
            case expressionAttributeNames = "ExpressionAttributeNames"
            case expressionAttributeValues = "ExpressionAttributeValues"
            case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        }
    }

    /// TransactWriteItems' Delete.
    public struct Delete: Codable, Sendable, Equatable {
        /// The table.
        public var tableName: String
        /// Exactly the table's key attributes.
        public var key: Item
        /// The condition the current item must satisfy, if any.
        public var conditionExpression: String?
        /// Substitutions for `#name` placeholders.
        public var expressionAttributeNames: [String: String]?
        /// Values for `:value` placeholders.
        public var expressionAttributeValues: [String: AttributeValue]?
        /// ALL_OLD puts the item in the cancellation reason when the condition fails.
        public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

        /// A delete of the item with `key`.
        public init(tableName: String, key: Item, conditionExpression: String? = nil,
                    expressionAttributeNames: [String: String]? = nil,
                    expressionAttributeValues: [String: AttributeValue]? = nil,
                    returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
            self.tableName = tableName
            self.key = key
            self.conditionExpression = conditionExpression
            self.expressionAttributeNames = expressionAttributeNames
            self.expressionAttributeValues = expressionAttributeValues
            self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
        }

        enum CodingKeys: String, CodingKey {
            case tableName = "TableName", key = "Key", conditionExpression = "ConditionExpression"
            case expressionAttributeNames = "ExpressionAttributeNames"
            case expressionAttributeValues = "ExpressionAttributeValues"
            case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        }
    }

    /// TransactWriteItems' Update.
    public struct Update: Codable, Sendable, Equatable {
        /// The table.
        public var tableName: String
        /// Exactly the table's key attributes.
        public var key: Item
        /// SET, REMOVE, ADD and DELETE clauses (required).
        public var updateExpression: String
        /// The condition the current item must satisfy, if any.
        public var conditionExpression: String?
        /// Substitutions for `#name` placeholders.
        public var expressionAttributeNames: [String: String]?
        /// Values for `:value` placeholders.
        public var expressionAttributeValues: [String: AttributeValue]?
        /// ALL_OLD puts the item in the cancellation reason when the condition fails.
        public var returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure?

        /// An update of the item with `key`.
        public init(tableName: String, key: Item, updateExpression: String, conditionExpression: String? = nil,
                    expressionAttributeNames: [String: String]? = nil,
                    expressionAttributeValues: [String: AttributeValue]? = nil,
                    returnValuesOnConditionCheckFailure: ReturnValuesOnConditionCheckFailure? = nil) {
            self.tableName = tableName
            self.key = key
            self.updateExpression = updateExpression
            self.conditionExpression = conditionExpression
            self.expressionAttributeNames = expressionAttributeNames
            self.expressionAttributeValues = expressionAttributeValues
            self.returnValuesOnConditionCheckFailure = returnValuesOnConditionCheckFailure
        }

        enum CodingKeys: String, CodingKey {
            case tableName = "TableName", key = "Key", updateExpression = "UpdateExpression"
            case conditionExpression = "ConditionExpression"
            case expressionAttributeNames = "ExpressionAttributeNames"
            case expressionAttributeValues = "ExpressionAttributeValues"
            case returnValuesOnConditionCheckFailure = "ReturnValuesOnConditionCheckFailure"
        }
    }

    enum CodingKeys: String, CodingKey {
        case conditionCheck = "ConditionCheck", put = "Put", delete = "Delete", update = "Update"
    }
}

/// TransactWriteItems' request.
public struct TransactWriteItemsInput: Codable, Sendable, Equatable {
    /// 1 to 100 actions, at most one per item, across any tables.
    public var transactItems: [TransactWriteItem]
    /// Makes a retried request idempotent for 10 minutes (1 to 36 characters).
    public var clientRequestToken: String?
    /// Accepted and ignored (Cairn has no capacity units to report).
    public var returnConsumedCapacity: String?
    /// SIZE returns the sizes of the item collections the transaction changed (tables with
    /// local secondary indexes).
    public var returnItemCollectionMetrics: ReturnItemCollectionMetrics?

    /// A transaction of `transactItems`.
    public init(transactItems: [TransactWriteItem], clientRequestToken: String? = nil) {
        self.transactItems = transactItems
        self.clientRequestToken = clientRequestToken
    }

    enum CodingKeys: String, CodingKey {
        case transactItems = "TransactItems", clientRequestToken = "ClientRequestToken"
        case returnConsumedCapacity = "ReturnConsumedCapacity"
        case returnItemCollectionMetrics = "ReturnItemCollectionMetrics"
    }
}

/// TransactWriteItems' response (Cairn reports no consumed capacity).
public struct TransactWriteItemsOutput: Codable, Sendable, Equatable {
    /// With ReturnItemCollectionMetrics SIZE: per table with a local secondary index, the size
    /// of each item collection the transaction changed.
    public var itemCollectionMetrics: [String: [ItemCollectionMetrics]]?

    /// A response without item-collection metrics.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case itemCollectionMetrics = "ItemCollectionMetrics"
    }
}

extension ItemDatabase {
    /// The most actions (and Gets) in one transaction.
    static let maxTransactionActions = 100
    /// The most bytes of items one TransactWriteItems may write (DynamoDB's 4 MB).
    static let maxTransactionBytes = 4 << 20
    /// How long a ClientRequestToken makes a transaction idempotent, in seconds.
    static let idempotencyWindow: Double = 600

    /// Runs up to 100 writes and condition checks, across tables, all or nothing (DynamoDB's
    /// TransactWriteItems).
    ///
    /// Every involved item's lock is taken (in one global order, so transactions never
    /// deadlock), every condition is checked against the current items, and only if all hold
    /// are all writes committed as one CairnLSM write batch: no reader, crash or other write
    /// ever sees part of it. Single-item writes take the same locks, so transactions are
    /// serializable with every other write.
    ///
    /// With a ClientRequestToken, a request repeated within 10 minutes of its success returns
    /// success without running again; the same token with a different request throws
    /// IdempotentParameterMismatchException.
    ///
    /// - Throws: `TransactionCanceledException` with one `CancellationReason` per action when
    ///   a condition fails or an update cannot apply (nothing is written);
    ///   `ValidationException` for a malformed request (more than 100 actions, two actions on
    ///   one item, an action that is not exactly one of the four, invalid items or
    ///   expressions); `ResourceNotFoundException`.
    @discardableResult
    public func transactWriteItems(_ input: TransactWriteItemsInput) throws -> TransactWriteItemsOutput {
        try Self.checkTransactionSize(input.transactItems.count, field: "transactItems")
        let writes = try input.transactItems.map(prepare)
        try Self.checkDistinct(writes.map(\.key))
        let bytes = input.transactItems.reduce(0) { $0 + ($1.put.map { ItemSize.of($0.item) } ?? 0) }
        guard bytes <= Self.maxTransactionBytes else {
            throw DynamoDBError.validation("Transaction size has exceeded the maximum allowed size of 4 MB")
        }
        var token: IdempotencyToken?
        if let text = input.clientRequestToken {
            token = try IdempotencyToken(text, request: input)
        }
        let failures = input.transactItems.map(\.returnValuesOnConditionCheckFailure)
        var lockKeys = writes.map(\.key)
        if let token { lockKeys.append(token.key) }
        let changed = try locks.withLocks(lockKeys) { () -> [(table: TableDefinition, item: Item?)] in
            let tables = try writes.map { write in
                guard let table = catalog.live(write.definition) else { throw DynamoDBError.resourceNotFound() }
                return table
            }
            let now = currentTime()
            if let token, try token.alreadyCommitted(in: lsm, now: now) { return [] }
            var batch = WriteBatch()
            var reasons: [CancellationReason] = []
            var failed = false
            var changed: [(table: TableDefinition, item: Item?)] = []
            for ((write, table), onFailure) in zip(zip(writes, tables), failures) {
                let old = try readItem(write.key)
                guard try write.conditionHolds(on: old) else {
                    failed = true
                    reasons.append(CancellationReason(
                        code: "ConditionalCheckFailed", message: "The conditional request failed",
                        item: onFailure == .allOld ? old : nil))
                    continue
                }
                do {
                    let (new, effect) = try write.outcome(old: old)
                    try add(effect, old: old, new: new, key: write.key, table: table, to: &batch)
                    reasons.append(.none)
                    changed.append((table, new ?? old))
                } catch let error as DynamoDBError where error.name == "ValidationException" {
                    failed = true
                    reasons.append(CancellationReason(code: "ValidationError", message: error.message))
                } catch let error as DynamoDBError where error.name == "ItemCollectionSizeLimitExceededException" {
                    failed = true
                    reasons.append(CancellationReason(code: "ItemCollectionSizeLimitExceeded", message: error.message))
                }
            }
            if failed { throw DynamoDBError.transactionCanceled(reasons) }
            if let token { token.record(in: &batch, now: now) }
            try commit(batch, sync: options.syncWrites)
            return changed
        }
        var output = TransactWriteItemsOutput()
        output.itemCollectionMetrics = itemCollectionMetrics(input.returnItemCollectionMetrics, changed: changed)
        return output
    }

    /// The prepared write of one transaction action.
    private func prepare(_ action: TransactWriteItem) throws -> ItemWrite {
        let set = [action.conditionCheck != nil, action.put != nil, action.delete != nil, action.update != nil]
        guard set.filter({ $0 }).count == 1 else {
            throw DynamoDBError.validation("TransactItems can only contain one of Check, Put, Update or Delete")
        }
        if let c = action.conditionCheck {
            return try ItemWrite.check(
                try catalog.table(c.tableName), key: c.key, condition: c.conditionExpression,
                names: c.expressionAttributeNames, values: c.expressionAttributeValues)
        }
        if let p = action.put {
            return try ItemWrite.put(
                try catalog.table(p.tableName), item: p.item, condition: p.conditionExpression,
                names: p.expressionAttributeNames, values: p.expressionAttributeValues)
        }
        if let d = action.delete {
            return try ItemWrite.delete(
                try catalog.table(d.tableName), key: d.key, condition: d.conditionExpression,
                names: d.expressionAttributeNames, values: d.expressionAttributeValues)
        }
        guard let u = action.update else {
            throw DynamoDBError.validation("TransactItems can only contain one of Check, Put, Update or Delete")
        }
        return try ItemWrite.update(
            try catalog.table(u.tableName), key: u.key, update: u.updateExpression, condition: u.conditionExpression,
            names: u.expressionAttributeNames, values: u.expressionAttributeValues)
    }

    /// Checks a transaction's action count (1 to 100).
    static func checkTransactionSize(_ count: Int, field: String) throws {
        var violations = ConstraintViolations()
        if count < 1 {
            violations.add(value: "'[]'", field: field, constraint: "Member must have length greater than or equal to 1")
        } else if count > maxTransactionActions {
            violations.add(
                value: "'[\(count) items]'", field: field,
                constraint: "Member must have length less than or equal to \(maxTransactionActions)")
        }
        try violations.check()
    }

    /// Throws if two actions of a transaction name the same item.
    static func checkDistinct(_ keys: [[UInt8]]) throws {
        guard Set(keys).count == keys.count else {
            throw DynamoDBError.validation("Transaction request cannot include multiple operations on one item")
        }
    }
}
