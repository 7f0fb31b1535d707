/// What `ColumnChunkWriter` needs of a leaf's chunk (`FixedWidthChunk`, `ByteArrayChunk`,
/// `BooleanChunk`) to write it.
protocol ColumnChunkValues {
    static var physicalType: Parquet.PhysicalType { get }
    var levels: ChunkLevels { get }
    /// Non-null values.
    var valueCount: Int { get }
    /// The entry number of each value, when the chunk is written with its dictionary.
    var indices: ColumnBuffer<UInt32> { get }
    /// Decides the chunk's encoding at the end of its row group: the dictionary's entry count
    /// when it is written (it stayed within its limit and holds at most `maxDistinctRatio` of
    /// the values), else nil, and then the values are PLAIN.
    mutating func finishDictionary(maxDistinctRatio: Double) -> Int?
    /// Bytes of the dictionary page's body.
    var dictionaryPageSize: Int { get }
    func writeDictionaryPage(into out: inout ByteWriter)
    /// PLAIN bytes of every value, when they all have the same (nil for byte arrays).
    static var fixedPlainSize: Int? { get }
    /// PLAIN bytes of value `index` (PLAIN chunks only).
    func plainSize(ofValue index: Int) -> Int
    /// How many values from `start` (at most `maxCount`, at least 1) a page of PLAIN values
    /// takes: up to the one whose bytes bring the page to `maxBytes` (PLAIN chunks only).
    func plainValuesOnPage(from start: Int, maxCount: Int, maxBytes: Int) -> Int
    /// PLAIN bytes of values `range` (PLAIN chunks only).
    func plainSize(ofValues range: Range<Int>) -> Int
    func writePlain(_ range: Range<Int>, into out: inout ByteWriter)
    func statistics() -> Parquet.Statistics
}

/// Writes a leaf's column chunk for its row group: an optional dictionary page, then data
/// pages (v1) cut where rows start (Docs/parquet_writer.md, "Pages").
enum ColumnChunkWriter {
    /// The chunk's pages, built with `encoder`, and its footer metadata.
    static func encode<Chunk: ColumnChunkValues>(
        _ chunk: inout Chunk, leaf: ParquetLeaf, options: ParquetWriterOptions, with encoder: inout PageEncoder
    ) throws -> EncodedChunk {
        _ = encoder.takePages()
        let metadata = try write(&chunk, leaf: leaf, options: options, to: &encoder)
        return EncodedChunk(bytes: encoder.takePages(), metadata: metadata)
    }

