/// ListTables' request.
public struct ListTablesInput: Codable, Sendable {
    /// Start after this table name (the previous page's `LastEvaluatedTableName`).
    public var exclusiveStartTableName: String?
    /// At most this many names (1 to 100; default 100).
    public var limit: Int?

    /// A request for the first page of names, or the page after `exclusiveStartTableName`.
    public init(exclusiveStartTableName: String? = nil, limit: Int? = nil) {
        self.exclusiveStartTableName = exclusiveStartTableName
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case exclusiveStartTableName = "ExclusiveStartTableName", limit = "Limit"
    }
}

/// ListTables' response.
public struct ListTablesOutput: Codable, Sendable {
    /// Table names in ascending (UTF-8 byte) order.
    public var tableNames: [String]
    /// Present when more names may follow: pass it as the next `ExclusiveStartTableName`.
    public var lastEvaluatedTableName: String?

    enum CodingKeys: String, CodingKey {
        case tableNames = "TableNames", lastEvaluatedTableName = "LastEvaluatedTableName"
    }
}

extension ItemDatabase {
    /// Lists table names in order, a page at a time (DynamoDB's ListTables).
    public func listTables(_ input: ListTablesInput = ListTablesInput()) throws -> ListTablesOutput {
        var violations = ConstraintViolations()
        let limit = input.limit ?? 100
        if limit < 1 {
            violations.add(value: "'\(limit)'", field: "limit", constraint: "Member must have value greater than or equal to 1")
        }
        if limit > 100 {
            violations.add(value: "'\(limit)'", field: "limit", constraint: "Member must have value less than or equal to 100")
        }
        if let start = input.exclusiveStartTableName {
            TableNameRule.check(start, field: "exclusiveStartTableName", into: &violations)
        }
        try violations.check()
        var names = catalog.names()
        if let start = input.exclusiveStartTableName.map({ Array($0.utf8) }) {
            names = names.filter { start.lexicographicallyPrecedes(Array($0.utf8)) }
        }
        let page = Array(names.prefix(limit))
        return ListTablesOutput(tableNames: page, lastEvaluatedTableName: names.count > limit ? page.last : nil)
    }
}
