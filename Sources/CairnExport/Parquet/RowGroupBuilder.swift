/// The column chunks of the row group being built: one per leaf column, each kept in an array
/// of its own physical type (so adding a value runs code specialized for the type, with no
/// class or existential in between).
struct RowGroupBuilder {
    /// Where a leaf's chunk is: its store and its position there.
    private enum Slot {
        case boolean(Int), int32(Int), int64(Int), double(Int), decimal(Int), byteArray(Int)
    }

    let leaves: [ParquetLeaf]
    private let slots: [Slot]
    private var booleans: [BooleanChunk] = []
    private var int32s: [FixedWidthChunk<Int32>] = []
    private var int64s: [FixedWidthChunk<Int64>] = []
    private var doubles: [FixedWidthChunk<Double>] = []
    private var decimals: [FixedWidthChunk<ParquetDecimal128>] = []
    private var byteArrays: [ByteArrayChunk] = []

    init(leaves: [ParquetLeaf], options: ParquetWriterOptions) {
        self.leaves = leaves
        let seed = DictionaryHashing.randomSeed()
        let limit = options.dictionaryPageBytes
        var slots: [Slot] = []
        for leaf in leaves {
            let levels = ChunkLevels(maxDefinition: leaf.maxDefinition, maxRepetition: leaf.maxRepetition)
            switch leaf.kind {
            case .boolean:
                slots.append(.boolean(booleans.count))
                booleans.append(BooleanChunk(levels: levels))
            case .int32:
                slots.append(.int32(int32s.count))
                int32s.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .int64, .timestampMicros:
                slots.append(.int64(int64s.count))
                int64s.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .double:
                slots.append(.double(doubles.count))
                doubles.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .decimal:
                slots.append(.decimal(decimals.count))
                decimals.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .string, .json, .binary, .list, .group, .map:
                // Leaves are primitives: only the byte-array kinds reach here.
                slots.append(.byteArray(byteArrays.count))
                byteArrays.append(ByteArrayChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            }
        }
        self.slots = slots
    }

    /// The sum of the chunks' `bufferedBytes`, for row-group sizing.
    var bufferedBytes: Int {
        booleans.reduce(0) { $0 + $1.bufferedBytes } + int32s.reduce(0) { $0 + $1.bufferedBytes }
            + int64s.reduce(0) { $0 + $1.bufferedBytes } + doubles.reduce(0) { $0 + $1.bufferedBytes }
            + decimals.reduce(0) { $0 + $1.bufferedBytes } + byteArrays.reduce(0) { $0 + $1.bufferedBytes }
    }

    // MARK: Adding entries

    /// Adds the values of column `column` of `rows` to flat leaf `leaf` (a top-level primitive
    /// column: one entry per row, `.null` at definition level 0), in order. The values were
    /// checked (`LeafValueCheck`). A column at a time, the chunk's code runs in one loop over
    /// the chunk, and each value's payload is read in place (no copy of the enum).
    mutating func appendColumn(_ rows: [[ParquetValue]], column: Int, leaf: Int) {
        switch slots[leaf] {
        case .boolean(let k):
            Self.update(&booleans[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .boolean(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .int32(let k):
            Self.update(&int32s[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .int32(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .int64(let k):
            Self.update(&int64s[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .int64(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .double(let k):
            Self.update(&doubles[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .double(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .decimal(let k):
            Self.update(&decimals[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .decimal(let v): chunk.append(ParquetDecimal128(unscaled: v), repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .byteArray(let k):
            Self.update(&byteArrays[k]) { chunk in
                for row in rows {
                    // A value already in the dictionary is found in place and added as its
                    // entry, never copied (`ByteArrayChunk.dictionaryEntry(of:)`).
                    if let entry = chunk.dictionaryEntry(of: row[column]) {
                        chunk.appendEntry(entry, repetition: 0)
                        continue
                    }
                    switch row[column] {
                    case .bytes(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        }
    }

    /// Calls `body` with `chunk` (one access to the array element holding it, for a loop).
    @inline(__always)
    private static func update<Chunk>(_ chunk: inout Chunk, _ body: (inout Chunk) -> Void) {
        body(&chunk)
    }

    /// Adds an entry with non-null `value` (which the leaf's `LeafValueCheck` accepted) at the
    /// leaf's maximum definition level.
    mutating func appendValue(_ value: ParquetValue, leaf: Int, repetition: UInt32) {
        switch slots[leaf] {
        case .boolean(let k):
            if case .boolean(let v) = value { booleans[k].append(v, repetition: repetition) }
        case .int32(let k):
            if case .int32(let v) = value { int32s[k].append(v, repetition: repetition) }
        case .int64(let k):
            if case .int64(let v) = value { int64s[k].append(v, repetition: repetition) }
        case .double(let k):
            if case .double(let v) = value { doubles[k].append(v, repetition: repetition) }
        case .decimal(let k):
            if case .decimal(let v) = value { decimals[k].append(ParquetDecimal128(unscaled: v), repetition: repetition) }
        case .byteArray(let k):
            if case .bytes(let v) = value { byteArrays[k].append(v, repetition: repetition) }
        }
    }

    /// Adds an entry without a value: a null defined up to `definition` (below the maximum).
    mutating func appendNull(leaf: Int, definition: UInt32, repetition: UInt32) {
        switch slots[leaf] {
        case .boolean(let k): booleans[k].appendNull(definition: definition, repetition: repetition)
        case .int32(let k): int32s[k].appendNull(definition: definition, repetition: repetition)
        case .int64(let k): int64s[k].appendNull(definition: definition, repetition: repetition)
        case .double(let k): doubles[k].appendNull(definition: definition, repetition: repetition)
        case .decimal(let k): decimals[k].appendNull(definition: definition, repetition: repetition)
        case .byteArray(let k): byteArrays[k].appendNull(definition: definition, repetition: repetition)
        }
    }

    /// The levels of leaf `leaf` so far.
    func levels(ofLeaf leaf: Int) -> ChunkLevels {
        switch slots[leaf] {
        case .boolean(let k): return booleans[k].levels
        case .int32(let k): return int32s[k].levels
        case .int64(let k): return int64s[k].levels
        case .double(let k): return doubles[k].levels
        case .decimal(let k): return decimals[k].levels
        case .byteArray(let k): return byteArrays[k].levels
        }
    }

    // MARK: Writing

    /// Writes every leaf's chunk, in the leaves' order, to `sink`; returns their metadata.
    mutating func writeChunks(options: ParquetWriterOptions, to sink: inout PageSink) throws -> [Parquet.ColumnChunkMetadata] {
        var chunks: [Parquet.ColumnChunkMetadata] = []
        chunks.reserveCapacity(leaves.count)
        for (leaf, slot) in zip(leaves, slots) {
            switch slot {
            case .boolean(let k): chunks.append(try ColumnChunkWriter.write(&booleans[k], leaf: leaf, options: options, to: &sink))
            case .int32(let k): chunks.append(try ColumnChunkWriter.write(&int32s[k], leaf: leaf, options: options, to: &sink))
            case .int64(let k): chunks.append(try ColumnChunkWriter.write(&int64s[k], leaf: leaf, options: options, to: &sink))
            case .double(let k): chunks.append(try ColumnChunkWriter.write(&doubles[k], leaf: leaf, options: options, to: &sink))
            case .decimal(let k): chunks.append(try ColumnChunkWriter.write(&decimals[k], leaf: leaf, options: options, to: &sink))
            case .byteArray(let k): chunks.append(try ColumnChunkWriter.write(&byteArrays[k], leaf: leaf, options: options, to: &sink))
            }
        }
        return chunks
    }
}

