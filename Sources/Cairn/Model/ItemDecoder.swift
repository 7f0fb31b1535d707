import Foundation

/// Decodes `Decodable` Swift values from DynamoDB items and attribute values: the reverse of
/// `ItemEncoder`, whose documentation has the mapping.
///
/// ```swift
/// let order = try ItemDecoder().decode(Order.self, from: item)
/// ```
///
/// Decoding is strict about types and exact about numbers, and never traps on any input:
///
/// - an N decodes into an integer type only if it is a whole number within the type's range
///   (`1.5` into `Int`, `300` into `UInt8` and `-1` into `UInt` throw
///   `DecodingError.dataCorrupted`); into `Decimal` only if `Decimal` holds it exactly; into
///   `Double` or `Float` rounded to the nearest value (a magnitude beyond `Float`'s range throws);
/// - a value of the wrong type throws `DecodingError.typeMismatch`, and NULL where a value is
///   required throws `DecodingError.valueNotFound`, each with the coding path and both types
///   in its description (`Expected N (number) for Int at orders[2].count but found S`);
/// - a missing attribute throws `DecodingError.keyNotFound`, except for a `Set` property,
///   which decodes as the empty set (the encoder leaves empty sets out, as DynamoDB does when
///   a set loses its last element);
/// - an optional property decodes as nil when its attribute is absent or NULL;
/// - arrays and sets decode from L and from SS, NS and BS alike (so items written by Soto,
///   which stores string arrays as SS, still decode into arrays);
/// - attributes the type does not ask for are ignored;
/// - an `AttributeValue` property receives the attribute as it is, and a `Number` property any N.
public struct ItemDecoder: Sendable {
    /// How `Date` values are decoded; each reads what the `ItemEncoder` strategy of the same
    /// name writes.
    public enum DateDecodingStrategy: Sendable {
        /// S in ISO 8601: `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`.
        /// The default.
        case iso8601
        /// N: seconds since 1970-01-01T00:00:00Z.
        case secondsSince1970
        /// N: milliseconds since 1970-01-01T00:00:00Z.
        case millisecondsSince1970
        /// `Date`'s own `Codable` conformance: N, seconds since 2001-01-01.
        case deferredToDate
        /// A function of your own.
        case custom(@Sendable (AttributeValue) throws -> Date)
    }

    /// How `Date` values are decoded; `.iso8601` unless set.
    public var dateDecodingStrategy: DateDecodingStrategy = .iso8601

    /// Values handed to the `init(from:)` initializers in `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// A decoder with the default strategies.
    public init() {}

    /// Decodes a value of `type` from an item (a map of attributes).
    ///
    /// - Throws: `DecodingError` describing the first attribute that does not fit, with its
    ///   coding path.
    public func decode<T: Decodable>(_ type: T.Type, from item: Item) throws -> T {
        try decode(type, from: .m(item))
    }

    /// Decodes a value of `type` from one attribute value of any DynamoDB type.
    ///
    /// - Throws: `DecodingError` describing the first value that does not fit, with its
    ///   coding path.
    public func decode<T: Decodable>(_ type: T.Type, from value: AttributeValue) throws -> T {
        try DecodingContext(dateStrategy: dateDecodingStrategy, userInfo: userInfo).unbox(value, as: type, codingPath: [])
    }
}

// MARK: - Decoding values

/// The options of one `decode` call, shared by every decoder and container it creates.
struct DecodingContext {
    let dateStrategy: ItemDecoder.DateDecodingStrategy
    let userInfo: [CodingUserInfoKey: any Sendable]

