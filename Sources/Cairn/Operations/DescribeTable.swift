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
        guard let definition = catalog.lookup(input.tableName) else {
            throw DynamoDBError.resourceNotFound("Requested resource not found: Table: \(input.tableName) not found")
        }
        let (count, bytes) = try countItems(definition)
        return DescribeTableOutput(table: definition.description(itemCount: count, sizeBytes: bytes))
    }

    /// The number of items of a table and their total size by DynamoDB's rules.
    func countItems(_ definition: TableDefinition) throws -> (count: Int64, bytes: Int64) {
        let iterator = try lsm.makeIterator(ReadOptions(
            snapshot: nil, lowerBound: KeySpace.tablePrefix(definition.number),
            upperBound: KeySpace.tableEnd(definition.number)))
        try iterator.seekToFirst()
        var count: Int64 = 0
        var bytes: Int64 = 0
        while iterator.isValid {
            count += 1
            bytes += Int64(ItemSize.of(try ItemCodec.decode(iterator.value)))
            try iterator.next()
        }
        return (count, bytes)
    }
}
