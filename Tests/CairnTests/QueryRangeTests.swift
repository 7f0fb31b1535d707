import CairnLSM
import Testing
@testable import Cairn

/// Query's key ranges: for random sort keys and random sort-key conditions, the CairnLSM range
/// computed from the condition holds exactly the items DynamoDB's comparison rules select, in
/// order, forwards and backwards, and across pages.
@Suite struct QueryRangeTests {
    func randomValue(_ type: KeyAttribute.KeyType, _ rng: inout Rng) throws -> AttributeValue {
        switch type {
        case .n:
            let digits = (0..<(1 + rng.below(4))).map { _ in String(rng.below(10)) }.joined()
            let sign = rng.below(3) == 0 ? "-" : ""
            return .n(try Number(parsing: sign + digits + "e" + String(rng.below(7) - 3)))
        case .s:
            let alphabet: [Character] = ["a", "b", "\u{0}", "é", "z"]
            return .s(String((0..<(1 + rng.below(4))).map { _ in alphabet[rng.below(alphabet.count)] }))
        case .b:
            return .b((0..<(1 + rng.below(4))).map { _ in [0x00, 0x01, 0x7F, 0xFF][rng.below(4)] })
        }
    }

    /// DynamoDB's order of two key values of the same type.
    func compare(_ a: AttributeValue, _ b: AttributeValue) -> Int {
        switch (a, b) {
        case let (.n(x), .n(y)): return Number.compare(x, y)
        case let (.s(x), .s(y)): return bytesCompare(Array(x.utf8), Array(y.utf8))
        case let (.b(x), .b(y)): return bytesCompare(x, y)
        default: return 0
        }
    }

    func bytesCompare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a == b ? 0 : (a.lexicographicallyPrecedes(b) ? -1 : 1)
    }

    func matches(_ value: AttributeValue, _ condition: SortKeyCondition?) -> Bool {
        switch condition {
        case nil: return true
        case .equal(let v)?: return compare(value, v) == 0
        case .less(let v)?: return compare(value, v) < 0
        case .lessOrEqual(let v)?: return compare(value, v) <= 0
        case .greater(let v)?: return compare(value, v) > 0
        case .greaterOrEqual(let v)?: return compare(value, v) >= 0
        case .between(let lo, let hi)?: return compare(value, lo) >= 0 && compare(value, hi) <= 0
        case .beginsWith(let prefix)?:
            switch (value, prefix) {
            case let (.s(s), .s(p)): return Array(s.utf8).starts(with: Array(p.utf8))
            case let (.b(s), .b(p)): return s.starts(with: p)
            default: return false
            }
        }
    }

    @Test(arguments: [KeyAttribute.KeyType.n, .s, .b])
    func rangesSelectExactlyTheMatchingItems(type: KeyAttribute.KeyType) throws {
        var rng = Rng(state: 7 + UInt64(type.rawValue.utf8.first ?? 0))
        let db = try memoryDatabase()
        try db.createTable(tableRequest("q12", ("p", .s), ("c", type)))
        let definition = try db.catalog.table("q12")
        let source = ReadSource(table: definition, index: nil)
        var stored: [String: [AttributeValue]] = [:]
        for _ in 0..<300 {
            let partition = ["x", "y", "x\u{0}"][rng.below(3)]
            let value = try randomValue(type, &rng)
            if !(stored[partition] ?? []).contains(where: { compare($0, value) == 0 }) { stored[partition, default: []].append(value) }
            try db.putItem(PutItemInput(tableName: "q12", item: ["p": .s(partition), "c": value]))
        }
        for round in 0..<400 {
            let partition = ["x", "y", "x\u{0}", "none"][rng.below(4)]
            let a = try randomValue(type, &rng), b = try randomValue(type, &rng)
            let (low, high) = compare(a, b) <= 0 ? (a, b) : (b, a)
            var conditions: [SortKeyCondition?] = [nil, .equal(a), .less(a), .lessOrEqual(a), .greater(a), .greaterOrEqual(a), .between(low, high)]
            if type != .n { conditions.append(.beginsWith(a)) }
            let condition = conditions[rng.below(conditions.count)]
            let expected = (stored[partition] ?? []).filter { matches($0, condition) }.sorted { compare($0, $1) < 0 }
            let (lower, upper) = try ItemDatabase.keyRange(source, KeyCondition(partitionKeyValue: .s(partition), sortKey: condition))
            let forward = rng.below(2) == 0
            var reader = ItemPageReader(source: source, lowerBound: lower, upperBound: upper)
            reader.forward = forward
            reader.limit = 1 + rng.below(5)
            var got: [AttributeValue] = []
            repeat {
                let page = try reader.read(db.storage)
                got += page.items.compactMap { $0["c"] }
                #expect(page.items.allSatisfy { $0["p"] == .s(partition) })
                reader.startAfter = try page.lastEvaluatedKey.map { try source.storageKey(of: $0) }
            } while reader.startAfter != nil
            #expect(got == (forward ? expected : expected.reversed()), "round \(round): \(partition) \(String(describing: condition))")
        }
    }
}
