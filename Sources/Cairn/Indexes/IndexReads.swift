import CairnLSM

/// What a Query or Scan reads: a table's items, or the entries of one of its indexes.
struct ReadSource {
    let table: TableDefinition
    /// The index read, nil for the table itself.
    let index: IndexDefinition?

    /// The keys the read is ordered and conditioned by: the index's, else the table's.
    var partitionKey: KeyAttribute { index?.partitionKey ?? table.partitionKey }
    var sortKey: KeyAttribute? { index == nil ? table.sortKey : index?.sortKey }

    /// The attributes of a LastEvaluatedKey: the index keys, then the table keys.
    var startKeyAttributes: [KeyAttribute] {
        guard let index else { return table.keyAttributes }
        var attributes = index.keyAttributes
        for attribute in table.keyAttributes where !attributes.contains(where: { $0.name == attribute.name }) {
            attributes.append(attribute)
        }
        return attributes
    }

    /// The bytes before the partition hash of every key read.
    var prefix: [UInt8] {
        guard let index else { return KeySpace.tablePrefix(table.number) }
        return IndexKeys.indexPrefix(table: table.number, ordinal: index.ordinal)
    }

    /// The first key after everything read.
    var end: [UInt8] {
        guard let index else { return KeySpace.tableEnd(table.number) }
        return IndexKeys.indexEnd(table: table.number, ordinal: index.ordinal)
    }

    /// The first key of the partitions whose hash is at least `hash` (2^32: the end).
    func hashBoundary(_ hash: UInt64) -> [UInt8] {
        guard hash <= UInt64(UInt32.max) else { return end }
        var key = prefix
        KeySpace.appendBigEndian(UInt32(hash), to: &key)
        return key
    }

    /// The first key of one partition.
    func partitionPrefix(_ value: AttributeValue) throws -> [UInt8] {
        try KeySpace.hashedKey(prefix: prefix, partitionKey: value, sortKey: nil)
    }

    /// The storage key of a stored item or entry with these attributes (an
    /// ExclusiveStartKey, or an item read), checked against the key schemas.
    func storageKey(of start: Item) throws -> [UInt8] {
        let names = Set(startKeyAttributes.map(\.name))
        guard start.count == names.count, start.keys.allSatisfy(names.contains) else {
            throw DynamoDBError.validation("The provided key element does not match the schema")
        }
        let itemKey = try table.itemKey(of: start)
        guard let index else { return itemKey }
        guard let values = try index.keyValues(of: start) else {
            throw DynamoDBError.validation("The provided key element does not match the schema")
        }
        return try IndexKeys.entryKey(table: table.number, ordinal: index.ordinal, values: values, itemKey: itemKey)
    }

    /// The LastEvaluatedKey of a stored item or entry.
    func lastKey(of item: Item) -> Item {
        TableDefinition.values(of: startKeyAttributes, in: item)
    }
}

extension ItemDatabase {
    /// The source a Query or Scan names: the table, or its index `indexName`, checked the way
    /// DynamoDB checks it (the index exists and is ACTIVE; ConsistentRead only on strongly
    /// consistent indexes).
    func readSource(_ table: TableDefinition, indexName: String?, consistentRead: Bool?) throws -> ReadSource {
        guard let indexName else { return ReadSource(table: table, index: nil) }
        guard let index = table.index(named: indexName) else {
            throw DynamoDBError.validation("The table does not have the specified index: \(indexName)")
        }
        if index.status == .creating {
            throw DynamoDBError.validation("Cannot read from backfilling global secondary index: \(indexName)")
        }
        if consistentRead == true && index.consistency == .eventual {
            throw DynamoDBError.validation("Consistent reads are not supported on global secondary indexes")
        }
        return ReadSource(table: table, index: index)
    }

    /// Checks Select and ProjectionExpression for a read of `source` with DynamoDB's rules;
    /// returns whether only a count is wanted and whether each entry must be replaced by its
    /// base item (a local index asked for attributes it does not project).
    static func checkSelect(
        _ select: Select?, projection: Projection?, source: ReadSource
    ) throws -> (countOnly: Bool, fetchItems: Bool) {
        let hasProjection = projection != nil
        switch select {
        case .allProjectedAttributes?:
            guard source.index != nil else {
                throw DynamoDBError.validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
            }
            if hasProjection {
                throw DynamoDBError.validation(
                    "Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES")
            }
            return (false, false)
        case .allAttributes?:
            if hasProjection {
                throw DynamoDBError.validation("Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")
            }
        case .specificAttributes?:
            if !hasProjection {
                throw DynamoDBError.validation("Must specify the ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
            }
        case .count?:
            if hasProjection {
                throw DynamoDBError.validation("Cannot specify the ProjectionExpression when choosing to get only the Count")
            }
            return (true, false)
        case nil:
            break
        }
        guard let index = source.index, index.projectionType != .all else { return (false, false) }
        // Without Select, an index read returns what it projects.
        if select == nil && !hasProjection { return (false, false) }
        let projected = index.projectedNames(table: source.table)
        let wanted = projection.map { Set($0.paths.map(\.attribute)) }
        let missing = wanted.map { !$0.isSubset(of: projected) } ?? true
        guard missing else { return (false, false) }
        if index.kind == .global {
            if select == .allAttributes {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index \(index.name) because its projection type is not ALL")
            }
            return (false, false)  // a global index returns the projected attributes it has
        }
        return (false, true)
    }
}