    /// Writes the pages to `sink` and returns the metadata (offsets from the chunk's start).
    private static func write<Chunk: ColumnChunkValues>(
        _ chunk: inout Chunk, leaf: ParquetLeaf, options: ParquetWriterOptions, to sink: inout PageEncoder
    ) throws -> Parquet.ColumnChunkMetadata {
        let dictionaryCount = chunk.finishDictionary(maxDistinctRatio: options.dictionaryMaxDistinctRatio)
        let useDictionary = dictionaryCount != nil
        var dictionaryPageOffset: Int64?
        var uncompressedTotal: Int64 = 0
        var compressedTotal: Int64 = 0
        var encodings: [Parquet.Encoding] = [.rle]
        if let dictionaryCount {
            dictionaryPageOffset = sink.offset
            let sizes = try sink.writePage(
                type: .dictionaryPage, valueCount: dictionaryCount, encoding: .plain, bodyBound: chunk.dictionaryPageSize
            ) { chunk.writeDictionaryPage(into: &$0) }
            uncompressedTotal += sizes.uncompressed
            compressedTotal += sizes.compressed
            encodings += [.plain, .rleDictionary]
        } else {
            encodings += [.plain]
        }
        let dataPageOffset = sink.offset
        let levels = chunk.levels
        let maxDefinition = levels.maxDefinition, maxRepetition = levels.maxRepetition
        let indexWidth = max(1, RLEHybridEncoder.bitWidth(forMax: UInt32(max(dictionaryCount ?? 0, 1) - 1)))
        let definitionWidth = RLEHybridEncoder.bitWidth(forMax: maxDefinition)
        let repetitionWidth = RLEHybridEncoder.bitWidth(forMax: maxRepetition)
        let entryCount = levels.entryCount
        // Entries [entryStart, entry) and values [valueStart, value) of the page being cut; a
        // page ends only where a row starts (repetition level 0), so no row spans two pages.
        // A value counts its PLAIN bytes toward `dataPageBytes`, or 1 with a dictionary.
        let valueSize = useDictionary ? 1 : Chunk.fixedPlainSize
        var entryStart = 0, valueStart = 0, value = 0, entry = 0
        var pageRows = 0, pageBytes = 0
        while entry < entryCount {
            if maxRepetition == 0 && maxDefinition == 0 {
                // Every entry is a row with a value: the page takes rows up to `pageRowLimit`,
                // or to the value that brings it to `dataPageBytes`.
                let maxCount = min(max(1, options.pageRowLimit), entryCount - entry)
                let count: Int
                if let valueSize {
                    let toBytes = options.dataPageBytes <= 0 ? 1 : (options.dataPageBytes - 1) / valueSize + 1
                    count = min(maxCount, toBytes)
                } else {
                    count = chunk.plainValuesOnPage(from: value, maxCount: maxCount, maxBytes: options.dataPageBytes)
                }
                entry += count
                value += count
            } else if maxRepetition == 0 {
                // Every entry is a row, some without a value.
                levels.definition.withUnsafeBufferPointer { definition in
                    while entry < entryCount {
                        if definition[entry] == maxDefinition {
                            pageBytes += valueSize ?? chunk.plainSize(ofValue: value)
                            value += 1
                        }
                        entry += 1
                        pageRows += 1
                        if pageRows >= options.pageRowLimit || pageBytes >= options.dataPageBytes { break }
                    }
                }
            } else {
                // Entry by entry: a page ends after the entry that reaches a limit and ends a row.
                while entry < entryCount {
                    if maxDefinition == 0 || levels.definition[entry] == maxDefinition {
                        pageBytes += valueSize ?? chunk.plainSize(ofValue: value)
                        value += 1
                    }
                    entry += 1
                    let rowEnds = entry == entryCount || levels.repetition[entry] == 0
                    if rowEnds { pageRows += 1 }
                    if rowEnds && (pageRows >= options.pageRowLimit || pageBytes >= options.dataPageBytes) { break }
                }
            }
            let entries = entryStart ..< entry, values = valueStart ..< value
            var bound = 0
            if maxRepetition > 0 { bound += 4 + RLEHybridEncoder.maxEncodedBytes(count: entries.count, bitWidth: repetitionWidth) }
            if maxDefinition > 0 { bound += 4 + RLEHybridEncoder.maxEncodedBytes(count: entries.count, bitWidth: definitionWidth) }
            bound += useDictionary
                ? 1 + RLEHybridEncoder.maxEncodedBytes(count: values.count, bitWidth: indexWidth)
                : chunk.plainSize(ofValues: values)
            let sizes = try sink.writePage(
                type: .dataPage, valueCount: entries.count, encoding: useDictionary ? .rleDictionary : .plain, bodyBound: bound
            ) { out in
                if maxRepetition > 0 { writeLevels(levels.repetition, entries, bitWidth: repetitionWidth, into: &out) }
                if maxDefinition > 0 { writeLevels(levels.definition, entries, bitWidth: definitionWidth, into: &out) }
                if useDictionary {
                    out.append(UInt8(indexWidth))
                    chunk.indices.withUnsafeBufferPointer { all in
                        RLEHybridEncoder.encode(UnsafeBufferPointer(rebasing: all[values]), bitWidth: indexWidth, into: &out)
                    }
                } else {
                    chunk.writePlain(values, into: &out)
                }
            }
            uncompressedTotal += sizes.uncompressed
            compressedTotal += sizes.compressed
            entryStart = entry
            valueStart = value
            pageRows = 0
            pageBytes = 0
        }
        return Parquet.ColumnChunkMetadata(
            physicalType: Chunk.physicalType, encodings: encodings, path: leaf.path,
            codec: sink.parquetCodec, valueCount: Int64(entryCount), uncompressedSize: uncompressedTotal,
            compressedSize: compressedTotal, dataPageOffset: dataPageOffset, dictionaryPageOffset: dictionaryPageOffset,
            statistics: chunk.statistics())
    }

    /// Levels `range` as a data page v1 has them: a u32 little-endian length and the hybrid
    /// encoding.
    private static func writeLevels(_ levels: ColumnBuffer<UInt32>, _ range: Range<Int>, bitWidth: Int, into out: inout ByteWriter) {
        let lengthAt = out.count
        out.appendUInt32(littleEndian: 0)
        levels.withUnsafeBufferPointer { all in
            RLEHybridEncoder.encode(UnsafeBufferPointer(rebasing: all[range]), bitWidth: bitWidth, into: &out)
        }
        out.setUInt32(littleEndian: UInt32(truncatingIfNeeded: out.count - lengthAt - 4), at: lengthAt)
    }
}
