/// The values of one BYTE_ARRAY leaf column (string, JSON, binary) in the row group being
/// built: as `FixedWidthChunk`, entry numbers into a dictionary until it outgrows
/// `dictionaryPageBytes`, then PLAIN. Byte arrays live in flat buffers (`data` with
/// `offsets`), never one array per value; the minimum and maximum are compared in place and
/// copied only when they change.
struct ByteArrayChunk {
    private(set) var levels: ChunkLevels
    /// Non-null values.
    private(set) var valueCount = 0
    /// The bytes of every value, for row-group sizing.
    private var plainByteCount = 0
    /// Once PLAIN: value `i` is `data[offsets[i] ..< offsets[i + 1]]`.
    private var data = ColumnBuffer<UInt8>()
    private var offsets = ColumnBuffer<Int>()
    /// Whether values are dictionary entries (`indices`), not yet PLAIN.
    private var dictionaryOn = true
    /// Entry `e` is `dictionaryData[dictionaryOffsets[e] ..< dictionaryOffsets[e + 1]]`.
    private var dictionaryData = ColumnBuffer<UInt8>()
    private var dictionaryOffsets = ColumnBuffer<Int>()
    private var table = DictionaryHashTable()
    /// The entry number of each value, while the dictionary is on.
    private(set) var indices = ColumnBuffer<UInt32>()
    /// The dictionary page's PLAIN bytes (a 4-byte length and the bytes per entry), counting
    /// the value that overflowed it.
    private var dictionaryPageBytes = 0
    private let dictionaryLimit: Int
    private let seed: UInt64
    private var minimum: [UInt8] = []
    private var maximum: [UInt8] = []
    private var hasStatistics = false

    init(levels: ChunkLevels, dictionaryLimit: Int, seed: UInt64) {
        self.levels = levels
        self.dictionaryLimit = dictionaryLimit
        self.seed = seed
        offsets.append(0)
        dictionaryOffsets.append(0)
    }

    /// What the chunk counts toward its row group's size: every value's bytes, the levels,
    /// and 4 bytes per entry number while the dictionary is on.
    var bufferedBytes: Int {
        plainByteCount + levels.bufferedBytes + (dictionaryOn ? indices.count * 4 : 0)
    }

    // MARK: Adding values

    /// Adds an entry without a value: a null defined up to `definition`.
    mutating func appendNull(definition: UInt32, repetition: UInt32) {
        levels.addNull(definition: definition, repetition: repetition)
    }

    /// Adds an entry with a value, at the maximum definition level.
    mutating func append(_ bytes: [UInt8], repetition: UInt32) {
        bytes.withUnsafeBufferPointer { append($0, repetition: repetition) }
    }

    /// Adds an entry with a value: its dictionary entry (a new one if need be), or, once the
    /// chunk is PLAIN, its bytes. (The bytes are typed, not raw: appending them is then one
    /// memcpy.)
    mutating func append(_ value: UnsafeBufferPointer<UInt8>, repetition: UInt32) {
        levels.addValue(repetition: repetition)
        valueCount += 1
        plainByteCount += value.count
        let bytes = UnsafeRawBufferPointer(value)
        guard dictionaryOn else {
            updateStatistics(value)
            data.append(contentsOf: value)
            offsets.append(data.count)
            return
        }
        // A run of equal values (a partition key over its sort keys) takes the last entry
        // without hashing.
        if let last = indices.last, dictionaryEntry(Int(last), equals: bytes) {
            indices.append(last)
            return
        }
        let hash = DictionaryHashing.hash(bytes, seed: seed)
        let lookup = table.lookup(hash: hash) { dictionaryEntry($0, equals: bytes) }
        switch lookup {
        case .found(let entry):
            indices.append(entry)
        case .absent(let slot):
            dictionaryPageBytes += 4 + value.count
            let entry = dictionaryOffsets.count - 1
            if dictionaryPageBytes > dictionaryLimit || entry >= DictionaryHashTable.maxEntries {
                fallBackToPlain()
                updateStatistics(value)
                data.append(contentsOf: value)
                offsets.append(data.count)
            } else {
                table.insert(entry, hash: hash, at: slot)
                indices.append(UInt32(truncatingIfNeeded: entry))
                dictionaryData.append(contentsOf: value)
                dictionaryOffsets.append(dictionaryData.count)
                updateStatistics(value)
            }
        }
    }

