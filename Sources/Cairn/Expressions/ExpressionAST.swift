/// The syntax trees of DynamoDB's expressions, after parsing and placeholder resolution.
///
/// `ExpressionParser` turns the text of a condition, filter, key condition, projection or
/// update expression into these types, replacing every `#name` by the attribute name it stands
/// for and every `:value` by its `AttributeValue`. The evaluator (`Condition+Evaluation.swift`,
/// `Projection+Apply.swift`, `UpdateExpression+Apply.swift`) and the key-condition analysis
/// (`KeyCondition.swift`) work on these trees only, never on text.

/// One step of a document path: an attribute (or map member) name, or a list index.
public enum PathElement: Hashable, Sendable {
    /// A top-level attribute or a member of a map, by its real name (placeholders resolved).
    case name(String)
    /// An element of a list, `[3]`.
    case index(Int)
}

/// A document path such as `a.b[3].c`: the first element is always a `.name`.
public struct DocumentPath: Hashable, Sendable, CustomStringConvertible {
    public var elements: [PathElement]

    public init(_ elements: [PathElement]) {
        self.elements = elements
    }

    /// A path to a top-level attribute.
    public init(attribute: String) {
        self.elements = [.name(attribute)]
    }

    /// The top-level attribute the path starts at.
    public var attribute: String {
        if case .name(let name)? = elements.first { return name }
        return ""
    }

    /// The path in DynamoDB's notation, names unquoted: `a.b[3].c`.
    public var description: String {
        var text = ""
        for element in elements {
            switch element {
            case .name(let name): text += text.isEmpty ? name : "." + name
            case .index(let i): text += "[\(i)]"
            }
        }
        return text
    }
}

/// A value-producing term of an expression.
public indirect enum Operand: Hashable, Sendable {
    /// The value at a document path of the item (absent if the path does not exist).
    case path(DocumentPath)
    /// A literal from ExpressionAttributeValues (a resolved `:placeholder`).
    case value(AttributeValue)
    /// `size(operand)`: a number, the length of a string, binary, set, list or map.
    case size(Operand)
    /// `if_not_exists(path, operand)`: only in SET actions of update expressions.
    case ifNotExists(DocumentPath, Operand)
    /// `list_append(a, b)`: only in SET actions of update expressions.
    case listAppend(Operand, Operand)
    /// `a + b`: only in SET actions of update expressions.
    case plus(Operand, Operand)
    /// `a - b`: only in SET actions of update expressions.
    case minus(Operand, Operand)
}

/// A comparison operator: `=`, `<>`, `<`, `<=`, `>`, `>=`.
public enum ComparisonOperator: String, Hashable, Sendable {
    case equal = "="
    case notEqual = "<>"
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// A condition, filter or key-condition expression: a boolean tree.
public indirect enum Condition: Hashable, Sendable {
    case comparison(Operand, ComparisonOperator, Operand)
    /// `a BETWEEN low AND high`.
    case between(Operand, Operand, Operand)
    /// `a IN (b, c, ...)`: 1 to 100 candidates.
    case isIn(Operand, [Operand])
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
    case attributeExists(DocumentPath)
    case attributeNotExists(DocumentPath)
    /// `attribute_type(path, :type)`: the second operand must be one of the ten type names.
    case attributeType(DocumentPath, Operand)
    case beginsWith(Operand, Operand)
    case contains(Operand, Operand)
}

/// A projection expression: the document paths to return, in the order given.
public struct Projection: Hashable, Sendable {
    public var paths: [DocumentPath]

    public init(paths: [DocumentPath]) {
        self.paths = paths
    }
}

/// One action of an update expression.
public enum UpdateAction: Hashable, Sendable {
    /// `SET path = operand`.
    case set(DocumentPath, Operand)
    /// `REMOVE path` (a list element shifts the later elements down).
    case remove(DocumentPath)
    /// `ADD path :value`: add to a number or union into a set (creating either if absent).
    case add(DocumentPath, AttributeValue)
    /// `DELETE path :value`: remove elements from a set (the attribute goes if it empties).
    case delete(DocumentPath, AttributeValue)

    /// The path the action writes.
    public var path: DocumentPath {
        switch self {
        case .set(let p, _), .remove(let p), .add(let p, _), .delete(let p, _): return p
        }
    }
}

/// An update expression: its actions in the order written (SET, REMOVE, ADD and DELETE
/// clauses may come in any order, each at most once).
public struct UpdateExpression: Hashable, Sendable {
    public var actions: [UpdateAction]

    public init(actions: [UpdateAction]) {
        self.actions = actions
    }

    /// The paths the expression writes, in action order.
    public var updatedPaths: [DocumentPath] { actions.map(\.path) }
}

/// The condition on the sort key of a Query.
public enum SortKeyCondition: Hashable, Sendable {
    case equal(AttributeValue)
    case less(AttributeValue)
    case lessOrEqual(AttributeValue)
    case greater(AttributeValue)
    case greaterOrEqual(AttributeValue)
    case between(AttributeValue, AttributeValue)
    case beginsWith(AttributeValue)
}

/// A Query's key condition, checked against the table's key schema: the partition key's value
/// and an optional condition on the sort key.
public struct KeyCondition: Hashable, Sendable {
    public var partitionKeyValue: AttributeValue
    public var sortKey: SortKeyCondition?

    public init(partitionKeyValue: AttributeValue, sortKey: SortKeyCondition?) {
        self.partitionKeyValue = partitionKeyValue
        self.sortKey = sortKey
    }
}
