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
    /// The steps from the item down to the value, first to last.
    public var elements: [PathElement]

    /// A path of these steps (the first should be a `.name`; a path that is not resolves to
    /// nothing).
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
    /// `=`: same type and value (sets in any order, numbers numerically).
    case equal = "="
    /// `<>`: not `=`; also true when either side is missing.
    case notEqual = "<>"
    /// `<`: between two S, two N or two B values only.
    case less = "<"
    /// `<=`: between two S, two N or two B values only.
    case lessOrEqual = "<="
    /// `>`: between two S, two N or two B values only.
    case greater = ">"
    /// `>=`: between two S, two N or two B values only.
    case greaterOrEqual = ">="
}

/// A condition, filter or key-condition expression: a boolean tree.
public indirect enum Condition: Hashable, Sendable {
    /// `a op b`.
    case comparison(Operand, ComparisonOperator, Operand)
    /// `a BETWEEN low AND high`.
    case between(Operand, Operand, Operand)
    /// `a IN (b, c, ...)`: 1 to 100 candidates.
    case isIn(Operand, [Operand])
    /// `a AND b`.
    case and(Condition, Condition)
    /// `a OR b`.
    case or(Condition, Condition)
    /// `NOT a`.
    case not(Condition)
    /// `attribute_exists(path)`.
    case attributeExists(DocumentPath)
    /// `attribute_not_exists(path)`.
    case attributeNotExists(DocumentPath)
    /// `attribute_type(path, :type)`: the second operand must be one of the ten type names.
    case attributeType(DocumentPath, Operand)
    /// `begins_with(a, prefix)`: a string or binary prefix.
    case beginsWith(Operand, Operand)
    /// `contains(a, b)`: a substring, a set element or a list element.
    case contains(Operand, Operand)
}

/// A projection expression: the document paths to return, in the order given.
public struct Projection: Hashable, Sendable {
    /// The paths, in the order of the expression.
    public var paths: [DocumentPath]

    /// A projection of these paths.
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
    /// The actions, in the order of the expression.
    public var actions: [UpdateAction]

    /// An update expression of these actions.
    public init(actions: [UpdateAction]) {
        self.actions = actions
    }

    /// The paths the expression writes, in action order.
    public var updatedPaths: [DocumentPath] { actions.map(\.path) }
}

/// The condition on the sort key of a Query.
public enum SortKeyCondition: Hashable, Sendable {
    /// `sk = v`.
    case equal(AttributeValue)
    /// `sk < v`.
    case less(AttributeValue)
    /// `sk <= v`.
    case lessOrEqual(AttributeValue)
    /// `sk > v`.
    case greater(AttributeValue)
    /// `sk >= v`.
    case greaterOrEqual(AttributeValue)
    /// `sk BETWEEN low AND high` (both inclusive).
    case between(AttributeValue, AttributeValue)
    /// `begins_with(sk, prefix)` (S or B sort keys).
    case beginsWith(AttributeValue)
}

/// A Query's key condition, checked against the table's key schema: the partition key's value
/// and an optional condition on the sort key.
public struct KeyCondition: Hashable, Sendable {
    /// The partition key's value (`pk = :v`).
    public var partitionKeyValue: AttributeValue
    /// The condition on the sort key, if any.
    public var sortKey: SortKeyCondition?

    /// A key condition of these parts, unchecked (`init(_:partitionKey:sortKey:)` checks a
    /// parsed expression against the key schema).
    public init(partitionKeyValue: AttributeValue, sortKey: SortKeyCondition?) {
        self.partitionKeyValue = partitionKeyValue
        self.sortKey = sortKey
    }
}
