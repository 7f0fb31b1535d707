import Testing
@testable import Cairn

/// KeyConditionExpression analysis against a key schema, with the rules and messages the
/// dynalite and Alternator projects recorded against DynamoDB (dynalite test/query.js,
/// Alternator test_key_condition_expression.py).
@Suite struct KeyConditionTests: ExpressionTreeBuilding {
    let pk = KeyAttribute(name: "pk", type: .s, isPartitionKey: true)
    let sk = KeyAttribute(name: "sk", type: .n, isPartitionKey: false)
    let bk = KeyAttribute(name: "bk", type: .b, isPartitionKey: false)
    let sortS = KeyAttribute(name: "ss", type: .s, isPartitionKey: false)

    func eq(_ name: String, _ value: AttributeValue) -> Condition { .comparison(p(name), .equal, v(value)) }

    func key(_ condition: Condition, sortKey: KeyAttribute?? = .none, sourceLocation: SourceLocation = #_sourceLocation) -> KeyCondition? {
        do {
            return try KeyCondition(condition, partitionKey: pk, sortKey: sortKey ?? sk)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func failure(_ condition: Condition, sortKey: KeyAttribute?? = .none, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        validationMessage(sourceLocation: sourceLocation) {
            try KeyCondition(condition, partitionKey: pk, sortKey: sortKey ?? sk)
        }
    }

    @Test func partitionKeyAlone() {
        #expect(key(eq("pk", "a")) == KeyCondition(partitionKeyValue: "a", sortKey: nil))
        #expect(key(.comparison(v("a"), .equal, p("pk"))) == KeyCondition(partitionKeyValue: "a", sortKey: nil))
        #expect(key(eq("pk", "a"), sortKey: .some(nil)) == KeyCondition(partitionKeyValue: "a", sortKey: nil))
    }

    @Test func everySortKeyCondition() {
        let cases: [(Condition, SortKeyCondition)] = [
            (.comparison(p("sk"), .equal, v(3)), .equal(3)),
            (.comparison(p("sk"), .less, v(3)), .less(3)),
            (.comparison(p("sk"), .lessOrEqual, v(3)), .lessOrEqual(3)),
            (.comparison(p("sk"), .greater, v(3)), .greater(3)),
            (.comparison(p("sk"), .greaterOrEqual, v(3)), .greaterOrEqual(3)),
            // The attribute on the right: the operator turns around.
            (.comparison(v(3), .equal, p("sk")), .equal(3)),
            (.comparison(v(3), .less, p("sk")), .greater(3)),
            (.comparison(v(3), .lessOrEqual, p("sk")), .greaterOrEqual(3)),
            (.comparison(v(3), .greater, p("sk")), .less(3)),
            (.comparison(v(3), .greaterOrEqual, p("sk")), .lessOrEqual(3)),
            (.between(p("sk"), v(4), v(7)), .between(4, 7)),
            (.between(p("sk"), v(4), v(4)), .between(4, 4)),
        ]
        for (condition, expected) in cases {
            #expect(key(.and(eq("pk", "a"), condition)) == KeyCondition(partitionKeyValue: "a", sortKey: expected), "\(condition)")
            // Either order of the two conditions.
            #expect(key(.and(condition, eq("pk", "a"))) == KeyCondition(partitionKeyValue: "a", sortKey: expected), "\(condition)")
        }
        #expect(key(.and(eq("pk", "a"), .beginsWith(p("ss"), v("00"))), sortKey: sortS)
            == KeyCondition(partitionKeyValue: "a", sortKey: .beginsWith("00")))
        #expect(key(.and(eq("pk", "a"), .beginsWith(p("bk"), v(.b([0, 0])))), sortKey: bk)
            == KeyCondition(partitionKeyValue: "a", sortKey: .beginsWith(.b([0, 0]))))
    }

