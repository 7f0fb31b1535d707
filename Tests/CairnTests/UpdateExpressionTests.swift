import Testing
@testable import Cairn

/// Update expressions, with the cases the Alternator project recorded against DynamoDB
/// (test_update_expression.py, test_number.py) and DynamoDB's documentation ("Using update
/// expressions in DynamoDB").
@Suite struct UpdateExpressionTests: ExpressionTreeBuilding {
    func set(_ target: String, _ operand: Operand) -> UpdateAction { .set(path(target), operand) }
    func remove(_ target: String) -> UpdateAction { .remove(path(target)) }
    func add(_ target: String, _ value: AttributeValue) -> UpdateAction { .add(path(target), value) }
    func delete(_ target: String, _ value: AttributeValue) -> UpdateAction { .delete(path(target), value) }

    /// The item after applying `actions` (records an issue and returns [:] on an error).
    func updated(_ item: Item, _ actions: UpdateAction..., itemExists: Bool = true,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Item {
        do {
            return try UpdateExpression(actions: actions).apply(to: item, itemExists: itemExists)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            return [:]
        }
    }

    /// The ValidationException message applying `actions` throws.
    func failure(_ item: Item, _ actions: UpdateAction..., itemExists: Bool = true,
                 sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        validationMessage(sourceLocation: sourceLocation) {
            try UpdateExpression(actions: actions).apply(to: item, itemExists: itemExists)
        }
    }

    static let missingAttribute = "The provided expression refers to an attribute that does not exist in the item"
    static let wrongType = "An operand in the update expression has an incorrect data type"
    static let invalidPath = "The document path provided in the update expression is invalid for update"
    static let overflow = "Number overflow. Attempting to store a number with magnitude larger than supported range"

    // MARK: SET

    @Test func setAddsAndReplacesTopLevelAttributes() {
        let item: Item = ["p": "k", "a": "hi"]
        #expect(updated(item, set("b", v("hello"))) == ["p": "k", "a": "hi", "b": "hello"])
        #expect(updated(item, set("a", v("hey"))) == ["p": "k", "a": "hey"])
        #expect(updated(item, set("x", v(4)), set("y", v(4))) == ["p": "k", "a": "hi", "x": 4, "y": 4])
        // A new item: the caller passes just the key.
        #expect(updated(["p": "k"], set("b", v(4)), itemExists: false) == ["p": "k", "b": 4])
        // Empty strings, lists and maps are values like any other.
        #expect(updated(["p": "k"], set("d", v([])), set("e", v([:])), set("f", v(""))) == ["p": "k", "d": [], "e": [:], "f": ""])
        // A name with a dot is one top-level attribute.
        #expect(updated(["p": "k"], .set(DocumentPath([.name("a.b")]), v(3))) == ["p": "k", "a.b": 3])
    }

    /// Every operand reads the item as it was before the update.
    @Test func operandsReadTheOriginalItem() {
        let item: Item = ["p": "k", "a": "hello", "n": 1]
        #expect(updated(item, set("b", p("a"))) == ["p": "k", "a": "hello", "b": "hello", "n": 1])
        #expect(updated(item, set("a", p("a"))) == item)
        #expect(updated(item, set("a", p("n")), set("n", p("a"))) == ["p": "k", "a": 1, "n": "hello"])
        #expect(updated(item, remove("a"), set("b", p("a"))) == ["p": "k", "b": "hello", "n": 1])
        #expect(updated(item, set("c", p("a")), remove("a")) == ["p": "k", "c": "hello", "n": 1])
        #expect(updated(item, add("n", 5), set("m", p("n"))) == ["p": "k", "a": "hello", "n": 6, "m": 1])
        // y = x fails: x is only being set by the same update.
        #expect(failure(item, set("x", v(4)), set("y", p("x"))) == Self.missingAttribute)
    }

    @Test func copyingAMissingAttributeFails() {
        #expect(failure(["p": "k"], set("c", p("z"))) == Self.missingAttribute)
        #expect(failure(["p": "k"], set("c", p("z")), itemExists: false) == Self.missingAttribute)
        #expect(failure(["p": "k"], set("z", p("z"))) == Self.missingAttribute)
        #expect(failure(["p": "k", "a": ["b": 1]], set("c", p("a.c"))) == Self.missingAttribute)
        #expect(updated(["p": "k", "a": ["b": 1, "c": ["x": 7]]], set("z", p("a.c.x")))["z"] == 7)
    }

    @Test func plusAndMinusAreExact() {
        let item: Item = ["a": 2, "s": "dog", "l": [1]]
        #expect(updated(item, set("b", .plus(v(4), v(3))))["b"] == 7)
        #expect(updated(item, set("b", .minus(v(5), v(2))))["b"] == 3)
        #expect(updated(item, set("a", .plus(p("a"), v(3))))["a"] == 5)
        #expect(updated(item, set("a", .minus(v(7), p("a"))))["a"] == 5)
        #expect(updated(item, set("b", .plus(p("a"), p("a"))))["b"] == 4)
        #expect(updated(item, set("b", .plus(v(n("0.1")), v(n("0.2")))))["b"] == n("0.3"))
        #expect(updated(item, set("b", .minus(v(n("1")), v(n("1e-37")))))["b"] == n("0.9999999999999999999999999999999999999"))
        #expect(updated(item, set("b", .minus(v(n("-5")), v(n("-5")))))["b"] == n("0"))
    }

    @Test func plusAndMinusNeedExistingNumbers() {
        let item: Item = ["a": 2, "s": "dog", "l": [1]]
        #expect(failure(item, set("b", .plus(p("s"), v(1)))) == Self.wrongType)
        #expect(failure(item, set("b", .plus(v(1), p("l")))) == Self.wrongType)
        #expect(failure(item, set("b", .minus(v("1"), v(1)))) == Self.wrongType)
        #expect(failure(item, set("b", .plus(p("b"), v(7)))) == Self.missingAttribute)
        #expect(failure(["p": "k"], set("b", .plus(p("b"), v(7))), itemExists: false) == Self.missingAttribute)
        // Overflow of the exact sum (9e125 + 9e125), as DynamoDB reports it.
        #expect(failure(item, set("b", .plus(v(n("9e125")), v(n("9e125"))))) == Self.overflow)
        #expect(failure(item, set("b", .minus(v(n("-9e125")), v(n("9e125"))))) == Self.overflow)
    }

    @Test func ifNotExistsPrefersTheExistingValue() {
        let item: Item = ["a": 2, "m": ["x": 1]]
        #expect(updated(item, set("a", .ifNotExists(path("a"), v(3))))["a"] == 2)
        #expect(updated(item, set("b", .ifNotExists(path("c"), v(4))))["b"] == 4)
        #expect(updated(item, set("b", .ifNotExists(path("a"), v(6))))["b"] == 2)
        #expect(updated(item, set("b", .ifNotExists(path("m.x"), v(6))))["b"] == 1)
        #expect(updated(item, set("b", .ifNotExists(path("m.y.z"), v(6))))["b"] == 6)
        // The fallback is only read when needed.
        #expect(updated(item, set("b", .ifNotExists(path("a"), p("missing"))))["b"] == 2)
        #expect(failure(item, set("b", .ifNotExists(path("c"), p("missing")))) == Self.missingAttribute)
        // ADD's behaviour with SET: if_not_exists(a, :zero) + :v.
        #expect(updated(item, set("a", .plus(.ifNotExists(path("a"), v(0)), v(3))))["a"] == 5)
        #expect(updated(item, set("b", .plus(.ifNotExists(path("b"), v(0)), v(5))))["b"] == 5)
        #expect(updated(["p": "k"], set("a", .plus(.ifNotExists(path("a"), v(0)), v(7))), itemExists: false) == ["p": "k", "a": 7])
    }

    @Test func listAppendConcatenatesTwoLists() {
        let item: Item = ["a": ["hi", 2], "n": 7, "s": .ss(["x"]), "m": ["a": 3]]
        #expect(updated(item, set("a", .listAppend(p("a"), v([4, "hello"]))))["a"] == ["hi", 2, 4, "hello"])
        #expect(updated(item, set("a", .listAppend(v(["dog"]), p("a"))))["a"] == ["dog", "hi", 2])
        #expect(updated(item, set("c", .listAppend(p("a"), p("a"))))["c"] == ["hi", 2, "hi", 2])
        #expect(updated(item, set("c", .listAppend(v([]), v([]))))["c"] == [])
        #expect(updated(item, set("c", .listAppend(.ifNotExists(path("c"), v([])), v([1]))))["c"] == [1])
        for other in ["n", "s", "m"] {
            #expect(failure(item, set("c", .listAppend(p(other), v([1])))) == Self.wrongType)
            #expect(failure(item, set("c", .listAppend(v([1]), p(other)))) == Self.wrongType)
        }
        #expect(failure(item, set("c", .listAppend(v([1]), v("hi")))) == Self.wrongType)
        #expect(failure(item, set("c", .listAppend(p("b"), v([1])))) == Self.missingAttribute)
        #expect(failure(item, set("c", .listAppend(v([1]), p("b")))) == Self.missingAttribute)
    }

    @Test func sizeIsNotAnUpdateFunction() {
        #expect(failure(["a": "x"], set("b", .size(p("a")))) == "The function is not allowed in an update expression; function: size")
    }

    // MARK: Nested paths

    @Test func setNestedMembersAndListElements() {
        let item: Item = ["a": ["b": 3, "c": 4], "d": 5, "l": ["one", "two", "three"]]
        #expect(updated(item, set("a.c", v(7))) == ["a": ["b": 3, "c": 7], "d": 5, "l": ["one", "two", "three"]])
        #expect(updated(item, set("a.e", v(3)))["a"] == ["b": 3, "c": 4, "e": 3])
        #expect(updated(item, set("l[1]", v("hello")))["l"] == ["one", "hello", "three"])
        #expect(updated(item, set("a.c", v(["one": 1])))["a"] == ["b": 3, "c": ["one": 1]])
        let deep: Item = ["a": ["b": 3, "c": ["hi", ["x": ["y": [3, 5, 7]]]]]]
        #expect(updated(deep, set("a.c[1].x.y[1]", v(9)))["a"] == ["b": 3, "c": ["hi", ["x": ["y": [3, 9, 7]]]]])
        #expect(updated(deep, set("a.z", p("a.c[1].x.y[2]")))["a"] == ["b": 3, "c": ["hi", ["x": ["y": [3, 5, 7]]]], "z": 7])
        // Several non-overlapping changes under one attribute.
        let two: Item = ["a": ["x": 3, "y": 4, "c": ["y": 3]], "b": ["x": 1, "y": 2]]
        #expect(updated(two, set("a.b", v(10)), set("a.c.d", v("dog")), set("b.x", v(17)), remove("a.x"), remove("b.y"))
            == ["a": ["y": 4, "b": 10, "c": ["y": 3, "d": "dog"]], "b": ["x": 17]])
    }

