import Foundation

/// The checks DynamoDB makes on a parsed expression, in DynamoDB's order, and the resolution of
/// its placeholders into the public syntax trees.
///
/// DynamoDB checks an expression in two passes after parsing it:
/// 1. a walk over the text in order: unknown functions and functions where they are not
///    allowed, reserved words used as names, list indexes out of range, update clauses used
///    twice (reported when the second clause ends);
/// 2. a walk over the tree, operands before their operator: document paths (depth, undefined
///    `#names`), undefined `:values`, then each operator's number and types of operands,
///    distinct operands, its own rules and the operator count. Update expressions first check
///    every path (overlaps, conflicts), then the values; projections and update expressions take
///    their paths last to first, as DynamoDB does.
struct ExpressionValidator {
    /// What kind of expression is being checked (its functions differ).
    enum Category { case condition, update }

    let names: [String: String]
    let values: [String: AttributeValue]
    /// How many times each `#name` / `:value` was used (for the unused checks and the size).
    private(set) var nameUses: [String: Int] = [:]
    private(set) var valueUses: [String: Int] = [:]
    private var operatorCount = 0

    /// The most operators one expression may have.
    static let maxOperators = 300
    /// The most elements a document path may have.
    static let maxPathDepth = 32
    /// The most candidates `IN` takes.
    static let maxInCandidates = 100

    static let conditionFunctions: Set<String> = [
        "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size",
    ]
    static let updateFunctions: Set<String> = ["if_not_exists", "list_append"]

    init(names: [String: String], values: [String: AttributeValue]) {
        self.names = names
        self.values = values
    }

    // MARK: Pass 1: the walk in text order

    static func walk(_ condition: RawCondition, nesting: Int = 0) throws {
        switch condition {
        case .comparison(let a, _, let b):
            try walk(a, nesting: nesting + 1, .condition)
            try walk(b, nesting: nesting + 1, .condition)
        case .between(let a, let b, let c):
            for operand in [a, b, c] { try walk(operand, nesting: nesting + 1, .condition) }
        case .isIn(let a, let list):
            for operand in [a] + list { try walk(operand, nesting: nesting + 1, .condition) }
        case .function(let name, let arguments):
            try enterFunction(name, nesting: nesting, .condition)
            for argument in arguments { try walk(argument, nesting: nesting + 1, .condition) }
        case .and(let a, let b), .or(let a, let b):
            try walk(a, nesting: nesting)
            try walk(b, nesting: nesting)
        case .not(let a):
            try walk(a, nesting: nesting)
        }
    }

    static func walk(_ operand: RawOperand, nesting: Int, _ category: Category) throws {
        switch operand {
        case .path(let path):
            try walk(path)
        case .value:
            break
        case .function(let name, let arguments):
            try enterFunction(name, nesting: nesting, category)
            for argument in arguments { try walk(argument, nesting: nesting + 1, category) }
        case .plus(let a, let b), .minus(let a, let b):
            try walk(a, nesting: nesting + 1, category)
            try walk(b, nesting: nesting + 1, category)
        }
    }

    static func walk(_ path: RawPath) throws {
        for element in path.elements {
            switch element {
            case .name(let name, let isPlaceholder):
                if !isPlaceholder && ReservedWords.contains(name) {
                    throw ExpressionProblem("Attribute name is a reserved keyword; reserved keyword: \(name)")
                }
            case .index(let digits):
                // DynamoDB reads the index as a Java int.
                guard let value = Int(digits), value <= Int(Int32.max) else {
                    throw ExpressionProblem("List index is not within the allowable range; index: [\(digits)]")
                }
            case .valuePlaceholder:
                break
            }
        }
    }

    static func walk(_ clauses: [RawUpdateClause]) throws {
        var seen: Set<RawUpdateClause.Kind> = []
        for clause in clauses {
            for action in clause.actions {
                try walk(action.path)
                if case .set(_, let value) = action {
                    try walk(value, nesting: 0, .update)
                }
            }
            guard seen.insert(clause.kind).inserted else {
                throw ExpressionProblem("The \"\(clause.kind.rawValue)\" section can only be used once in an update expression;")
            }
        }
    }

    private static func enterFunction(_ name: String, nesting: Int, _ category: Category) throws {
        guard conditionFunctions.contains(name) || updateFunctions.contains(name) else {
            throw ExpressionProblem("Invalid function name; function: \(name)")
        }
        let misplaced = ExpressionProblem("The function is not allowed to be used this way in an expression; function: \(name)")
        switch category {
        case .condition:
            guard conditionFunctions.contains(name) else {
                throw ExpressionProblem("The function is not allowed in a condition expression; function: \(name)")
            }
            // Only size() is a value; every other condition function is a condition.
            if (nesting == 0) == (name == "size") { throw misplaced }
        case .update:
            guard updateFunctions.contains(name) else {
                throw ExpressionProblem("The function is not allowed in an update expression; function: \(name)")
            }
            if nesting > 0 && name != "if_not_exists" { throw misplaced }
        }
    }

