import CairnLSM
import Foundation

/// A table's durable definition: what the catalog stores under `0x00 'T' <name>` (format:
/// Docs/item_keyspace.md). The record is a version byte followed by these fields as JSON, so
/// later versions can add fields without rewriting old records.
///
/// Immutable and shared: the catalog hands out the same instance to every request (one
/// reference count instead of copying every string field per request); UpdateTable makes a
/// changed copy with `changing(_:)`.
final class TableDefinition: Codable, Sendable {
    /// The record format version this build writes and reads.
    static let recordVersion: UInt8 = 1

    /// The table number that prefixes the table's items; never reused.
    let number: UInt32
    let name: String
    /// A random UUID, reported as DynamoDB's TableId.
    let uuid: String
    let partitionKey: KeyAttribute
    let sortKey: KeyAttribute?
    let settings: Settings
    /// Seconds since 1970.
    let creationDateTime: Double

    /// What UpdateTable may change.
    struct Settings: Codable, Sendable, Hashable {
        var billingMode: BillingMode
        var readCapacityUnits: Int64
        var writeCapacityUnits: Int64
        /// Seconds since 1970 of the last switch to PAY_PER_REQUEST (or creation in that mode).
        var payPerRequestSince: Double?
        var deletionProtectionEnabled: Bool
        /// The TTL attribute while Time to Live is enabled; nil when disabled (and in records
        /// written before TTL existed).
        var timeToLiveAttribute: String?
        /// The table's current or latest change stream (nil if it never had one).
        var stream: StreamState?
        /// The table's secondary indexes (nil: none, and in records written before indexes).
        var indexes: [IndexDefinition]?
        /// The ordinal the next index gets (ordinals are never reused within a table).
        var nextIndexOrdinal: UInt16?
    }

    /// The table's secondary indexes, local and global.
    var indexes: [IndexDefinition] { settings.indexes ?? [] }

    /// True when some index is kept from the table's index log (eventual, or CREATING).
    var hasLogKeptIndexes: Bool { settings.indexes?.contains { !$0.isKeptInBatch } ?? false }

    /// The index named `name`, if the table has it.
    func index(named name: String) -> IndexDefinition? {
        settings.indexes?.first { $0.name == name }
    }

    init(number: UInt32, name: String, uuid: String, partitionKey: KeyAttribute, sortKey: KeyAttribute?,
         settings: Settings, creationDateTime: Double) {
        self.number = number
        self.name = name
        self.uuid = uuid
        self.partitionKey = partitionKey
        self.sortKey = sortKey
        self.settings = settings
        self.creationDateTime = creationDateTime
    }

    /// A copy with changed settings (UpdateTable).
    func changing(_ change: (inout Settings) throws -> Void) rethrows -> TableDefinition {
        var settings = self.settings
        try change(&settings)
        return TableDefinition(number: number, name: name, uuid: uuid, partitionKey: partitionKey, sortKey: sortKey,
                               settings: settings, creationDateTime: creationDateTime)
    }

    /// The key attributes, partition key first.
    var keyAttributes: [KeyAttribute] { [partitionKey] + (sortKey.map { [$0] } ?? []) }

    /// Encodes the catalog record.
    func record() throws -> [UInt8] {
        [Self.recordVersion] + Array(try JSONEncoder().encode(self))
    }

    /// Decodes a catalog record; damage or an unknown version is a `CairnError`.
    static func decode(record bytes: [UInt8], key: [UInt8]) throws -> TableDefinition {
        guard let version = bytes.first else {
            throw CairnError.corruption(file: "table catalog", offset: 0, reason: "empty table definition record")
        }
        guard version == recordVersion else {
            throw CairnError.notSupported("table definition record version \(version) (this build reads \(recordVersion))")
        }
        do {
            return try JSONDecoder().decode(TableDefinition.self, from: Data(bytes[1...]))
        } catch {
            let name = String(decoding: key.dropFirst(KeySpace.tableDefinitionPrefix.count), as: UTF8.self)
            throw CairnError.corruption(file: "table catalog", offset: 0, reason: "undecodable definition of table \(name): \(error)")
        }
    }

    /// A global index's description, with `status` (DynamoDB's IndexStatus) and counts.
    func description(
        ofGlobal index: IndexDefinition, status: String, counts: (count: Int64, bytes: Int64)? = nil
    ) -> GlobalSecondaryIndexDescription {
        GlobalSecondaryIndexDescription(
            indexName: index.name, keySchema: index.keySchema, projection: index.projection,
            indexStatus: status, backfilling: index.status == .creating ? true : nil,
            provisionedThroughput: ProvisionedThroughputDescription(
                readCapacityUnits: index.readCapacityUnits, writeCapacityUnits: index.writeCapacityUnits),
            indexSizeBytes: counts?.bytes ?? 0, itemCount: counts?.count ?? 0,
            indexArn: indexArn(index.name), consistency: index.consistency)
    }

    /// The ARN of index `indexName`: `arn:aws:dynamodb:local:000000000000:table/<table>/index/<index>`.
    func indexArn(_ indexName: String) -> String {
        "arn:aws:dynamodb:local:000000000000:table/\(name)/index/\(indexName)"
    }