    /// The dictionary entry equal to `value` (a `.bytes`) and its size, if the dictionary is
    /// on and holds it. Reads only, so that a caller can look a value up where it lies and
    /// add it with `appendEntry`: Swift copies (retains) a value it reads across a write of
    /// memory.
    @inline(__always)
    func dictionaryEntry(of value: ParquetValue) -> (entry: UInt32, size: Int)? {
        guard dictionaryOn, case .bytes(let bytes) = value else { return nil }
        let size = bytes.count
        let entry: UInt32? = bytes.withUnsafeBytes { bytes in
            dictionaryOffsets.withUnsafeBufferPointer { offsets in
                dictionaryData.withUnsafeBufferPointer { data in
                    let entries = UnsafeRawBufferPointer(data)
                    func holds(_ entry: Int) -> Bool {
                        let start = offsets[entry], end = offsets[entry + 1]
                        return end - start == bytes.count && Self.equal(UnsafeRawBufferPointer(rebasing: entries[start ..< end]), bytes)
                    }
                    if let last = indices.last, holds(Int(last)) { return last }
                    let hash = DictionaryHashing.hash(bytes, seed: seed)
                    if case .found(let entry) = table.lookup(hash: hash, isEntry: holds) { return entry }
                    return nil
                }
            }
        }
        return entry.map { ($0, size) }
    }

    /// Adds a value of `size` bytes that is dictionary entry `entry` (as
    /// `dictionaryEntry(of:)` found it).
    @inline(__always)
    mutating func appendEntry(_ entry: UInt32, size: Int, repetition: UInt32) {
        levels.addValue(repetition: repetition)
        valueCount += 1
        plainByteCount += size
        indices.append(entry)
    }

    /// Whether dictionary entry `entry` holds `bytes`.
    @inline(__always)
    private func dictionaryEntry(_ entry: Int, equals bytes: UnsafeRawBufferPointer) -> Bool {
        let start = dictionaryOffsets[entry], end = dictionaryOffsets[entry + 1]
        guard end - start == bytes.count else { return false }
        return dictionaryData.withUnsafeBufferPointer { Self.equal(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: $0[start ..< end])), bytes) }
    }

    /// Ends the dictionary: the values so far become PLAIN.
    private mutating func fallBackToPlain() {
        data.reserveCapacity(plainByteCount)
        offsets.reserveCapacity(valueCount + 1)
        dictionaryData.withUnsafeBufferPointer { entries in
            for index in indices {
                let entry = Int(index)
                data.append(contentsOf: UnsafeBufferPointer(rebasing: entries[dictionaryOffsets[entry] ..< dictionaryOffsets[entry + 1]]))
                offsets.append(data.count)
            }
        }
        dictionaryOn = false
        dictionaryData = ColumnBuffer()
        dictionaryOffsets = ColumnBuffer()
        dictionaryOffsets.append(0)
        table = DictionaryHashTable()
        indices = ColumnBuffer()
    }

    // MARK: Statistics

    /// Unsigned bytewise order, shorter first on a common prefix (also UTF-8's code point
    /// order). The maximum is compared first: a value above it cannot be below the minimum.
    private mutating func updateStatistics(_ value: UnsafeBufferPointer<UInt8>) {
        let bytes = UnsafeRawBufferPointer(value)
        guard hasStatistics else {
            minimum = Array(value)
            maximum = minimum
            hasStatistics = true
            return
        }
        let order = maximum.withUnsafeBytes { Self.compare(bytes, $0) }
        if order > 0 {
            maximum.removeAll(keepingCapacity: true)
            maximum.append(contentsOf: value)
        } else if order < 0 && minimum.withUnsafeBytes({ Self.compare(bytes, $0) }) < 0 {
            minimum.removeAll(keepingCapacity: true)
            minimum.append(contentsOf: value)
        }
    }

    /// -1, 0 or 1 as `a` sorts before, with or after `b`: 8 bytes at a time as big-endian words
    /// (the last word of the common length read again from 8 bytes before its end).
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = min(a.count, b.count)
        var i = 0
        while i + 8 <= common {
            let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if x != y { return x < y ? -1 : 1 }
            i += 8
        }
        if i < common {
            if common >= 8 {
                // The bytes before `common - 8` are equal: comparing from there is comparing the rest.
                let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: common - 8, as: UInt64.self))
                let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: common - 8, as: UInt64.self))
                if x != y { return x < y ? -1 : 1 }
            } else {
                while i < common {
                    if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
                    i += 1
                }
            }
        }
        return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
    }

    /// Whether `a` and `b` hold the same bytes.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = a.count
        guard n == b.count else { return false }
        if n >= 8 {
            var i = 0
            while i + 8 < n {
                if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                    return false
                }
                i += 8
            }
            // The last 8 bytes (overlapping those compared when `n` is not a multiple of 8).
            return a.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        }
        for i in 0 ..< n where a[i] != b[i] { return false }
        return true
    }
}

