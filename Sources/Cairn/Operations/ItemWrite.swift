import CairnLSM

/// One write of one item, validated and parsed, ready to run against the item's current state:
/// the shared core of PutItem, UpdateItem and DeleteItem, of TransactWriteItems' Put, Update,
/// Delete and ConditionCheck actions, and of BatchWriteItem's requests.
///
/// Preparing (`put`, `update`, `delete`, `check`) does everything that needs no stored data:
/// the table lookup, key extraction and encoding, item validation, expression parsing. Running
/// (`outcome(old:)`) takes the current item, which the caller read under the item's lock, and
/// says what to store; the caller checks `condition` first and writes the outcome in one
/// CairnLSM write (alone, or with the other writes of a transaction in one batch).
struct ItemWrite: Sendable {
    /// What the write does to the item.
    enum Action: Sendable {
        /// Replace the item with this one.
        case put(Item)
        /// Apply this update expression (nil: create the key-only item if missing); the
        /// request's key attributes.
        case update(UpdateExpression?, key: Item)
        /// Delete the item.
        case delete
        /// Nothing: only the condition matters (TransactWriteItems' ConditionCheck).
        case check
    }

    /// What to store after the write.
    enum Effect: Sendable {
        /// Nothing changes.
        case none
        /// Store this encoded item.
        case put([UInt8])
        /// Delete the item.
        case delete
    }

    /// The item's table.
    let definition: TableDefinition
    /// The item's storage key.
    let key: [UInt8]
    /// The condition the current item must satisfy, if any.
    let condition: Condition?
    /// The write itself.
    let action: Action

    /// A PutItem-style write of `item` to `definition`'s table.
    static func put(
        _ definition: TableDefinition, item: Item, condition: String?, names: [String: String]?,
        values: [String: AttributeValue]?
    ) throws -> ItemWrite {
        let keyValues = try definition.keyValues(of: item, isKey: false)
        try ItemDatabase.validateItem(item)
        try ItemDatabase.checkValuesHaveAnExpression(values, [("ConditionExpression", condition)])
        let expressions = try RequestExpressions(condition: condition, names: names, values: values)
        return ItemWrite(
            definition: definition, key: try definition.itemKey(keyValues), condition: expressions.condition,
            action: .put(item))
    }

    /// An UpdateItem-style write of the item with `key` in `definition`'s table.
    static func update(
        _ definition: TableDefinition, key: Item, update: String?, condition: String?, names: [String: String]?,
        values: [String: AttributeValue]?
    ) throws -> ItemWrite {
        let storageKey = try definition.itemKey(try definition.keyValues(of: key, isKey: true))
        try ItemDatabase.checkValuesHaveAnExpression(
            values, [("UpdateExpression", update), ("ConditionExpression", condition)])
        let expressions = try RequestExpressions(condition: condition, update: update, names: names, values: values)
        let keyNames = Set(definition.keyAttributes.map(\.name))
        for path in expressions.update?.updatedPaths ?? [] where keyNames.contains(path.attribute) {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Cannot update attribute \(path.attribute). This attribute is part of the key")
        }
        return ItemWrite(
            definition: definition, key: storageKey, condition: expressions.condition,
            action: .update(expressions.update, key: key))
    }

    /// A DeleteItem-style write of the item with `key` in `definition`'s table.
    static func delete(
        _ definition: TableDefinition, key: Item, condition: String?, names: [String: String]?,
        values: [String: AttributeValue]?
    ) throws -> ItemWrite {
        let storageKey = try definition.itemKey(try definition.keyValues(of: key, isKey: true))
        try ItemDatabase.checkValuesHaveAnExpression(values, [("ConditionExpression", condition)])
        let expressions = try RequestExpressions(condition: condition, names: names, values: values)
        return ItemWrite(definition: definition, key: storageKey, condition: expressions.condition, action: .delete)
    }

    /// A condition check of the item with `key` (TransactWriteItems' ConditionCheck).
    static func check(
        _ definition: TableDefinition, key: Item, condition: String, names: [String: String]?,
        values: [String: AttributeValue]?
    ) throws -> ItemWrite {
        let storageKey = try definition.itemKey(try definition.keyValues(of: key, isKey: true))
        let expressions = try RequestExpressions(condition: condition, names: names, values: values)
        return ItemWrite(definition: definition, key: storageKey, condition: expressions.condition, action: .check)
    }

    /// Whether `outcome` needs the current item (beyond the condition).
    var needsOldItem: Bool {
        if case .update = action { return true }
        return false
    }

    /// True if `old` (the current item, nil if none) satisfies the condition.
    func conditionHolds(on old: Item?) throws -> Bool {
        guard let condition else { return true }
        return try condition.evaluate(on: old)
    }

    /// The item after the write (nil: none) and what to store, given the current item.
    /// Throws ValidationException for an update that cannot apply (wrong operand types, a
    /// result over 400 KB).
    func outcome(old: Item?) throws -> (new: Item?, effect: Effect) {
        switch action {
        case .put(let item):
            return (item, .put(ItemCodec.encode(item)))
        case .delete:
            return (nil, .delete)
        case .check:
            return (old, .none)
        case .update(let update, let key):
            let base = old ?? key
            guard let update else {
                return (base, old == nil ? .put(ItemCodec.encode(base)) : .none)
            }
            let new = try update.apply(to: base, itemExists: old != nil)
            let keyNames = definition.keyAttributes.map(\.name)
            if old == nil, new.keys.allSatisfy(keyNames.contains) {
                return (nil, .none)  // removing attributes from a missing item creates nothing
            }
            try ItemDatabase.validateItem(new, sizeMessage: "Item size to update has exceeded the maximum allowed size")
            return (new, .put(ItemCodec.encode(new)))
        }
    }
}

extension WriteBatch {
    /// Adds `effect` on the item stored under `key` to the batch.
    mutating func add(_ effect: ItemWrite.Effect, key: [UInt8]) {
        switch effect {
        case .none: break
        case .put(let value): put(key, value)
        case .delete: delete(key)
        }
    }
}

extension ItemDatabase {
    /// Runs one prepared write under its item's lock: reads the item when the condition,
    /// the write or `readOld` needs it, checks the condition (on failure throws
    /// ConditionalCheckFailedException, with the item if `onFailure` is ALL_OLD), and stores
    /// the outcome. Returns the item before (nil if not read or absent) and after.
    func run(
        _ write: ItemWrite, readOld: Bool, onFailure: ReturnValuesOnConditionCheckFailure?
    ) throws -> (old: Item?, new: Item?) {
        try withItemLock(write.definition, write.key) { table in
            let needsOld = write.condition != nil || readOld || write.needsOldItem || needsOldItem(table)
            let old = needsOld ? try readItem(write.key) : nil
            guard try write.conditionHolds(on: old) else {
                throw DynamoDBError.conditionalCheckFailed(item: onFailure == .allOld ? old : nil)
            }
            let (new, effect) = try write.outcome(old: old)
            if case .none = effect { return (old, new) }
            var batch = WriteBatch()
            try add(effect, old: old, new: new, key: write.key, table: table, to: &batch)
            try commit(batch, sync: options.syncWrites)
            return (old, new)
        }
    }
}
