import Testing
@testable import Cairn

@Suite struct ItemSizeTests {
    func n(_ s: String) throws -> AttributeValue { .n(try Number(parsing: s)) }

    @Test func sizesFollowDynamoDBsRules() throws {
        #expect(ItemSize.of(["name": .s("héllo")]) == 4 + 6)
        #expect(ItemSize.of(["b": .b([1, 2, 3])]) == 1 + 3)
        #expect(ItemSize.of(["t": .bool(true), "z": .null]) == 2 + 2)
        // Numbers: one byte per two significant digits, plus one; zeros trimmed.
        #expect(ItemSize.of(["n": try n("12345")]) == 1 + 3 + 1)
        #expect(ItemSize.of(["n": try n("1000000")]) == 1 + 1 + 1)
        #expect(ItemSize.of(["n": try n("0.0012")]) == 1 + 1 + 1)
        #expect(ItemSize.of(["ss": .ss(["ab", "c"])]) == 2 + 3)
        #expect(ItemSize.of(["l": .l([])]) == 1 + 3)
        #expect(ItemSize.of(["l": .l([.s("ab"), .null])]) == 1 + 3 + (1 + 2) + (1 + 1))
        #expect(ItemSize.of(["m": .m(["k": .s("v")])]) == 1 + 3 + (1 + 1 + 1))
    }

    @Test func itemsOver400KBAreRejected() throws {
        let name = "data"
        let fits = String(repeating: "x", count: ItemSize.maxItemBytes - name.utf8.count)
        try ItemSize.validate([name: .s(fits)])
        #expect(throws: DynamoDBError.validation("Item size has exceeded the maximum allowed size")) {
            try ItemSize.validate([name: .s(fits + "x")])
        }
    }
}
