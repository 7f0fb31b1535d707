import CairnLSM

/// One page of a Query or Scan: reads a key range of a table or an index in order, applying
/// DynamoDB's page rules, then the filter, then the projection.
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

    var source: ReadSource
    var lowerBound: [UInt8]
    var upperBound: [UInt8]
    var forward = true
    /// The item key to start after (ExclusiveStartKey), already checked to be in range.
    var startAfter: [UInt8]?
    var limit: Int?
    var filter: Condition?
    var projection: Projection?
    var countOnly = false
    /// Replace each index entry by its base item, read at the same snapshot (a local index
    /// asked for attributes it does not project).
    var fetchItems = false

    init(source: ReadSource, lowerBound: [UInt8], upperBound: [UInt8], limit: Int? = nil,
         expressions: RequestExpressions? = nil, countOnly: Bool = false) {
        self.source = source
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.limit = limit
        filter = expressions?.filter
        projection = expressions?.projection
        self.countOnly = countOnly
    }

    /// Starts the page after a request's ExclusiveStartKey, which must be a key of the table
    /// (with an index: the index keys and the table keys) inside the reader's range;
    /// `outside` is the error when it is not.
    mutating func start(after exclusiveStartKey: Item?, outside: @autoclosure () -> DynamoDBError) throws {
        guard let exclusiveStartKey else { return }
        let key: [UInt8]
        do {
            key = try source.storageKey(of: exclusiveStartKey)
        } catch let error as DynamoDBError {
            throw DynamoDBError.validation("The provided starting key is invalid: \(error.message)")
        }
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
        let snapshot = fetchItems ? lsm.snapshot() : nil
        let iterator = try lsm.makeIterator(ReadOptions(snapshot: snapshot, lowerBound: lowerBound, upperBound: upperBound))
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
            var (item, size) = try iterator.withValue { (try ItemCodec.decode($0), $0.count) }
            page.scannedCount += 1
            bytesRead += size
            if fetchItems {
                let key = try source.table.itemKey(of: item)
                if let bytes = try lsm.get(key, snapshot: snapshot) { item = try ItemCodec.decode(bytes) }
            }
            if try filter?.evaluate(on: item) ?? true {
                page.count += 1
                if !countOnly { page.items.append(projection.map { $0.apply(to: item) } ?? item) }
            }
            if let limit, page.scannedCount >= limit {
                page.lastEvaluatedKey = source.lastKey(of: item)
                break
            }
            if forward { try iterator.next() } else { try iterator.prev() }
            if bytesRead >= Self.pageBytes, iterator.isValid {
                page.lastEvaluatedKey = source.lastKey(of: item)
                break
            }
        }
        return page
    }
}

extension ItemDatabase {
    /// Checks a Limit parameter (at least 1).
    static func checkLimit(_ limit: Int?) throws {
        if let limit, limit < 1 {
            var violations = ConstraintViolations()
            violations.add(value: "'\(limit)'", field: "limit", constraint: "Member must have value greater than or equal to 1")
            try violations.check()
        }
    }
}
