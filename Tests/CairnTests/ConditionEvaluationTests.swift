import Testing
@testable import Cairn

/// Condition and filter evaluation, with the cases the Alternator project recorded against
/// DynamoDB (test_condition_expression.py, test_filter_expression.py) and DynamoDB's
/// documentation ("Condition and filter expressions, operators, and functions").
@Suite struct ConditionEvaluationTests: ExpressionTreeBuilding {
    /// One value of each of the ten types.
    var samples: [AttributeValue] {
        ["hello", 1, .b([0x78, 0x79]), true, .null, ["hello", 42], ["hello": "world"], .ss(["hello", "world"]),
         ns("1", "2", "3"), .bs([[1], [2]])]
    }

    func holds(_ condition: Condition, _ item: Item?, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        do {
            return try condition.evaluate(on: item)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            return false
        }
    }

    // MARK: Paths

    /// A path's value is nil (missing), never `.null`, when a step is missing or mistyped.
    @Test func pathsResolveStepByStep() {
        let item: Item = ["a": ["b": [10, ["c": "x"], .null]], "s": "text", "a.b": 1]
        #expect(path("a.b[0]").value(in: item) == 10)
        #expect(path("a.b[1].c").value(in: item) == "x")
        #expect(path("a.b[2]").value(in: item) == .some(.null))
        #expect(DocumentPath([.name("a.b")]).value(in: item) == 1)
        for missing in ["a.b[3]", "a.b[-1]", "a.c", "a[0]", "a.b.c", "a.b[0].c", "a.b[0][0]", "s.x", "s[0]", "z", "z.y"] {
            #expect(path(missing).value(in: item) == nil, "\(missing)")
        }
        #expect(DocumentPath([.index(0)]).value(in: item) == nil)
        #expect(DocumentPath([]).value(in: item) == nil)
        #expect(path("a").value(in: nil as Item?) == nil)
    }

    // MARK: = and <>

    @Test func equalityAcrossAllTypePairs() {
        for (i, x) in samples.enumerated() {
            for (j, y) in samples.enumerated() {
                let item: Item = ["a": x, "b": y]
                #expect(holds(.comparison(p("a"), .equal, v(y)), item) == (i == j), "\(x) = \(y)")
                #expect(holds(.comparison(p("a"), .equal, p("b")), item) == (i == j), "\(x) = \(y)")
                #expect(holds(.comparison(v(x), .equal, p("b")), item) == (i == j), "\(x) = \(y)")
                #expect(holds(.comparison(p("a"), .notEqual, v(y)), item) == (i != j), "\(x) <> \(y)")
            }
        }
    }

    @Test func equalityOfSameTypeDifferentValues() {
        let pairs: [(AttributeValue, AttributeValue)] = [
            ("hello", "Hello"), (1, 2), (.b([1]), .b([1, 0])), (true, false), (["a", 1], [1, "a"]), (["a", 1], ["a"]),
            (["k": 1], ["k": 2]), (["k": 1], ["j": 1]), (["k": 1], ["k": 1, "j": 1]), (.ss(["a"]), .ss(["a", "b"])),
            (ns("1"), ns("2")), (.bs([[1]]), .bs([[2]])), ("", "\u{0}"),
        ]
        for (x, y) in pairs {
            #expect(!holds(.comparison(v(x), .equal, v(y)), [:]), "\(x) = \(y)")
            #expect(holds(.comparison(v(x), .notEqual, v(y)), [:]), "\(x) <> \(y)")
        }
    }

    @Test func setsAreEqualInAnyOrderAndNumbersNumerically() {
        let item: Item = [
            "ss": .ss(["dog", "chinchilla", "cat", "mouse"]), "ns": ns("1", "2.50", "-3"), "bs": .bs([[1, 2], [3]]),
            "n": n("100"), "nested": ["x": [.ss(["b", "a"])]],
        ]
        #expect(holds(.comparison(p("ss"), .equal, v(.ss(["mouse", "cat", "chinchilla", "dog"]))), item))
        #expect(holds(.comparison(p("ns"), .equal, v(ns("-3e0", "2.5", "01"))), item))
        #expect(holds(.comparison(p("bs"), .equal, v(.bs([[3], [1, 2]]))), item))
        #expect(holds(.comparison(p("n"), .equal, v(n("1E2"))), item))
        #expect(holds(.comparison(p("n"), .equal, v(n("100.000"))), item))
        #expect(holds(.comparison(p("nested"), .equal, v(["x": [.ss(["a", "b"])]])), item))
        #expect(!holds(.comparison(p("ss"), .equal, v(.ss(["dog", "cat", "mouse"]))), item))
        #expect(!holds(.comparison(p("ns"), .equal, v(ns("1", "2.5", "3"))), item))
        // Lists keep their order.
        #expect(!holds(.comparison(v([1, 2]), .equal, v([2, 1])), nil))
        #expect(holds(.comparison(v([1, ["a": [2]]]), .equal, v([n("1.0"), ["a": [n("2e0")]]])), nil))
    }

