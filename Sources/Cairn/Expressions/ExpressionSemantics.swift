import Foundation

/// How expressions compare and inspect values, by DynamoDB's rules rather than Swift's:
///
/// - strings compare by their UTF-8 bytes (Swift's `==` on `String` uses canonical
///   equivalence, which DynamoDB does not), binary values by unsigned bytes, numbers
///   numerically;
/// - sets are equal when they hold the same elements in any order; lists element by element;
///   maps member by member (nested sets again in any order);
/// - only two S, two N or two B values are ordered; any other pair is unordered.
enum ExpressionSemantics {
    /// DynamoDB's equality: same type and same value (sets in any order).
    static func equal(_ a: AttributeValue, _ b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.s(let x), .s(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.n(let x), .n(let y)): return x == y
        case (.b(let x), .b(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.ss(let x), .ss(let y)):
            guard x.count == y.count else { return false }
            let members = Set(y.map { Array($0.utf8) })
            return x.allSatisfy { members.contains(Array($0.utf8)) }
        case (.ns(let x), .ns(let y)):
            // Numbers are normalized, so `Hashable` is numeric equality.
            return x.count == y.count && Set(x) == Set(y)
        case (.bs(let x), .bs(let y)):
            return x.count == y.count && Set(x) == Set(y)
        case (.l(let x), .l(let y)):
            guard x.count == y.count else { return false }
            for (u, v) in zip(x, y) where !equal(u, v) { return false }
            return true
        case (.m(let x), .m(let y)):
            guard x.count == y.count else { return false }
            for (key, u) in x {
                guard let v = y[key], equal(u, v) else { return false }
            }
            return true
        default:
            return false
        }
    }

    /// -1, 0 or 1 for two values of the same ordered type (S, N or B); nil for any other pair.
    static func compare(_ a: AttributeValue, _ b: AttributeValue) -> Int? {
        switch (a, b) {
        case (.n(let x), .n(let y)): return Number.compare(x, y)
        case (.s(let x), .s(let y)): return compareBytes(x.utf8, y.utf8)
        case (.b(let x), .b(let y)): return compareBytes(x, y)
        default: return nil
        }
    }

    /// Lexicographic order of unsigned bytes: -1, 0 or 1.
    static func compareBytes<A: Sequence<UInt8>, B: Sequence<UInt8>>(_ a: A, _ b: B) -> Int {
        var i = a.makeIterator(), j = b.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?):
                if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    /// `begins_with`: a string prefix of a string (by UTF-8 bytes) or a binary prefix of a
    /// binary value; false for any other pair.
    static func beginsWith(_ value: AttributeValue, _ prefix: AttributeValue) -> Bool {
        switch (value, prefix) {
        case (.s(let x), .s(let y)): return x.utf8.starts(with: y.utf8)
        case (.b(let x), .b(let y)): return x.starts(with: y)
        default: return false
        }
    }

    /// `contains`: a substring of a string, a byte run of a binary value, an element of a set
    /// of the matching type, or an element of a list (compared by value); false otherwise.
    static func contains(_ container: AttributeValue, _ operand: AttributeValue) -> Bool {
        switch (container, operand) {
        case (.s(let x), .s(let y)): return occurs(Array(y.utf8), in: Array(x.utf8))
        case (.b(let x), .b(let y)): return occurs(y, in: x)
        case (.ss(let set), .s(let y)): return set.contains { $0.utf8.elementsEqual(y.utf8) }
        case (.ns(let set), .n(let y)): return set.contains(y)
        case (.bs(let set), .b(let y)): return set.contains(y)
        case (.l(let list), _): return list.contains { equal($0, operand) }
        default: return false
        }
    }

    /// Whether `needle` occurs as a contiguous run in `haystack` (an empty needle always does).
    static func occurs(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        var start = 0
        let last = haystack.count - needle.count
        while start <= last {
            if haystack[start] == first, haystack[start..<(start + needle.count)].elementsEqual(needle) {
                return true
            }
            start += 1
        }
        return false
    }

    /// `size()`: the length of a string in UTF-16 code units (as DynamoDB, a Java service,
    /// counts it), of a binary value in bytes, the element count of a set or list, the member
    /// count of a map; nil (no value) for a number, boolean or null.
    static func size(_ value: AttributeValue) -> Int? {
        switch value {
        case .s(let s): return s.utf16.count
        case .b(let b): return b.count
        case .ss(let set): return set.count
        case .ns(let set): return set.count
        case .bs(let set): return set.count
        case .l(let list): return list.count
        case .m(let map): return map.count
        case .n, .bool, .null: return nil
        }
    }

    /// The ten type names `attribute_type` accepts.
    static let typeNames: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]

    // MARK: Messages shared by the evaluators (DynamoDB's wording, as the parser reports them)

    /// "Incorrect operand type for operator or function; ..." for a constant of a type the
    /// operator or function does not take.
    static func incorrectOperandType(_ function: String, _ value: AttributeValue) -> DynamoDBError {
        .validation("Incorrect operand type for operator or function; operator or function: \(function), operand type: \(value.typeName)")
    }

    /// A BETWEEN bound as DynamoDB prints it in its messages: `AttributeValue: {N:1}`
    /// (binary in base64, which is our choice: DynamoDB's rendering of binary bounds is not
    /// documented).
    static func describeBound(_ value: AttributeValue) -> String {
        switch value {
        case .s(let s): return "AttributeValue: {S:\(s)}"
        case .n(let n): return "AttributeValue: {N:\(n.description)}"
        case .b(let b): return "AttributeValue: {B:\(Data(b).base64EncodedString())}"
        default: return "AttributeValue: {\(value.typeName)}"
        }
    }

    /// DynamoDB's checks of two constant BETWEEN bounds: same type, lower not above upper.
    /// `prefix` starts the message (such as "Invalid KeyConditionExpression: "), or is empty.
    static func checkBetweenBounds(_ lower: AttributeValue, _ upper: AttributeValue, prefix: String = "") throws {
        let bounds = "lower bound operand: \(describeBound(lower)), upper bound operand: \(describeBound(upper))"
        guard lower.typeName == upper.typeName else {
            throw DynamoDBError.validation(
                "\(prefix)The BETWEEN operator requires same data type for lower and upper bounds; \(bounds)")
        }
        if let order = compare(lower, upper), order > 0 {
            throw DynamoDBError.validation(
                "\(prefix)The BETWEEN operator requires upper bound to be greater than or equal to lower bound; \(bounds)")
        }
    }
}

extension AttributeValue {
    /// DynamoDB's name of this value's type in operand-type messages ("STRING", "NUMBER_SET",
    /// ...), as the ADD and DELETE checks of the parser and the evaluator report it.
    var operandTypeWord: String {
        switch self {
        case .s: return "STRING"
        case .n: return "NUMBER"
        case .b: return "BINARY"
        case .bool: return "BOOLEAN"
        case .null: return "NULL"
        case .m: return "MAP"
        case .l: return "LIST"
        case .ss: return "STRING_SET"
        case .ns: return "NUMBER_SET"
        case .bs: return "BINARY_SET"
        }
    }
}
