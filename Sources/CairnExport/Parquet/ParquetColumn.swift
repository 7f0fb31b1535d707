/// A top-level column of a Parquet file that `ParquetFileWriter` writes: a primitive column
/// (one leaf), or a LIST, MAP or struct (a group) with one leaf per primitive inside it.
public struct ParquetColumn: Sendable, Equatable {
    /// What the column holds, and so its physical and logical type.
    public enum Kind: Sendable, Equatable {
        /// BOOLEAN.
        case boolean
        /// INT32.
        case int32
        /// INT64.
        case int64
        /// INT64 annotated TIMESTAMP(UTC, MICROS): microseconds since 1970 (`.int64` values).
        case timestampMicros
        /// DOUBLE.
        case double
        /// BYTE_ARRAY annotated STRING (UTF-8).
        case string
        /// UTF-8 JSON text: BYTE_ARRAY annotated STRING (Polars reads the JSON annotation as
        /// binary, so it is not used).
        case json
        /// BYTE_ARRAY without annotation.
        case binary
        /// FIXED_LEN_BYTE_ARRAY(16) annotated DECIMAL(precision, scale): the unscaled value,
        /// two's complement big-endian. `precision` is at most 38.
        case decimal(precision: Int, scale: Int)
        /// A LIST of non-null elements of another kind, in Parquet's three-level form:
        /// `<name> (LIST) { repeated group list { required <element> element } }`.
        indirect case list(Kind)
        /// A struct: a Parquet group of child columns (at least one, names unique), each with
        /// its own name, kind and optionality: `<name> { <child> ... }`.
        indirect case group([ParquetColumn])
        /// A MAP from non-null keys of a primitive kind to values of any kind, in Parquet's
        /// form: `<name> (MAP) { repeated group key_value { required <key> key;
        /// <optional|required> <value> value } }`. A map's keys are unique.
        indirect case map(key: Kind, value: Kind, valueOptional: Bool)

        /// The kind as the export manifest names it: `string`, `decimal(38,2)`, `list<string>`,
        /// `struct<a:int64,b:string>`, `map<string,string>`.
        public var name: String {
            switch self {
            case .boolean: return "boolean"
            case .int32: return "int32"
            case .int64: return "int64"
            case .timestampMicros: return "timestamp(us,UTC)"
            case .double: return "double"
            case .string: return "string"
            case .json: return "json"
            case .binary: return "binary"
            case .decimal(let precision, let scale): return "decimal(\(precision),\(scale))"
            case .list(let element): return "list<\(element.name)>"
            case .group(let children): return "struct<" + children.map { "\($0.name):\($0.kind.name)" }.joined(separator: ",") + ">"
            case .map(let key, let value, _): return "map<\(key.name),\(value.name)>"
            }
        }

        /// Whether the kind is one leaf value (not a list, map or group).
        var isPrimitive: Bool {
            switch self {
            case .list, .group, .map: return false
            default: return true
            }
        }
    }

    public var name: String
    public var kind: Kind
    /// OPTIONAL (may hold nulls) rather than REQUIRED.
    public var isOptional: Bool

    public init(_ name: String, _ kind: Kind, optional: Bool = true) {
        self.name = name
        self.kind = kind
        self.isOptional = optional
    }

    /// The physical type of a primitive kind's values (a list's: its element's; never asked of a
    /// group or map, whose leaves are primitives).
    static func physicalType(of kind: Kind) -> Parquet.PhysicalType {
        switch kind {
        case .boolean: return .boolean
        case .int32: return .int32
        case .int64, .timestampMicros: return .int64
        case .double: return .double
        case .string, .json, .binary, .group, .map: return .byteArray
        case .decimal: return .fixedLenByteArray
        case .list(let element): return physicalType(of: element)
        }
    }

    /// A primitive kind's leaf schema element.
    static func leafElement(_ name: String, _ kind: Kind, _ repetition: Parquet.Repetition) -> Parquet.SchemaElement {
        var element = Parquet.SchemaElement(name: name, physicalType: physicalType(of: kind), repetition: repetition)
        switch kind {
        case .string: element.logicalType = .string
        // JSON text is annotated STRING, not JSON: Polars reads a JSON column as binary.
        case .json: element.logicalType = .string
        case .decimal(let precision, let scale):
            element.typeLength = 16
            element.logicalType = .decimal(precision: Int32(precision), scale: Int32(scale))
        case .timestampMicros: element.logicalType = .timestampMicros
        default: break
        }
        return element
    }

    /// Throws unless the column can be written: decimals of 1...38 digits, groups with
    /// children of unique names, map keys of a primitive kind. `path` names the column.
    static func validate(_ kind: Kind, path: String) throws {
        switch kind {
        case .decimal(let precision, let scale):
            guard (1...38).contains(precision), (0...precision).contains(scale) else {
                throw ExportError.encoding("column \(path): DECIMAL(\(precision), \(scale)) is outside 1...38 digits")
            }
        case .list(let element):
            try validate(element, path: path + ".list.element")
        case .group(let children):
            guard !children.isEmpty else { throw ExportError.encoding("column \(path): a struct needs at least one child") }
            guard Set(children.map(\.name)).count == children.count else {
                throw ExportError.encoding("column \(path): child names must be unique: \(children.map(\.name))")
            }
            for child in children { try validate(child.kind, path: path + "." + child.name) }
        case .map(let key, let value, _):
            guard key.isPrimitive else {
                throw ExportError.encoding("column \(path): a map's keys must be of a primitive kind, not \(key.name)")
            }
            try validate(key, path: path + ".key_value.key")
            try validate(value, path: path + ".key_value.value")
        default:
            break
        }
    }
}

/// One value of a row, for `ParquetFileWriter.write(_:)`.
public enum ParquetValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    /// For string, json and binary columns.
    case bytes([UInt8])
    /// For decimal columns: the unscaled value (the number times 10^scale).
    case decimal(Int128)
    /// For list columns: the elements (none may be null).
    case list([ParquetValue])
    /// For struct (group) columns: one value per child, in the children's order (`.null` for
    /// an absent value of an optional child). An absent struct is `.null` itself.
    case group([ParquetValue])
    /// For map columns: the entries, in the order written (none may have a null key, no two
    /// the same key). `[]` is an empty map, which is not a null one.
    case map([ParquetMapEntry])

    /// A string column's value.
    public static func string(_ s: String) -> ParquetValue { .bytes(Array(s.utf8)) }
}

/// One entry of a `ParquetValue.map`.
public struct ParquetMapEntry: Sendable, Hashable {
    public var key: ParquetValue
    /// `.null` for an absent value (the map's values must be optional).
    public var value: ParquetValue

    public init(key: ParquetValue, value: ParquetValue) {
        self.key = key
        self.value = value
    }
}
