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
        /// DOUBLE.
        case double
        /// BYTE_ARRAY annotated STRING (UTF-8).
        case string
        /// BYTE_ARRAY annotated JSON (UTF-8 JSON text).
        case json
        /// BYTE_ARRAY without annotation.
        case binary
        /// FIXED_LEN_BYTE_ARRAY(16) annotated DECIMAL(precision, scale): the unscaled value,
        /// two's complement big-endian. `precision` is at most 38.
        case decimal(precision: Int, scale: Int)
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

    var physicalType: Parquet.PhysicalType {
        switch kind {
        case .boolean: return .boolean
        case .int32: return .int32
        case .int64: return .int64
        case .double: return .double
        case .string, .json, .binary: return .byteArray
        case .decimal: return .fixedLenByteArray
        }
    }

    var schemaElement: Parquet.SchemaElement {
        var element = Parquet.SchemaElement(
            name: name, physicalType: physicalType, repetition: isOptional ? .optional : .required)
        switch kind {
        case .string: element.logicalType = .string
        case .json: element.logicalType = .json
        case .decimal(let precision, let scale):
            element.typeLength = 16
            element.logicalType = .decimal(precision: Int32(precision), scale: Int32(scale))
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

    /// A string column's value.
    public static func string(_ s: String) -> ParquetValue { .bytes(Array(s.utf8)) }
}
