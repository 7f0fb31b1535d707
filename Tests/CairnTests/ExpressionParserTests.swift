import Foundation
import Testing
@testable import Cairn

/// DynamoDB's expression language: syntax trees, DynamoDB's validation messages word for word,
/// and robustness against any text. Messages come from DynamoDB's developer guide, tests run
/// against DynamoDB (Alternator's and dynalite's suites) and DynamoDB Local's behavior.
@Suite struct ExpressionParserTests {
    // MARK: Helpers

    static let one: AttributeValue = 1
    static let two: AttributeValue = 2

    func p(_ text: String) -> Operand { .path(path(text)) }

    /// A path written with plain names and indexes: "a.b[2].c".
    func path(_ text: String) -> DocumentPath {
        var elements: [PathElement] = []
        for part in text.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                elements.append(.name(String(rest[..<bracket])))
                rest = rest[bracket...]
                while let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]") {
                    elements.append(.index(Int(rest[rest.index(after: open)..<close]) ?? -1))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                elements.append(.name(String(rest)))
            }
        }
        return DocumentPath(elements)
    }

    func filter(_ text: String, names: [String: String]? = nil, values: [String: AttributeValue]? = nil) throws -> Condition? {
        try RequestExpressions(filter: text, names: names, values: values).filter
    }

    func expectError(_ message: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any) {
        do {
            let result = try body()
            Issue.record("accepted: \(String(describing: result).prefix(200))", sourceLocation: sourceLocation)
        } catch let error as DynamoDBError {
            #expect(error.name == "ValidationException", sourceLocation: sourceLocation)
            #expect(error.message == message, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    func filterError(_ text: String, _ message: String, names: [String: String]? = nil,
                     values: [String: AttributeValue]? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        expectError("Invalid FilterExpression: " + message, sourceLocation: sourceLocation) {
            try RequestExpressions(filter: text, names: names, values: values)
        }
    }

    func updateError(_ text: String, _ message: String, names: [String: String]? = nil,
                     values: [String: AttributeValue]? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        expectError("Invalid UpdateExpression: " + message, sourceLocation: sourceLocation) {
            try RequestExpressions(update: text, names: names, values: values)
        }
    }

    // MARK: Syntax trees

    @Test func comparisonsAndValues() throws {
        let values: [String: AttributeValue] = [":v": Self.one, ":w": Self.two]
        #expect(try filter("a = :v", values: [":v": Self.one]) == .comparison(p("a"), .equal, .value(Self.one)))
        let ops: [(String, ComparisonOperator)] = [("=", .equal), ("<>", .notEqual), ("<", .less), ("<=", .lessOrEqual), (">", .greater), (">=", .greaterOrEqual)]
        for (symbol, op) in ops {
            #expect(try filter(":v\(symbol)a.b[2]", values: [":v": Self.one]) == .comparison(.value(Self.one), op, p("a.b[2]")))
        }
        #expect(try filter("a BETWEEN :v AND :w", values: values) == .between(p("a"), .value(Self.one), .value(Self.two)))
        #expect(try filter("a IN (:v, b, :w)", values: values) == .isIn(p("a"), [.value(Self.one), p("b"), .value(Self.two)]))
        #expect(try filter("  a\t=\n:v\r ", values: [":v": Self.one]) == .comparison(p("a"), .equal, .value(Self.one)))
    }

    @Test func precedenceIsNotThenAndThenOr() throws {
        let v: [String: AttributeValue] = [":v": Self.one]
        let a = Condition.comparison(p("a"), .equal, .value(Self.one))
        let b = Condition.comparison(p("b"), .equal, .value(Self.one))
        let c = Condition.comparison(p("c"), .equal, .value(Self.one))
        #expect(try filter("a = :v OR b = :v AND c = :v", values: v) == .or(a, .and(b, c)))
        #expect(try filter("a = :v AND b = :v OR c = :v", values: v) == .or(.and(a, b), c))
        #expect(try filter("NOT a = :v AND b = :v", values: v) == .and(.not(a), b))
        #expect(try filter("NOT (a = :v AND b = :v)", values: v) == .not(.and(a, b)))
        #expect(try filter("(a = :v OR b = :v) AND c = :v", values: v) == .and(.or(a, b), c))
        #expect(try filter("a = :v AND b = :v AND c = :v", values: v) == .and(.and(a, b), c))
        #expect(try filter("a = :v OR b = :v OR c = :v", values: v) == .or(.or(a, b), c))
        #expect(try filter("NOT NOT a = :v", values: v) == .not(.not(a)))
        #expect(try filter("(a) = :v", values: v) == a)
    }

    @Test func keywordsAreCaseInsensitiveFunctionsAreNot() throws {
        let v: [String: AttributeValue] = [":v": Self.one, ":w": Self.two]
        #expect(try filter("a between :v aNd :w or not b in (:v)", values: v)
            == .or(.between(p("a"), .value(Self.one), .value(Self.two)), .not(.isIn(p("b"), [.value(Self.one)]))))
        filterError("SIZE(a) > :v", "Invalid function name; function: SIZE", values: v)
        filterError("Attribute_Exists(a)", "Invalid function name; function: Attribute_Exists")
        updateError("SET a = LIST_APPEND(:v, :w)", "Invalid function name; function: LIST_APPEND", values: v)
        let update = try RequestExpressions(update: "set a = :v remove b", values: [":v": Self.one]).update
        #expect(update == UpdateExpression(actions: [.set(path("a"), .value(Self.one)), .remove(path("b"))]))
        #expect(try RequestExpressions(update: "sEt a = :v", values: [":v": Self.one]).update == UpdateExpression(actions: [.set(path("a"), .value(Self.one))]))
    }

    @Test func functions() throws {
        #expect(try filter("attribute_exists(a.b)") == .attributeExists(path("a.b")))
        #expect(try filter("attribute_not_exists(a[0])") == .attributeNotExists(path("a[0]")))
        #expect(try filter("attribute_type(a, :t)", values: [":t": "SS"]) == .attributeType(path("a"), .value("SS")))
        #expect(try filter("begins_with(a, :v)", values: [":v": "x"]) == .beginsWith(p("a"), .value("x")))
        #expect(try filter("contains(a, :v)", values: [":v": "x"]) == .contains(p("a"), .value("x")))
        #expect(try filter("size(a) > :n", values: [":n": 3]) == .comparison(.size(p("a")), .greater, .value(3)))
        #expect(try filter("contains(size(a), b)") == .contains(.size(p("a")), p("b")))
        #expect(try filter("(size(a)) = :n AND (attribute_exists(b))", values: [":n": 3])
            == .and(.comparison(.size(p("a")), .equal, .value(3)), .attributeExists(path("b"))))
    }

    @Test func placeholdersAreResolved() throws {
        let names = ["#a": "first.name", "#b": "size", "#1": "x"]
        let values: [String: AttributeValue] = [":v": ["k": "v"]]
        #expect(try filter("#a.#b[3].#1 = :v", names: names, values: values)
            == .comparison(.path(DocumentPath([.name("first.name"), .name("size"), .index(3), .name("x")])), .equal, .value(["k": "v"])))
        let r = try RequestExpressions(condition: "#a = :v", projection: "#b, #1", names: names, values: values)
        #expect(r.projection == Projection(paths: [DocumentPath(attribute: "size"), DocumentPath(attribute: "x")]))
        #expect(r.condition == .comparison(.path(DocumentPath(attribute: "first.name")), .equal, .value(["k": "v"])))
    }

    @Test func projections() throws {
        let r = try RequestExpressions(projection: "a, b.c[2], d[0][1].e")
        #expect(r.projection == Projection(paths: [path("a"), path("b.c[2]"), path("d[0][1].e")]))
        #expect(r.condition == nil && r.update == nil && r.filter == nil && r.keyCondition == nil)
    }

    @Test func updates() throws {
        let v: [String: AttributeValue] = [":v": 1, ":l": [1], ":s": .ss(["a"])]
        let u = try RequestExpressions(
            update: "REMOVE x, y[1] SET a = b + :v, c = if_not_exists(c, :v) - :v, d = list_append(d, :l), e = (f) ADD g :v DELETE h :s",
            values: v).update
        #expect(u == UpdateExpression(actions: [
            .remove(path("x")), .remove(path("y[1]")),
            .set(path("a"), .plus(p("b"), .value(1))),
            .set(path("c"), .minus(.ifNotExists(path("c"), .value(1)), .value(1))),
            .set(path("d"), .listAppend(p("d"), .value([1]))),
            .set(path("e"), p("f")),
            .add(path("g"), 1), .delete(path("h"), .ss(["a"])),
        ]))
        #expect(try RequestExpressions(update: "SET a = (b + :v)", values: [":v": 1]).update
            == UpdateExpression(actions: [.set(path("a"), .plus(p("b"), .value(1)))]))
        #expect(try RequestExpressions(update: "SET a = list_append(if_not_exists(a, :l), :l)", values: [":l": [1]]).update
            == UpdateExpression(actions: [.set(path("a"), .listAppend(.ifNotExists(path("a"), .value([1])), .value([1])))]))
    }

    @Test func keyConditionsAreConditions() throws {
        let r = try RequestExpressions(keyCondition: "pk = :p AND begins_with(sk, :s)", values: [":p": "a", ":s": "b"])
        #expect(r.keyCondition == .and(.comparison(p("pk"), .equal, .value("a")), .beginsWith(p("sk"), .value("b"))))
    }

    // MARK: Syntax errors

    @Test func syntaxErrorsNameTheTokenAndItsNeighbours() {
        let v: [String: AttributeValue] = [":v": 1]
        filterError("a > 4", "Syntax error; token: \"4\", near: \"> 4\"")
        filterError("foo", "Syntax error; token: \"<EOF>\", near: \"foo\"")
        filterError("things are not gonna be ok", "Syntax error; token: \"are\", near: \"things are not\"")
        filterError("!!! INVALID !!!", "Syntax error; token: \"!\", near: \"!!\"")
        filterError("a = :v AND", "Syntax error; token: \"<EOF>\", near: \"AND\"", values: v)
        filterError("a in (b,c,)", "Syntax error; token: \")\", near: \",)\"")
        filterError("attribute_exists(asdf[a])", "Syntax error; token: \"a\", near: \"[a]\"")
        filterError("a[01] = :v", "Syntax error; token: \"1\", near: \"01]\"", values: v)
        filterError("a[-1] = :v", "Syntax error; token: \"-\", near: \"[-1\"", values: v)
        filterError("ü > a", "Syntax error; token: \"ü\", near: \"ü >\"")
        filterError("a != :v", "Syntax error; token: \"!\", near: \"a !=\"", values: v)
        filterError("   ", "Syntax error; token: \"<EOF>\", near: \"   \"")
        filterError("a.set = :v", "Syntax error; token: \"set\", near: \".set =\"", values: v)
        filterError("(a)between(b.(c.d))and(c)", "Syntax error; token: \"(\", near: \".(c\"")
        expectError("Invalid ProjectionExpression: Syntax error; token: \"!\", near: \"!!\"") {
            try RequestExpressions(projection: "!!! INVALID !!!")
        }
        expectError("Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"") { try RequestExpressions(projection: "a,") }
        expectError("Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"") { try RequestExpressions(projection: "a b") }
        expectError("Invalid ProjectionExpression: Syntax error; token: \"-\", near: \"user-id\"") { try RequestExpressions(projection: "a, user-id") }  // "-" is not part of a name
        updateError("INVALID SYNTAX HERE", "Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\"")
        updateError("SET _123 = :v", "Syntax error; token: \"_\", near: \"SET _123\"", values: v)
        updateError("SET a = ", "Syntax error; token: \"<EOF>\", near: \"= \"", values: v)
        updateError("SET a = :v,", "Syntax error; token: \"<EOF>\", near: \",\"", values: v)
        updateError("SET a = :v + :v + :v", "Syntax error; token: \"+\", near: \":v + :v\"", values: v)
        updateError("SET a = if_not_exists(a, :v + :v)", "Syntax error; token: \"+\", near: \":v + :v\"", values: v)
        updateError("SET :v = a", "Syntax error; token: \":v\", near: \"SET :v =\"", values: v)
        updateError("SET a[:v] = b", "Syntax error; token: \":v\", near: \"[:v]\"", values: v)
        updateError("ADD a b", "Syntax error; token: \"b\", near: \"a b\"")
        updateError("SET a = b / c", "Syntax error; token: \"/\", near: \"b / c\"")
        expectError("Invalid KeyConditionExpression: Syntax error; token: \"<EOF>\", near: \":type\"") {
            try RequestExpressions(keyCondition: "begins_with(sk, :type", values: [":type": "x"])
        }
        expectError("Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"(\"") {
            try RequestExpressions(condition: "attribute_not_exists(")
        }
    }

    @Test func redundantParentheses() {
        let message = "The expression has redundant parentheses;"
        let v: [String: AttributeValue] = [":v": 1]
        for text in ["a=a and a > ((views))", "(a)between(((b.c)).d)and(c)", "a > whatever((:things), ((a)))",
                     "a=a AND ((a=a AND a=a)) AND a=a", "a=a OR ((a=a OR (a=a OR a=a)))", "((a = :v))", "((a)) = :v",
                     "((size(a))) :v"] {
            filterError(text, message, values: text.contains(":v") ? v : nil)
        }
        // DynamoDB's parser looks past the operand before parsing it: this syntax error comes first.
        filterError("((a)) :v", "Syntax error; token: \":v\", near: \") :v\"", values: v)
        updateError("SET a = ((b))", message)
        updateError("SET a = ((b + c))", message)
        updateError("SET a = ((b)) :v", message, values: v)
        // Single parentheses are fine.
        #expect((try? RequestExpressions(update: "SET a = (b) + (c)")) != nil)
        #expect((try? filter("((a) = :v)", values: v)) != nil)
    }

    /// Every case of Tests/Fixtures/expression-syntax.tsv: random and mutated expressions with
    /// the answer of DynamoDB's own grammar (run from Amazon's DAX client) for the syntax
    /// stage: accepted, a syntax error (token and neighbours) or redundant parentheses.
    @Test func syntaxMatchesDynamoDBsGrammar() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/expression-syntax.tsv")
        let text = try String(contentsOf: fixture, encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { Issue.record("bad line \(line)"); continue }
            var parser = ExpressionParser(fields[1])
            var answer = "OK"
            do {
                switch fields[0] {
                case "C": _ = try parser.parseCondition()
                case "U": _ = try parser.parseUpdate()
                default: _ = try parser.parseProjection()
                }
            } catch let problem as ExpressionProblem {
                answer = problem.message
            }
            #expect(answer == fields[2], "\(fields[0]) \(fields[1])")
            checked += 1
        }
        #expect(checked > 2000)
    }

    // MARK: Checks after parsing

    @Test func functionsAndTheirPlaces() {
        let v: [String: AttributeValue] = [":v": "a", ":n": 1, ":l": [1]]
        let misplaced = "The function is not allowed to be used this way in an expression; function: "
        filterError("a=a and whatever((:things)) > a", "Invalid function name; function: whatever")
        filterError("attRIbute_exIsts((views), #a)", "Invalid function name; function: attRIbute_exIsts")
        for (text, function) in [("a=a and attribute_exists((views), (#a)) > b", "attribute_exists"),
                                 ("attribute_not_exists(things) > b", "attribute_not_exists"),
                                 ("attribute_type(things, :a) > b", "attribute_type"), ("begins_with(things, a) > b", "begins_with"),
                                 ("contains(:things, c) > b", "contains"), ("size(contains(a, b)) > a", "contains"),
                                 ("size(things)", "size"), ("NOT size(a)", "size"),
                                 ("a between b and attribute_exists(things)", "attribute_exists"),
                                 ("a in (b, attribute_exists(things))", "attribute_exists")] {
            filterError(text, misplaced + function)
        }
        filterError("if_not_exists(a, :v) = :v", "The function is not allowed in a condition expression; function: if_not_exists", values: v)
        filterError("list_append(a, :l) = :l", "The function is not allowed in a condition expression; function: list_append", values: v)
        updateError("SET a = size(b)", "The function is not allowed in an update expression; function: size")
        updateError("SET a = attribute_exists(b)", "The function is not allowed in an update expression; function: attribute_exists")
        updateError("SET a = list_append(list_append(:l, :l), :l)", misplaced + "list_append", values: v)
        updateError("SET a = list_append(a, :l) + :n", misplaced + "list_append", values: v)
        updateError("SET a = f(b,c,d)", "Invalid function name; function: f")
        updateError("SET a = f123_hi(b,c,d)", "Invalid function name; function: f123_hi")
    }

    @Test func operandsOfFunctionsAndOperators() {
        let count = "Incorrect number of operands for operator or function; operator or function: "
        for (text, function, n) in [("attribute_exists(things, a) and a=a", "attribute_exists", 2),
                                    ("attribute_not_exists(things, b)", "attribute_not_exists", 2),
                                    ("attribute_type(things)", "attribute_type", 1), ("begins_with(things)", "begins_with", 1),
                                    ("begins_with(things, size(a), b)", "begins_with", 3), ("contains(things)", "contains", 1),
                                    ("size(things, a) > b", "size", 2)] {
            filterError(text, count + "\(function), number of operands: \(n)")
        }
        updateError("SET a = if_not_exists(c)", count + "if_not_exists, number of operands: 1")
        updateError("SET a = list_append(c)", count + "list_append, number of operands: 1")

        let type = "Incorrect operand type for operator or function; operator or function: "
        let samples: [AttributeValue] = [1, true, .null, [], [:], .ss(["1"]), .ns([1]), .bs([[1]])]
        for value in samples {
            filterError("begins_with(a, :a)", type + "begins_with, operand type: \(value.typeName)", values: [":a": value])
            filterError("attribute_type(a, :a)", type + "attribute_type, operand type: \(value.typeName)", values: [":a": value])
        }
        filterError("attribute_type(a, size(a)) and a=a and a=:a", type + "attribute_type, operand type: N", values: [":a": 1])
        filterError("size(size(a)) > :a", type + "size, operand type: N", values: [":a": 1])
        filterError("attribute_not_exists(size(:a))", type + "size, operand type: N", values: [":a": 1])
        filterError("size(:a) > a", type + "size, operand type: BOOL", values: [":a": true])
        filterError("a < :a", type + "<, operand type: BOOL", values: [":a": true])
        filterError("a BETWEEN :a AND :a", type + "BETWEEN, operand type: L", values: [":a": [1]])
        updateError("SET a = list_append(:a, b)", type + "list_append, operand type: S", values: [":a": "x"])
        updateError("SET a = :a + b", type + "+, operand type: S", values: [":a": "x"])
        filterError("attribute_type(a, :a)", "Invalid attribute type name found; type: 1, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", values: [":a": "1"])
        filterError("attribute_exists(:a) and a=a", "Operator or function requires a document path; operator or function: attribute_exists", values: [":a": "1"])
        filterError("attribute_not_exists(size(:a))", "Operator or function requires a document path; operator or function: attribute_not_exists", values: [":a": "1"])
        updateError("SET b = if_not_exists(:a, :a)", "Operator or function requires a document path; operator or function: if_not_exists", values: [":a": 1])
    }

    @Test func distinctOperands() {
        let message = "The first operand must be distinct from the remaining operands for this operator or function; operator: "
        for (text, op, first) in [("a = a AND #a = b AND :views > a", "=", "[a]"), ("#a <> a", "<>", "[a]"), ("a > #a", ">", "[a]"),
                                  ("((a=a) OR (a=a))", "=", "[a]"), ("contains(ab.bc[1].a, ab.bc[1].#a)", "contains", "[ab, bc, [1], a]"),
                                  ("attribute_type(ab.bc[1].#a, ab.bc[1].a)", "attribute_type", "[ab, bc, [1], a]"),
                                  ("begins_with(ab.bc[1].a, ab.bc[1].#a)", "begins_with", "[ab, bc, [1], a]"),
                                  ("a IN (b, a)", "IN", "[a]"), ("a BETWEEN b AND a", "BETWEEN", "[a]")] {
            filterError(text, message + "\(op), first operand: \(first)", names: ["#a": "a"])
        }
        // Values may repeat, and + and list_append take the same path twice.
        #expect((try? filter(":a > :a", values: [":a": 1])) != nil)
        #expect((try? RequestExpressions(update: "SET c = b + b, d = list_append(l, l)")) != nil)
        updateError("SET c = if_not_exists(c, c)", message + "if_not_exists, first operand: [c]")
    }

    @Test func between() {
        filterError("a BETWEEN :x AND :y", "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}",
                    values: [":x": 1, ":y": "a"])
        filterError("a BETWEEN :x AND :y", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}",
                    values: [":x": "b", ":y": "a"])
        filterError("a BETWEEN :x AND :y", "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:9}",
                    values: [":x": 10, ":y": 9])
        #expect((try? filter("a BETWEEN :x AND :x", values: [":x": 1])) != nil)
    }

    @Test func reservedWordsAndPlaceholders() {
        filterError("attribute_exists(views, #a)", "Attribute name is a reserved keyword; reserved keyword: views")
        filterError(":a < abOrT", "Attribute name is a reserved keyword; reserved keyword: abOrT")
        filterError("size = :v", "Attribute name is a reserved keyword; reserved keyword: size", values: [":v": 1])
        updateError(" set #c = :c set abOrt = true ", "Attribute name is a reserved keyword; reserved keyword: abOrt")
        updateError(" remove Absolute ", "Attribute name is a reserved keyword; reserved keyword: Absolute")
        #expect(ReservedWords.all.count == 573)
        #expect(ReservedWords.contains("ttl") && ReservedWords.contains("Status") && !ReservedWords.contains("price"))
        // A placeholder stands in for a reserved word.
        #expect((try? filter("#s = :v", names: ["#s": "status"], values: [":v": 1])) != nil)

        let undefinedName = "An expression attribute name used in the document path is not defined; attribute name: "
        for (text, name) in [("attribute_exists(#Pictures.RearView, :a) and a=a", "#Pictures"), ("begins_with(Pictures.#RearView)", "#RearView"),
                             ("(#P between :lo and :hi) and (#PC in (:cat1, :cat2))", "#P"), ("#4g > a", "#4g"), ("#_ > a", "#_"),
                             ("(a)between(b.c[45].#d)and(:a)", "#d")] {
            filterError(text, undefinedName + name)
        }
        let undefinedValue = "An expression attribute value used in expression is not defined; attribute value: "
        for (text, value) in [("begins_with(:hello, #a, #b)", ":hello"), (":a < :b", ":a"), (":_ > a", ":_")] {
            filterError(text, undefinedValue + value)
        }
        updateError("SET a = :v", undefinedValue + ":v", values: [":w": 1])
        expectError("Invalid ProjectionExpression: " + undefinedName + "#a") { try RequestExpressions(projection: "#a", names: ["#b": "b"]) }
    }

    @Test func updateClausesAndPaths() {
        for (text, clause) in [("set a = #c set c = :d", "SET"), ("remove #d set a = b remove e", "REMOVE"),
                               ("add #d :e set a = b add e :f", "ADD"), ("delete #d :e set a = b delete #e :f", "DELETE")] {
            updateError(text, "The \"\(clause)\" section can only be used once in an update expression;")
        }
        let overlap = "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: "
        let conflict = "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: "
        let names = ["#c": "c", "#d": "[3]"]
        updateError("set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a)", overlap + "[c, [1], a], path two: [c]", names: names)
        updateError("set #c[3].#d = a, #c[3] = a", overlap + "[c, [3], [3]], path two: [c, [3]]", names: names)
        updateError("set #c[3].#d = a, #c.#d[3] = if_not_exists(a)", conflict + "[c, [3], [3]], path two: [c, [3], [3]]", names: names)
        updateError("remove a.#c set a[1] = #d", conflict + "[a, c], path two: [a, [1]]", names: names)
        updateError("SET a = :v REMOVE a", overlap + "[a], path two: [a]", values: [":v": 1])
        // DynamoDB names, as path two, the first child of the clash in its hash map's order.
        updateError("set c.b.#c = a, c = a, #d = a", overlap + "[c, b, c], path two: [[3]]", names: names)
        expectError("Invalid ProjectionExpression: " + overlap + "[a], path two: [a, b]") { try RequestExpressions(projection: "a, a.b") }
        expectError("Invalid ProjectionExpression: " + conflict + "[a, [0]], path two: [a, b]") { try RequestExpressions(projection: "a[0], a.b") }

        let type = "Incorrect operand type for operator or function; operator: "
        let samples: [(AttributeValue, String)] = [("a", "STRING"), (.null, "NULL"), (false, "BOOLEAN"), (.b([1]), "BINARY"), (["a": [1]], "MAP"), ([1], "LIST")]
        for (value, word) in samples {
            updateError("add a.b :a", type + "ADD, operand type: \(word), typeSet: ALLOWED_FOR_ADD_OPERAND", values: [":a": value])
            updateError("delete a.b :a", type + "DELETE, operand type: \(word), typeSet: ALLOWED_FOR_DELETE_OPERAND", values: [":a": value])
        }
        updateError("delete a.b :a", type + "DELETE, operand type: NUMBER, typeSet: ALLOWED_FOR_DELETE_OPERAND", values: [":a": 1])
    }

    @Test func limits() {
        let v: [String: AttributeValue] = [":v": 1]
        let longName = String(repeating: "a", count: 4092)
        filterError(longName + " = :v", "Expression size has exceeded the maximum allowed size; expression size: 4097", values: v)
        updateError("SET " + longName + " = :v", "Expression size has exceeded the maximum allowed size;", values: v)
        #expect((try? filter(String(repeating: "a", count: 4089) + " = :v", values: v)) != nil)

        let candidates = (0..<101).map { ":v\($0)" }
        var values: [String: AttributeValue] = [:]
        for (i, key) in candidates.enumerated() { values[key] = .n(Number(exactly: i)) }
        filterError("a IN (\(candidates.joined(separator: ",")))", "The IN operator is provided with too many operands; number of operands: 101", values: values)
        values[":v100"] = nil
        #expect((try? filter("a IN (\(candidates.dropLast().joined(separator: ",")))", values: values)) != nil)

        let deep = (0..<32).map { "a\($0)" }.joined(separator: ".")
        #expect((try? RequestExpressions(projection: deep)) != nil)
        expectError("Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33") {
            try RequestExpressions(projection: deep + "[0]")
        }
        filterError("a[2147483648] = :v", "List index is not within the allowable range; index: [2147483648]", values: v)
        #expect((try? filter("a[2147483647] = :v", values: v)) != nil)

        let many = Array(repeating: "a = :v", count: 151).joined(separator: " AND ")  // 151 + 150 = 301 operators
        filterError(many, "The expression contains too many operators; operator count: 301", values: v)
        #expect((try? filter(Array(repeating: "a = :v", count: 150).joined(separator: " AND "), values: v)) != nil)
    }

    @Test func emptyExpressionsAndMaps() {
        for (kind, make) in [("ConditionExpression", { try RequestExpressions(condition: "") }),
                             ("KeyConditionExpression", { try RequestExpressions(keyCondition: "") }),
                             ("FilterExpression", { try RequestExpressions(filter: "") }),
                             ("ProjectionExpression", { try RequestExpressions(projection: "") }),
                             ("UpdateExpression", { try RequestExpressions(update: "") })] as [(String, () throws -> RequestExpressions)] {
            expectError("Invalid \(kind): The expression can not be empty;", make)
        }
        expectError("ExpressionAttributeNames can only be specified when using expressions") { try RequestExpressions(names: ["#a": "a"]) }
        expectError("ExpressionAttributeValues can only be specified when using expressions") {
            try RequestExpressions(projection: "a", values: [":a": 1])
        }
        expectError("ExpressionAttributeNames must not be empty") { try RequestExpressions(filter: "a = b", names: [:]) }
        expectError("ExpressionAttributeValues must not be empty") { try RequestExpressions(filter: "a = b", values: [:]) }
        expectError("ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"") { try RequestExpressions(filter: "a = b", names: ["a": "a"]) }
        expectError("ExpressionAttributeNames contains invalid key: Syntax error; key: \"#\"") { try RequestExpressions(filter: "a = b", names: ["#": "a"]) }
        expectError("ExpressionAttributeNames contains invalid key: Syntax error; key: \"#a-b\"") { try RequestExpressions(filter: "a = b", names: ["#a-b": "a"]) }
        expectError("ExpressionAttributeValues contains invalid key: Syntax error; key: \"b\"") { try RequestExpressions(filter: "a = b", values: ["b": 1]) }
        expectError("ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :b") {
            try RequestExpressions(filter: "a = :b", values: [":b": .ss([])])
        }
        expectError("ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: Input collection [a, a] contains duplicates. for key :b") {
            try RequestExpressions(filter: "a = :b", values: [":b": .ss(["a", "a"])])
        }
        expectError("ExpressionAttributeNames contains invalid value: Empty attribute name for key #a") { try RequestExpressions(projection: "#a", names: ["#a": ""]) }
        // Several bad entries: the one reported is the first in Java HashSet order, as
        // DynamoDB reports it ("#c" hashes to bucket 0, "#a" to 14), whatever the map's order.
        for _ in 0..<8 {
            expectError("ExpressionAttributeNames contains invalid value: Empty attribute name for key #c") {
                try RequestExpressions(projection: "#a, #c", names: ["#a": "", "#c": ""])
            }
            expectError("ExpressionAttributeValues contains invalid key: Syntax error; key: \"p\"") {
                try RequestExpressions(filter: "x = y", values: ["a": 1, "p": 2])  // "p": bucket 0, "a": 1
            }
        }
        #expect(RequestExpressions.javaOrder(["#a", "#c"]) == ["#c", "#a"])
    }

    @Test func unusedPlaceholdersAcrossTheRequest() throws {
        expectError("Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}") {
            try RequestExpressions(filter: "#a = :v", projection: "b", names: ["#a": "a", "#unused": "x"], values: [":v": 1])
        }
        expectError("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}") {
            try RequestExpressions(condition: "a = :v", update: "SET b = :w", values: [":v": 1, ":w": 2, ":unused": 3])
        }
        expectError("Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}") {
            try RequestExpressions(projection: "c", names: ["#b": "b", "#a": "a"])
        }
        // A placeholder used by any one of the expressions counts as used.
        let r = try RequestExpressions(keyCondition: "#k = :k", filter: "#f > :f", projection: "#p",
                                       names: ["#k": "pk", "#f": "n", "#p": "pk"], values: [":k": "x", ":f": 1])
        #expect(r.keyCondition != nil && r.filter != nil && r.projection != nil)
        // Errors come in DynamoDB's order: the update expression before the condition.
        expectError("Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\"") {
            try RequestExpressions(condition: "((", update: "SET", values: [":v": 1])
        }
    }

    // MARK: Robustness

    /// Random and truncated text never crashes the parser: it returns or throws DynamoDBError.
    @Test func neverCrashesOnGarbage() {
        var rng = Rng(state: 7)
        let pieces = ["(", ")", "((", "))", ",", ".", "[", "]", "[0]", "[99999999999]", "=", "<>", "<", "<=", ">", ">=", "+", "-",
                      "AND", "or", "NOT", "between", "IN", "SET", "remove", "ADD", "DELETE", "a", "b.c", "#n", "#m", ":v", ":w",
                      "size(", "attribute_exists(", "if_not_exists(", "list_append(", "f(", "0", "01", "7", "!", "_", "ü", "😀",
                      " ", "\t", "\n", "\"", "'", "#", ":", "\u{0}", "\u{A0}", ".:v"]
        let seeds = ["a = :v AND (b < :w OR NOT contains(c, :v))", "SET a = list_append(if_not_exists(a, :v), :w) REMOVE b[1] ADD c :v",
                     "a.b[1], c, #n.d", "attribute_type(#n, :v) AND size(a) BETWEEN :v AND :w", "a IN (:v, :w, b)"]
        let names = ["#n": "n", "#m": "size"]
        let values: [String: AttributeValue] = [":v": 1, ":w": "x"]
        func attempt(_ text: String) {
            for kind in 0..<5 {
                do {
                    switch kind {
                    case 0: _ = try RequestExpressions(condition: text, names: names, values: values)
                    case 1: _ = try RequestExpressions(filter: text, names: names, values: values)
                    case 2: _ = try RequestExpressions(keyCondition: text, names: names, values: values)
                    case 3: _ = try RequestExpressions(projection: text, names: names)
                    default: _ = try RequestExpressions(update: text, names: names, values: values)
                    }
                } catch let error as DynamoDBError {
                    #expect(error.name == "ValidationException")
                } catch {
                    Issue.record("unexpected \(error) for \(text)")
                }
            }
        }
        for _ in 0..<1500 {
            var text = ""
            for _ in 0..<(1 + rng.below(14)) { text += pieces[rng.below(pieces.count)] + (rng.below(3) == 0 ? " " : "") }
            attempt(text)
        }
        for seed in seeds {
            let scalars = Array(seed.unicodeScalars)
            for cut in 0...scalars.count {
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars[0..<cut])
                attempt(text)
            }
        }
        // Deep nesting, up to the 4 KB limit, is parsed (on a large stack), not a crash.
        attempt(String(repeating: "(", count: 4096))
        attempt(String(repeating: "(", count: 2040) + "a = :v" + String(repeating: ")", count: 2040))
        attempt(String(repeating: "NOT ", count: 1020) + "a = :v")
        attempt(String(repeating: "size(", count: 1000) + "a" + String(repeating: ")", count: 1000) + " = :v")
        attempt(String(repeating: "(NOT ", count: 800) + "a = :v" + String(repeating: ")", count: 800))
        attempt(Array(repeating: "a<b", count: 800).joined(separator: " or "))
    }
}
