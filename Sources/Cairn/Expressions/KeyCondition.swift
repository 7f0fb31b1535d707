/// Turning a parsed KeyConditionExpression into a `KeyCondition`, with DynamoDB's checks and
/// messages, in DynamoDB's order:
///
/// 1. The shape of each condition, left to right (these need no table):
///    - OR, NOT, IN, `<>` and the functions other than `begins_with` are refused:
///      "Invalid operator used in KeyConditionExpression: OR" (or NOT, IN, <>,
///      attribute_exists, attribute_not_exists, attribute_type, contains);
///    - `size()` anywhere: "KeyConditionExpressions cannot contain nested operations";
///    - BETWEEN and `begins_with` must start with the attribute: "Invalid condition in
///      KeyConditionExpression: BETWEEN operator must have the key attribute as its first
///      operand" (or begins_with);
///    - one attribute per condition, a top-level one: "Invalid condition in
///      KeyConditionExpression: Multiple attribute names used in one condition",
///      "KeyConditionExpressions cannot have conditions on nested attributes", "Invalid
///      condition in KeyConditionExpression: No key attribute specified";
///    - one condition per attribute: "KeyConditionExpressions must only contain one condition
///      per key";
///    - one or two conditions in all: "Conditions can be of length 1 or 2 only".
///    The attribute may come second in a comparison: `:v = pk` is `pk = :v`, `:v < sk` is
///    `sk > :v`.
/// 2. Against the key schema, partition key first:
///    - on a table without a sort key, two conditions: "Query key condition not supported";
///    - no condition on the partition key (or, with two conditions, on the sort key): "Query
///      condition missed key schema element: pk";
///    - a value whose type is not the key's: "One or more parameter values were invalid:
///      Condition parameter type does not match schema type";
///    - anything but `=` on the partition key: "Query key condition not supported".
///
/// These rules and messages follow the behaviour recorded against DynamoDB by dynalite's and
/// Alternator's test suites.
extension KeyCondition {
    /// Checks `condition` (a parsed KeyConditionExpression, placeholders resolved) against the
    /// key schema and extracts the partition key's value and the sort key's condition.
    ///
    /// - Throws: `DynamoDBError` (`ValidationException`) with DynamoDB's messages, as listed on
    ///   this extension.
    public init(_ condition: Condition, partitionKey: KeyAttribute, sortKey: KeyAttribute?) throws {
        var found: [(name: String, condition: SortKeyCondition)] = []
        try Self.collect(condition, into: &found)
        guard found.count == 1 || found.count == 2 else {
            throw DynamoDBError.validation("Conditions can be of length 1 or 2 only")
        }

        if sortKey == nil && found.count > 1 {
            throw DynamoDBError.validation("Query key condition not supported")
        }
        guard let partition = found.first(where: { $0.name == partitionKey.name })?.condition else {
            throw DynamoDBError.validation("Query condition missed key schema element: \(partitionKey.name)")
        }
        try Self.checkTypes(partition, partitionKey)
        guard case .equal(let partitionValue) = partition else {
            throw DynamoDBError.validation("Query key condition not supported")
        }

        var sortCondition: SortKeyCondition?
        if let sortKey {
            if let sort = found.first(where: { $0.name == sortKey.name })?.condition {
                try Self.checkTypes(sort, sortKey)
                sortCondition = sort
            } else if found.count > 1 {
                throw DynamoDBError.validation("Query condition missed key schema element: \(sortKey.name)")
            }
        }
        self.init(partitionKeyValue: partitionValue, sortKey: sortCondition)
    }

