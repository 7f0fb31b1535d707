/// The values of one BOOLEAN leaf column in the row group being built: PLAIN always (no
/// dictionary), one bit per value in pages.
struct BooleanChunk {
    private(set) var levels: ChunkLevels
    private var values = ColumnBuffer<Bool>()
    private var minimum: Bool?
    private var maximum: Bool?

    init(levels: ChunkLevels) {
        self.levels = levels
    }

    var valueCount: Int { values.count }

    /// What the chunk counts toward its row group's size: a bit per value, and the levels.
    var bufferedBytes: Int { values.count / 8 + levels.bufferedBytes }

    /// Adds an entry without a value: a null defined up to `definition`.
    mutating func appendNull(definition: UInt32, repetition: UInt32) {
        levels.addNull(definition: definition, repetition: repetition)
    }

    /// Adds an entry with a value, at the maximum definition level.
    mutating func append(_ value: Bool, repetition: UInt32) {
        levels.addValue(repetition: repetition)
        values.append(value)
        // false sorts before true.
        if minimum == nil || (minimum == true && !value) { minimum = value }
        if maximum == nil || (maximum == false && value) { maximum = value }
    }
}

extension BooleanChunk: ColumnChunkValues {
    static var physicalType: Parquet.PhysicalType { .boolean }

    var indices: ColumnBuffer<UInt32> { ColumnBuffer() }

    mutating func finishDictionary(maxDistinctRatio: Double) -> Int? { nil }

    var dictionaryPageSize: Int { 0 }

    func writeDictionaryPage(into out: inout ByteWriter) {}

    static var fixedPlainSize: Int? { 1 }

    func plainSize(ofValue index: Int) -> Int { 1 }

    func plainValuesOnPage(from start: Int, maxCount: Int, maxBytes: Int) -> Int {
        min(maxCount, max(1, maxBytes))
    }

    func plainSize(ofValues range: Range<Int>) -> Int { (range.count + 7) / 8 }

    /// One bit per value, least significant bit first.
    func writePlain(_ range: Range<Int>, into out: inout ByteWriter) {
        var byte: UInt8 = 0
        for (k, i) in range.enumerated() {
            if values[i] { byte |= 1 << UInt8(k % 8) }
            if k % 8 == 7 {
                out.append(byte)
                byte = 0
            }
        }
        if range.count % 8 != 0 { out.append(byte) }
    }

    func statistics() -> Parquet.Statistics {
        Parquet.Statistics(
            nullCount: Int64(levels.nullCount), min: minimum.map { [$0 ? 1 : 0] }, max: maximum.map { [$0 ? 1 : 0] })
    }
}
