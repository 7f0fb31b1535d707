import CairnLSM

/// The compression of a Parquet file's pages.
public enum ParquetCompression: String, Sendable, CaseIterable {
    case none
    /// Zstandard (Parquet's ZSTD), the default.
    case zstd
    /// LZ4 block format (Parquet's LZ4_RAW).
    case lz4Raw = "lz4_raw"
}

/// How `ParquetFileWriter` sizes and encodes what it writes.
public struct ParquetWriterOptions: Sendable {
    public var compression: ParquetCompression = .zstd
    public var zstdLevel: Int32 = 1
    /// A row group ends after this many rows ...
    public var rowGroupRows = 1_000_000
    /// ... or once its buffered values reach this many bytes.
    public var rowGroupBytes = 128 << 20
    /// A data page ends after this many bytes of values ...
    public var dataPageBytes = 1 << 20
    /// ... or this many rows.
    public var pageRowLimit = 20_000
    /// A column chunk's dictionary may grow to this many bytes; past it the chunk is PLAIN.
    public var dictionaryPageBytes = 1 << 20
    /// A dictionary is used only when it holds at most this share of the chunk's values.
    public var dictionaryMaxDistinctRatio = 0.75

    public init() {}
}

/// Writes one flat Parquet file (apache/parquet-format; what it writes: Docs/parquet_writer.md)
/// through Cairn's file system: rows in, row groups of column chunks out, then the footer.
///
/// ```swift
/// let writer = try ParquetFileWriter(file: try fs.newWritableFile(path), columns: [
///     ParquetColumn("pk", .string, optional: false), ParquetColumn("total", .decimal(precision: 38, scale: 2)),
/// ])
/// try writer.write([.string("a"), .decimal(1999)])
/// let summary = try writer.finish()
/// ```
/// `finish()` writes the last row group and the footer and syncs the file; the caller closes
/// and renames it. Not thread-safe.
public final class ParquetFileWriter {
    public let columns: [ParquetColumn]
    private let options: ParquetWriterOptions
    private var sink: PageSink
    private var compressor: PageCompressor
    private var builders: [ColumnChunkBuilder]
    private var rowGroups: [Parquet.RowGroupMetadata] = []
    private var rowCount: Int64 = 0
    private var finished = false

    /// Starts a file (writes the leading magic) with `columns`, in order.
    public init(file: any WritableFile, columns: [ParquetColumn], options: ParquetWriterOptions = ParquetWriterOptions()) throws {
        guard !columns.isEmpty else { throw ExportError.encoding("a Parquet file needs at least one column") }
        guard Set(columns.map(\.name)).count == columns.count else {
            throw ExportError.encoding("column names must be unique: \(columns.map(\.name))")
        }
        for column in columns {
            var kind = column.kind
            if case .list(let element) = kind {
                if case .list = element { throw ExportError.encoding("column \(column.name): lists of lists are not written") }
                kind = element
            }
            if case .decimal(let precision, let scale) = kind, !(1...38).contains(precision) || !(0...precision).contains(scale) {
                throw ExportError.encoding("column \(column.name): DECIMAL(\(precision), \(scale)) is outside 1...38 digits")
            }
        }
        self.columns = columns
        self.options = options
        sink = PageSink(file: file, offset: 0)
        compressor = PageCompressor(codec: options.compression, zstdLevel: options.zstdLevel)
        builders = columns.map { ColumnChunkBuilder(column: $0, options: options) }
        try sink.write(Parquet.magic)
    }

    /// Rows written so far.
    public var rowsWritten: Int64 { rowCount }

    /// Bytes written to the file so far (row groups already flushed).
    public var bytesWritten: Int64 { sink.offset }

    /// Adds one row: a value per column, in the columns' order (`.null` for an absent value
    /// of an optional column).
    public func write(_ row: [ParquetValue]) throws {
        guard !finished else { throw ExportError.finished }
        guard row.count == columns.count else {
            throw ExportError.encoding("a row has \(row.count) values for \(columns.count) columns")
        }
        // Every value is checked before any is added, so a refused row changes nothing.
        for (builder, value) in zip(builders, row) { try builder.check(value) }
        for (builder, value) in zip(builders, row) { builder.append(value) }
        rowCount += 1
        if builders[0].rowCount >= options.rowGroupRows || builders.reduce(0, { $0 + $1.bufferedBytes }) >= options.rowGroupBytes {
            try flushRowGroup()
        }
    }

    /// Writes the row group being built, if it has rows.
    public func flushRowGroup() throws {
        guard !finished else { throw ExportError.finished }
        let rows = builders[0].rowCount
        guard rows > 0 else { return }
        var chunks: [Parquet.ColumnChunkMetadata] = []
        for builder in builders { chunks.append(try builder.writePages(to: &sink, compressor: &compressor)) }
        rowGroups.append(Parquet.RowGroupMetadata(columns: chunks, rowCount: Int64(rows), ordinal: Int16(truncatingIfNeeded: rowGroups.count)))
        builders = columns.map { ColumnChunkBuilder(column: $0, options: options) }
    }

    /// Writes the last row group, the footer (with `metadata` as its key-value metadata) and
    /// the trailing magic, and syncs the file.
    @discardableResult
    public func finish(metadata: [(key: String, value: String)] = []) throws -> ParquetFileSummary {
        try flushRowGroup()
        finished = true
        var schema = [Parquet.SchemaElement(name: "schema", childCount: Int32(columns.count))]
        schema += columns.flatMap(\.schemaElements)
        let footer = Parquet.FileMetadata(
            schema: schema, rowCount: rowCount, rowGroups: rowGroups, keyValues: metadata,
            createdBy: "Cairn parquet writer version 1", leafCount: columns.count
        ).encoded()
        try sink.write(footer)
        try sink.write(withUnsafeBytes(of: UInt32(footer.count).littleEndian) { Array($0) })
        try sink.write(Parquet.magic)
        try sink.file.sync()
        return ParquetFileSummary(rows: rowCount, rowGroups: rowGroups.count, bytes: sink.offset)
    }
}

/// What `ParquetFileWriter.finish()` wrote.
public struct ParquetFileSummary: Sendable, Equatable {
    public var rows: Int64
    public var rowGroups: Int
    public var bytes: Int64
}
