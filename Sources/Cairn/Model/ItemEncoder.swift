import Foundation

/// Encodes `Encodable` Swift values as DynamoDB items and attribute values.
///
/// ```swift
/// struct Order: Codable { var id: String; var total: Decimal; var tags: Set<String>; var note: String? }
/// let item = try ItemEncoder().encode(Order(id: "o1", total: 12.5, tags: ["new"], note: nil))
/// // id: S "o1", total: N 12.5, tags: SS ["new"]; the nil `note` is left out
/// ```
///
/// The mapping:
///
/// | Swift                                   | DynamoDB                                                    |
/// |-----------------------------------------|-------------------------------------------------------------|
/// | `String`, enums with `String` raw value | S                                                           |
/// | `Int`, `Int8`…`Int128`, `UInt`…`UInt128`| N, exact (an `Int128` beyond 38 significant digits throws)  |
/// | `Double`, `Float`                       | N, the shortest decimal that reads back to the same value   |
/// | `Decimal`                               | N, exact                                                    |
/// | `Number`                                | N, as is                                                    |
/// | `Bool`                                  | BOOL                                                        |
/// | `Data`                                  | B                                                           |
/// | `[UInt8]`                               | L of N (it is an array; use `Data` for binary)              |
/// | `Date`                                  | per `dateEncodingStrategy` (default: S, ISO 8601, UTC, ms)  |
/// | `URL`                                   | S, its `absoluteString`                                     |
/// | `Set` of S, N or B values               | SS, NS or BS (elements sorted); other sets: L               |
/// | empty `Set`                             | attribute left out (in a list: an empty L)                  |
/// | arrays                                  | L                                                           |
/// | `[String: T]`, structs, classes, enums  | M                                                           |
/// | `nil` optional property                 | attribute left out                                          |
/// | explicit `encodeNil`, `nil` in an array | NULL                                                        |
/// | `AttributeValue`                        | as is                                                       |
///
/// Numbers must fit DynamoDB's range (38 significant digits, magnitudes 1E-130 to below
/// 1E+126): a `Double` of 1e300 or 5e-324, NaN or infinity throws `EncodingError.invalidValue`
/// with the coding path of the offending value.
///
/// Differences from Soto's `DynamoDBEncoder`: Soto turns every array whose first element is a
/// string, number or binary into SS, NS or BS (losing order, dropping elements of other types,
/// and failing on duplicates); here only a Swift `Set` becomes a DynamoDB set and arrays are always L. Soto
/// leaves `Date` to its own `Codable` (N, seconds since 2001); here that is
/// `.deferredToDate` and the default is ISO 8601 text, as the AWS SDKs' object mappers do.
/// Soto encodes `URL` and `Decimal` through their `Codable` (a map); here they are S and N.
public struct ItemEncoder: Sendable {
    /// How `Date` values are encoded.
    public enum DateEncodingStrategy: Sendable {
        /// S: ISO 8601 in UTC with milliseconds, `2024-05-01T12:30:00.250Z`. Fixed width, so
        /// string order is time order (usable in sort keys). Years 0000–9999 only; the
        /// date is rounded to the nearest millisecond. The default.
        case iso8601
        /// N: seconds since 1970-01-01T00:00:00Z, with a fraction when there is one
        /// (DynamoDB's time-to-live attributes use whole seconds in this form).
        case secondsSince1970
        /// N: milliseconds since 1970-01-01T00:00:00Z, with a fraction when there is one.
        case millisecondsSince1970
        /// Whatever `Date`'s own `Codable` conformance does: N, seconds since 2001-01-01
        /// (what Soto's `DynamoDBEncoder` writes).
        case deferredToDate
        /// A function of your own.
        case custom(@Sendable (Date) throws -> AttributeValue)
    }

    /// How `Date` values are encoded; `.iso8601` unless set.
    public var dateEncodingStrategy: DateEncodingStrategy = .iso8601

    /// Values handed to the `encode(to:)` methods in `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// An encoder with the default strategies.
    public init() {}

    /// Encodes `value` as an item: it must encode as a map (a struct, class, dictionary or
    /// enum with associated values), and the result passes `AttributeValue.validate()`.
    ///
    /// - Throws: `EncodingError.invalidValue` when the value does not encode as a map, when
    ///   a number is out of DynamoDB's range or not finite, when a date cannot be written
    ///   with the chosen strategy, or when maps and lists nest more than 32 levels deep.
    public func encode<T: Encodable>(_ value: T) throws -> Item {
        let encoded = try encodeValue(value)
        guard case .m(let item) = encoded else {
            throw EncodingError.invalidValue(
                value,
                .init(
                    codingPath: [],
                    debugDescription:
                        "An item must encode as a map (M), but \(T.self) encoded as \(encoded.typeName); encode a struct, class or dictionary"
                ))
        }
        do {
            try encoded.validate()
        } catch {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "The encoded item is not a valid DynamoDB item: \(error)", underlyingError: error))
        }
        return item
    }

    /// Encodes `value` as a single attribute value of any type (S for a `String`, L for an
    /// array, M for a struct, …). An empty `Set` gives an empty L.
    ///
    /// - Throws: `EncodingError.invalidValue` as for `encode(_:)`, except that any type of
    ///   result is accepted and nesting depth is not checked.
    public func encodeValue<T: Encodable>(_ value: T) throws -> AttributeValue {
        let context = EncodingContext(dateStrategy: dateEncodingStrategy, userInfo: userInfo)
        return try context.box(value, codingPath: []).resolved() ?? .l([])
    }
}

