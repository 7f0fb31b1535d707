/// A column of a flat Parquet file that `ParquetFileWriter` writes.
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
        /// A LIST of non-null elements of another kind (not a list), in Parquet's three-level
        /// form: `<name> (LIST) { repeated group list { required <element> element } }`.
        indirect case list(Kind)

        /// The kind as the export manifest names it: `string`, `decimal(38,2)`, `list<string>`.
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

    /// The physical type of the column's values (a list's elements).
    var physicalType: Parquet.PhysicalType { Self.physicalType(of: kind) }

    private static func physicalType(of kind: Kind) -> Parquet.PhysicalType {
        switch kind {
        case .boolean: return .boolean
        case .int32: return .int32
        case .int64, .timestampMicros: return .int64
        case .double: return .double
        case .string, .json, .binary: return .byteArray
        case .decimal: return .fixedLenByteArray
        case .list(let element): return physicalType(of: element)
        }
    }

    /// The leaf's path in the schema.
    var path: [String] {
        if case .list = kind { return [name, "list", "element"] }
        return [name]
    }

    /// The column's schema elements, depth first (one, or three for a list).
    var schemaElements: [Parquet.SchemaElement] {
        let repetition: Parquet.Repetition = isOptional ? .optional : .required
        guard case .list(let element) = kind else { return [Self.leaf(name, kind, repetition)] }
        return [
            Parquet.SchemaElement(name: name, repetition: repetition, childCount: 1, logicalType: .list),
            Parquet.SchemaElement(name: "list", repetition: .repeated, childCount: 1),
            Self.leaf("element", element, .required),
        ]
    }

    private static func leaf(_ name: String, _ kind: Kind, _ repetition: Parquet.Repetition) -> Parquet.SchemaElement {
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
}

/// One value of a row, for `ParquetFileWriter.write(_:)`.
public enum ParquetValue: Sendable, Equatable {
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

    /// A string column's value.
    public static func string(_ s: String) -> ParquetValue { .bytes(Array(s.utf8)) }
}
