/// The column chunks of the row group being built: one per leaf column, each kept in an array
/// of its own physical type (so adding a value runs code specialized for the type, with no
/// class or existential in between), and the bytes they buffer for row-group sizing.
struct RowGroupBuilder {
    /// Where a leaf's chunk is: its store and its position there.
    private enum Slot {
        case boolean(Int), int32(Int), int64(Int), double(Int), decimal(Int), byteArray(Int)
    }

    let leaves: [ParquetLeaf]
    private let slots: [Slot]
    /// Per leaf, the levels an entry stores (`ChunkLevels.levelsPerEntry`).
    private let levelsPerEntry: [Int]
    private var booleans: [BooleanChunk] = []
    private var int32s: [FixedWidthChunk<Int32>] = []
    private var int64s: [FixedWidthChunk<Int64>] = []
    private var doubles: [FixedWidthChunk<Double>] = []
    private var decimals: [FixedWidthChunk<ParquetDecimal128>] = []
    private var byteArrays: [ByteArrayChunk] = []
    /// The sum of the chunks' `bufferedBytes`, kept as values arrive (each append says how
    /// much its chunk's changed).
    private(set) var bufferedBytes = 0

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
        levelsPerEntry = leaves.map { ChunkLevels(maxDefinition: $0.maxDefinition, maxRepetition: $0.maxRepetition).levelsPerEntry }
    }

    // MARK: Adding entries

    /// Adds an entry with non-null `value` (which the leaf's `LeafValueCheck` accepted) at the
    /// leaf's maximum definition level.
    @inline(__always)
    mutating func appendValue(_ value: ParquetValue, leaf: Int, repetition: UInt32) {
        switch slots[leaf] {
        case .boolean(let k):
            guard case .boolean(let v) = value else { return }
            bufferedBytes += booleans[k].append(v, repetition: repetition)
        case .int32(let k):
            guard case .int32(let v) = value else { return }
            bufferedBytes += int32s[k].append(v, repetition: repetition)
        case .int64(let k):
            guard case .int64(let v) = value else { return }
            bufferedBytes += int64s[k].append(v, repetition: repetition)
        case .double(let k):
            guard case .double(let v) = value else { return }
            bufferedBytes += doubles[k].append(v, repetition: repetition)
        case .decimal(let k):
            guard case .decimal(let v) = value else { return }
            bufferedBytes += decimals[k].append(ParquetDecimal128(unscaled: v), repetition: repetition)
        case .byteArray(let k):
            guard case .bytes(let v) = value else { return }
            bufferedBytes += byteArrays[k].append(v, repetition: repetition)
        }
    }

    /// Adds an entry without a value: a null defined up to `definition` (below the maximum).
    @inline(__always)
    mutating func appendNull(leaf: Int, definition: UInt32, repetition: UInt32) {
        switch slots[leaf] {
        case .boolean(let k): booleans[k].appendNull(definition: definition, repetition: repetition)
        case .int32(let k): int32s[k].appendNull(definition: definition, repetition: repetition)
        case .int64(let k): int64s[k].appendNull(definition: definition, repetition: repetition)
        case .double(let k): doubles[k].appendNull(definition: definition, repetition: repetition)
        case .decimal(let k): decimals[k].appendNull(definition: definition, repetition: repetition)
        case .byteArray(let k): byteArrays[k].appendNull(definition: definition, repetition: repetition)
        }
        // A null adds only its levels to the chunk's buffered bytes: one each it stores.
        bufferedBytes += levelsPerEntry[leaf]
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