    /// SET past the end of a list appends; several such elements go in index order.
    @Test func setPastTheEndOfAListAppends() {
        let item: Item = ["a": ["one", "two", "three"]]
        #expect(updated(item, set("a[7]", v("hello")))["a"] == ["one", "two", "three", "hello"])
        #expect(updated(item, set("a[3]", v("hello")))["a"] == ["one", "two", "three", "hello"])
        #expect(updated(item, set("a[84]", v("a1")), set("a[37]", v("a2")), set("a[17]", v("a3")), set("a[50]", v("a4")))["a"]
            == ["one", "two", "three", "a3", "a2", "a4", "a1"])
        #expect(updated(["a": []], set("a[5]", v(1)))["a"] == [1])
    }

    /// Writing under a container that is missing, or is not a map (for a name) or a list (for
    /// an index), fails.
    @Test func writingUnderAMissingOrMistypedContainerFails() {
        let item: Item = ["p": "k", "a": "hello", "b": ["hi"], "m": ["x": 1]]
        for target in ["a.c", "b.c", "c.c", "m.y.z", "a[0]", "c[0]", "m[0]", "b[0].x", "b[5].x", "m.x.y"] {
            #expect(failure(item, set(target, v(7))) == Self.invalidPath, "SET \(target)")
            #expect(failure(item, add(target, 1)) == Self.invalidPath, "ADD \(target)")
            #expect(failure(item, delete(target, .ss(["x"]))) == Self.invalidPath, "DELETE \(target)")
            #expect(failure(item, remove(target)) == Self.invalidPath, "REMOVE \(target)")
        }
        // Also when the item is being created.
        #expect(failure(["p": "k"], set("c.c", v(7)), itemExists: false) == Self.invalidPath)
        #expect(failure(["p": "k"], set("b[0]", v(7)), itemExists: false) == Self.invalidPath)
    }

    // MARK: REMOVE

    @Test func removeAttributesMembersAndElements() {
        let item: Item = ["p": "k", "a": "hello", "b": "hi"]
        #expect(updated(item, remove("a")) == ["p": "k", "b": "hi"])
        #expect(updated(item, remove("a"), remove("b")) == ["p": "k"])
        let nested: Item = ["a": ["b": 3, "c": ["hi", ["x": ["y": [3, 5, 7]], "q": 2]]]]
        #expect(updated(nested, remove("a.c[1].x.y[1]"), remove("a.c[1].q"))["a"] == ["b": 3, "c": ["hi", ["x": ["y": [3, 7]]]]])
        // Removing the last member or element leaves an empty map or list.
        #expect(updated(["a": ["b": 1]], remove("a.b")) == ["a": [:]])
        #expect(updated(["a": [1]], remove("a[0]")) == ["a": []])
    }

    @Test func removingSomethingMissingDoesNothing() {
        let item: Item = ["p": "k", "a": ["x": 3], "b": ["hi"]]
        #expect(updated(item, remove("a.y")) == item)
        #expect(updated(item, remove("b[7]")) == item)
        #expect(updated(item, remove("c")) == item)
    }

    /// On an item that does not exist, DynamoDB ignores REMOVE, even of nested paths that
    /// would fail on an existing item (Alternator's xfail test_nested_attribute_remove_from_missing_item).
    @Test func removeOnAMissingItemIsIgnored() {
        #expect(updated(["p": "k"], remove("x.y"), itemExists: false) == ["p": "k"])
        #expect(updated(["p": "k"], remove("x[0]"), itemExists: false) == ["p": "k"])
        #expect(updated(["p": "k"], remove("x"), set("y", v(1)), itemExists: false) == ["p": "k", "y": 1])
        #expect(failure(["p": "k"], remove("x.y")) == Self.invalidPath)
    }

    /// List indexes name positions in the list before the update.
    @Test func listIndexesReferToTheOriginalList() {
        let item: Item = ["a": [2, 3, 4, 5, 6, 7]]
        #expect(updated(item, remove("a[1]"), set("a[3]", v(17)))["a"] == [2, 4, 17, 6, 7])
        #expect(updated(item, set("a[3]", v(17)), remove("a[1]"))["a"] == [2, 4, 17, 6, 7])
        #expect(updated(item, remove("a[1]"), remove("a[2]"))["a"] == [2, 5, 6, 7])
        #expect(updated(item, remove("a[5]"), remove("a[0]"), remove("a[9]"))["a"] == [3, 4, 5, 6])
        #expect(updated(item, remove("a[0]"), set("a[8]", v(9)))["a"] == [3, 4, 5, 6, 7, 9])
        #expect(updated(["a": [["x": 1], ["x": 2]]], remove("a[0]"), set("a[1].y", v(3)))["a"] == [["x": 2, "y": 3]])
    }

    /// REMOVE of list elements (with some SETs of other elements) against a simple model: the
    /// elements at the removed original positions go, the set ones are replaced, the rest keep
    /// their order.
    @Test func randomListRemovalsMatchAModel() {
        var rng = Rng(state: 0xC0FFEE)
        for _ in 0..<500 {
            let count = rng.below(10)
            let list: [AttributeValue] = (0..<count).map { .n(Number(exactly: $0)) }
            var removed: Set<Int> = []
            var replaced: [Int: AttributeValue] = [:]
            var actions: [UpdateAction] = []
            for _ in 0..<rng.below(8) {
                let index = rng.below(count + 3)
                guard !removed.contains(index), replaced[index] == nil else { continue }
                if rng.below(4) == 0 && index < count {
                    let value = AttributeValue.s("new\(index)")
                    replaced[index] = value
                    actions.append(set("l[\(index)]", v(value)))
                } else {
                    removed.insert(index)
                    actions.append(remove("l[\(index)]"))
                }
            }
            // Shuffle the actions: their order must not matter.
            for i in actions.indices.reversed() where i > 0 { actions.swapAt(i, rng.below(i + 1)) }
            var expected: [AttributeValue] = []
            for (i, element) in list.enumerated() where !removed.contains(i) { expected.append(replaced[i] ?? element) }
            let item: Item = ["p": "k", "l": .l(list)]
            do {
                let result = try UpdateExpression(actions: actions).apply(to: item)
                #expect(result == ["p": "k", "l": .l(expected)], "\(list) \(actions)")
            } catch {
                Issue.record("\(actions): \(error)")
            }
        }
    }

    // MARK: ADD

    @Test func addToNumbers() {
        let item: Item = ["p": "k", "a": 3, "b": "hi", "m": ["c": 1]]
        #expect(updated(item, add("a", 4))["a"] == 7)
        #expect(updated(item, add("a", n("-5")))["a"] == n("-2"))
        #expect(updated(item, add("a", n("0.25")))["a"] == n("3.25"))
        // A missing number counts as 0, on an existing item or a new one.
        #expect(updated(item, add("z", 7))["z"] == 7)
        #expect(updated(["p": "k"], add("b", 8), itemExists: false) == ["p": "k", "b": 8])
        #expect(updated(item, add("m.c", 1), add("m.d", 2))["m"] == ["c": 2, "d": 2])
        #expect(failure(item, add("b", 1)) == Self.wrongType)
        #expect(failure(item, add("m", 1)) == Self.wrongType)
        #expect(failure(["a": n("9e125")], add("a", n("9e125"))) == Self.overflow)
    }

    @Test func addToSetsIsAUnion() {
        let item: Item = ["ss": .ss(["dog", "cat", "mouse"]), "ns": ns("1", "2"), "bs": .bs([[1]]), "l": [1, 2], "n": 1]
        let ss = updated(item, add("ss", .ss(["pig", "cat"])))["ss"]
        #expect(ss.map { ExpressionSemantics.equal($0, .ss(["dog", "cat", "mouse", "pig"])) } == true)
        #expect(ss == .ss(["dog", "cat", "mouse", "pig"]))
        #expect(updated(item, add("ns", ns("2.0", "3")))["ns"] == ns("1", "2", "3"))
        #expect(updated(item, add("bs", .bs([[1], [2]])))["bs"] == .bs([[1], [2]]))
        #expect(updated(item, add("new", .ss(["dog"])))["new"] == .ss(["dog"]))
        #expect(updated(["p": "k"], add("b", .ss(["cat"])), itemExists: false) == ["p": "k", "b": .ss(["cat"])])
        // The set types must match; lists and numbers do not take sets.
        #expect(failure(item, add("ss", ns("1"))) == Self.wrongType)
        #expect(failure(item, add("ns", .bs([[1]]))) == Self.wrongType)
        #expect(failure(item, add("l", ns("3"))) == Self.wrongType)
        #expect(failure(item, add("n", ns("3"))) == Self.wrongType)
        #expect(failure(item, add("ss", "hello")) == "Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND")
        #expect(failure(item, add("l", [3, 4])) == "Incorrect operand type for operator or function; operator: ADD, operand type: LIST, typeSet: ALLOWED_FOR_ADD_OPERAND")
    }

    // MARK: DELETE

    @Test func deleteFromSets() {
        let item: Item = ["p": "k", "a": .ss(["dog", "cat", "mouse"]), "b": "hi", "ns": ns("1", "2.5"), "bs": .bs([[1], [2]])]
        #expect(updated(item, delete("a", .ss(["cat", "mouse"])))["a"] == .ss(["dog"]))
        #expect(updated(item, delete("a", .ss(["pig"])))["a"] == item["a"])
        #expect(updated(item, delete("ns", ns("2.50")))["ns"] == ns("1"))
        #expect(updated(item, delete("bs", .bs([[2], [3]])))["bs"] == .bs([[1]]))
        // Deleting every element removes the attribute; a missing one is left missing.
        #expect(updated(item, delete("a", .ss(["dog", "cat", "mouse", "pig"]))) == ["p": "k", "b": "hi", "ns": ns("1", "2.5"), "bs": .bs([[1], [2]])])
        #expect(updated(item, delete("z", .ss(["dog"]))) == item)
        #expect(updated(["p": "k"], delete("z", .ss(["dog"])), itemExists: false) == ["p": "k"])
        #expect(failure(item, delete("a", ns("1"))) == Self.wrongType)
        #expect(failure(item, delete("b", .ss(["hi"]))) == Self.wrongType)
        #expect(failure(item, delete("a", "hello")) == "Incorrect operand type for operator or function; operator: DELETE, operand type: STRING, typeSet: ALLOWED_FOR_DELETE_OPERAND")
        #expect(failure(item, delete("a", 1)) == "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND")
    }

    // MARK: Errors

    /// SET operands are evaluated (and fail) before any path is checked.
    @Test func operandErrorsComeBeforePathErrors() {
        let item: Item = ["a": "x"]
        #expect(failure(item, set("a.b.c", v(1)), set("z", p("missing"))) == Self.missingAttribute)
        #expect(failure(item, add("a", 1), set("z", p("missing"))) == Self.missingAttribute)
        #expect(failure(item, set("q.r", v(1)), add("a", 1)) == Self.invalidPath)
    }

    /// Overlapping or conflicting paths are refused by the parser; trees built by hand get
    /// the same error instead of an arbitrary result.
    @Test func overlappingPathsAreRefused() {
        let item: Item = ["a": ["b": 1]]
        #expect(failure(item, set("a", v(1)), set("a.b", v(2)))?.contains("Two document paths overlap") == true)
        #expect(failure(item, set("a.b", v(1)), remove("a"))?.contains("Two document paths overlap") == true)
        #expect(failure(item, set("a.b", v(1)), set("a.b", v(2)))?.contains("Two document paths overlap") == true)
        // a.b with a[0]: one of the two always fails the container check first.
        #expect(failure(item, set("a.b", v(1)), set("a[0]", v(2))) == Self.invalidPath)
    }
}