    /// DynamoDB compares strings by their bytes (Java compares UTF-16 units), not by Unicode
    /// canonical equivalence as Swift's `==` does.
    @Test func stringsCompareByBytesNotCanonicalEquivalence() {
        let composed = "\u{E9}", decomposed = "e\u{301}"
        #expect(!holds(.comparison(v(.s(composed)), .equal, v(.s(decomposed))), nil))
        #expect(holds(.comparison(v(.s(composed)), .notEqual, v(.s(decomposed))), nil))
        #expect(!holds(.comparison(v(.ss([composed])), .equal, v(.ss([decomposed]))), nil))
        #expect(!holds(.contains(v(.ss([composed])), v(.s(decomposed))), nil))
    }

    /// A missing attribute is equal to nothing, not even another missing one; `<>` holds.
    @Test func missingOperandsMakeEqualFalseAndNotEqualTrue() {
        let item: Item = ["a": 1]
        #expect(!holds(.comparison(p("q"), .equal, v(2)), item))
        #expect(!holds(.comparison(p("q"), .equal, p("z")), item))
        #expect(!holds(.comparison(p("q"), .equal, p("z")), nil))
        #expect(holds(.comparison(p("z"), .notEqual, v(1)), item))
        #expect(holds(.comparison(v(1), .notEqual, p("z")), item))
        #expect(holds(.comparison(p("q"), .notEqual, p("z")), item))
        #expect(holds(.comparison(p("q"), .notEqual, p("z")), nil))
        // The create-if-absent idiom: `p <> :p` holds when the item does not exist.
        #expect(holds(.comparison(p("p"), .notEqual, v("k")), nil))
        #expect(!holds(.comparison(p("p"), .notEqual, v("k")), ["p": "k"]))
        #expect(!holds(.comparison(p("a.b"), .equal, v(1)), item))
        #expect(!holds(.comparison(p("a[0]"), .equal, v(1)), item))
    }

    // MARK: < <= > >=

    @Test func orderingOperatorsOnNumbersStringsAndBinary() {
        let item: Item = ["a": 1, "b": "cat", "c": .b(Array("cat".utf8))]
        let cases: [(String, AttributeValue, [ComparisonOperator])] = [
            // attribute, constant, the operators that hold for `attribute op constant`
            ("a", 2, [.less, .lessOrEqual]), ("a", 1, [.lessOrEqual, .greaterOrEqual]), ("a", 0, [.greater, .greaterOrEqual]),
            ("b", "dog", [.less, .lessOrEqual]), ("b", "cat", [.lessOrEqual, .greaterOrEqual]),
            ("b", "aardvark", [.greater, .greaterOrEqual]),
            ("c", .b(Array("dog".utf8)), [.less, .lessOrEqual]), ("c", .b(Array("cat".utf8)), [.lessOrEqual, .greaterOrEqual]),
            ("c", .b(Array("aardvark".utf8)), [.greater, .greaterOrEqual]),
        ]
        let all: [ComparisonOperator] = [.less, .lessOrEqual, .greater, .greaterOrEqual]
        for (name, constant, holding) in cases {
            for op in all {
                #expect(holds(.comparison(p(name), op, v(constant)), item) == holding.contains(op), "\(name) \(op.rawValue) \(constant)")
            }
        }
        // Reversed operands reverse the meaning.
        #expect(holds(.comparison(v(2), .greater, p("a")), item))
        #expect(!holds(.comparison(v(2), .less, p("a")), item))
    }

