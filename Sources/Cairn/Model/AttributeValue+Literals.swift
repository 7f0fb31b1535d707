/// Literals for writing items in Swift: `["name": "widget", "count": 3, "tags": ["a", "b"]]`.
/// A string literal is S, an integer literal N, a boolean BOOL, an array L and a dictionary M.
/// NULL is `.null` and sets are `.ss`, `.ns` or `.bs`. There is deliberately no `nil` literal:
/// with one, `nil` in an expression typed `AttributeValue` silently became NULL instead of
/// "no value" (a bug it caused in key handling).
extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A string literal is an S value.
    public init(stringLiteral value: String) { self = .s(value) }

    /// An integer literal is an N value.
    public init(integerLiteral value: Int) {
        // Every Int has at most 19 digits, so it is always a valid DynamoDB number.
        self = .n(Number(exactly: value))
    }

    /// A boolean literal is a BOOL value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// An array literal is an L (list) value.
    public init(arrayLiteral elements: AttributeValue...) { self = .l(elements) }

    /// A dictionary literal is an M (map) value; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, AttributeValue)...) {
        self = .m(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension Number: ExpressibleByIntegerLiteral {
    /// The number equal to `value` (always representable: at most 19 digits).
    public init(exactly value: Int) {
        self.init(integer: value)
    }

    /// An integer literal is the number equal to it.
    public init(integerLiteral value: Int) { self.init(exactly: value) }
}
