/// The level entries of one leaf column in the row group being built: one per value, null,
/// or empty list or map (Docs/parquet_writer.md, "Nested columns"). A REQUIRED flat column
/// (both maxima 0) stores no levels, only the count.
struct ChunkLevels {
    /// Highest definition level: the OPTIONAL and REPEATED nodes on the leaf's path.
    let maxDefinition: UInt32
    /// Highest repetition level: the REPEATED nodes on the leaf's path.
    let maxRepetition: UInt32
    /// Per entry, when `maxDefinition` > 0.
    private(set) var definition = ColumnBuffer<UInt32>()
    /// Per entry, when `maxRepetition` > 0: 0 starts a row.
    private(set) var repetition = ColumnBuffer<UInt32>()
    private(set) var entryCount = 0
    /// Entries below `maxDefinition` (nulls, and null or empty lists and maps above the leaf).
    private(set) var nullCount = 0

    init(maxDefinition: UInt32, maxRepetition: UInt32) {
        self.maxDefinition = maxDefinition
        self.maxRepetition = maxRepetition
    }

    /// An entry with a value (at the maximum definition level).
    @inline(__always)
    mutating func addValue(repetition level: UInt32) {
        if maxDefinition > 0 { definition.append(maxDefinition) }
        if maxRepetition > 0 { repetition.append(level) }
        entryCount += 1
    }

    /// An entry without a value: a null defined up to `definitionLevel` (below the maximum).
    @inline(__always)
    mutating func addNull(definition definitionLevel: UInt32, repetition level: UInt32) {
        if maxDefinition > 0 { definition.append(definitionLevel) }
        if maxRepetition > 0 { repetition.append(level) }
        entryCount += 1
        nullCount += 1
    }

    /// What the levels count toward a row group's buffered bytes: one per level stored.
    var bufferedBytes: Int { definition.count + repetition.count }
}
