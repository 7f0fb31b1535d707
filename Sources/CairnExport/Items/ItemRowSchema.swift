import Cairn

/// How a table's items become Parquet rows (Docs/parquet_writer.md, "Items as rows").
///
/// Items are schemaless and Parquet is not, so the columns are worked out from the items
/// themselves (`ItemRowSchema.Inference`): the key attributes first, then, by name, every
/// top-level attribute that has one type in every item that has it, then `_item`, the whole
/// item in DynamoDB JSON, so that nothing is lost to the mapping.
///
/// | attribute | column |
/// | --- | --- |
/// | S | STRING |
/// | N | DECIMAL(38, s), s the most fraction digits seen, when every value fits; else STRING |
/// | B | BINARY |
/// | BOOL | BOOLEAN |
/// | M, L | JSON: the value in DynamoDB JSON |
/// | SS, NS, BS | LIST of STRING, DECIMAL(38, s) (or STRING), BINARY |
///
/// An attribute with more than one type, or only NULL values, has no column of its own (it is
/// in `_item`); a NULL value of a typed attribute is a null in its column. An attribute named
/// like a column already taken (`_item`) is only in `_item`.
public struct ItemRowSchema: Sendable, Equatable {
    /// The lossless column.
    public static let itemColumnName = "_item"

    /// One typed column and the attribute it holds.
    public struct Column: Sendable, Equatable {
        public var attribute: String
        public var source: Source
        /// Whether the attribute is a key attribute (present in every item: REQUIRED).
        public var isKey: Bool
    }

    /// What a column holds of its attribute.
    public enum Source: Sendable, Equatable {
        case string, binary, boolean, json
        /// N as DECIMAL(38, scale).
        case decimal(scale: Int)
        /// N that does not fit DECIMAL(38, s): its text.
        case numberText
        case stringSet, binarySet
        /// NS as LIST of DECIMAL(38, scale).
        case decimalSet(scale: Int)
        /// NS as LIST of its texts.
        case numberTextSet
    }

    public var columns: [Column]

    /// The Parquet columns: the typed ones, then `_item`.
    public var parquetColumns: [ParquetColumn] { parquetColumns(requiredKeys: true) }

    /// The Parquet columns, the key columns REQUIRED or, for a schema that later values may
    /// not fit (the replicator's), OPTIONAL like the others.
    public func parquetColumns(requiredKeys: Bool) -> [ParquetColumn] {
        columns.map { column in
            let kind: ParquetColumn.Kind
            switch column.source {
            case .string, .numberText: kind = .string
            case .binary: kind = .binary
            case .boolean: kind = .boolean
            case .json: kind = .json
            case .decimal(let scale): kind = .decimal(precision: 38, scale: scale)
            case .stringSet, .numberTextSet: kind = .list(.string)
            case .binarySet: kind = .list(.binary)
            case .decimalSet(let scale): kind = .list(.decimal(precision: 38, scale: scale))
            }
            return ParquetColumn(column.attribute, kind, optional: !(column.isKey && requiredKeys))
        } + [ParquetColumn(Self.itemColumnName, .json, optional: false)]
    }

    /// `item` as a row of `parquetColumns`.
    public func row(_ item: Item) throws -> [ParquetValue] {
        try makeRow(item, lenient: false)
    }

    /// `item` as a row of `parquetColumns(requiredKeys: false)`, where a value that does not
    /// fit its column (another type, or a number with more digits than its DECIMAL) is a null
    /// in that column; `_item` still has it. For schemas fixed before the items were seen.
    public func lenientRow(_ item: Item) -> [ParquetValue] {
        // Lenient rows catch every value error, so only an impossible one could escape.
        (try? makeRow(item, lenient: true)) ?? [ParquetValue](repeating: .null, count: columns.count) + [.bytes(DynamoDBJSON.encode(item))]
    }

    private func makeRow(_ item: Item, lenient: Bool) throws -> [ParquetValue] {
        var row: [ParquetValue] = []
        row.reserveCapacity(columns.count + 1)
        for column in columns {
            guard let value = item[column.attribute] else {
                row.append(.null)
                continue
            }
            do {
                row.append(try Self.value(value, as: column.source, attribute: column.attribute))
            } catch where lenient {
                row.append(.null)
            }
        }
        row.append(.bytes(DynamoDBJSON.encode(item)))
        return row
    }

    /// This schema followed by the columns of `other` for attributes it has no column for
    /// (schema evolution: columns are only ever added, and keep their types).
    public func adding(_ other: ItemRowSchema) -> ItemRowSchema {
        let present = Set(columns.map(\.attribute))
        return ItemRowSchema(columns: columns + other.columns.filter { !present.contains($0.attribute) })
    }