    @Test func numbersOrderNumerically() {
        let ordered = ["-1e10", "-2", "-1.5", "-0.001", "0", "1e-130", "0.5", "2", "9", "10", "10.01", "1e125"]
        for (i, x) in ordered.enumerated() {
            for (j, y) in ordered.enumerated() {
                #expect(holds(.comparison(v(n(x)), .less, v(n(y))), nil) == (i < j), "\(x) < \(y)")
                #expect(holds(.comparison(v(n(x)), .greaterOrEqual, v(n(y))), nil) == (i >= j), "\(x) >= \(y)")
            }
        }
    }

    /// Strings order by UTF-8 bytes (as DynamoDB orders string keys), so U+FF61 comes before
    /// U+1F600 although its UTF-16 unit is larger than the surrogate's.
    @Test func stringsOrderByUTF8Bytes() {
        let ordered = ["", "A", "Z", "a", "ab", "b", "\u{E9}", "\u{FF61}", "\u{1F600}"]
        for (i, x) in ordered.enumerated() {
            for (j, y) in ordered.enumerated() {
                #expect(holds(.comparison(v(.s(x)), .less, v(.s(y))), nil) == (i < j), "\(x) < \(y)")
            }
        }
    }

    /// Binary compares as unsigned bytes: 0x80 after 0x7F (Alternator issue #6573).
    @Test func binaryOrdersAsUnsignedBytes() {
        #expect(holds(.comparison(v(.b([127])), .less, v(.b([128]))), nil))
        #expect(holds(.comparison(v(.b([128])), .greater, v(.b([127]))), nil))
        #expect(holds(.comparison(v(.b([1])), .less, v(.b([1, 0]))), nil))
        #expect(holds(.comparison(v(.b([])), .less, v(.b([0]))), nil))
        #expect(holds(.between(v(.b([127])), v(.b([126])), v(.b([128]))), nil))
        #expect(!holds(.comparison(v(.b([255])), .lessOrEqual, v(.b([0, 255]))), nil))
    }

    /// Order operators are false (not an error) for different types, item values of unordered
    /// types, and missing attributes, including two missing ones.
    @Test func orderingIsFalseForMismatchedOrMissingOperands() {
        let item: Item = ["a": 1, "s": "17", "x": [1, 2, 3], "m": ["k": 1], "t": true, "set": ns("1")]
        for op in [ComparisonOperator.less, .lessOrEqual, .greater, .greaterOrEqual] {
            #expect(!holds(.comparison(p("a"), op, v("17")), item))
            #expect(!holds(.comparison(p("a"), op, p("s")), item))
            #expect(!holds(.comparison(p("x"), op, v(1)), item))
            #expect(!holds(.comparison(v(1), op, p("x")), item))
            #expect(!holds(.comparison(p("m"), op, p("m")), item))
            #expect(!holds(.comparison(p("t"), op, p("t")), item))
            #expect(!holds(.comparison(p("set"), op, p("set")), item))
            #expect(!holds(.comparison(p("q"), op, v("17")), item))
            #expect(!holds(.comparison(v("17"), op, p("q")), item))
            #expect(!holds(.comparison(p("q"), op, p("z")), item))
            #expect(!holds(.comparison(p("q"), op, p("z")), nil))
        }
    }

