import Foundation

/// A DynamoDB attribute value: one of the ten types, with DynamoDB's rules.
///
/// Sets keep the order they were given in (DynamoDB leaves set order unspecified) and never
/// hold duplicates or nothing; maps are keyed by attribute name. Numbers are exact
/// (`Number`); binary values are raw bytes (base64 only in JSON).
public enum AttributeValue: Sendable, Hashable {
    case s(String)
    case n(Number)
    case b([UInt8])
    case bool(Bool)
    case null
    case m([String: AttributeValue])
    case l([AttributeValue])
    case ss([String])
    case ns([Number])
    case bs([[UInt8]])

    /// The most levels of nested maps and lists DynamoDB accepts.
    public static let maxNestingDepth = 32

    /// DynamoDB's type descriptor: "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS".
    public var typeName: String {
        switch self {
        case .s: return "S"
        case .n: return "N"
        case .b: return "B"
        case .bool: return "BOOL"
        case .null: return "NULL"
        case .m: return "M"
        case .l: return "L"
        case .ss: return "SS"
        case .ns: return "NS"
        case .bs: return "BS"
        }
    }

    /// Checks the rules DynamoDB applies to every value in a request: sets non-empty and
    /// without duplicates, nesting at most 32 levels deep.
    ///
    /// - Throws: `ValidationException` with DynamoDB's message.
    public func validate() throws {
        try validate(depth: 0)
    }

    private func validate(depth: Int) throws {
        switch self {
        case .m(let map):
            guard depth < Self.maxNestingDepth else { throw Self.tooDeep }
            for value in map.values { try value.validate(depth: depth + 1) }
        case .l(let list):
            guard depth < Self.maxNestingDepth else { throw Self.tooDeep }
            for value in list { try value.validate(depth: depth + 1) }
        case .ss(let set):
            try Self.checkSet(set, kind: "string", show: { $0 })
        case .ns(let set):
            try Self.checkSet(set, kind: "number", show: { $0.description })
        case .bs(let set):
            try Self.checkSet(set, kind: "binary", show: { Data($0).base64EncodedString() })
        case .s, .n, .b, .bool, .null:
            break
        }
    }

    private static let tooDeep = DynamoDBError.validation("Nesting Levels have exceeded supported limits")

    private static func checkSet<T: Hashable>(_ set: [T], kind: String, show: (T) -> String) throws {
        guard !set.isEmpty else {
            throw DynamoDBError.validation("One or more parameter values were invalid: An \(kind) set  may not be empty")
        }
        if Set(set).count != set.count {
            throw DynamoDBError.validation(
                "One or more parameter values were invalid: Input collection [\(set.map(show).joined(separator: ", "))] contains duplicates.")
        }
    }
}

// MARK: - DynamoDB JSON

extension AttributeValue: Codable {
    private struct TypeKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let typeNames: Set<String> = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]

    /// Decodes DynamoDB's JSON form, e.g. `{"N": "1.5"}` or `{"M": {"a": {"S": "x"}}}`.
    /// Numbers are strings in that form and are parsed exactly; binary values are base64.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        let present = container.allKeys.filter { Self.typeNames.contains($0.stringValue) }
        guard !present.isEmpty else {
            throw DynamoDBError.validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
        guard present.count == 1, let key = present.first else {
            throw DynamoDBError.validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        }
        switch key.stringValue {
        case "S": self = .s(try container.decode(String.self, forKey: key))
        case "N": self = .n(try Number(parsing: try container.decode(String.self, forKey: key)))
        case "B": self = .b(try Self.base64(try container.decode(String.self, forKey: key)))
        case "BOOL": self = .bool(try container.decode(Bool.self, forKey: key))
        case "NULL":
            guard try container.decode(Bool.self, forKey: key) else {
                throw DynamoDBError.validation(
                    "One or more parameter values were invalid: Null attribute value types must have the value of true")
            }
            self = .null
        case "M": self = .m(try container.decode([String: AttributeValue].self, forKey: key))
        case "L": self = .l(try container.decode([AttributeValue].self, forKey: key))
        case "SS": self = .ss(try container.decode([String].self, forKey: key))
        case "NS": self = .ns(try container.decode([String].self, forKey: key).map { try Number(parsing: $0) })
        default: self = .bs(try container.decode([String].self, forKey: key).map { try Self.base64($0) })
        }
    }

    /// Encodes DynamoDB's JSON form.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        let key = TypeKey(typeName)
        switch self {
        case .s(let v): try container.encode(v, forKey: key)
        case .n(let v): try container.encode(v.description, forKey: key)
        case .b(let v): try container.encode(Data(v).base64EncodedString(), forKey: key)
        case .bool(let v): try container.encode(v, forKey: key)
        case .null: try container.encode(true, forKey: key)
        case .m(let v): try container.encode(v, forKey: key)
        case .l(let v): try container.encode(v, forKey: key)
        case .ss(let v): try container.encode(v, forKey: key)
        case .ns(let v): try container.encode(v.map(\.description), forKey: key)
        case .bs(let v): try container.encode(v.map { Data($0).base64EncodedString() }, forKey: key)
        }
    }

    /// Standard base64 as DynamoDB's JSON protocol carries binary values. A bad value is a
    /// `SerializationException`, as the protocol layer reports it (the length message is
    /// DynamoDB's; the other is ours).
    private static func base64(_ text: String) throws -> [UInt8] {
        guard text.utf8.count % 4 == 0 else {
            throw DynamoDBError(
                name: "SerializationException",
                message: "Base64 encoded length is expected a multiple of 4 bytes but found: \(text.utf8.count)")
        }
        guard let data = Data(base64Encoded: text) else {
            throw DynamoDBError(name: "SerializationException", message: "Invalid base64 value: \(text)")
        }
        return [UInt8](data)
    }
}
