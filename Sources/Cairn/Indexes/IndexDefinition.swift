import CairnLSM

/// A secondary index of a table as the table's definition stores it
/// (`TableDefinition.Settings.indexes`; layout of its entries: Docs/index_format.md).
struct IndexDefinition: Codable, Sendable, Hashable {
    /// Local (the table's partition key, another sort key, created with the table) or global.
    enum Kind: String, Codable, Sendable {
        case local, global
    }

    /// Whether the index serves reads yet.
    enum Status: String, Codable, Sendable {
        /// Created online and still backfilling: kept up to date, but not readable.
        case creating = "CREATING"
        case active = "ACTIVE"
    }

    var name: String
    var kind: Kind
    /// Numbers the index among its table's indexes, for its entries' keys; never reused
    /// within a table (`Settings.nextIndexOrdinal`).
    var ordinal: UInt16
    var partitionKey: KeyAttribute
    var sortKey: KeyAttribute?
    var projectionType: IndexProjection.ProjectionType
    /// INCLUDE's attributes (empty otherwise).
    var nonKeyAttributes: [String]
    /// Local indexes are always strong.
    var consistency: IndexConsistency
    var status: Status
    var readCapacityUnits: Int64
    var writeCapacityUnits: Int64

    /// The index's key attributes, partition key first.
    var keyAttributes: [KeyAttribute] { [partitionKey] + (sortKey.map { [$0] } ?? []) }

    /// True when the index is written in the item's own batch: local indexes, and ACTIVE
    /// strong global ones. A CREATING index is always kept from the index log (the backfill
    /// and the log updater are one serial process), even when it will be strong.
    var isKeptInBatch: Bool { status == .active && consistency == .strong }

    /// The key schema in DynamoDB's shape.
    var keySchema: [KeySchemaElement] {
        var schema = [KeySchemaElement(attributeName: partitionKey.name, keyType: .hash)]
        if let sortKey { schema.append(KeySchemaElement(attributeName: sortKey.name, keyType: .range)) }
        return schema
    }

    /// The projection in DynamoDB's shape.
    var projection: IndexProjection {
        IndexProjection(projectionType: projectionType, nonKeyAttributes: projectionType == .include ? nonKeyAttributes : nil)
    }

    /// The index key values of `item`, nil when the item lacks one of them (a sparse index
    /// leaves it out).
    ///
    /// - Throws: `ValidationException` naming the index when a key value has the wrong type,
    ///   is empty or too long, in DynamoDB's words.
    func keyValues(of item: Item) throws -> (partition: AttributeValue, sort: AttributeValue?)? {
        guard let partition = item[partitionKey.name] else { return nil }
        var sort: AttributeValue?
        if let sortKey {
            guard let value = item[sortKey.name] else { return nil }
            sort = value
        }
        try check(partition, partitionKey)
        if let sortKey, let sort { try check(sort, sortKey) }
        return (partition, sort)
    }

    private func check(_ value: AttributeValue, _ attribute: KeyAttribute) throws {
        switch (attribute.type, value) {
        case (.s, .s(let s)):
            if s.isEmpty {
                throw DynamoDBError.validation(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: \(name), IndexKey: \(attribute.name)")
            }
        case (.b, .b(let b)):
            if b.isEmpty {
                throw DynamoDBError.validation(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty binary value. IndexName: \(name), IndexKey: \(attribute.name)")
            }
        case (.n, .n): break
        default:
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Type mismatch for Index Key \(attribute.name) Expected: \(attribute.type.rawValue) Actual: \(value.typeName) IndexName: \(name)")
        }
        try attribute.validate(value)
    }

    /// The attributes an entry of this index holds unless it projects ALL: the table's and
    /// the index's keys, and INCLUDE's attributes.
    func projectedNames(table: TableDefinition) -> Set<String> {
        Set(projectedNameList(table: table))
    }

    /// `projectedNames` as a short list (a linear search of a handful of names beats hashing).
    private func projectedNameList(table: TableDefinition) -> [String] {
        var names = table.keyAttributes.map(\.name)
        for attribute in keyAttributes where !names.contains(attribute.name) { names.append(attribute.name) }
        if projectionType == .include { names += nonKeyAttributes }
        return names
    }

    /// The part of `item` this index's entry holds.
    func projection(of item: Item, table: TableDefinition) -> Item {
        if projectionType == .all { return item }
        let names = projectedNameList(table: table)
        return item.filter { names.contains($0.key) }
    }

    /// The value of `item`'s entry: the item's projection, encoded. `encoded` is the item's
    /// own encoding when the caller has it (ALL copies it).
    func entryValue(of item: Item, encoded: [UInt8]?, table: TableDefinition) -> [UInt8] {
        if projectionType == .all { return encoded ?? ItemCodec.encode(item) }
        return ItemCodec.encode(projection(of: item, table: table))
    }
}

/// What the index updater needs to build one index's entries from stored items, worked out
/// once per pass: the index and the UTF-8 names of the attributes an entry needs.
struct IndexEntryBuilder {
    let index: IndexDefinition
    let table: TableDefinition
    /// The index keys for ALL (which copies the stored bytes), else the projected attributes.
    private let names: [[UInt8]]

    init(_ index: IndexDefinition, table: TableDefinition) {
        self.index = index
        self.table = table
        let names = index.projectionType == .all
            ? index.keyAttributes.map(\.name) : Array(index.projectedNames(table: table))
        self.names = names.map { Array($0.utf8) }
    }

    /// The index key values and the entry value of an item stored as `bytes`, decoding only
    /// the attributes the entry needs; nil when the item is not in the index (a missing key,
    /// or one of the wrong type, as an item stored before the index was created may have).
    func entry(ofStored bytes: [UInt8]) throws -> (values: (partition: AttributeValue, sort: AttributeValue?), value: [UInt8])? {
        let partial = try bytes.withUnsafeBytes { try ItemCodec.decode($0, attributes: names) }
        guard let values = (try? index.keyValues(of: partial)) ?? nil else { return nil }
        return (values, index.projectionType == .all ? bytes : ItemCodec.encode(partial))
    }
}
