import Testing
@testable import Cairn

@Suite struct LiteralTests {
    @Test func literalsBuildTheExpectedValues() throws {
        let item: Item = ["name": "widget", "count": 3, "ok": true, "gone": .null, "tags": ["a", 1], "dims": ["w": 2]]
        #expect(item["name"] == .s("widget"))
        #expect(item["count"] == .n(try Number(parsing: "3")))
        #expect(item["ok"] == .bool(true))
        #expect(item["gone"] == .null)
        #expect(item["tags"] == .l([.s("a"), .n(try Number(parsing: "1"))]))
        #expect(item["dims"] == .m(["w": .n(try Number(parsing: "2"))]))
        for v in [Int.min, -1, 0, 1, Int.max] {
            #expect(Number(exactly: v).description == String(v))
        }
        let n: Number = 42
        #expect(n == (try Number(parsing: "42.0")))
    }
}
