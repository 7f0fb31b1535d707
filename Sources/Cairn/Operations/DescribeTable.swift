import CairnLSM

/// DescribeTable's request.
public struct DescribeTableInput: Codable, Sendable {
    /// The table to describe.
    public var tableName: String

    /// A request describing `tableName`.
    public init(tableName: String) {
        self.tableName = tableName
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName"
    }
}

/// DescribeTable's response.
public struct DescribeTableOutput: Codable, Sendable {
    /// The table, with its item count and size counted now.
    public var table: TableDescription

    enum CodingKeys: String, CodingKey {
        case table = "Table"
    }
}

extension ItemDatabase {
    /// Describes a table (DynamoDB's DescribeTable).
    ///
    /// Unlike DynamoDB, which refreshes `ItemCount` and `TableSizeBytes` about every six hours,
    /// Cairn counts them when asked, by reading the table's items: exact, but it costs a scan.
    ///
    /// - Throws: `ResourceNotFoundException` if the table does not exist.
    public func describeTable(_ input: DescribeTableInput) throws -> DescribeTableOutput {
        let definition = try catalog.table(named: input.tableName)
        return DescribeTableOutput(table: try describe(definition, counting: true))
    }

    /// A table's description; with `counting`, its items and its indexes' entries are
    /// counted (a scan of each).
    func describe(_ definition: TableDefinition, counting: Bool = false) throws -> TableDescription {
        guard counting else { return definition.description() }
        let (count, bytes) = try countItems(definition)
        var indexCounts: [UInt16: (count: Int64, bytes: Int64)] = [:]
        for index in definition.indexes {
            indexCounts[index.ordinal] = try countEntries(
                from: IndexKeys.indexPrefix(table: definition.number, ordinal: index.ordinal),
                to: IndexKeys.indexEnd(table: definition.number, ordinal: index.ordinal))
        }
        return definition.description(itemCount: count, sizeBytes: bytes, indexCounts: indexCounts)
    }

    /// The number of items of a table and their total size by DynamoDB's rules.
    func countItems(_ definition: TableDefinition) throws -> (count: Int64, bytes: Int64) {
        try countEntries(from: KeySpace.tablePrefix(definition.number), to: KeySpace.tableEnd(definition.number))
    }

    /// The number of encoded items between two keys and their total size by DynamoDB's rules.
    private func countEntries(from lower: [UInt8], to upper: [UInt8]) throws -> (count: Int64, bytes: Int64) {
        var count: Int64 = 0
        var bytes: Int64 = 0
        try lsm.forEachEntry(from: lower, to: upper) { entry in
            count += 1
            bytes += Int64(ItemSize.of(try ItemCodec.decode(entry.value)))
        }
        return (count, bytes)
    }
}