    /// A constant of a type the operator cannot order is a ValidationException (DynamoDB finds
    /// it when parsing; the evaluator repeats the check for trees built by hand).
    @Test func orderingAConstantOfTheWrongTypeIsAValidationError() {
        let item: Item = ["a": 1]
        #expect(validationMessage { try Condition.comparison(p("a"), .less, v([1, 2])).evaluate(on: item) }
            == "Incorrect operand type for operator or function; operator or function: <, operand type: L")
        #expect(validationMessage { try Condition.comparison(v(true), .greaterOrEqual, p("a")).evaluate(on: item) }
            == "Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL")
        #expect(validationMessage { try Condition.comparison(p("a"), .lessOrEqual, v(.ss(["x"]))).evaluate(on: nil) }
            == "Incorrect operand type for operator or function; operator or function: <=, operand type: SS")
    }

    // MARK: BETWEEN

    @Test func betweenIsInclusiveOnEachOrderedType() {
        let item: Item = ["a": 1, "b": "cat", "c": .b(Array("cat".utf8)), "x": 0, "y": 2, "two": 2]
        #expect(holds(.between(p("a"), v(0), v(2)), item))
        #expect(holds(.between(p("a"), v(1), v(1)), item))
        #expect(!holds(.between(p("a"), v(2), v(7)), item))
        #expect(holds(.between(p("b"), v("aardvark"), v("dog")), item))
        #expect(holds(.between(p("b"), v("cat"), v("cat")), item))
        #expect(!holds(.between(p("b"), v("dog"), v("zebra")), item))
        #expect(holds(.between(p("c"), v(.b(Array("aardvark".utf8))), v(.b(Array("dog".utf8)))), item))
        #expect(!holds(.between(p("c"), v(.b(Array("dog".utf8))), v(.b(Array("zebra".utf8)))), item))
        #expect(holds(.between(p("a"), p("x"), p("y")), item))
        #expect(holds(.between(v(n("1.5")), v(1), p("two")), item))
    }

    @Test func betweenIsFalseForMismatchedMissingOrInvertedItemOperands() {
        let item: Item = ["a": 1, "s": "cat", "l": [1, 2, 3], "m": [2, 3, 4], "two": 2]
        #expect(!holds(.between(p("a"), v("0"), v("2")), item))
        #expect(!holds(.between(p("q"), v(0), v(2)), item))
        #expect(!holds(.between(p("a"), p("q"), v(2)), item))
        #expect(!holds(.between(p("a"), p("l"), p("m")), item))
        #expect(!holds(.between(p("s"), v("cat"), p("l")), item))
        #expect(!holds(.between(p("s"), p("a"), v("cat")), item))
        // Bounds from the item in the wrong order or of different types: false, not an error.
        #expect(!holds(.between(p("a"), p("two"), v(1)), item))
        #expect(!holds(.between(p("a"), v(3), p("two")), item))
        #expect(!holds(.between(p("a"), p("two"), v("dog")), item))
        #expect(!holds(.between(p("q"), p("z"), p("x")), nil))
    }

    /// Two constant bounds of different types or in the wrong order are a ValidationException.
    @Test func betweenConstantBoundsAreChecked() {
        #expect(validationMessage { try Condition.between(p("a"), v(2), v(1)).evaluate(on: ["a": 1]) }
            == "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}")
        #expect(validationMessage { try Condition.between(p("a"), v(2), v("dog")).evaluate(on: ["a": 1]) }
            == "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {S:dog}")
        #expect(validationMessage { try Condition.between(p("a"), v("b"), v("a")).evaluate(on: nil) }
            == "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}")
        #expect(validationMessage { try Condition.between(p("a"), v([1, 2]), v([2, 3])).evaluate(on: nil) }
            == "Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: L")
    }

    // MARK: IN

    @Test func inMatchesAnyCandidateByValue() {
        for value in samples {
            #expect(holds(.isIn(p("a"), [p("b")]), ["a": value, "b": value]), "\(value)")
        }
        let candidates = (0..<99).map { v(.n(Number(exactly: $0))) }
        #expect(holds(.isIn(p("a"), candidates), ["a": 74]))
        #expect(!holds(.isIn(p("a"), candidates), ["a": 174]))
        // Candidates may have different types.
        #expect(holds(.isIn(p("a"), [v("dog"), v(174)]), ["a": 174]))
        #expect(holds(.isIn(p("s"), [v(ns("2", "1"))]), ["s": ns("1", "2")]))
        #expect(!holds(.isIn(p("q"), candidates), ["a": 74]))
        #expect(!holds(.isIn(p("a"), [p("q"), v(1)]), ["a": 74]))
        #expect(holds(.isIn(p("a"), [p("q"), v(74)]), ["a": 74]))
    }

    // MARK: AND, OR, NOT

    @Test func logicalOperatorsFollowTheirTruthTables() {
        let item: Item = ["a": 1, "b": 2, "c": 3]
        let yes = Condition.comparison(p("a"), .less, p("b")), no = Condition.comparison(p("c"), .less, p("b"))
        #expect(holds(.and(yes, yes), item))
        #expect(!holds(.and(yes, no), item) && !holds(.and(no, yes), item) && !holds(.and(no, no), item))
        #expect(holds(.or(yes, no), item) && holds(.or(no, yes), item) && holds(.or(yes, yes), item))
        #expect(!holds(.or(no, no), item))
        #expect(!holds(.not(yes), item) && holds(.not(no), item))
        #expect(holds(.not(.not(.not(.not(yes)))), item))
        // a < b OR c < b AND b < c  ==  a < b OR (c < b AND b < c)
        #expect(holds(.or(yes, .and(no, .comparison(p("b"), .less, p("c")))), item))
        // NOT on a missing attribute's comparison: NOT (q = 1) holds.
        #expect(holds(.not(.comparison(p("q"), .equal, v(1))), item))
    }

    // MARK: Functions

    @Test func attributeExistsAndNotExists() {
        let item: Item = ["a": 1, "b": ["x": 1, "y": [-1, 2, 0]], "n": .null, "e": ""]
        for (text, exists) in [("a", true), ("n", true), ("e", true), ("z", false), ("b.x", true), ("b.y[2]", true),
                               ("b.y[3]", false), ("b.z", false), ("a.x", false), ("a[0]", false), ("b[0]", false)] {
            #expect(holds(.attributeExists(path(text)), item) == exists, "\(text)")
            #expect(holds(.attributeNotExists(path(text)), item) == !exists, "\(text)")
        }
        #expect(!holds(.attributeExists(path("a")), nil))
        #expect(holds(.attributeNotExists(path("p")), nil))
    }

    @Test func attributeTypeMatchesEachOfTheTenTypes() {
        let names = ["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"]
        var item: Item = [:]
        for (i, value) in samples.enumerated() { item["a\(i)"] = value }
        for (i, value) in samples.enumerated() {
            for name in names {
                #expect(holds(.attributeType(path("a\(i)"), v(.s(name))), item) == (value.typeName == name), "\(value) \(name)")
            }
        }
        #expect(!holds(.attributeType(path("missing"), v("S")), item))
        #expect(!holds(.attributeType(path("a0"), v("S")), nil))
    }

    @Test func attributeTypeRejectsUnknownTypeNames() {
        #expect(validationMessage { try Condition.attributeType(path("a"), v("DOG")).evaluate(on: ["a": 1]) }
            == "Invalid attribute type name found; type: DOG, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
        // Even when the attribute is missing: the error is in the request, not the data.
        #expect(validationMessage { try Condition.attributeType(path("a"), v("s")).evaluate(on: nil) } != nil)
        #expect(validationMessage { try Condition.attributeType(path("a"), v(1)).evaluate(on: nil) }
            == "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N")
        #expect(validationMessage { try Condition.attributeType(path("a"), p("b")).evaluate(on: ["a": 1, "b": "N"]) }
            == "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
    }

    @Test func beginsWithOnStringsAndBinary() {
        let item: Item = ["a": "hello", "b": .b(Array("hi there".utf8)), "n": 5, "l": ["hello"], "e": "\u{E9}t\u{E9}"]
        #expect(holds(.beginsWith(p("a"), v("hell")), item))
        #expect(holds(.beginsWith(p("a"), v("hello")), item))
        #expect(holds(.beginsWith(p("a"), v("")), item))
        #expect(!holds(.beginsWith(p("a"), v("hello!")), item))
        #expect(!holds(.beginsWith(p("a"), v("dog")), item))
        #expect(holds(.beginsWith(p("b"), v(.b(Array("hi".utf8)))), item))
        #expect(!holds(.beginsWith(p("b"), v(.b(Array("ho".utf8)))), item))
        // S against B and attributes of other types: false, not an error.
        #expect(!holds(.beginsWith(p("a"), v(.b(Array("he".utf8)))), item))
        #expect(!holds(.beginsWith(p("b"), v("hi")), item))
        #expect(!holds(.beginsWith(p("n"), v("5")), item))
        #expect(!holds(.beginsWith(p("l"), v("hello")), item))
        #expect(!holds(.beginsWith(p("missing"), v("dog")), item))
        #expect(!holds(.beginsWith(p("missing"), p("a")), item))
        // Either operand may be the attribute; both may be attributes.
        #expect(holds(.beginsWith(v("hellohi"), p("a")), item))
        #expect(holds(.beginsWith(p("a"), p("a")), item))
        // A prefix is a byte prefix: "e" does not begin "é".
        #expect(holds(.beginsWith(p("e"), v("\u{E9}")), item))
        #expect(!holds(.beginsWith(p("e"), v("e")), item))
    }

    @Test func beginsWithAConstantOfAnotherTypeIsAValidationError() {
        #expect(validationMessage { try Condition.beginsWith(p("a"), v(2)).evaluate(on: ["a": "2"]) }
            == "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
        #expect(validationMessage { try Condition.beginsWith(v(["x"]), p("a")).evaluate(on: nil) }
            == "Incorrect operand type for operator or function; operator or function: begins_with, operand type: L")
    }

    @Test func containsSubstringsSetElementsAndListElements() {
        let item: Item = [
            "a": "hello", "b": ns("2", "4", "7"), "c": [2, 4, 7], "d": .b(Array("hi there".utf8)),
            "e": ["hi", ns("1", "2"), [3, 4]], "ss": .ss(["x", "y"]), "bs": .bs([[1], [2, 3]]),
            "m": ["k": "v"], "t": true, "n": 12,
        ]
        #expect(holds(.contains(p("a"), v("ell")), item))
        #expect(holds(.contains(p("a"), v("hello")), item))
        #expect(holds(.contains(p("a"), v("")), item))
        #expect(!holds(.contains(p("a"), v("hellos")), item))
        #expect(!holds(.contains(p("a"), v("lol")), item))
        #expect(holds(.contains(p("b"), v(4)), item))
        #expect(holds(.contains(p("b"), v(n("4.0"))), item))
        #expect(!holds(.contains(p("b"), v(5)), item))
        #expect(!holds(.contains(p("b"), v("4")), item))
        #expect(holds(.contains(p("c"), v(4)), item))
        #expect(!holds(.contains(p("c"), v(ns("4"))), item))
        #expect(holds(.contains(p("d"), v(.b(Array("here".utf8)))), item))
        #expect(!holds(.contains(p("d"), v(.b(Array("dog".utf8)))), item))
        #expect(!holds(.contains(p("d"), v(ns("1", "2"))), item))
        #expect(!holds(.contains(p("d"), v("here")), item))
        // A list holds sets and lists by value (a set in any order).
        #expect(holds(.contains(p("e"), v(ns("2", "1"))), item))
        #expect(holds(.contains(p("e"), v([3, 4])), item))
        #expect(!holds(.contains(p("e"), v([4, 3])), item))
        #expect(holds(.contains(p("ss"), v("y")), item))
        #expect(holds(.contains(p("bs"), v(.b([2, 3]))), item))
        #expect(!holds(.contains(p("bs"), v(.b([2]))), item))
        // Not a subset test: a set does not contain itself.
        #expect(!holds(.contains(p("b"), p("b")), item))
        // Maps, booleans and numbers contain nothing.
        #expect(!holds(.contains(p("m"), v("k")), item))
        #expect(!holds(.contains(p("m"), v("v")), item))
        #expect(!holds(.contains(p("t"), v(true)), item))
        #expect(!holds(.contains(p("n"), v(1)), item))
        #expect(!holds(.contains(p("missing"), v("x")), item))
        #expect(!holds(.contains(p("a"), p("missing")), item))
    }

    @Test func sizeOfEachType() {
        let item: Item = [
            "a": "hello", "b": ns("2", "4", "7"), "c": [2, "dog", 7], "d": .b(Array("hi there".utf8)),
            "e": ["x": 2, "y": ["m": 3, "n": 4]], "ss": .ss(["a"]), "bs": .bs([[1], [2]]), "empty": "", "el": [],
            "f": 5, "g": true, "h": .null,
        ]
        for (name, size) in [("a", 5), ("b", 3), ("c", 3), ("d", 8), ("e", 2), ("ss", 1), ("bs", 2), ("empty", 0), ("el", 0)] {
            #expect(holds(.comparison(.size(p(name)), .equal, v(.n(Number(exactly: size)))), item), "size(\(name))")
            #expect(!holds(.comparison(.size(p(name)), .equal, v(.n(Number(exactly: size + 1)))), item), "size(\(name))")
        }
        #expect(holds(.comparison(.size(p("a")), .notEqual, v(4)), item))
        #expect(holds(.comparison(.size(p("a")), .less, v(7)), item))
        #expect(holds(.comparison(.size(p("a")), .lessOrEqual, v(5)), item))
        #expect(holds(.comparison(.size(p("a")), .greater, v(2)), item))
        #expect(holds(.comparison(.size(p("a")), .greaterOrEqual, v(5)), item))
        #expect(holds(.between(.size(p("a")), v(4), v(6)), item))
        #expect(holds(.isIn(.size(p("a")), [v(1), v(5)]), item))
        // Compared with an attribute, or with a non-number (false, not an error).
        #expect(holds(.comparison(.size(p("a")), .equal, p("f")), item))
        #expect(!holds(.comparison(.size(p("a")), .equal, v("dog")), item))
        // Of a constant.
        #expect(holds(.comparison(.size(v("abc")), .greaterOrEqual, v(2)), item))
    }

    /// DynamoDB counts a string's length as Java does, in UTF-16 code units: "é𝄞" has size 3
    /// (recorded against DynamoDB by the ExtendDB project, issue #60).
    @Test func sizeOfAStringCountsUTF16CodeUnits() {
        let item: Item = ["s": "\u{E9}\u{1D11E}", "decomposed": "e\u{301}"]
        #expect(holds(.comparison(.size(p("s")), .equal, v(3)), item))
        #expect(holds(.comparison(.size(p("decomposed")), .equal, v(2)), item))
        #expect(holds(.comparison(.size(v(.b([0xFF, 0, 1]))), .equal, v(3)), item))
    }

    /// size() of a number, boolean or null attribute has no value: no comparison holds but `<>`.
    /// A missing attribute's size behaves the same. (DynamoDB's result for `<>` here is not
    /// recorded anywhere we could check.)
    @Test func sizeOfSizelessOrMissingAttributesHasNoValue() {
        let item: Item = ["f": 5, "g": true, "h": .null]
        for name in ["f", "g", "h", "missing"] {
            for op in [ComparisonOperator.equal, .less, .lessOrEqual, .greater, .greaterOrEqual] {
                #expect(!holds(.comparison(.size(p(name)), op, v(1)), item), "size(\(name)) \(op.rawValue) 1")
                #expect(!holds(.comparison(.size(p(name)), op, v(3)), item))
            }
            #expect(holds(.comparison(.size(p(name)), .notEqual, v(1)), item))
            #expect(!holds(.between(.size(p(name)), v(0), v(10)), item))
        }
        #expect(!holds(.comparison(.size(p("a")), .equal, v(0)), nil))
    }

    @Test func sizeOfAConstantWithoutASizeIsAValidationError() {
        #expect(validationMessage { try Condition.comparison(.size(v(123)), .greaterOrEqual, v(2)).evaluate(on: [:]) }
            == "Incorrect operand type for operator or function; operator or function: size, operand type: N")
        #expect(validationMessage { try Condition.comparison(.size(.size(p("a"))), .greaterOrEqual, v(2)).evaluate(on: ["a": "x"]) }
            == "Incorrect operand type for operator or function; operator or function: size, operand type: N")
        #expect(validationMessage { try Condition.beginsWith(.size(p("a")), v("1")).evaluate(on: ["a": "x"]) }
            == "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
    }

    @Test func updateOnlyFunctionsAreRefusedInConditions() {
        #expect(validationMessage { try Condition.comparison(.ifNotExists(path("a"), v(1)), .equal, v(1)).evaluate(on: [:]) }
            == "The function is not allowed in a condition expression; function: if_not_exists")
        #expect(validationMessage { try Condition.comparison(.listAppend(v([1]), v([2])), .equal, v(1)).evaluate(on: [:]) }
            == "The function is not allowed in a condition expression; function: list_append")
        #expect(validationMessage { try Condition.comparison(.plus(v(1), v(2)), .equal, v(3)).evaluate(on: [:]) } != nil)
    }

    @Test func nestedPathsInConditions() {
        let item: Item = ["b": ["x": 1, "y": [-1, 2, 0]], "and": ["or": 2]]
        #expect(holds(.comparison(p("b.x"), .less, p("b.y[1]")), item))
        #expect(!holds(.comparison(p("b.x"), .less, p("b.y[0]")), item))
        #expect(!holds(.comparison(p("b.z"), .less, p("b.y[100]")), item))
        #expect(holds(.comparison(p("and.or"), .equal, v(2)), item))
        // A name with a dot is one attribute, not a path.
        let dotted = DocumentPath([.name("a.b")])
        #expect(holds(.attributeExists(dotted), ["a.b": 1]))
        #expect(!holds(.attributeExists(dotted), ["a": ["b": 1]]))
    }
}