    @Test func refusedOperators() {
        let message = "Invalid operator used in KeyConditionExpression: "
        #expect(failure(.or(eq("sk", 3), eq("pk", "a"))) == message + "OR")
        #expect(failure(.and(.not(eq("sk", 3)), eq("pk", "a"))) == message + "NOT")
        #expect(failure(.and(eq("pk", "a"), .isIn(p("sk"), [v(5)]))) == message + "IN")
        #expect(failure(.and(eq("pk", "a"), .comparison(p("sk"), .notEqual, v(5)))) == message + "<>")
        #expect(failure(.and(eq("pk", "a"), .attributeExists(path("sk")))) == message + "attribute_exists")
        #expect(failure(.and(eq("pk", "a"), .attributeNotExists(path("sk")))) == message + "attribute_not_exists")
        #expect(failure(.attributeType(path("pk"), v("S"))) == message + "attribute_type")
        #expect(failure(.and(eq("pk", "a"), .contains(p("sk"), v(1)))) == message + "contains")
        // Conditions are checked left to right: the first problem is reported.
        #expect(failure(.or(.and(.comparison(p("a"), .greater, p("b")), .comparison(.size(p("b")), .greater, p("c"))),
                            .comparison(p("a"), .greater, p("c")))) == message + "OR")
    }

    @Test func shapeOfEachCondition() {
        #expect(failure(.comparison(.size(p("b")), .greater, p("a")))
            == "KeyConditionExpressions cannot contain nested operations")
        #expect(failure(.comparison(p("a"), .greater, .size(p("b.d"))))
            == "KeyConditionExpressions cannot contain nested operations")
        #expect(failure(.between(p("a"), .size(p("b")), .size(p("a"))))
            == "KeyConditionExpressions cannot contain nested operations")
        #expect(failure(.and(.between(v("1"), .size(p("b")), .size(p("a"))), .comparison(p("b"), .greater, v("1"))))
            == "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand")
        #expect(failure(.and(.beginsWith(v("1"), p("b")), .comparison(p("a"), .greater, v("1"))))
            == "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand")
        for condition: Condition in [.comparison(p("b"), .greater, p("a.b")), .between(p("b"), p("c[1]"), p("d")),
                                     .between(p("a"), p("b"), .size(p("a"))), .beginsWith(p("a"), p("b")), .comparison(p("pk"), .equal, p("sk"))] {
            #expect(failure(condition) == "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
        }
        for condition: Condition in [.and(.comparison(p("b.d"), .greater, p("a")), .comparison(p("c.d"), .greater, p("e.f"))),
                                     .comparison(p("a.d"), .greater, p("c")), .comparison(p("b[0]"), .greater, p("a")),
                                     .and(eq("pk", "a"), .comparison(p("sk.b"), .less, v(3)))] {
            #expect(failure(condition) == "KeyConditionExpressions cannot have conditions on nested attributes")
        }
        for condition: Condition in [.and(.comparison(v(1), .greater, v(1)), .comparison(p("a"), .less, v(1))),
                                     .and(.comparison(v(1), .greater, p("b")), .comparison(v(1), .less, v(1))),
                                     .comparison(v("a"), .equal, v(3))] {
            #expect(failure(condition) == "Invalid condition in KeyConditionExpression: No key attribute specified")
        }
    }

    @Test func oneConditionPerKeyAndOneOrTwoInAll() {
        let perKey = "KeyConditionExpressions must only contain one condition per key"
        #expect(failure(.and(eq("pk", "a"), eq("pk", "a"))) == perKey)
        #expect(failure(.and(.and(eq("pk", "a"), .comparison(p("sk"), .greaterOrEqual, v(3))), .comparison(p("sk"), .lessOrEqual, v(7)))) == perKey)
        #expect(failure(.and(.and(.comparison(p("b"), .greater, v(1)), .comparison(p("b"), .less, v(1))), .and(eq("c", 1), eq("d", 1)))) == perKey)
        let count = "Conditions can be of length 1 or 2 only"
        #expect(failure(.and(.and(eq("pk", "a"), .comparison(p("sk"), .less, v(3))), .comparison(p("x"), .less, v(3)))) == count)
        #expect(failure(.and(.and(.comparison(v("a"), .equal, p("a")), eq("b", "a")), .comparison(v("a"), .equal, p("c")))) == count)
    }

    @Test func conditionsAgainstTheKeySchema() {
        let missed = "Query condition missed key schema element: "
        // No condition on the partition key.
        #expect(failure(eq("sk", 3)) == missed + "pk")
        #expect(failure(eq("x", "a")) == missed + "pk")
        #expect(failure(eq("x", "a"), sortKey: .some(nil)) == missed + "pk")
        // Two conditions, one not on the sort key.
        #expect(failure(.and(eq("pk", "a"), .comparison(p("x"), .less, v(3)))) == missed + "sk")
        #expect(failure(.and(eq("x", "a"), eq("y", "a"))) == missed + "pk")
        // A table without a sort key takes one condition only.
        let unsupported = "Query key condition not supported"
        #expect(failure(.and(eq("pk", "a"), eq("sk", 1)), sortKey: .some(nil)) == unsupported)
        #expect(failure(.and(eq("y", "a"), eq("z", "a")), sortKey: .some(nil)) == unsupported)
        // The partition key takes = only.
        for condition: Condition in [.comparison(p("pk"), .less, v("1")), .comparison(p("pk"), .greater, v("1")),
                                     .comparison(v("1"), .lessOrEqual, p("pk")), .comparison(v("1"), .greaterOrEqual, p("pk")),
                                     .beginsWith(p("pk"), v("1")), .between(p("pk"), v("1"), v("1"))] {
            #expect(failure(condition) == unsupported)
            #expect(failure(condition, sortKey: .some(nil)) == unsupported)
        }
    }

    @Test func valuesMustHaveTheKeysTypes() {
        let mismatch = "One or more parameter values were invalid: Condition parameter type does not match schema type"
        #expect(failure(eq("pk", 3)) == mismatch)
        #expect(failure(.comparison(v(1), .greater, p("pk"))) == mismatch)
        #expect(failure(eq("pk", ["a"])) == mismatch)
        #expect(failure(.and(eq("pk", "a"), eq("sk", "hello"))) == mismatch)
        #expect(failure(.and(eq("pk", "a"), .between(p("sk"), v("1"), v("2")))) == mismatch)
        #expect(failure(.and(eq("pk", "a"), .comparison(p("bk"), .less, v("x"))), sortKey: bk) == mismatch)
        // begins_with with a string on a number sort key.
        #expect(failure(.and(eq("pk", "a"), .beginsWith(p("sk"), v("3")))) == mismatch)
        // The type is checked before the operator.
        #expect(failure(.comparison(p("pk"), .less, v(1))) == mismatch)
    }

    /// Checks DynamoDB makes while parsing, repeated for trees built by hand.
    @Test func parserChecksOnTreesBuiltByHand() {
        #expect(failure(.and(eq("pk", "a"), .beginsWith(p("sk"), v(3))))
            == "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
        #expect(failure(.and(eq("pk", "a"), .between(p("sk"), v(7), v(4))))
            == "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:7}, upper bound operand: AttributeValue: {N:4}")
        #expect(failure(.and(eq("pk", "a"), .between(p("sk"), v(1), v("a"))))
            == "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}")
    }
}