extension ByteArrayChunk: ColumnChunkValues {
    static var physicalType: Parquet.PhysicalType { .byteArray }

    mutating func finishDictionary(maxDistinctRatio: Double) -> Int? {
        let entries = dictionaryOffsets.count - 1
        if dictionaryOn && entries > 0 && entries <= Int(Double(max(valueCount, 1)) * maxDistinctRatio) {
            return entries
        }
        if dictionaryOn { fallBackToPlain() }
        return nil
    }

    var dictionaryPageSize: Int { 4 * (dictionaryOffsets.count - 1) + dictionaryData.count }

    func writeDictionaryPage(into out: inout ByteWriter) {
        Self.writePlain(dictionaryData, dictionaryOffsets, 0 ..< dictionaryOffsets.count - 1, into: &out)
    }

    static var fixedPlainSize: Int? { nil }

    func plainSize(ofValue index: Int) -> Int { 4 + offsets[index + 1] - offsets[index] }

    func plainValuesOnPage(from start: Int, maxCount: Int, maxBytes: Int) -> Int {
        offsets.withUnsafeBufferPointer { offsets in
            var bytes = 0
            for count in 1 ..< maxCount {
                bytes += 4 + offsets[start + count] - offsets[start + count - 1]
                if bytes >= maxBytes { return count }
            }
            return maxCount
        }
    }

    func plainSize(ofValues range: Range<Int>) -> Int { 4 * range.count + offsets[range.upperBound] - offsets[range.lowerBound] }

    func writePlain(_ range: Range<Int>, into out: inout ByteWriter) {
        Self.writePlain(data, offsets, range, into: &out)
    }

    /// Values `range` of `data` (with `offsets`) in PLAIN form: a u32 little-endian length and
    /// the bytes, each.
    private static func writePlain(
        _ data: ColumnBuffer<UInt8>, _ offsets: ColumnBuffer<Int>, _ range: Range<Int>, into out: inout ByteWriter
    ) {
        let size = 4 * range.count + offsets[range.upperBound] - offsets[range.lowerBound]
        data.withUnsafeBufferPointer { bytes in
            out.appendBulk(size) { target in
                var at = 0
                for i in range {
                    let start = offsets[i], count = offsets[i + 1] - start
                    target.storeBytes(of: UInt32(truncatingIfNeeded: count).littleEndian, toByteOffset: at, as: UInt32.self)
                    if let source = bytes.baseAddress, count > 0 { (target + at + 4).copyMemory(from: source + start, byteCount: count) }
                    at += 4 + count
                }
            }
        }
    }

    func statistics() -> Parquet.Statistics {
        Parquet.Statistics(
            nullCount: Int64(levels.nullCount), min: hasStatistics ? minimum : nil, max: hasStatistics ? maximum : nil)
    }
}