    /// Decodes one value: the types DynamoDB stores natively directly, anything else through
    /// its `init(from:)`.
    func unbox<T: Decodable>(_ value: AttributeValue, as type: T.Type, codingPath: [any CodingKey]) throws -> T {
        if T.self == AttributeValue.self { return try cast(value, codingPath) }
        if T.self == String.self { return try cast(string(value, codingPath), codingPath) }
        if T.self == Int.self { return try cast(integer(value, as: Int.self, codingPath), codingPath) }
        if T.self == Double.self { return try cast(float(value, as: Double.self, codingPath), codingPath) }
        if T.self == Bool.self { return try cast(bool(value, codingPath), codingPath) }
        if T.self == Number.self {
            guard case .n(let number) = value else { throw mismatch("N (number)", T.self, value, codingPath) }
            return try cast(number, codingPath)
        }
        if T.self == Data.self {
            guard case .b(let bytes) = value else { throw mismatch("B (binary)", T.self, value, codingPath) }
            return try cast(Data(bytes), codingPath)
        }
        if T.self == Date.self { return try cast(date(value, codingPath), codingPath) }
        if T.self == URL.self {
            let text = try string(value, codingPath)
            guard let url = URL(string: text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\"\(text)\" at \(describeCodingPath(codingPath)) is not a valid URL"))
            }
            return try cast(url, codingPath)
        }
        if T.self == Decimal.self { return try cast(decimal(value, codingPath), codingPath) }
        return try T(from: ValueDecoder(value: value, context: self, codingPath: codingPath))
    }

    /// `value` as `T` when the caller has already checked that `T` is `U`.
    private func cast<U, T>(_ value: U, _ codingPath: [any CodingKey]) throws -> T {
        guard let result = value as? T else {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "Internal error: \(U.self) is not \(T.self)"))
        }
        return result
    }

    /// The error for a value of the wrong DynamoDB type: `valueNotFound` for NULL,
    /// `typeMismatch` otherwise.
    func mismatch(_ expected: String, _ type: Any.Type, _ value: AttributeValue, _ codingPath: [any CodingKey]) -> DecodingError {
        let context = DecodingError.Context(
            codingPath: codingPath,
            debugDescription: "Expected \(expected) for \(type) at \(describeCodingPath(codingPath)) but found \(value.typeName)")
        if case .null = value { return .valueNotFound(type, context) }
        return .typeMismatch(type, context)
    }

    func string(_ value: AttributeValue, _ codingPath: [any CodingKey]) throws -> String {
        guard case .s(let text) = value else { throw mismatch("S (string)", String.self, value, codingPath) }
        return text
    }

    func bool(_ value: AttributeValue, _ codingPath: [any CodingKey]) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch("BOOL", Bool.self, value, codingPath) }
        return flag
    }

    /// A whole number within `I`'s range, exactly.
    func integer<I: FixedWidthInteger>(_ value: AttributeValue, as type: I.Type, _ codingPath: [any CodingKey]) throws -> I {
        guard case .n(let number) = value else { throw mismatch("N (number)", I.self, value, codingPath) }
        if number.isZero { return 0 }
        guard number.exponent >= number.significantDigitCount else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath,
                      debugDescription: "Number \(number) at \(describeCodingPath(codingPath)) is not a whole number, so it cannot be decoded as \(I.self)"))
        }
        // Numbers of more than 40 digits fit no integer type; skip building their text.
        guard number.exponent <= 40, let result = I(number.description) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath,
                      debugDescription: "Number \(number) at \(describeCodingPath(codingPath)) does not fit in \(I.self) (\(I.min)...\(I.max))"))
        }
        return result
    }

    /// The nearest `F`; a magnitude beyond `F`'s range throws.
    func float<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: AttributeValue, as type: F.Type, _ codingPath: [any CodingKey])
        throws -> F
    {
        guard case .n(let number) = value else { throw mismatch("N (number)", F.self, value, codingPath) }
        guard let result = F(number.description), result.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "Number \(number) at \(describeCodingPath(codingPath)) is out of range for \(F.self)"))
        }
        return result
    }

    /// The `Decimal` equal to the number; numbers `Decimal` cannot hold exactly throw.
    func decimal(_ value: AttributeValue, _ codingPath: [any CodingKey]) throws -> Decimal {
        guard case .n(let number) = value else { throw mismatch("N (number)", Decimal.self, value, codingPath) }
        guard let result = Decimal(string: number.description), result.isFinite,
            (try? Number(parsing: result.description)) == number
        else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath,
                      debugDescription: "Number \(number) at \(describeCodingPath(codingPath)) cannot be represented exactly as Decimal"))
        }
        return result
    }

    func date(_ value: AttributeValue, _ codingPath: [any CodingKey]) throws -> Date {
        switch dateStrategy {
        case .iso8601:
            guard case .s(let text) = value else { throw mismatch("S (an ISO 8601 date)", Date.self, value, codingPath) }
            guard let date = ISO8601Millis.parse(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\"\(text)\" at \(describeCodingPath(codingPath)) is not an ISO 8601 date"))
            }
            return date
        case .secondsSince1970:
            return Date(timeIntervalSince1970: try float(value, as: Double.self, codingPath))
        case .millisecondsSince1970:
            return Date(timeIntervalSince1970: try float(value, as: Double.self, codingPath) / 1000)
        case .deferredToDate:
            return try Date(from: ValueDecoder(value: value, context: self, codingPath: codingPath))
        case .custom(let function):
            return try function(value)
        }
    }

    /// The elements of an L, or of an SS, NS or BS as S, N and B values.
    func elements(_ value: AttributeValue, _ codingPath: [any CodingKey]) throws -> [AttributeValue] {
        switch value {
        case .l(let list): return list
        case .ss(let set): return set.map { .s($0) }
        case .ns(let set): return set.map { .n($0) }
        case .bs(let set): return set.map { .b($0) }
        default: throw mismatch("L (list) or a set", [Any].self, value, codingPath)
        }
    }
}

// MARK: - Sets

/// A `Set` whose elements are `Decodable`: when its attribute is absent or NULL it decodes as
/// the empty set, since the encoder leaves empty sets out.
protocol DecodableItemSet {
    static var emptyItemSet: Self { get }
}

extension Set: DecodableItemSet where Element: Decodable {
    static var emptyItemSet: Set<Element> { [] }
}
