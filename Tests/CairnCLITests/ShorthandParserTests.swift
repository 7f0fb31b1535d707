import Testing
@testable import cairn

/// aws-cli's shorthand syntax (`awscli/shorthand.py`): each expectation is what aws-cli's
/// `ShorthandParser().parse` returns for the same text.
@Suite struct ShorthandParserTests {
    func parse(_ text: String) throws -> JSONValue {
        var parser = ShorthandParser()
        return try parser.parse(text)
    }

    @Test func keyValuePairs() throws {
        #expect(try parse("AttributeName=pk,AttributeType=S")
            == .object([("AttributeName", .string("pk")), ("AttributeType", .string("S"))]))
        #expect(try parse("a=b") == .object([("a", .string("b"))]))
        #expect(try parse("a = b , c = d ") == .object([("a", .string("b")), ("c", .string("d"))]))
        #expect(throws: ShorthandParseError.self) { try parse(" a=b") }  // as aws-cli: no leading space
        #expect(try parse("a=") == .object([("a", .string(""))]))
    }

    @Test func csvListsAndBacktracking() throws {
        #expect(try parse("a=b,c") == .object([("a", .array([.string("b"), .string("c")]))]))
        #expect(try parse("foo=a,b,c=d,e=f")
            == .object([("foo", .array([.string("a"), .string("b")])), ("c", .string("d")), ("e", .string("f"))]))
        #expect(try parse("a=b=c") == .object([("a", .string("b=c"))]))
    }

    @Test func explicitListsAndHashes() throws {
        #expect(try parse("a=[b,c],d={e=f,g=[h]}") == .object([
            ("a", .array([.string("b"), .string("c")])),
            ("d", .object([("e", .string("f")), ("g", .array([.string("h")]))])),
        ]))
        #expect(try parse("a=[]") == .object([("a", .array([]))]))
        #expect(try parse("pk={S=user#1},n={N=5}") == .object([
            ("pk", .object([("S", .string("user#1"))])), ("n", .object([("N", .string("5"))])),
        ]))
        #expect(try parse("l={L=[{S=a},{N=1}]}") == .object([
            ("l", .object([("L", .array([.object([("S", .string("a"))]), .object([("N", .string("1"))])]))])),
        ]))
    }

    @Test func quotingAndEscapes() throws {
        #expect(try parse("a='x,y',b=\"p=q\"") == .object([("a", .string("x,y")), ("b", .string("p=q"))]))
        #expect(try parse(#"a=x\,y"#) == .object([("a", .string("x,y"))]))
        #expect(try parse(#"a='it\'s'"#) == .object([("a", .string("it's"))]))
        #expect(try parse(#"a="back\\slash""#) == .object([("a", .string(#"back\slash"#))]))
        #expect(try parse("a=héllo wörld") == .object([("a", .string("héllo wörld"))]))
    }

    @Test func errorsAreAwsCliMessages() throws {
        #expect(throws: ShorthandParseError(message: "Expected: '=', received: 'EOF' for input:\nfoo\n   ^")) {
            try parse("foo")
        }
        #expect(throws: ShorthandParseError(message: "Expected: ',', received: ']' for input:\na=b]\n   ^")) {
            try parse("a=b]")
        }
        let duplicate = #expect(throws: ShorthandParseError.self) { try parse("a=b,a=c") }
        #expect(duplicate?.message.hasPrefix("Second instance of key \"a\" encountered for input:") == true)
        #expect(throws: ShorthandParseError.self) { try parse("a='unterminated") }
        #expect(throws: ShorthandParseError.self) { try parse("a={b=c") }
        #expect(throws: ShorthandParseError.self) { try parse("a=" + String(repeating: "[", count: 10_000)) }
    }

    @Test func typingFollowsTheModel() throws {
        let throughput = try DynamoDBShapes.provisionedThroughput.typeShorthand(
            try parse("ReadCapacityUnits=5,WriteCapacityUnits=7"), path: "")
        #expect(throughput == .object([("ReadCapacityUnits", .number("5")), ("WriteCapacityUnits", .number("7"))]))
        let stream = try DynamoDBShapes.streamSpecification.typeShorthand(try parse("StreamEnabled=FALSE"), path: "")
        #expect(stream == .object([("StreamEnabled", .bool(false))]))
        let item = try DynamoDBShapes.attributeMap.typeShorthand(
            try parse("n={N=5},b={BOOL=true},s={SS=one}"), path: "")
        #expect(item == .object([
            ("n", .object([("N", .string("5"))])), ("b", .object([("BOOL", .bool(true))])),
            ("s", .object([("SS", .array([.string("one")]))])),
        ]))
        #expect(throws: ShorthandTypeError.self) {
            try DynamoDBShapes.provisionedThroughput.typeShorthand(try parse("ReadCapacityUnits=x"), path: "")
        }
    }
}
