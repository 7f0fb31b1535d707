/// The values of one INT32, INT64, DOUBLE or DECIMAL leaf column in the row group being
/// built (Docs/parquet_writer.md, "Dictionary and fallback").
///
/// While the chunk's dictionary stays within `dictionaryPageBytes`, a value is stored as its
/// entry number only (`indices`), the dictionary holding each distinct value once; past the
/// limit the chunk falls back to PLAIN: every value so far is written out from the dictionary
/// into `values`, and later ones go there directly. The minimum and maximum are updated when
/// a value is new to the dictionary (a value seen before cannot change them) or, after the
/// fallback, for every value.
struct FixedWidthChunk<Value: FixedWidthParquetValue> {
    private(set) var levels: ChunkLevels
    /// Non-null values.
    private(set) var valueCount = 0
    /// The values, once the chunk is PLAIN (empty while the dictionary is on).
    private var values = ColumnBuffer<Value>()
    /// Whether values are dictionary entries (`indices`), not yet PLAIN.
    private var dictionaryOn = true
    private var dictionary = ColumnBuffer<Value>()
    private var table = DictionaryHashTable()
    /// The entry number of each value, while the dictionary is on.
    private(set) var indices = ColumnBuffer<UInt32>()
    /// The dictionary page's PLAIN bytes, counting the value that overflowed it.
    private var dictionaryPageBytes = 0
    private let dictionaryLimit: Int
    private let seed: UInt64
    private var minimum: Value?
    private var maximum: Value?

    init(levels: ChunkLevels, dictionaryLimit: Int, seed: UInt64) {
        self.levels = levels
        self.dictionaryLimit = dictionaryLimit
        self.seed = seed
    }

    /// What the chunk counts toward its row group's size: every value's PLAIN bytes, the
    /// levels, and 4 bytes per entry number while the dictionary is on.
    var bufferedBytes: Int {
        valueCount * Value.plainWidth + levels.bufferedBytes + (dictionaryOn ? indices.count * 4 : 0)
    }

    // MARK: Adding values

    /// Adds an entry without a value: a null defined up to `definition`.
    mutating func appendNull(definition: UInt32, repetition: UInt32) {
        levels.addNull(definition: definition, repetition: repetition)
    }

    /// Adds an entry with a value, at the maximum definition level: its dictionary entry, or,
    /// once the chunk is PLAIN, the value.
    @inline(__always)
    mutating func append(_ value: Value, repetition: UInt32) {
        levels.addValue(repetition: repetition)
        valueCount += 1
        guard dictionaryOn else {
            values.append(value)
            updateStatistics(value)
            return
        }
        let hash = value.dictionaryHash(seed: seed)
        let lookup = dictionary.withUnsafeBufferPointer { entries in
            table.lookup(hash: hash) { entries[$0].hasSamePlainBytes(as: value) }
        }
        switch lookup {
        case .found(let entry):
            indices.append(entry)
        case .absent(let slot):
            addNew(value, hash: hash, slot: slot)
        }
    }

    /// Adds a value new to the dictionary: as a new entry, or, when the dictionary would
    /// outgrow its limit, as the first of the PLAIN values.
    private mutating func addNew(_ value: Value, hash: UInt64, slot: Int) {
        dictionaryPageBytes += Value.plainWidth
        if dictionaryPageBytes > dictionaryLimit || dictionary.count >= DictionaryHashTable.maxEntries {
            fallBackToPlain()
            values.append(value)
        } else {
            table.insert(dictionary.count, hash: hash, at: slot)
            indices.append(UInt32(truncatingIfNeeded: dictionary.count))
            dictionary.append(value)
        }
        updateStatistics(value)
    }

    /// Ends the dictionary: the values so far become PLAIN.
    private mutating func fallBackToPlain() {
        values.reserveCapacity(valueCount)
        dictionary.withUnsafeBufferPointer { entries in
            for index in indices { values.append(entries[Int(index)]) }
        }
        dictionaryOn = false
        dictionary = ColumnBuffer()
        table = DictionaryHashTable()
        indices = ColumnBuffer()
    }

    /// The maximum is compared first: a value above it cannot be below the minimum.
    private mutating func updateStatistics(_ value: Value) {
        guard value.countsInStatistics else { return }
        guard let maximum, let minimum else {
            minimum = value
            maximum = value
            return
        }
        if maximum.sortsBefore(value) {
            self.maximum = value
        } else if value.sortsBefore(minimum) {
            self.minimum = value
        }
    }
}

extension FixedWidthChunk: ColumnChunkValues {
    static var physicalType: Parquet.PhysicalType { Value.physicalType }

    mutating func finishDictionary(maxDistinctRatio: Double) -> Int? {
        if dictionaryOn && !dictionary.isEmpty && dictionary.count <= Int(Double(max(valueCount, 1)) * maxDistinctRatio) {
            return dictionary.count
        }
        if dictionaryOn { fallBackToPlain() }
        return nil
    }

    var dictionaryPageSize: Int { dictionary.count * Value.plainWidth }

    func writeDictionaryPage(into out: inout ByteWriter) {
        dictionary.withUnsafeBufferPointer { Self.writePlain($0, into: &out) }
    }

    static var fixedPlainSize: Int? { Value.plainWidth }

    func plainSize(ofValue index: Int) -> Int { Value.plainWidth }

    func plainValuesOnPage(from start: Int, maxCount: Int, maxBytes: Int) -> Int {
        min(maxCount, maxBytes <= 0 ? 1 : (maxBytes - 1) / Value.plainWidth + 1)
    }

    func plainSize(ofValues range: Range<Int>) -> Int { range.count * Value.plainWidth }

    func writePlain(_ range: Range<Int>, into out: inout ByteWriter) {
        values.withUnsafeBufferPointer { Self.writePlain(UnsafeBufferPointer(rebasing: $0[range]), into: &out) }
    }

    private static func writePlain(_ values: UnsafeBufferPointer<Value>, into out: inout ByteWriter) {
        let width = Value.plainWidth
        out.appendBulk(values.count * width) { address in
            for (k, value) in values.enumerated() { value.storePlain(at: address + k * width) }
        }
    }

    func statistics() -> Parquet.Statistics {
        Parquet.Statistics(nullCount: Int64(levels.nullCount), min: minimum?.plainBytes, max: maximum?.plainBytes)
    }
}
