/// Evaluating condition and filter expressions on an item, with DynamoDB's semantics.
///
/// Operands that name a missing attribute (or a path through a missing or mistyped value)
/// have no value. A comparison, function or operator meeting a missing operand or a value of
/// a type it does not handle is false, never an error: only `<>` is true then, because "not
/// equal" holds when either side is missing. This matches DynamoDB, which fails such a
/// condition (ConditionalCheckFailedException) or skips the item in a filter.
///
/// DynamoDB rejects constants of a wrong type (`a < :list`, `begins_with(a, :number)`,
/// `size(:number)`, an unknown `attribute_type` name, BETWEEN bounds of different types or in
/// the wrong order) when it parses the request; `RequestExpressions` does the same. A tree
/// built by hand that skipped those checks gets them here, as a `ValidationException` with
/// DynamoDB's message but without the "Invalid ConditionExpression: " prefix (the evaluator
/// does not know which kind of expression it evaluates).
extension Condition {
    /// Whether the condition holds for `item`; `nil` means there is no item (every attribute
    /// is then missing: `attribute_not_exists(k)` holds, `k = :v` does not).
    ///
    /// - Throws: `DynamoDBError` (`ValidationException`) for constants of the wrong type and
    ///   functions that have no place in a condition, as described on this extension.
    public func evaluate(on item: Item?) throws -> Bool {
        switch self {
        case .comparison(let a, let op, let b):
            if op != .equal && op != .notEqual {
                try Self.requireConstantType(a, Self.orderedTypes, op.rawValue)
                try Self.requireConstantType(b, Self.orderedTypes, op.rawValue)
            }
            let x = try a.conditionValue(in: item)
            let y = try b.conditionValue(in: item)
            guard let x, let y else { return op == .notEqual }
            switch op {
            case .equal: return ExpressionSemantics.equal(x, y)
            case .notEqual: return !ExpressionSemantics.equal(x, y)
            case .less: return ExpressionSemantics.compare(x, y).map { $0 < 0 } ?? false
            case .lessOrEqual: return ExpressionSemantics.compare(x, y).map { $0 <= 0 } ?? false
            case .greater: return ExpressionSemantics.compare(x, y).map { $0 > 0 } ?? false
            case .greaterOrEqual: return ExpressionSemantics.compare(x, y).map { $0 >= 0 } ?? false
            }

        case .between(let a, let low, let high):
            for operand in [a, low, high] { try Self.requireConstantType(operand, Self.orderedTypes, "BETWEEN") }
            if case .value(let lower) = low, case .value(let upper) = high {
                try ExpressionSemantics.checkBetweenBounds(lower, upper)
            }
            guard let x = try a.conditionValue(in: item),
                  let lower = try low.conditionValue(in: item),
                  let upper = try high.conditionValue(in: item),
                  let fromLower = ExpressionSemantics.compare(x, lower),
                  let toUpper = ExpressionSemantics.compare(x, upper)
            else { return false }
            return fromLower >= 0 && toUpper <= 0

        case .isIn(let a, let candidates):
            guard let x = try a.conditionValue(in: item) else { return false }
            for candidate in candidates {
                if let y = try candidate.conditionValue(in: item), ExpressionSemantics.equal(x, y) { return true }
            }
            return false

        case .and(let a, let b):
            guard try a.evaluate(on: item) else { return false }
            return try b.evaluate(on: item)

        case .or(let a, let b):
            if try a.evaluate(on: item) { return true }
            return try b.evaluate(on: item)

        case .not(let a):
            return try !a.evaluate(on: item)

        case .attributeExists(let path):
            return path.value(in: item) != nil

        case .attributeNotExists(let path):
            return path.value(in: item) == nil

        case .attributeType(let path, let typeOperand):
            let typeName = try Self.typeName(typeOperand)
            return path.value(in: item)?.typeName == typeName

        case .beginsWith(let a, let b):
            try Self.requireConstantType(a, Self.prefixTypes, "begins_with")
            try Self.requireConstantType(b, Self.prefixTypes, "begins_with")
            guard let x = try a.conditionValue(in: item), let y = try b.conditionValue(in: item) else { return false }
            return ExpressionSemantics.beginsWith(x, y)

        case .contains(let a, let b):
            guard let x = try a.conditionValue(in: item), let y = try b.conditionValue(in: item) else { return false }
            return ExpressionSemantics.contains(x, y)
        }
    }

    /// The types `<`, `<=`, `>`, `>=` and BETWEEN order.
    static let orderedTypes: Set<String> = ["S", "N", "B"]
    /// The types `begins_with` takes.
    static let prefixTypes: Set<String> = ["S", "B"]

    /// Throws DynamoDB's operand-type error when `operand` is a constant (or a `size()`, which
    /// is a number) of a type outside `types`.
    static func requireConstantType(_ operand: Operand, _ types: Set<String>, _ function: String) throws {
        switch operand {
        case .value(let value) where !types.contains(value.typeName):
            throw ExpressionSemantics.incorrectOperandType(function, value)
        case .size where !types.contains("N"):
            throw DynamoDBError.validation(
                "Incorrect operand type for operator or function; operator or function: \(function), operand type: N")
        default:
            break
        }
    }

    /// The type name `attribute_type` tests for: a string constant naming one of the ten types.
    static func typeName(_ operand: Operand) throws -> String {
        guard case .value(let value) = operand else {
            throw DynamoDBError.validation(
                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
        }
        guard case .s(let name) = value else {
            throw ExpressionSemantics.incorrectOperandType("attribute_type", value)
        }
        guard ExpressionSemantics.typeNames.contains(name) else {
            throw DynamoDBError.validation(
                "Invalid attribute type name found; type: \(name), valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
        }
        return name
    }
}

extension Operand {
    /// The operand's value in a condition: a path's value (nil when missing), a constant, or
    /// `size()` of either (nil when the value has no size).
    ///
    /// - Throws: `ValidationException` for `size()` of a constant without a size, and for the
    ///   update-only functions and operators, which have no meaning in a condition.
    func conditionValue(in item: Item?) throws -> AttributeValue? {
        switch self {
        case .path(let path):
            return path.value(in: item)
        case .value(let value):
            return value
        case .size(let inner):
            switch inner {
            case .value(let value) where ExpressionSemantics.size(value) == nil:
                throw ExpressionSemantics.incorrectOperandType("size", value)
            case .size:
                throw DynamoDBError.validation(
                    "Incorrect operand type for operator or function; operator or function: size, operand type: N")
            default:
                break
            }
            guard let value = try inner.conditionValue(in: item), let size = ExpressionSemantics.size(value) else {
                return nil
            }
            return .n(Number(exactly: size))
        case .ifNotExists:
            throw DynamoDBError.validation("The function is not allowed in a condition expression; function: if_not_exists")
        case .listAppend:
            throw DynamoDBError.validation("The function is not allowed in a condition expression; function: list_append")
        case .plus:
            // DynamoDB's grammar has no arithmetic in conditions (a syntax error there); ours.
            throw DynamoDBError.validation("The operator is not allowed in a condition expression; operator: +")
        case .minus:
            throw DynamoDBError.validation("The operator is not allowed in a condition expression; operator: -")
        }
    }
}
