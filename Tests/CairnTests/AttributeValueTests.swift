import Foundation
import Testing
@testable import Cairn

@Suite struct AttributeValueTests {
    func decode(_ json: String) throws -> AttributeValue {
        try JSONDecoder().decode(AttributeValue.self, from: Data(json.utf8))
    }

    func expectValidation(_ json: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let value = try decode(json)
            try value.validate()
            Issue.record("\(json) was accepted", sourceLocation: sourceLocation)
        } catch let e as DynamoDBError {
            #expect(e.name == "ValidationException", "\(e)", sourceLocation: sourceLocation)
            #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func allTenTypesRoundTripThroughDynamoDBJSON() throws {
        let json = """
            {"M": {"s": {"S": "héllo"}, "n": {"N": "-01.50"}, "b": {"B": "AAH/"}, "t": {"BOOL": true},
                   "z": {"NULL": true}, "l": {"L": [{"N": "1"}, {"S": "x"}, {"L": []}]},
                   "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AQ==", "Ag=="]}}}
            """
        let value = try decode(json)
        guard case .m(let map) = value else { Issue.record("not a map"); return }
        #expect(map["s"] == .s("héllo"))
        #expect(map["n"] == .n(try Number(parsing: "-1.5")))
        #expect(map["b"] == .b([0, 1, 255]))
        #expect(map["t"] == .bool(true))
        #expect(map["z"] == .null)
        #expect(map["l"] == .l([.n(try Number(parsing: "1")), .s("x"), .l([])]))
        #expect(map["ss"] == .ss(["a", "b"]))
        #expect(map["ns"] == .ns([try Number(parsing: "1"), try Number(parsing: "2.5")]))
        #expect(map["bs"] == .bs([[1], [2]]))
        try value.validate()
        let again = try JSONDecoder().decode(AttributeValue.self, from: JSONEncoder().encode(value))
        #expect(again == value)
        // Numbers come back normalized, as strings.
        let encoded = String(decoding: try JSONEncoder().encode(AttributeValue.n(try Number(parsing: "1.0e2"))), as: UTF8.self)
        #expect(encoded == #"{"N":"100"}"#)
    }

    @Test func rejectsWhatDynamoDBRejects() {
        expectValidation("{}", containing: "Supplied AttributeValue is empty")
        expectValidation(#"{"S": "a", "N": "1"}"#, containing: "more than one datatypes")
        expectValidation(#"{"NULL": false}"#, containing: "Null attribute value types must have the value of true")
        expectValidation(#"{"N": "1e200"}"#, containing: "overflow")
        expectValidation(#"{"N": "abc"}"#, containing: "numeric")
        expectValidation(#"{"SS": []}"#, containing: "set  may not be empty")
        expectValidation(#"{"SS": ["a", "a"]}"#, containing: "contains duplicates")
        // "1" and "1.0" are the same number, so this set has a duplicate.
        expectValidation(#"{"NS": ["1", "1.0"]}"#, containing: "contains duplicates")
        expectValidation(#"{"L": [{"NS": []}]}"#, containing: "may not be empty")
    }

    @Test func nestingIsLimitedTo32Levels() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: #"{"L": ["#, count: depth) + #"{"S": "x"}"# + String(repeating: "]}", count: depth)
        }
        try decode(nested(32)).validate()
        expectValidation(nested(33), containing: "Nesting Levels have exceeded supported limits")
    }

    @Test func badBase64IsASerializationError() {
        #expect(throws: DynamoDBError(
            name: "SerializationException", message: "Base64 encoded length is expected a multiple of 4 bytes but found: 3")) {
            _ = try decode(#"{"B": "abc"}"#)
        }
    }
}
