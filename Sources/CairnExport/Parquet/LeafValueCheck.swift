/// Whether a non-null value fits a leaf column's primitive kind, worked out once per leaf so
/// that checking a value is one switch on it; the message of a refusal is built only for a
/// value refused (`describeRefusal`).
enum LeafValueCheck: Sendable, Equatable {
    case boolean
    case int32
    /// INT64 and TIMESTAMP columns.
    case int64
    case double
    /// string, JSON and binary columns: at most `Int32.max` bytes.
    case bytes
    /// A DECIMAL: an unscaled value below `limit` (10^precision) in magnitude.
    case decimal(limit: UInt128)

    /// The check of primitive `kind` (nil for a list, map or struct).
    init?(_ kind: ParquetColumn.Kind) {
        switch kind {
        case .boolean: self = .boolean
        case .int32: self = .int32
        case .int64, .timestampMicros: self = .int64
        case .double: self = .double
        case .string, .json, .binary: self = .bytes
        case .decimal(let precision, _): self = .decimal(limit: Self.powerOfTen(precision))
        case .list, .group, .map: return nil
        }
    }

    /// The PLAIN bytes of non-null `value` if it fits (a boolean counts 1), else nil: what
    /// adding it can add to its chunk's buffered bytes, besides its levels and 4 bytes of
    /// dictionary index.
    @inline(__always)
    func acceptedSize(_ value: ParquetValue) -> Int? {
        switch self {
        case .boolean:
            if case .boolean = value { return 1 }
        case .int32:
            if case .int32 = value { return 4 }
        case .int64:
            if case .int64 = value { return 8 }
        case .double:
            if case .double = value { return 8 }
        case .bytes:
            if case .bytes(let bytes) = value, bytes.count <= Int(Int32.max) { return bytes.count }
        case .decimal(let limit):
            if case .decimal(let unscaled) = value, unscaled.magnitude < limit { return 16 }
        }
        return nil
    }

    /// The error for a value of `column` (of primitive `kind`) that `accepts` refused.
    static func describeRefusal(_ value: ParquetValue, kind: ParquetColumn.Kind, column: String) -> ExportError {
        switch (kind, value) {
        case (.string, .bytes(let bytes)), (.json, .bytes(let bytes)), (.binary, .bytes(let bytes)):
            return .encoding("a value of column \(column) has \(bytes.count) bytes")
        case (.decimal(let precision, _), .decimal(let unscaled)):
            return .encoding("\(unscaled) does not fit DECIMAL(\(precision)) of column \(column)")
        default:
            return .encoding("column \(column) (\(kind.name)) got \(value)")
        }
    }

    /// 10^digits as an unsigned 128-bit number (digits ≤ 38).
    static func powerOfTen(_ digits: Int) -> UInt128 {
        var result: UInt128 = 1
        for _ in 0 ..< min(digits, 38) { result *= 10 }
        return result
    }
}
