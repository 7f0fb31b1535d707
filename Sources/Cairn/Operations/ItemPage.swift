import CairnLSM

/// One page of a Query or Scan: reads a key range of a table in order, applying DynamoDB's
/// page rules, then the filter, then the projection.
///
/// A page stops after `limit` items have been *read* (before the filter), or once the items
/// read reach 1 MB (DynamoDB's page size, measured on the stored item bytes, which are within a
/// few bytes per item of DynamoDB's item size; the item that reaches it is included, so every
/// page makes progress). When a page stops early, `lastEvaluatedKey` is the key of the last item
/// read, whether or not the filter kept it, and the next page starts after it. Stopping at
/// the limit returns a LastEvaluatedKey even when no item follows, as DynamoDB does.
struct ItemPageReader {
    /// DynamoDB's page size: 1 MB of items read.
    static let pageBytes = 1 << 20

    var definition: TableDefinition
    var lowerBound: [UInt8]
    var upperBound: [UInt8]
    var forward = true
    /// The item key to start after (ExclusiveStartKey), already checked to be in range.
    var startAfter: [UInt8]?
    var limit: Int?
    var filter: Condition?
    var projection: Projection?
    var countOnly = false

    init(definition: TableDefinition, lowerBound: [UInt8], upperBound: [UInt8], limit: Int? = nil,
         expressions: RequestExpressions? = nil, countOnly: Bool = false) {
        self.definition = definition
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.limit = limit
        filter = expressions?.filter
        projection = expressions?.projection
        self.countOnly = countOnly
    }

    /// Starts the page after a request's ExclusiveStartKey, which must be a key of the table
    /// inside the reader's range; `outside` is the error when it is not.
    mutating func start(after exclusiveStartKey: Item?, outside: @autoclosure () -> DynamoDBError) throws {
        guard let exclusiveStartKey else { return }
        let key = try ItemDatabase.startKey(definition, exclusiveStartKey)
        guard !key.lexicographicallyPrecedes(lowerBound), key.lexicographicallyPrecedes(upperBound) else {
            throw outside()
        }
        startAfter = key
    }

    struct Page {
        var items: [Item] = []
        var count = 0
        var scannedCount = 0
        var lastEvaluatedKey: Item?
    }

    func read(_ lsm: Database) throws -> Page {
        var page = Page()
        guard lowerBound.lexicographicallyPrecedes(upperBound) else { return page }
        let iterator = try lsm.makeIterator(ReadOptions(lowerBound: lowerBound, upperBound: upperBound))
        if forward {
            if let startAfter {
                try iterator.seek(startAfter)
                if iterator.isValid, iterator.key == startAfter { try iterator.next() }
            } else {
                try iterator.seekToFirst()
            }
        } else {
            if let startAfter {
                try iterator.seekForPrev(startAfter)
                if iterator.isValid, iterator.key == startAfter { try iterator.prev() }
            } else {
                try iterator.seekToLast()
            }
        }
        var bytesRead = 0
        while iterator.isValid {
            let (item, size) = try iterator.withValue { (try ItemCodec.decode($0), $0.count) }
            page.scannedCount += 1
            bytesRead += size
            if try filter?.evaluate(on: item) ?? true {
                page.count += 1
                if !countOnly { page.items.append(projection.map { $0.apply(to: item) } ?? item) }
            }
            if let limit, page.scannedCount >= limit {
                page.lastEvaluatedKey = definition.key(of: item)
                break
            }
            if forward { try iterator.next() } else { try iterator.prev() }
            if bytesRead >= Self.pageBytes, iterator.isValid {
                page.lastEvaluatedKey = definition.key(of: item)
                break
            }
        }
        return page
    }
}

extension ItemDatabase {
    /// Checks the Select, ProjectionExpression and IndexName combination of a Query or Scan.
    static func checkSelect(_ select: Select?, hasProjection: Bool, indexName: String?) throws -> Bool {
        if let indexName {
            throw DynamoDBError.validation("The table does not have the specified index: \(indexName)")
        }
        switch select {
        case nil:
            return false
        case .allAttributes?:
            if hasProjection {
                throw DynamoDBError.validation("Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")
            }
            return false
        case .allProjectedAttributes?:
            throw DynamoDBError.validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        case .specificAttributes?:
            if !hasProjection {
                throw DynamoDBError.validation("Must specify the ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
            }
            return false
        case .count?:
            if hasProjection {
                throw DynamoDBError.validation("Cannot specify the ProjectionExpression when choosing to get only the Count")
            }
            return true
        }
    }

    /// Checks a Limit parameter (at least 1).
    static func checkLimit(_ limit: Int?) throws {
        if let limit, limit < 1 {
            var violations = ConstraintViolations()
            violations.add(value: "'\(limit)'", field: "limit", constraint: "Member must have value greater than or equal to 1")
            try violations.check()
        }
    }
}