    /// Walks the conditions ANDed together, left to right, checking each one's shape.
    private static func collect(_ condition: Condition, into found: inout [(name: String, condition: SortKeyCondition)]) throws {
        switch condition {
        case .and(let a, let b):
            try collect(a, into: &found)
            try collect(b, into: &found)
        case .or: throw invalidOperator("OR")
        case .not: throw invalidOperator("NOT")
        case .isIn: throw invalidOperator("IN")
        case .comparison(_, .notEqual, _): throw invalidOperator("<>")
        case .attributeExists: throw invalidOperator("attribute_exists")
        case .attributeNotExists: throw invalidOperator("attribute_not_exists")
        case .attributeType: throw invalidOperator("attribute_type")
        case .contains: throw invalidOperator("contains")

        case .comparison(let a, let op, let b):
            let (name, position, values) = try keyOperand([a, b])
            try record(name, comparison(position == 0 ? op : flipped(op), values[0]), into: &found)

        case .between(let a, let low, let high):
            guard case .path = a else { throw keyNotFirst("BETWEEN") }
            let (name, _, values) = try keyOperand([a, low, high])
            try ExpressionSemantics.checkBetweenBounds(values[0], values[1], prefix: "Invalid KeyConditionExpression: ")
            try record(name, .between(values[0], values[1]), into: &found)

        case .beginsWith(let a, let b):
            guard case .path = a else { throw keyNotFirst("begins_with") }
            let (name, _, values) = try keyOperand([a, b])
            guard values[0].typeName == "S" || values[0].typeName == "B" else {
                throw DynamoDBError.validation(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: \(values[0].typeName)")
            }
            try record(name, .beginsWith(values[0]), into: &found)
        }
    }

    /// The one attribute among a condition's operands (its name and position) and the other
    /// operands, which must be constants.
    private static func keyOperand(_ operands: [Operand]) throws -> (String, Int, [AttributeValue]) {
        var name: String?
        var position = 0
        var values: [AttributeValue] = []
        for (i, operand) in operands.enumerated() {
            switch operand {
            case .path(let path):
                if name != nil {
                    throw DynamoDBError.validation("Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition")
                }
                if path.elements.count > 1 {
                    throw DynamoDBError.validation("KeyConditionExpressions cannot have conditions on nested attributes")
                }
                name = path.attribute
                position = i
            case .value(let value):
                values.append(value)
            case .size, .ifNotExists, .listAppend, .plus, .minus:
                throw DynamoDBError.validation("KeyConditionExpressions cannot contain nested operations")
            }
        }
        guard let name else {
            throw DynamoDBError.validation("Invalid condition in KeyConditionExpression: No key attribute specified")
        }
        return (name, position, values)
    }

    private static func record(_ name: String, _ condition: SortKeyCondition,
                               into found: inout [(name: String, condition: SortKeyCondition)]) throws {
        if found.contains(where: { $0.name == name }) {
            throw DynamoDBError.validation("KeyConditionExpressions must only contain one condition per key")
        }
        found.append((name, condition))
    }

    /// The comparison `attribute op value` (never `<>`, refused before).
    private static func comparison(_ op: ComparisonOperator, _ value: AttributeValue) -> SortKeyCondition {
        switch op {
        case .equal, .notEqual: return .equal(value)
        case .less: return .less(value)
        case .lessOrEqual: return .lessOrEqual(value)
        case .greater: return .greater(value)
        case .greaterOrEqual: return .greaterOrEqual(value)
        }
    }

    /// The operator with its operands swapped: `:v < k` is `k > :v`.
    private static func flipped(_ op: ComparisonOperator) -> ComparisonOperator {
        switch op {
        case .equal, .notEqual: return op
        case .less: return .greater
        case .lessOrEqual: return .greaterOrEqual
        case .greater: return .less
        case .greaterOrEqual: return .lessOrEqual
        }
    }

    private static func checkTypes(_ condition: SortKeyCondition, _ key: KeyAttribute) throws {
        let values: [AttributeValue]
        switch condition {
        case .equal(let v), .less(let v), .lessOrEqual(let v), .greater(let v), .greaterOrEqual(let v), .beginsWith(let v):
            values = [v]
        case .between(let low, let high):
            values = [low, high]
        }
        guard values.allSatisfy({ $0.typeName == key.type.rawValue }) else {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Condition parameter type does not match schema type")
        }
    }

    private static func invalidOperator(_ name: String) -> DynamoDBError {
        .validation("Invalid operator used in KeyConditionExpression: \(name)")
    }

    private static func keyNotFirst(_ name: String) -> DynamoDBError {
        .validation("Invalid condition in KeyConditionExpression: \(name) operator must have the key attribute as its first operand")
    }
}