    // MARK: Pass 2: types, placeholders and operators

    /// What the checks need to know about an operand: a path, a value, or the result of an
    /// operator or function (its possible types).
    private enum Checked {
        case path(DocumentPath)
        case value(AttributeValue)
        case result(Set<String>)
    }

    private static let allTypes: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]
    private static let orderedTypes: Set<String> = ["S", "N", "B"]
    /// How DynamoDB writes "any type" in an operand-type message (the order is its own).
    private static let allTypesText = "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"

    private static func typesText(_ checked: Checked) -> String {
        switch checked {
        case .path: return allTypesText
        case .value(let v): return v.typeName
        case .result(let types):
            return types.count == 1 ? (types.first ?? "") : allTypesText
        }
    }

    /// Checks a condition and returns it with placeholders resolved.
    mutating func check(_ condition: RawCondition) throws -> Condition {
        switch condition {
        case .comparison(let a, let op, let b):
            let (ca, oa) = try check(a)
            let (cb, ob) = try check(b)
            try checkOperator(op.rawValue, [ca, cb], accepts: op == .equal || op == .notEqual ? Self.allTypes : Self.orderedTypes, distinct: true)
            return .comparison(oa, op, ob)
        case .between(let a, let low, let high):
            let (ca, oa) = try check(a)
            let (cl, ol) = try check(low)
            let (ch, oh) = try check(high)
            try checkOperator("BETWEEN", [ca, cl, ch], accepts: Self.orderedTypes, distinct: true, count: false)
            if case .value(let lower) = cl, case .value(let upper) = ch {
                let bounds = "lower bound operand: \(Self.describe(lower)), upper bound operand: \(Self.describe(upper))"
                guard lower.typeName == upper.typeName else {
                    throw ExpressionProblem("The BETWEEN operator requires same data type for lower and upper bounds; \(bounds)")
                }
                if Self.isGreater(lower, upper) {
                    throw ExpressionProblem("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; \(bounds)")
                }
            }
            try countOperator()
            return .between(oa, ol, oh)
        case .isIn(let a, let list):
            var checked: [Checked] = []
            var operands: [Operand] = []
            for operand in [a] + list {
                let (c, o) = try check(operand)
                checked.append(c)
                operands.append(o)
            }
            try checkOperator("IN", checked, accepts: Self.allTypes, distinct: true, count: false)
            if list.count > Self.maxInCandidates {
                throw ExpressionProblem("The IN operator is provided with too many operands; number of operands: \(list.count)")
            }
            try countOperator()
            return .isIn(operands[0], Array(operands.dropFirst()))
        case .function(let name, let arguments):
            var checked: [Checked] = []
            var operands: [Operand] = []
            for argument in arguments {
                let (c, o) = try check(argument)
                checked.append(c)
                operands.append(o)
            }
            let result = try checkFunction(name, checked, operands)
            guard case .condition(let c) = result else {
                throw ExpressionProblem("The function is not allowed to be used this way in an expression; function: \(name)")
            }
            return c
        case .and(let a, let b):
            let ca = try check(a)
            let cb = try check(b)
            try countOperator()
            return .and(ca, cb)
        case .or(let a, let b):
            let ca = try check(a)
            let cb = try check(b)
            try countOperator()
            return .or(ca, cb)
        case .not(let a):
            let ca = try check(a)
            try countOperator()
            return .not(ca)
        }
    }

    private enum FunctionResult {
        case condition(Condition)
        case operand(Operand, Set<String>)
    }

    /// Checks an operand and returns what the checks of its operator need, with the operand
    /// resolved.
    private mutating func check(_ operand: RawOperand) throws -> (Checked, Operand) {
        switch operand {
        case .path(let raw):
            let path = try resolve(raw)
            return (.path(path), .path(path))
        case .value(let key):
            valueUses[key, default: 0] += 1
            guard let value = values[key] else {
                throw ExpressionProblem("An expression attribute value used in expression is not defined; attribute value: \(key)")
            }
            return (.value(value), .value(value))
        case .function(let name, let arguments):
            var checked: [Checked] = []
            var operands: [Operand] = []
            for argument in arguments {
                let (c, o) = try check(argument)
                checked.append(c)
                operands.append(o)
            }
            guard case .operand(let result, let types) = try checkFunction(name, checked, operands) else {
                throw ExpressionProblem("The function is not allowed to be used this way in an expression; function: \(name)")
            }
            return (.result(types), result)
        case .plus(let a, let b), .minus(let a, let b):
            let (ca, oa) = try check(a)
            let (cb, ob) = try check(b)
            let isPlus: Bool
            if case .plus = operand { isPlus = true } else { isPlus = false }
            try checkOperator(isPlus ? "+" : "-", [ca, cb], accepts: ["N"], distinct: false)
            return (.result(["N"]), isPlus ? .plus(oa, ob) : .minus(oa, ob))
        }
    }

    private mutating func checkFunction(_ name: String, _ checked: [Checked], _ operands: [Operand]) throws -> FunctionResult {
        let arity = ["attribute_type": 2, "begins_with": 2, "contains": 2, "if_not_exists": 2, "list_append": 2][name] ?? 1
        guard checked.count == arity else {
            throw ExpressionProblem("Incorrect number of operands for operator or function; operator or function: \(name), number of operands: \(checked.count)")
        }
        let accepts: Set<String>
        switch name {
        case "begins_with": accepts = ["S", "B"]
        case "size": accepts = ["S", "B", "SS", "NS", "BS", "L", "M"]
        case "list_append": accepts = ["L"]
        default: accepts = Self.allTypes
        }
        let distinct = name != "list_append"
        try checkOperator(name, checked, accepts: accepts, distinct: distinct, count: false)
        let result: FunctionResult
        switch name {
        case "attribute_exists", "attribute_not_exists":
            guard case .path(let path) = checked[0] else {
                throw ExpressionProblem("Operator or function requires a document path; operator or function: \(name)")
            }
            result = .condition(name == "attribute_exists" ? .attributeExists(path) : .attributeNotExists(path))
        case "attribute_type":
            guard case .value(let value) = checked[1], case .s(let typeName) = value else {
                throw ExpressionProblem("Incorrect operand type for operator or function; operator or function: attribute_type, operand type: \(Self.typesText(checked[1]))")
            }
            guard Self.allTypes.contains(typeName) else {
                throw ExpressionProblem("Invalid attribute type name found; type: \(typeName), valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
            }
            guard case .path(let path) = checked[0] else {
                // DynamoDB accepts a value here (the condition is then about that value), but the
                // syntax tree holds a path; say so rather than guess.
                throw ExpressionProblem("Operator or function requires a document path; operator or function: attribute_type")
            }
            result = .condition(.attributeType(path, operands[1]))
        case "begins_with":
            result = .condition(.beginsWith(operands[0], operands[1]))
        case "contains":
            result = .condition(.contains(operands[0], operands[1]))
        case "size":
            result = .operand(.size(operands[0]), ["N"])
        case "if_not_exists":
            guard case .path(let path) = checked[0] else {
                throw ExpressionProblem("Operator or function requires a document path; operator or function: if_not_exists")
            }
            result = .operand(.ifNotExists(path, operands[1]), Self.allTypes)
        default:  // list_append
            result = .operand(.listAppend(operands[0], operands[1]), ["L"])
        }
        try countOperator()
        return result
    }

    /// An operator's checks on its operands: their types, then (for the operators that have
    /// this rule) that no later operand is the same path as the first. Counts the operator
    /// unless `count` is false (the caller counts it after its own checks).
    private mutating func checkOperator(_ name: String, _ operands: [Checked], accepts: Set<String>, distinct: Bool, count: Bool = true) throws {
        for operand in operands {
            let supported: Bool
            switch operand {
            case .path: supported = true
            case .value(let v): supported = accepts.contains(v.typeName)
            case .result(let types): supported = !types.isDisjoint(with: accepts)
            }
            guard supported else {
                throw ExpressionProblem("Incorrect operand type for operator or function; operator or function: \(name), operand type: \(Self.typesText(operand))")
            }
        }
        if distinct, operands.count > 1, case .path(let first) = operands[0] {
            for later in operands.dropFirst() {
                if case .path(let path) = later, path == first {
                    throw ExpressionProblem("The first operand must be distinct from the remaining operands for this operator or function; operator: \(name), first operand: \(PathTree.describe(first.elements))")
                }
            }
        }
        if count { try countOperator() }
    }

    private mutating func countOperator() throws {
        operatorCount += 1
        if operatorCount > Self.maxOperators {
            throw ExpressionProblem("The expression contains too many operators; operator count: \(operatorCount)")
        }
    }

    /// Resolves a path's `#names`, checking its depth first.
    mutating func resolve(_ raw: RawPath) throws -> DocumentPath {
        if raw.elements.count > Self.maxPathDepth {
            throw ExpressionProblem("The document path has too many nesting levels; nesting levels: \(raw.elements.count)")
        }
        var elements: [PathElement] = []
        for element in raw.elements {
            switch element {
            case .name(let name, let isPlaceholder):
                if isPlaceholder {
                    nameUses[name, default: 0] += 1
                    guard let resolved = names[name] else {
                        throw ExpressionProblem("An expression attribute name used in the document path is not defined; attribute name: \(name)")
                    }
                    elements.append(.name(resolved))
                } else {
                    elements.append(.name(name))
                }
            case .index(let digits):
                elements.append(.index(Int(digits) ?? 0))
            case .valuePlaceholder(let key):
                // DynamoDB's grammar takes `a.:v`, but DynamoDB fails such requests with an
                // internal error; the message is DynamoDB's for this case in its own code.
                throw ExpressionProblem("The document path cannot contain attribute value parameters; attribute value: \(key)")
            }
        }
        return DocumentPath(elements)
    }

    // MARK: Projections and updates

    /// Checks a projection's paths (last to first, as DynamoDB) and resolves them.
    mutating func check(projection raw: [RawPath]) throws -> Projection {
        let tree = PathTree()
        var resolved: [DocumentPath?] = Array(repeating: nil, count: raw.count)
        for i in raw.indices.reversed() {
            let path = try resolve(raw[i])
            try tree.insert(path)
            resolved[i] = path
        }
        return Projection(paths: resolved.compactMap { $0 })
    }

    /// Checks an update expression: every path first (last to first), then the values.
    mutating func check(update clauses: [RawUpdateClause]) throws -> UpdateExpression {
        let actions = clauses.flatMap(\.actions)
        let tree = PathTree()
        var paths: [DocumentPath] = Array(repeating: DocumentPath([]), count: actions.count)
        for i in actions.indices.reversed() {
            let path = try resolve(actions[i].path)
            try tree.insert(path)
            paths[i] = path
        }
        var result: [UpdateAction?] = Array(repeating: nil, count: actions.count)
        for i in actions.indices.reversed() {
            switch actions[i] {
            case .set(_, let raw):
                let (_, value) = try check(raw)
                result[i] = .set(paths[i], value)
            case .remove:
                result[i] = .remove(paths[i])
            case .add(_, let key):
                let value = try clauseValue(key)
                guard ["N", "SS", "NS", "BS"].contains(value.typeName) else {
                    throw ExpressionProblem("Incorrect operand type for operator or function; operator: ADD, operand type: \(value.operandTypeWord), typeSet: ALLOWED_FOR_ADD_OPERAND")
                }
                result[i] = .add(paths[i], value)
            case .delete(_, let key):
                let value = try clauseValue(key)
                guard ["SS", "NS", "BS"].contains(value.typeName) else {
                    throw ExpressionProblem("Incorrect operand type for operator or function; operator: DELETE, operand type: \(value.operandTypeWord), typeSet: ALLOWED_FOR_DELETE_OPERAND")
                }
                result[i] = .delete(paths[i], value)
            }
        }
        return UpdateExpression(actions: result.compactMap { $0 })
    }

    private mutating func clauseValue(_ key: String) throws -> AttributeValue {
        valueUses[key, default: 0] += 1
        guard let value = values[key] else {
            throw ExpressionProblem("An expression attribute value used in expression is not defined; attribute value: \(key)")
        }
        return value
    }

    // MARK: Messages


    /// A BETWEEN bound as DynamoDB prints it: `AttributeValue: {N:1}`. (Binary is printed in
    /// base64 here; DynamoDB's rendering of binary bounds is not documented.)
    private static func describe(_ value: AttributeValue) -> String {
        switch value {
        case .s(let s): return "AttributeValue: {S:\(s)}"
        case .n(let n): return "AttributeValue: {N:\(n.description)}"
        case .b(let b): return "AttributeValue: {B:\(Data(b).base64EncodedString())}"
        default: return "AttributeValue: {\(value.typeName)}"
        }
    }

    /// DynamoDB's order for BETWEEN bounds of one type: numbers numerically, strings by their
    /// UTF-8 bytes, binary by unsigned bytes.
    private static func isGreater(_ a: AttributeValue, _ b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.n(let x), .n(let y)): return x > y
        case (.s(let x), .s(let y)): return y.utf8.lexicographicallyPrecedes(x.utf8)
        case (.b(let x), .b(let y)): return y.lexicographicallyPrecedes(x)
        default: return false
        }
    }
}
