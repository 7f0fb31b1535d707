/// DeleteTable's request.
public struct DeleteTableInput: Codable, Sendable {
    /// The table to delete.
    public var tableName: String

    /// A request deleting `tableName`.
    public init(tableName: String) {
        self.tableName = tableName
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "TableName"
    }
}

/// DeleteTable's response: the table as it was, with status DELETING.
public struct DeleteTableOutput: Codable, Sendable {
    /// The table as it was before deletion, with status DELETING.
    public var tableDescription: TableDescription

    enum CodingKeys: String, CodingKey {
        case tableDescription = "TableDescription"
    }
}

extension ItemDatabase {
    /// Deletes a table, all its items and its indexes (DynamoDB's DeleteTable). The table is
    /// gone when this returns: its definition, items and index entries go in one durable write (a range deletion, so the
    /// cost does not grow with the table; compaction reclaims the space later).
    ///
    /// - Throws: `ResourceNotFoundException` if the table does not exist; `ValidationException`
    ///   if deletion protection is on.
    @discardableResult
    public func deleteTable(_ input: DeleteTableInput) throws -> DeleteTableOutput {
        // The index updater's lock first: no pass is writing the table's index entries.
        try indexUpkeep.withLock { _ in try locks.withAllLocks {
            let definition = try catalog.table(named: input.tableName)
            guard !definition.settings.deletionProtectionEnabled else {
                throw DynamoDBError.validation(
                    "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
            }
            try catalog.delete(definition, now: currentTime())
            return DeleteTableOutput(tableDescription: definition.description(status: "DELETING"))
        } }
    }
}