// MARK: - Encoding values

/// The options of one `encode` call, shared by every encoder and container it creates.
struct EncodingContext {
    let dateStrategy: ItemEncoder.DateEncodingStrategy
    let userInfo: [CodingUserInfoKey: any Sendable]

    /// Encodes one value: the types DynamoDB stores natively directly, anything else through
    /// its `encode(to:)`.
    func box<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> EncodedNode {
        switch value {
        case let v as String: return .value(.s(v))
        case let v as Int: return .value(.n(Number(exactly: v)))
        case let v as Double: return .value(.n(try number(v, codingPath: codingPath)))
        case let v as Bool: return .value(.bool(v))
        case let v as AttributeValue: return .value(v)
        case let v as Number: return .value(.n(v))
        case let v as Data: return .value(.b([UInt8](v)))
        case let v as Date: return try date(v, codingPath: codingPath)
        case let v as URL: return .value(.s(v.absoluteString))
        case let v as Decimal: return .value(.n(try number(v, codingPath: codingPath)))
        case let v as any EncodableItemSet: return try v.encodeItemSet(in: self, codingPath: codingPath)
        default:
            let encoder = ValueEncoder(context: self, codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.node ?? .value(.m([:]))
        }
    }

    func number<I: FixedWidthInteger>(_ value: I, codingPath: [any CodingKey]) throws -> Number {
        try parse(String(value), for: value, codingPath: codingPath)
    }

    func number<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, codingPath: [any CodingKey]) throws -> Number {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "\(F.self) \(value) cannot be stored: DynamoDB numbers are finite"))
        }
        // `description` is the shortest decimal that reads back as the same value ("0.1",
        // "1e-07"), which is valid DynamoDB number syntax.
        return try parse(value.description, for: value, codingPath: codingPath)
    }

    func number(_ value: Decimal, codingPath: [any CodingKey]) throws -> Number {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "Decimal \(value) cannot be stored: DynamoDB numbers are finite"))
        }
        return try parse(value.description, for: value, codingPath: codingPath)
    }

    private func parse(_ text: String, for value: Any, codingPath: [any CodingKey]) throws -> Number {
        do {
            return try Number(parsing: text)
        } catch {
            let reason = (error as? DynamoDBError)?.message ?? "\(error)"
            throw EncodingError.invalidValue(
                value,
                .init(codingPath: codingPath, debugDescription: "\(type(of: value)) \(text) is not a valid DynamoDB number: \(reason)",
                      underlyingError: error))
        }
    }

    func date(_ value: Date, codingPath: [any CodingKey]) throws -> EncodedNode {
        switch dateStrategy {
        case .iso8601:
            guard let text = ISO8601Millis.format(value) else {
                throw EncodingError.invalidValue(
                    value,
                    .init(codingPath: codingPath,
                          debugDescription: "Date \(value.timeIntervalSince1970) s after 1970 is outside years 0000-9999, which ISO 8601 dates cover"))
            }
            return .value(.s(text))
        case .secondsSince1970:
            return .value(.n(try number(value.timeIntervalSince1970, codingPath: codingPath)))
        case .millisecondsSince1970:
            return .value(.n(try number(value.timeIntervalSince1970 * 1000, codingPath: codingPath)))
        case .deferredToDate:
            let encoder = ValueEncoder(context: self, codingPath: codingPath)
            try value.encode(to: encoder)
            return encoder.node ?? .value(.m([:]))
        case .custom(let function):
            return .value(try function(value))
        }
    }
}

// MARK: - Sets

/// A `Set` whose elements are `Encodable`: encoded as SS, NS or BS when every element is a
/// string, number or binary, as L otherwise. An empty set is left out of its map.
protocol EncodableItemSet {
    func encodeItemSet(in context: EncodingContext, codingPath: [any CodingKey]) throws -> EncodedNode
}

extension Set: EncodableItemSet where Element: Encodable {
    func encodeItemSet(in context: EncodingContext, codingPath: [any CodingKey]) throws -> EncodedNode {
        if isEmpty { return .omitted }
        var elements: [AttributeValue] = []
        elements.reserveCapacity(count)
        for (index, element) in enumerated() {
            let path = codingPath + [ItemCodingKey(index: index)]
            elements.append(try context.box(element, codingPath: path).resolved() ?? .l([]))
        }
        return .value(Self.dynamoDBSet(elements))
    }

    /// SS, NS or BS (sorted, duplicates removed) if every element has that scalar type.
    static func dynamoDBSet(_ elements: [AttributeValue]) -> AttributeValue {
        let strings = elements.compactMap { if case .s(let v) = $0 { v } else { nil } }
        if strings.count == elements.count {
            return .ss(Array(Swift.Set(strings)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        }
        let numbers = elements.compactMap { if case .n(let v) = $0 { v } else { nil } }
        if numbers.count == elements.count {
            return .ns(Array(Swift.Set(numbers)).sorted())
        }
        let binaries = elements.compactMap { if case .b(let v) = $0 { v } else { nil } }
        if binaries.count == elements.count {
            return .bs(Array(Swift.Set(binaries)).sorted { $0.lexicographicallyPrecedes($1) })
        }
        return .l(elements)
    }
}
