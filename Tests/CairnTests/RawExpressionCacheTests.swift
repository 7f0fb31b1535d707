import Testing
@testable import Cairn

/// Parsed expression texts are cached; placeholders are still resolved and checked per request.
@Suite struct RawExpressionCacheTests {
    @Test func aCachedTextResolvesEachRequestsOwnPlaceholders() throws {
        let text = "cache_probe_a = :v AND #n > :w"
        let first = try RequestExpressions(condition: text, names: ["#n": "x"], values: [":v": 1, ":w": 2])
        let key = RawExpressionCache.Key(grammar: 0, text: text)
        #expect(RequestExpressions.rawCache.lookup(key) != nil)
        let second = try RequestExpressions(condition: text, names: ["#n": "y"], values: [":v": "s", ":w": 3])
        #expect(first.condition != second.condition)
        #expect(second.condition == .and(
            .comparison(.path(DocumentPath(attribute: "cache_probe_a")), .equal, .value("s")),
            .comparison(.path(DocumentPath(attribute: "y")), .greater, .value(3))))
        // A cached text still reports a request's missing and unused placeholders.
        #expect(throws: DynamoDBError.validation(
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :w")) {
            _ = try RequestExpressions(condition: text, names: ["#n": "x"], values: [":v": 1])
        }
        #expect(throws: DynamoDBError.validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {:z}")) {
            _ = try RequestExpressions(condition: text, names: ["#n": "x"], values: [":v": 1, ":w": 2, ":z": 3])
        }
        // The same text as a filter shares the entry; its errors name the filter.
        #expect(throws: DynamoDBError.validation(
            "Invalid FilterExpression: An expression attribute name used in the document path is not defined; attribute name: #n")) {
            _ = try RequestExpressions(filter: text, values: [":v": 1, ":w": 2])
        }
    }

    @Test func deeplyNestedCachedTextsStillResolve() throws {
        let text = String(repeating: "(", count: 200) + "deep_probe = :v" + String(repeating: ")", count: 200)
        for value: AttributeValue in [1, 2] {
            do {
                _ = try RequestExpressions(condition: text, values: [":v": value])
            } catch let error as DynamoDBError {
                // Redundant parentheses are DynamoDB's error for this text, cached or not.
                #expect(error.message.contains("redundant parentheses"))
            }
        }
        let nested = (0..<60).map { "(a\($0) = :v OR " }.joined() + "z = :v" + String(repeating: ")", count: 60)
        let first = try RequestExpressions(condition: nested, values: [":v": 1])
        let again = try RequestExpressions(condition: nested, values: [":v": 1])
        #expect(first.condition == again.condition && first.condition != nil)
    }
}
