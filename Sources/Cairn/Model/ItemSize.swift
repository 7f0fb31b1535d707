/// An item: attribute names to values.
public typealias Item = [String: AttributeValue]

/// Item sizes computed DynamoDB's way ("DynamoDB item sizes and formats" in its developer
/// guide), used for the 400 KB item limit.
public enum ItemSize {
    /// DynamoDB's maximum item size: 400 KB.
    public static let maxItemBytes = 400 * 1024

    /// Size of an item: for each attribute, its name's UTF-8 bytes plus its value's size.
    public static func of(_ item: Item) -> Int {
        item.reduce(0) { $0 + $1.key.utf8.count + of($1.value) }
    }

    /// Size of a value (without an attribute name):
    /// - S: UTF-8 bytes; B: raw bytes; N: 1 byte per two significant digits, plus 1;
    /// - BOOL and NULL: 1 byte;
    /// - sets: the sum of their elements;
    /// - M and L: 3 bytes, plus per element 1 byte and its size (and a map element's name).
    public static func of(_ value: AttributeValue) -> Int {
        switch value {
        case .s(let s): return s.utf8.count
        case .b(let b): return b.count
        case .n(let n): return numberBytes(n)
        case .bool, .null: return 1
        case .ss(let set): return set.reduce(0) { $0 + $1.utf8.count }
        case .ns(let set): return set.reduce(0) { $0 + numberBytes($1) }
        case .bs(let set): return set.reduce(0) { $0 + $1.count }
        case .l(let list): return 3 + list.reduce(0) { $0 + 1 + of($1) }
        case .m(let map): return 3 + map.reduce(0) { $0 + 1 + $1.key.utf8.count + of($1.value) }
        }
    }

    static func numberBytes(_ n: Number) -> Int { (n.significantDigitCount + 1) / 2 + 1 }

    /// Throws DynamoDB's `ValidationException` if `item` is larger than 400 KB.
    public static func validate(_ item: Item) throws {
        guard of(item) <= maxItemBytes else {
            throw DynamoDBError.validation("Item size has exceeded the maximum allowed size")
        }
    }
}
