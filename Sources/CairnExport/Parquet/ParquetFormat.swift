/// Parquet's enumerations and footer structures, as apache/parquet-format's
/// `src/main/thrift/parquet.thrift` numbers them, with their Thrift compact encoding. Only
/// what Cairn writes is here (Docs/parquet_writer.md).
enum Parquet {
    /// The four bytes a Parquet file starts and ends with.
    static let magic: [UInt8] = Array("PAR1".utf8)

    /// Physical types (`Type`).
    enum PhysicalType: Int32, Sendable {
        case boolean = 0, int32 = 1, int64 = 2, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
    }

    /// `FieldRepetitionType`.
    enum Repetition: Int32, Sendable {
        case required = 0, optional = 1, repeated = 2
    }

    /// `Encoding`.
    enum Encoding: Int32, Sendable {
        case plain = 0, rle = 3, rleDictionary = 8
    }

    /// `CompressionCodec`.
    enum Codec: Int32, Sendable {
        case uncompressed = 0, zstd = 6, lz4Raw = 7
    }

    /// `PageType`.
    enum PageType: Int32, Sendable {
        case dataPage = 0, dictionaryPage = 2
    }

    /// `ConvertedType`, written beside the logical type for older readers.
    enum ConvertedType: Int32, Sendable {
        case utf8 = 0, map = 1, list = 3, decimal = 5, timestampMicros = 10, json = 19
    }

    /// The logical types Cairn writes (`LogicalType` union members).
    enum LogicalType: Sendable, Equatable {
        case string
        case json
        case list
        case map
        case decimal(precision: Int32, scale: Int32)
        /// TIMESTAMP(isAdjustedToUTC: true, unit: MICROS) on INT64.
        case timestampMicros

        /// The matching converted type.
        var convertedType: ConvertedType {
            switch self {
            case .string: return .utf8
            case .json: return .json
            case .list: return .list
            case .map: return .map
            case .decimal: return .decimal
            case .timestampMicros: return .timestampMicros
            }
        }

        func write(_ id: Int16, to w: inout ThriftCompactWriter) {
            w.structField(id)
            switch self {
            case .string: w.structField(1); w.structEnd()
            case .map: w.structField(2); w.structEnd()
            case .list: w.structField(3); w.structEnd()
            case .decimal(let precision, let scale):
                w.structField(5)
                w.i32(1, scale)
                w.i32(2, precision)
                w.structEnd()
            case .json: w.structField(12); w.structEnd()
            case .timestampMicros:
                w.structField(8)
                w.bool(1, true)
                w.structField(2)  // unit: TimeUnit
                w.structField(2)  // MICROS
                w.structEnd()
                w.structEnd()
                w.structEnd()
            }
            w.structEnd()
        }
    }

    /// One node of the schema (`SchemaElement`): a group with `childCount` children, or a
    /// leaf column with a physical type.
    struct SchemaElement: Sendable {
        var name: String
        var physicalType: PhysicalType?
        var typeLength: Int32?
        var repetition: Repetition?
        var childCount: Int32?
        var logicalType: LogicalType?

        func write(to w: inout ThriftCompactWriter) {
            w.structBegin()
            if let physicalType { w.i32(1, physicalType.rawValue) }
            if let typeLength { w.i32(2, typeLength) }
            if let repetition { w.i32(3, repetition.rawValue) }
            w.string(4, name)
            if let childCount { w.i32(5, childCount) }
            if let logicalType {
                w.i32(6, logicalType.convertedType.rawValue)
                if case .decimal(let precision, let scale) = logicalType {
                    w.i32(7, scale)
                    w.i32(8, precision)
                }
                logicalType.write(10, to: &w)
            }
            w.structEnd()
        }
    }

    /// `Statistics`: min and max PLAIN-encoded (without a length prefix), and the nulls.
    struct Statistics: Sendable {
        var nullCount: Int64
        var min: [UInt8]?
        var max: [UInt8]?

        func write(_ id: Int16, to w: inout ThriftCompactWriter) {
            w.structField(id)
            w.i64(3, nullCount)
            if let max { w.binary(5, max) }
            if let min { w.binary(6, min) }
            w.structEnd()
        }
    }

    /// A `PageHeader` of a data page (v1) or a dictionary page.
    struct PageHeader: Sendable {
        var type: PageType
        var uncompressedSize: Int32
        var compressedSize: Int32
        /// Values in the page (including nulls); dictionary entries for a dictionary page.
        var valueCount: Int32
        var encoding: Encoding

