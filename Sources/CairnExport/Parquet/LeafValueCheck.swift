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

    /// Whether non-null `value` fits.
    @inline(__always)
    func accepts(_ value: ParquetValue) -> Bool {
        switch self {
        case .boolean:
            if case .boolean = value { return true }
        case .int32:
            if case .int32 = value { return true }
        case .int64:
            if case .int64 = value { return true }
        case .double:
            if case .double = value { return true }
        case .bytes:
            if case .bytes(let bytes) = value { return bytes.count <= Int(Int32.max) }
        case .decimal(let limit):
            if case .decimal(let unscaled) = value { return unscaled.magnitude < limit }
        }
        return false
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
