import Foundation

/// A Delta table's schema in the log's JSON form (PROTOCOL.md, "Schema Serialization
/// Format"), from the Parquet columns of its data files.
///
/// | Parquet column | Delta type |
/// | --- | --- |
/// | STRING, JSON text | `string` |
/// | BINARY | `binary` |
/// | BOOLEAN | `boolean` |
/// | INT32 / INT64 | `integer` / `long` |
/// | DOUBLE | `double` |
/// | TIMESTAMP(MICROS, UTC) | `timestamp` |
/// | DECIMAL(p, s) | `decimal(p,s)` |
/// | LIST of k | `{"type": "array", "elementType": k, "containsNull": false}` |
public enum DeltaSchema {
    /// The schema string of a table whose files have `columns`.
    public static func schemaString(_ columns: [ParquetColumn]) -> String {
        let fields: [[String: Any]] = columns.map { column in
            ["name": column.name, "type": type(column.kind), "nullable": column.isOptional, "metadata": [String: Any]()]
        }
        let object: [String: Any] = ["type": "struct", "fields": fields]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func type(_ kind: ParquetColumn.Kind) -> Any {
        switch kind {
        case .string, .json: return "string"
        case .binary: return "binary"
        case .boolean: return "boolean"
        case .int32: return "integer"
        case .int64: return "long"
        case .double: return "double"
        case .timestampMicros: return "timestamp"
        case .decimal(let precision, let scale): return "decimal(\(precision),\(scale))"
        case .list(let element):
            return ["type": "array", "elementType": type(element), "containsNull": false] as [String: Any]
        default:
            return "string"
        }
    }
}
