import Foundation

/// How a replicated Delta table records its item-to-row mapping: the `ItemRowSchema` is kept
/// in the table's metadata (`configuration["cairn.columns"]`), so that a restarted replicator
/// writes rows exactly as before, and the schema string is derived from it.
///
/// `cairn.columns` is a JSON array of `{"attribute": name, "source": S|N:<scale>|Ntext|B|BOOL|JSON|SS|NS:<scale>|NStext|BS, "key": bool}`.
enum ReplicationSchema {
    static let configurationKey = "cairn.columns"

    static func encode(_ schema: ItemRowSchema) -> String {
        let columns: [[String: Any]] = schema.columns.map { column in
            ["attribute": column.attribute, "source": sourceName(column.source), "key": column.isKey]
        }
        let data = (try? JSONSerialization.data(withJSONObject: columns, options: [.sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The schema stored in `text`, or nil when it is not one.
    static func decode(_ text: String) -> ItemRowSchema? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return nil }
        var columns: [ItemRowSchema.Column] = []
        for entry in array {
            guard let attribute = entry["attribute"] as? String, let name = entry["source"] as? String,
                  let source = source(named: name) else { return nil }
            columns.append(ItemRowSchema.Column(attribute: attribute, source: source, isKey: entry["key"] as? Bool ?? false))
        }
        return ItemRowSchema(columns: columns)
    }

    static func sourceName(_ source: ItemRowSchema.Source) -> String {
        switch source {
        case .string: return "S"
        case .decimal(let scale): return "N:\(scale)"
        case .numberText: return "Ntext"
        case .binary: return "B"
        case .boolean: return "BOOL"
        case .json: return "JSON"
        case .stringSet: return "SS"
        case .decimalSet(let scale): return "NS:\(scale)"
        case .numberTextSet: return "NStext"
        case .binarySet: return "BS"
        }
    }

    static func source(named name: String) -> ItemRowSchema.Source? {
        switch name {
        case "S": return .string
        case "Ntext": return .numberText
        case "B": return .binary
        case "BOOL": return .boolean
        case "JSON": return .json
        case "SS": return .stringSet
        case "NStext": return .numberTextSet
        case "BS": return .binarySet
        default:
            let parts = name.split(separator: ":")
            guard parts.count == 2, let scale = Int(parts[1]), (0...38).contains(scale) else { return nil }
            if parts[0] == "N" { return .decimal(scale: scale) }
            if parts[0] == "NS" { return .decimalSet(scale: scale) }
            return nil
        }
    }
}
