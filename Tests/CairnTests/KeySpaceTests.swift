import CairnLSM
import Testing
@testable import Cairn

@Suite struct KeySpaceTests {
    /// The documented layout (item_keyspace.md): tag, table number, the high 32 bits of
    /// xxHash64 over the encoded partition key, then the encoded keys.
    @Test func itemKeysFollowTheDocumentedLayout() throws {
        var encodedPartition: [UInt8] = []
        try KeyEncoding.append(.s("user#1"), to: &encodedPartition)
        var encodedSort: [UInt8] = []
        try KeyEncoding.append(.n(42), to: &encodedSort)
        let hash = XXHash64.hash(encodedPartition) >> 32
        let expected: [UInt8] = [0x01, 0, 0, 1, 2] + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: hash >> UInt64($0)) }
            + encodedPartition + encodedSort
        #expect(try KeySpace.itemKey(table: 258, partitionKey: .s("user#1"), sortKey: .n(42)) == expected)
        #expect(try KeySpace.partitionPrefix(table: 258, partitionKey: .s("user#1")) == Array(expected.dropLast(encodedSort.count)))
        #expect(KeySpace.tableEnd(258) == [0x01, 0, 0, 1, 3])
        #expect(KeySpace.tableEnd(.max) == [0x02])
        #expect(KeySpace.hashBoundary(table: 258, hash: 1 << 32) == KeySpace.tableEnd(258))
    }

    @Test func prefixSuccessor() {
        #expect([1, 2, 3].prefixSuccessor == [1, 2, 4])
        #expect([1, 0xFF, 0xFF].prefixSuccessor == [2])
        #expect([0xFF, 0xFF].prefixSuccessor == nil)
    }
}