    private static func value(_ value: AttributeValue, as source: Source, attribute: String) throws -> ParquetValue {
        func decimal(_ n: Number, _ scale: Int) throws -> ParquetValue {
            guard let unscaled = n.unscaled(scale: scale) else {
                throw ExportError.encoding("\(n) of \(attribute) does not fit DECIMAL(38, \(scale))")
            }
            return .decimal(unscaled)
        }
        switch (source, value) {
        case (_, .null): return .null
        case (.string, .s(let s)): return .string(s)
        case (.numberText, .n(let n)): return .string(n.description)
        case (.decimal(let scale), .n(let n)): return try decimal(n, scale)
        case (.binary, .b(let b)): return .bytes(b)
        case (.boolean, .bool(let b)): return .boolean(b)
        case (.json, .m), (.json, .l): return .bytes(DynamoDBJSON.encode(value))
        case (.stringSet, .ss(let set)): return .list(set.map { .string($0) })
        case (.numberTextSet, .ns(let set)): return .list(set.map { .string($0.description) })
        case (.decimalSet(let scale), .ns(let set)): return .list(try set.map { try decimal($0, scale) })
        case (.binarySet, .bs(let set)): return .list(set.map { .bytes($0) })
        default:
            throw ExportError.encoding("attribute \(attribute) has type \(value.typeName), not its column's")
        }
    }

    /// Works the schema out from the items it is shown.
    public struct Inference: Sendable {
        private let keyNames: [String]
        /// Per attribute: the types seen (NULL aside), and for numbers the digits needed.
        private var seen: [String: Seen] = [:]

        fileprivate struct Seen: Sendable {
            /// The types seen, one bit each (`typeBit`).
            var types: UInt16 = 0
            var maxFractionDigits = 0
            var maxIntegerDigits = 0
        }

        /// The ten types' names, by bit.
        private static let typeNames = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]

        private static func typeBit(_ value: AttributeValue) -> UInt16 {
            switch value {
            case .s: return 1 << 0
            case .n: return 1 << 1
            case .b: return 1 << 2
            case .bool: return 1 << 3
            case .null: return 1 << 4
            case .m: return 1 << 5
            case .l: return 1 << 6
            case .ss: return 1 << 7
            case .ns: return 1 << 8
            case .bs: return 1 << 9
            }
        }

        public init(keyAttributes: [KeyAttribute]) {
            keyNames = keyAttributes.map(\.name)
        }

        /// Inference with the key attributes named (partition key first).
        public init(keyNames: [String]) {
            self.keyNames = keyNames
        }

        /// Takes one item into account.
        public mutating func observe(_ item: Item) {
            for (name, value) in item {
                // Modified in place: no copy of the entry per attribute.
                if case .null = value {
                    // Known, with no type (a NULL alone gives no column).
                    if seen[name] == nil { seen[name] = Seen() }
                    continue
                }
                seen[name, default: Seen()].types |= Self.typeBit(value)
                switch value {
                case .n(let n):
                    seen[name, default: Seen()].observeDigits(of: n)
                case .ns(let set):
                    for n in set { seen[name, default: Seen()].observeDigits(of: n) }
                default: break
                }
            }
        }

        /// Takes into account every item `other` observed (for inference split over threads).
        public mutating func merge(_ other: Inference) {
            for (name, entry) in other.seen {
                var merged = seen[name] ?? Seen()
                merged.types |= entry.types
                merged.maxFractionDigits = max(merged.maxFractionDigits, entry.maxFractionDigits)
                merged.maxIntegerDigits = max(merged.maxIntegerDigits, entry.maxIntegerDigits)
                seen[name] = merged
            }
        }

        /// The schema of the items observed.
        public var schema: ItemRowSchema {
            var columns: [Column] = []
            for name in keyNames + seen.keys.filter({ !keyNames.contains($0) }).sorted() {
                guard name != ItemRowSchema.itemColumnName, let entry = seen[name], entry.types.nonzeroBitCount == 1
                else { continue }
                let type = Self.typeNames[entry.types.trailingZeroBitCount]
                let fitsDecimal = entry.maxIntegerDigits + entry.maxFractionDigits <= 38
                let source: Source
                switch type {
                case "S": source = .string
                case "N": source = fitsDecimal ? .decimal(scale: entry.maxFractionDigits) : .numberText
                case "B": source = .binary
                case "BOOL": source = .boolean
                case "M", "L": source = .json
                case "SS": source = .stringSet
                case "NS": source = fitsDecimal ? .decimalSet(scale: entry.maxFractionDigits) : .numberTextSet
                case "BS": source = .binarySet
                default: continue
                }
                columns.append(Column(attribute: name, source: source, isKey: keyNames.contains(name)))
            }
            return ItemRowSchema(columns: columns)
        }
    }
}

extension ItemRowSchema.Inference.Seen {
    mutating func observeDigits(of n: Number) {
        maxFractionDigits = max(maxFractionDigits, n.fractionDigitCount)
        maxIntegerDigits = max(maxIntegerDigits, n.integerDigitCount)
    }
}
