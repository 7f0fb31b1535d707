import CairnLSM

/// A `ParquetFileWriter`'s workings: the columns' plans, the row group being built, the
/// file's row groups so far.
///
/// A row is checked whole when it is written, then kept (a reference to the caller's array)
/// with the rows after it, and the rows kept are added a column at a time, every
/// `pendingRows` rows: adding a column's values in one loop runs far less code per value than
/// adding a row's values one column after another. Where row groups end does not change: the
/// rows kept are added as soon as they might fill the row group (`pendingBound`), and the
/// row that fills it is added by itself.
struct ParquetWriterState {
    /// How a top-level column's values reach its leaves.
    private enum ColumnPlan {
        /// A primitive column: its one leaf, one entry per row (with a definition level when
        /// optional).
        case flat(leaf: Int, optional: Bool, check: LeafValueCheck)
        /// A list, map or struct column: its shredder among `shredders`.
        case nested(Int)
    }

    /// Rows kept before they are added.
    static let pendingRows = 256

    private let options: ParquetWriterOptions
    private let columns: [ParquetColumn]
    /// The leaf columns, depth first: one column chunk each per row group.
    private let leaves: [ParquetLeaf]
    /// The footer's schema: the root, then every column's elements depth first.
    private let schema: [Parquet.SchemaElement]
    private let plans: [ColumnPlan]
    private let shredders: [ColumnShredder]
    private var sink: PageSink
    /// One per encoding thread.
    private var encoders: [PageEncoder]
    private var rowGroup: RowGroupBuilder
    /// The row group's buffered bytes when its rows were last added.
    private var bufferedBytes = 0
    /// Rows written (checked) but not added to the row group yet.
    private var pending: [[ParquetValue]] = []
    /// At least the bytes the pending rows will add to the row group's buffered bytes.
    private var pendingBound = 0
    private var rowGroups: [Parquet.RowGroupMetadata] = []
    private(set) var rowCount: Int64 = 0
    /// Rows in the row group being built (pending ones included).
    private var groupRowCount = 0
    private var finished = false

    init(file: any WritableFile, columns: [ParquetColumn], options: ParquetWriterOptions) throws {
        guard !columns.isEmpty else { throw ExportError.encoding("a Parquet file needs at least one column") }
        guard Set(columns.map(\.name)).count == columns.count else {
            throw ExportError.encoding("column names must be unique: \(columns.map(\.name))")
        }
        for column in columns { try ParquetColumn.validate(column.kind, path: column.name) }
        var leaves: [ParquetLeaf] = []
        var schema = [Parquet.SchemaElement(name: "schema", childCount: Int32(clamping: columns.count))]
        var plans: [ColumnPlan] = []
        var shredders: [ColumnShredder] = []
        for column in columns {
            if column.kind.isPrimitive, let check = LeafValueCheck(column.kind) {
                plans.append(.flat(leaf: leaves.count, optional: column.isOptional, check: check))
                schema.append(ParquetColumn.leafElement(column.name, column.kind, column.isOptional ? .optional : .required))
                leaves.append(ParquetLeaf(
                    path: [column.name], kind: column.kind, maxDefinition: column.isOptional ? 1 : 0, maxRepetition: 0))
            } else {
                plans.append(.nested(shredders.count))
                shredders.append(ColumnShredder(column: column, leaves: &leaves, schema: &schema))
            }
        }
        self.options = options
        self.columns = columns
        self.leaves = leaves
        self.schema = schema
        self.plans = plans
        self.shredders = shredders
        sink = PageSink(file: file, offset: 0)
        encoders = (0 ..< max(1, options.encodingThreads)).map { _ in
            PageEncoder(compressor: PageCompressor(codec: options.compression, zstdLevel: options.zstdLevel))
        }
        rowGroup = RowGroupBuilder(leaves: leaves, options: options)
        pending.reserveCapacity(Self.pendingRows)
        try sink.write(Parquet.magic)
    }

    var bytesWritten: Int64 { sink.offset }

    mutating func write(_ row: [ParquetValue]) throws {
        guard !finished else { throw ExportError.finished }
        guard row.count == plans.count else {
            throw ExportError.encoding("a row has \(row.count) values for \(plans.count) columns")
        }
        // Every value is checked before the row is kept, so a refused row changes nothing.
        // An entry adds at most its PLAIN bytes, 4 bytes of dictionary index and its levels.
        var bound = 0
        for (column, plan) in plans.enumerated() {
            switch plan {
            case .flat(_, let optional, let check):
                if case .null = row[column] {
                    guard optional else { throw ExportError.encoding("column \(columns[column].name) is REQUIRED and got a null") }
                    bound += 1
                } else if let size = check.acceptedSize(row[column]) {
                    bound += size + 4 + 1
                } else {
                    throw LeafValueCheck.describeRefusal(row[column], kind: columns[column].kind, column: columns[column].name)
                }
            case .nested(let shredder):
                try shredders[shredder].check(row[column], bound: &bound)
            }
        }
        pending.append(row)
        pendingBound += bound
        rowCount += 1
        groupRowCount += 1
        let groupFull = groupRowCount >= options.rowGroupRows
        if pending.count >= Self.pendingRows || groupFull || bufferedBytes + pendingBound >= options.rowGroupBytes {
            // The rows before this one could not fill the row group (else they would have been
            // added): if it is full now, this row filled it.
            addPendingRows()
            if groupFull || bufferedBytes >= options.rowGroupBytes { try flushRowGroup() }
        }
    }

    /// Adds the pending rows to the row group, a column at a time.
    private mutating func addPendingRows() {
        guard !pending.isEmpty else { return }
        for (column, plan) in plans.enumerated() {
            switch plan {
            case .flat(let leaf, _, _):
                rowGroup.appendColumn(pending, column: column, leaf: leaf)
            case .nested(let shredder):
                for row in pending { shredders[shredder].shred(row[column], repetitionLevel: 0, into: &rowGroup) }
            }
        }
        pending.removeAll(keepingCapacity: true)
        pendingBound = 0
        bufferedBytes = rowGroup.bufferedBytes
    }

    mutating func flushRowGroup() throws {
        guard !finished else { throw ExportError.finished }
        guard groupRowCount > 0 else { return }
        addPendingRows()
        let chunks = try rowGroup.writeChunks(options: options, encoders: &encoders, to: &sink)
        rowGroups.append(Parquet.RowGroupMetadata(
            columns: chunks, rowCount: Int64(groupRowCount), ordinal: Int16(truncatingIfNeeded: rowGroups.count)))
        rowGroup = RowGroupBuilder(leaves: leaves, options: options)
        bufferedBytes = 0
        groupRowCount = 0
    }

    mutating func finish(metadata: [(key: String, value: String)]) throws -> ParquetFileSummary {
        try flushRowGroup()
        finished = true
        let footer = Parquet.FileMetadata(
            schema: schema, rowCount: rowCount, rowGroups: rowGroups, keyValues: metadata,
            createdBy: "Cairn parquet writer version 1", leafCount: leaves.count
        ).encoded()
        try sink.write(footer)
        try sink.write(withUnsafeBytes(of: UInt32(footer.count).littleEndian) { Array($0) })
        try sink.write(Parquet.magic)
        try sink.file.sync()
        return ParquetFileSummary(rows: rowCount, rowGroups: rowGroups.count, bytes: sink.offset)
    }
}
