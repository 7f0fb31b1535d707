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
    /// Threads that encode and compress a row group's column chunks once it is complete:
    /// the writer's own and, above 1, others, each taking whole chunks, whose pages are then
    /// held in memory until all are done (with 1, each chunk is written as soon as it is
    /// encoded). The file is the same for any number. 1 by default: on two shared cores
    /// (where it was measured) a second thread did not pay reliably.
    public var encodingThreads = 1
    /// A column chunk's dictionary may grow to this many bytes; past it the chunk is PLAIN.
    public var dictionaryPageBytes = 1 << 20
    /// A dictionary is used only when it holds at most this share of the chunk's values.
    public var dictionaryMaxDistinctRatio = 0.75

    public init() {}
}

/// Writes one Parquet file (apache/parquet-format; what it writes: Docs/parquet_writer.md)
/// through Cairn's file system: rows in, row groups of column chunks out, then the footer.
///
/// ```swift
/// let writer = try ParquetFileWriter(file: try fs.newWritableFile(path), columns: [
///     ParquetColumn("pk", .string, optional: false), ParquetColumn("total", .decimal(precision: 38, scale: 2)),
///     ParquetColumn("tags", .map(key: .string, value: .string, valueOptional: true)),
/// ])
/// try writer.write([.string("a"), .decimal(1999), .map([ParquetMapEntry(key: .string("k"), value: .null)])])
/// let summary = try writer.finish()
/// ```
/// A column of a primitive kind is one leaf column chunk per row group; a list, map or struct
/// column is shredded into one chunk per primitive leaf inside it, with definition and
/// repetition levels. `finish()` writes the last row group and the footer and syncs the file;
/// the caller closes and renames it. Not thread-safe.
public final class ParquetFileWriter {
    public let columns: [ParquetColumn]
    /// Everything the writer changes, in one struct, so that a call is one access to a stored
    /// property of the class. That access is not checked for exclusivity at run time (the
    /// check costs about as much as adding a row's values): the writer is not thread-safe
    /// and not `Sendable`, and calls no code of its caller's while it holds the access (its
    /// file's `append` and `sync` aside, which must not call back into the writer), so no
    /// two accesses can overlap.
    @exclusivity(unchecked) private var state: ParquetWriterState

    /// Starts a file (writes the leading magic) with `columns`, in order.
    public init(file: any WritableFile, columns: [ParquetColumn], options: ParquetWriterOptions = ParquetWriterOptions()) throws {
        state = try ParquetWriterState(file: file, columns: columns, options: options)
        self.columns = columns
    }

    /// Rows written so far.
    public var rowsWritten: Int64 { state.rowCount }

    /// Bytes written to the file so far (row groups already flushed).
    public var bytesWritten: Int64 { state.bytesWritten }

    /// Adds one row: a value per column, in the columns' order (`.null` for an absent value
    /// of an optional column). The row is checked whole now (a refused row changes nothing);
    /// its values reach their columns with the rows after it, up to 256 rows later, so the
    /// writer keeps a reference to the array until then.
    public func write(_ row: [ParquetValue]) throws {
        try state.write(row)
    }

    /// Writes the row group being built, if it has rows.
    public func flushRowGroup() throws {
        try state.flushRowGroup()
    }

    /// Writes the last row group, the footer (with `metadata` as its key-value metadata) and
    /// the trailing magic, and syncs the file.
    @discardableResult
    public func finish(metadata: [(key: String, value: String)] = []) throws -> ParquetFileSummary {
        try state.finish(metadata: metadata)
    }
}

/// What `ParquetFileWriter.finish()` wrote.
public struct ParquetFileSummary: Sendable, Equatable {
    public var rows: Int64
    public var rowGroups: Int
    public var bytes: Int64
}