    /// The key schema in DynamoDB's shape.
    var keySchema: [KeySchemaElement] {
        var schema = [KeySchemaElement(attributeName: partitionKey.name, keyType: .hash)]
        if let sortKey { schema.append(KeySchemaElement(attributeName: sortKey.name, keyType: .range)) }
        return schema
    }

    /// The attribute definitions in DynamoDB's shape: the table's key attributes, then those
    /// of its indexes, each once.
    var attributeDefinitions: [AttributeDefinition] {
        var definitions: [AttributeDefinition] = []
        for attribute in keyAttributes + indexes.flatMap(\.keyAttributes)
        where !definitions.contains(where: { $0.attributeName == attribute.name }) {
            definitions.append(AttributeDefinition(attributeName: attribute.name, attributeType: attribute.type))
        }
        return definitions
    }

    /// The description DescribeTable reports; item count and size (and each index's, by
    /// ordinal) are filled in by the caller.
    func description(
        status: String = "ACTIVE", itemCount: Int64 = 0, sizeBytes: Int64 = 0,
        indexCounts: [UInt16: (count: Int64, bytes: Int64)] = [:]
    ) -> TableDescription {
        var description = TableDescription(
            attributeDefinitions: attributeDefinitions, tableName: name, keySchema: keySchema,
            tableStatus: status, creationDateTime: creationDateTime,
            provisionedThroughput: ProvisionedThroughputDescription(
                readCapacityUnits: settings.readCapacityUnits, writeCapacityUnits: settings.writeCapacityUnits),
            tableSizeBytes: sizeBytes, itemCount: itemCount,
            tableArn: "arn:aws:dynamodb:local:000000000000:table/\(name)", tableId: uuid,
            billingModeSummary: BillingModeSummary(
                billingMode: settings.billingMode,
                lastUpdateToPayPerRequestDateTime: settings.billingMode == .payPerRequest ? settings.payPerRequestSince : nil),
            deletionProtectionEnabled: settings.deletionProtectionEnabled,
            streamSpecification: settings.stream.map {
                StreamSpecification(streamEnabled: $0.enabled, streamViewType: $0.enabled ? $0.viewType : nil)
            },
            latestStreamLabel: settings.stream?.label, latestStreamArn: settings.stream.map(streamArn))
        let locals = indexes.filter { $0.kind == .local }.map { index in
            LocalSecondaryIndexDescription(
                indexName: index.name, keySchema: index.keySchema, projection: index.projection,
                indexSizeBytes: indexCounts[index.ordinal]?.bytes ?? 0, itemCount: indexCounts[index.ordinal]?.count ?? 0,
                indexArn: indexArn(index.name))
        }
        let globals = indexes.filter { $0.kind == .global }.map { index in
            self.description(ofGlobal: index, status: index.status.rawValue, counts: indexCounts[index.ordinal])
        }
        description.localSecondaryIndexes = locals.isEmpty ? nil : locals
        description.globalSecondaryIndexes = globals.isEmpty ? nil : globals
        return description
    }

    /// The key attributes of `item`, checked against the schema (present, right type, sizes).
    ///
    /// - Parameter isKey: true for a request's `Key` (which must hold exactly the key
    ///   attributes), false for a whole item (PutItem).
    func keyValues(of item: Item, isKey: Bool) throws -> (partition: AttributeValue, sort: AttributeValue?) {
        if isKey, item.count != (sortKey == nil ? 1 : 2) {
            throw DynamoDBError.validation("The provided key element does not match the schema")
        }
        let partition = try keyValue(partitionKey, in: item, isKey: isKey)
        guard let sortKey else { return (partition, nil) }
        return (partition, try keyValue(sortKey, in: item, isKey: isKey))
    }

    private func keyValue(_ attribute: KeyAttribute, in item: Item, isKey: Bool) throws -> AttributeValue {
        guard let value = item[attribute.name] else {
            throw DynamoDBError.validation(isKey
                ? "The provided key element does not match the schema"
                : "One or more parameter values were invalid: Missing the key \(attribute.name) in the item")
        }
        if isKey {
            switch (attribute.type, value) {
            case (.s, .s), (.n, .n), (.b, .b): break
            default: throw DynamoDBError.validation("The provided key element does not match the schema")
            }
        }
        try attribute.validate(value)
        return value
    }

    /// The CairnLSM key of the item with these key values.
    func itemKey(_ key: (partition: AttributeValue, sort: AttributeValue?)) throws -> [UInt8] {
        try KeySpace.itemKey(table: number, partitionKey: key.partition, sortKey: key.sort)
    }

    /// The key attributes of a stored item (for LastEvaluatedKey).
    func key(of item: Item) -> Item {
        Self.values(of: keyAttributes, in: item)
    }

    /// The attributes `attributes` name, taken from `item`.
    static func values(of attributes: [KeyAttribute], in item: Item) -> Item {
        var values: Item = [:]
        for attribute in attributes { values[attribute.name] = item[attribute.name] }
        return values
    }

    /// The storage key of an item (or a key) holding this table's key attributes, checked.
    func itemKey(of item: Item) throws -> [UInt8] {
        try itemKey(try keyValues(of: key(of: item), isKey: true))
    }
}