        func encoded() -> [UInt8] {
            var w = ThriftCompactWriter(capacity: 32)
            w.structBegin()
            w.i32(1, type.rawValue)
            w.i32(2, uncompressedSize)
            w.i32(3, compressedSize)
            switch type {
            case .dataPage:
                w.structField(5)
                w.i32(1, valueCount)
                w.i32(2, encoding.rawValue)
                w.i32(3, Encoding.rle.rawValue)  // definition levels
                w.i32(4, Encoding.rle.rawValue)  // repetition levels
                w.structEnd()
            case .dictionaryPage:
                w.structField(7)
                w.i32(1, valueCount)
                w.i32(2, Encoding.plain.rawValue)
                w.structEnd()
            }
            w.structEnd()
            return w.bytes
        }
    }

    /// What the footer says of one column chunk (`ColumnChunk` with its `ColumnMetaData`).
    struct ColumnChunkMetadata: Sendable {
        var physicalType: PhysicalType
        var encodings: [Encoding]
        var path: [String]
        var codec: Codec
        var valueCount: Int64
        var uncompressedSize: Int64
        var compressedSize: Int64
        var dataPageOffset: Int64
        var dictionaryPageOffset: Int64?
        var statistics: Statistics

        /// Where the chunk starts (its dictionary page, else its first data page).
        var startOffset: Int64 { dictionaryPageOffset ?? dataPageOffset }

        func write(to w: inout ThriftCompactWriter) {
            w.structBegin()
            w.i64(2, startOffset)  // file_offset (deprecated; the chunk's start, as writers set it)
            w.structField(3)
            w.i32(1, physicalType.rawValue)
            w.listField(2, .i32, count: encodings.count)
            for encoding in encodings { w.i32Element(encoding.rawValue) }
            w.listField(3, .binary, count: path.count)
            for part in path { w.binaryElement(Array(part.utf8)) }
            w.i32(4, codec.rawValue)
            w.i64(5, valueCount)
            w.i64(6, uncompressedSize)
            w.i64(7, compressedSize)
            w.i64(9, dataPageOffset)
            if let dictionaryPageOffset { w.i64(11, dictionaryPageOffset) }
            statistics.write(12, to: &w)
            w.structEnd()
            w.structEnd()
        }
    }

    /// One `RowGroup`.
    struct RowGroupMetadata: Sendable {
        var columns: [ColumnChunkMetadata]
        var rowCount: Int64
        var ordinal: Int16

        func write(to w: inout ThriftCompactWriter) {
            w.structBegin()
            w.listField(1, .struct, count: columns.count)
            for column in columns { column.write(to: &w) }
            w.i64(2, columns.reduce(0) { $0 + $1.uncompressedSize })
            w.i64(3, rowCount)
            w.i64(5, columns.first?.startOffset ?? 4)
            w.i64(6, columns.reduce(0) { $0 + $1.compressedSize })
            w.i16(7, ordinal)
            w.structEnd()
        }
    }

    /// The footer (`FileMetaData`).
    struct FileMetadata: Sendable {
        var schema: [SchemaElement]
        var rowCount: Int64
        var rowGroups: [RowGroupMetadata]
        var keyValues: [(key: String, value: String)]
        var createdBy: String
        /// Leaf columns (for `column_orders`: each orders by its type).
        var leafCount: Int

        func encoded() -> [UInt8] {
            var w = ThriftCompactWriter(capacity: 1024)
            w.structBegin()
            w.i32(1, 2)
            w.listField(2, .struct, count: schema.count)
            for element in schema { element.write(to: &w) }
            w.i64(3, rowCount)
            w.listField(4, .struct, count: rowGroups.count)
            for group in rowGroups { group.write(to: &w) }
            if !keyValues.isEmpty {
                w.listField(5, .struct, count: keyValues.count)
                for (key, value) in keyValues {
                    w.structBegin()
                    w.string(1, key)
                    w.string(2, value)
                    w.structEnd()
                }
            }
            w.string(6, createdBy)
            w.listField(7, .struct, count: leafCount)
            for _ in 0..<leafCount {
                w.structBegin()
                w.structField(1)  // TYPE_ORDER
                w.structEnd()
                w.structEnd()
            }
            w.structEnd()
            return w.bytes
        }
    }
}
