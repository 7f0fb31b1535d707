import CairnLSM

/// The values of one leaf column in the row group being written, and how they become pages.
///
/// Level entries arrive a row at a time: from `append` for a flat column (one entry per row),
/// or from a `ColumnShredder` for a leaf of a nested one (`appendNull`, `appendValue`). A
/// non-null value is kept in its PLAIN form (fixed-width bytes, or a byte array in one buffer
/// with offsets) and, while the column's dictionary stays under its limit, also as an index
/// into the dictionary. At the end of the row group the chunk is written as a dictionary page
/// and RLE_DICTIONARY data pages, or, when the dictionary grew past its limit or would not
/// pay, as PLAIN data pages (the fallback). Statistics (min, max, null count) are kept as
/// values arrive.
final class ColumnChunkBuilder {
    let leaf: ParquetLeaf
    /// The leaf's dotted path, for error messages (made once: not per value).
    private let columnName: String
    private let options: ParquetWriterOptions
    /// The kind of the values stored (a primitive).
    private let valueKind: ParquetColumn.Kind
    /// Highest definition level: the OPTIONAL and REPEATED nodes on the leaf's path.
    private let maxDefinition: UInt32
    /// Highest repetition level: the REPEATED nodes on the leaf's path.
    private let maxRepetition: UInt32
    private let physicalType: Parquet.PhysicalType

    /// Level entries: one per value, null, or empty list or map.
    private var entryCount = 0
    /// Per entry, when `maxDefinition` > 0.
    private(set) var definitionLevels: [UInt32] = []
    /// Per entry, when `maxRepetition` > 0: 0 starts a row.
    private(set) var repetitionLevels: [UInt32] = []
    /// Entries below `maxDefinition` (nulls, and null or empty lists and maps above the leaf).
    private var nullCount = 0

    /// Non-null values: booleans, or PLAIN bytes (fixed width, or byte arrays with offsets).
    private var booleans: [Bool] = []
    private var plain: [UInt8] = []
    private var offsets: [Int] = [0]
    private var valueCount = 0

    /// Value (PLAIN bytes, without a length prefix) → index; nil once the dictionary is given up.
    private var dictionary: [[UInt8]: UInt32]? = [:]
    private var dictionaryValues: [[UInt8]] = []
    private var dictionaryBytes = 0
    private var indices: [UInt32] = []

    private var minimum: [UInt8]?
    private var maximum: [UInt8]?

    init(leaf: ParquetLeaf, options: ParquetWriterOptions) {
        self.leaf = leaf
        columnName = leaf.dottedPath
        self.options = options
        valueKind = leaf.kind
        maxDefinition = leaf.maxDefinition
        maxRepetition = leaf.maxRepetition
        physicalType = ParquetColumn.physicalType(of: leaf.kind)
        if valueKind == .boolean { dictionary = nil }
    }

    /// Bytes buffered, for row-group sizing.
    var bufferedBytes: Int {
        plain.count + booleans.count / 8 + definitionLevels.count + repetitionLevels.count + indices.count * 4
    }

    // MARK: Adding values

    /// For a flat column (a top-level primitive: `maxRepetition` 0, `maxDefinition` 0 or 1):
    /// throws unless `value` fits it (checked for a whole row before any of it is added, so a
    /// refused row leaves every column as it was).
    func check(_ value: ParquetValue) throws {
        if case .null = value {
            guard maxDefinition > 0 else { throw ExportError.encoding("column \(columnName) is REQUIRED and got a null") }
            return
        }
        try Self.checkValue(value, kind: valueKind, column: columnName)
    }

    /// Throws unless non-null `value` fits primitive `kind`; `column` names the column.
    static func checkValue(_ value: ParquetValue, kind: ParquetColumn.Kind, column: String) throws {
        switch (kind, value) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.timestampMicros, .int64), (.double, .double):
            break
        case (.string, .bytes(let bytes)), (.json, .bytes(let bytes)), (.binary, .bytes(let bytes)):
            guard bytes.count <= Int(Int32.max) else {
                throw ExportError.encoding("a value of column \(column) has \(bytes.count) bytes")
            }
        case (.decimal(let precision, _), .decimal(let unscaled)):
            guard unscaled.magnitude < powerOfTen(precision) else {
                throw ExportError.encoding("\(unscaled) does not fit DECIMAL(\(precision)) of column \(column)")
            }
        default:
            throw ExportError.encoding("column \(column) (\(kind.name)) got \(value)")
        }
    }

    /// For a flat column: adds one row's value, which `check` accepted.
    func append(_ value: ParquetValue) {
        if case .null = value {
            addEntry(definition: 0, repetition: 0)
            nullCount += 1
        } else {
            addEntry(definition: maxDefinition, repetition: 0)
            appendValue(value)
        }
    }

    /// Adds an entry without a value: a null defined up to `definition` (below the maximum).
    func appendNull(definition: UInt32, repetition: UInt32) {
        addEntry(definition: definition, repetition: repetition)
        nullCount += 1
    }

    /// Adds an entry with non-null `value` (which `checkValue` accepted), at the maximum
    /// definition level.
    func appendValue(_ value: ParquetValue, repetition: UInt32) {
        addEntry(definition: maxDefinition, repetition: repetition)
        appendValue(value)
    }

    private func addEntry(definition: UInt32, repetition: UInt32) {
        if maxDefinition > 0 { definitionLevels.append(definition) }
        if maxRepetition > 0 { repetitionLevels.append(repetition) }
        entryCount += 1
    }

    /// Stores one non-null value.
    private func appendValue(_ value: ParquetValue) {
        switch value {
        case .boolean(let b):
            booleans.append(b)
            updateStatistics([b ? 1 : 0])
        case .int32(let v):
            addFixed(withUnsafeBytes(of: v.littleEndian) { Array($0) })
        case .int64(let v):
            addFixed(withUnsafeBytes(of: v.littleEndian) { Array($0) })
        case .double(let v):
            addFixed(withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) })
        case .bytes(let bytes):
            plain.append(contentsOf: bytes)
            offsets.append(plain.count)
            addToDictionary(bytes)
            updateStatistics(bytes)
        case .decimal(let unscaled):
            addFixed(withUnsafeBytes(of: unscaled.bigEndian) { Array($0) })
        case .null, .list, .group, .map:
            return  // `checkValue` refuses these as values
        }
        valueCount += 1
    }

    private func addFixed(_ bytes: [UInt8]) {
        plain.append(contentsOf: bytes)
        addToDictionary(bytes)
        updateStatistics(bytes)
    }

    private func addToDictionary(_ bytes: [UInt8]) {
        guard dictionary != nil else { return }
        if let index = dictionary?[bytes] {
            indices.append(index)
            return
        }
        let index = UInt32(dictionaryValues.count)
        dictionaryBytes += bytes.count + (physicalType == .byteArray ? 4 : 0)
        if dictionaryBytes > options.dictionaryPageBytes {
            // The fallback: this chunk is written PLAIN.
            dictionary = nil
            dictionaryValues = []
            indices = []
            return
        }
        dictionary?[bytes] = index
        dictionaryValues.append(bytes)
        indices.append(index)
    }

    /// 10^digits as an unsigned 128-bit number (digits ≤ 38).
    static func powerOfTen(_ digits: Int) -> UInt128 {
        var result: UInt128 = 1
        for _ in 0..<min(digits, 38) { result *= 10 }
        return result
    }

    // MARK: Statistics

    private func updateStatistics(_ value: [UInt8]) {
        if case .double = valueKind {
            let d = Double(bitPattern: value.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
            if d.isNaN { return }  // NaN is left out of min and max, as Parquet asks
        }
        if minimum.map({ compare(value, $0) < 0 }) ?? true { minimum = value }
        if maximum.map({ compare(value, $0) > 0 }) ?? true { maximum = value }
    }

    /// The column type's order on two PLAIN values.
    private func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch valueKind {
        case .boolean:
            return sign(a[0], b[0])
        case .int32:
            return sign(a.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) },
                        b.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) })
        case .int64, .timestampMicros:
            return sign(a.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) },
                        b.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) })
        case .double:
            return sign(a.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) },
                        b.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) })
        case .decimal:
            return sign(a.withUnsafeBytes { Int128(bigEndian: $0.loadUnaligned(as: Int128.self)) },
                        b.withUnsafeBytes { Int128(bigEndian: $0.loadUnaligned(as: Int128.self)) })
        case .string, .json, .binary, .list, .group, .map:
            // Unsigned bytewise, which is also UTF-8's code point order.
            for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
            return sign(a.count, b.count)
        }
    }

    // MARK: Writing

    /// Writes the chunk's pages to `sink` and returns its footer metadata.
    func writePages(to sink: inout PageSink, compressor: inout PageCompressor) throws -> Parquet.ColumnChunkMetadata {
        let useDictionary = dictionary != nil && !dictionaryValues.isEmpty
            && dictionaryValues.count <= Int(Double(max(valueCount, 1)) * options.dictionaryMaxDistinctRatio)
        var dictionaryPageOffset: Int64?
        var uncompressedTotal: Int64 = 0
        var compressedTotal: Int64 = 0
        var encodings: [Parquet.Encoding] = [.rle]
        if useDictionary {
            var body: [UInt8] = []
            body.reserveCapacity(dictionaryBytes)
            for value in dictionaryValues { appendPlainValue(value, to: &body) }
            dictionaryPageOffset = sink.offset
            let sizes = try sink.writePage(
                type: .dictionaryPage, body: body, valueCount: Int32(dictionaryValues.count), encoding: .plain,
                compressor: &compressor)
            uncompressedTotal += sizes.uncompressed
            compressedTotal += sizes.compressed
            encodings += [.plain, .rleDictionary]
        } else {
            encodings += [.plain]
        }
        let dataPageOffset = sink.offset
        let bitWidth = max(1, RLEHybridEncoder.bitWidth(forMax: UInt32(max(dictionaryValues.count, 1) - 1)))
        let definitionWidth = RLEHybridEncoder.bitWidth(forMax: maxDefinition)
        let repetitionWidth = RLEHybridEncoder.bitWidth(forMax: maxRepetition)
        // Entries [entryStart, entry) and values [valueStart, value) of the page being cut; a
        // page ends only where a row starts (repetition level 0), so no row spans two pages.
        var entryStart = 0, valueStart = 0, value = 0, entry = 0
        var pageRows = 0, pageBytes = 0
        while entry < entryCount {
            if maxDefinition == 0 || definitionLevels[entry] == maxDefinition {
                pageBytes += useDictionary ? 1 : plainSize(ofValue: value)
                value += 1
            }
            entry += 1
            let rowEnds = entry == entryCount || maxRepetition == 0 || repetitionLevels[entry] == 0
            if rowEnds { pageRows += 1 }
            guard entry == entryCount || (rowEnds && (pageRows >= options.pageRowLimit || pageBytes >= options.dataPageBytes)) else {
                continue
            }
            var body: [UInt8] = []
            body.reserveCapacity(pageBytes + (entry - entryStart) / 2 + 16)
            if maxRepetition > 0 { appendLevels(repetitionLevels, entryStart..<entry, bitWidth: repetitionWidth, to: &body) }
            if maxDefinition > 0 { appendLevels(definitionLevels, entryStart..<entry, bitWidth: definitionWidth, to: &body) }
            if useDictionary {
                body.append(UInt8(bitWidth))
                indices.withUnsafeBufferPointer { all in
                    RLEHybridEncoder.encode(UnsafeBufferPointer(rebasing: all[valueStart..<value]), bitWidth: bitWidth, into: &body)
                }
            } else {
                appendPlainValues(valueStart..<value, to: &body)
            }
            let sizes = try sink.writePage(
                type: .dataPage, body: body, valueCount: Int32(entry - entryStart),
                encoding: useDictionary ? .rleDictionary : .plain, compressor: &compressor)
            uncompressedTotal += sizes.uncompressed
            compressedTotal += sizes.compressed
            entryStart = entry
            valueStart = value
            pageRows = 0
            pageBytes = 0
        }
        var min = minimum, max = maximum
        if case .boolean = valueKind {
            min = min.map { [$0[0]] }
            max = max.map { [$0[0]] }
        }
        return Parquet.ColumnChunkMetadata(
            physicalType: physicalType, encodings: encodings, path: leaf.path,
            codec: compressor.parquetCodec, valueCount: Int64(entryCount), uncompressedSize: uncompressedTotal,
            compressedSize: compressedTotal, dataPageOffset: dataPageOffset, dictionaryPageOffset: dictionaryPageOffset,
            statistics: Parquet.Statistics(nullCount: Int64(nullCount), min: min, max: max))
    }

    /// Levels `range` as a data page v1 has them: a u32 little-endian length and the hybrid
    /// encoding.
    private func appendLevels(_ levels: [UInt32], _ range: Range<Int>, bitWidth: Int, to body: inout [UInt8]) {
        var encoded: [UInt8] = []
        levels.withUnsafeBufferPointer { all in
            RLEHybridEncoder.encode(UnsafeBufferPointer(rebasing: all[range]), bitWidth: bitWidth, into: &encoded)
        }
        withUnsafeBytes(of: UInt32(encoded.count).littleEndian) { body.append(contentsOf: $0) }
        body.append(contentsOf: encoded)
    }

    /// PLAIN size of non-null value `index`.
    private func plainSize(ofValue index: Int) -> Int {
        switch physicalType {
        case .boolean: return 1
        case .byteArray: return 4 + offsets[index + 1] - offsets[index]
        default: return fixedWidth
        }
    }

    private var fixedWidth: Int {
        switch physicalType {
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .fixedLenByteArray: return 16
        case .boolean, .byteArray: return 0
        }
    }

    /// One value in PLAIN form (a byte array gets its 4-byte length).
    private func appendPlainValue(_ value: [UInt8], to out: inout [UInt8]) {
        if physicalType == .byteArray {
            withUnsafeBytes(of: UInt32(value.count).littleEndian) { out.append(contentsOf: $0) }
        }
        out.append(contentsOf: value)
    }

    /// Non-null values `range` in PLAIN form.
    private func appendPlainValues(_ range: Range<Int>, to out: inout [UInt8]) {
        switch physicalType {
        case .boolean:
            // One bit per value, least significant bit first.
            var byte: UInt8 = 0
            for (k, i) in range.enumerated() {
                if booleans[i] { byte |= 1 << UInt8(k % 8) }
                if k % 8 == 7 {
                    out.append(byte)
                    byte = 0
                }
            }
            if range.count % 8 != 0 { out.append(byte) }
        case .byteArray:
            for i in range {
                withUnsafeBytes(of: UInt32(offsets[i + 1] - offsets[i]).littleEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: plain[offsets[i]..<offsets[i + 1]])
            }
        default:
            out.append(contentsOf: plain[(range.lowerBound * fixedWidth)..<(range.upperBound * fixedWidth)])
        }
    }
}

/// Where pages go: the file, with its running offset.
struct PageSink {
    let file: any WritableFile
    private(set) var offset: Int64

    init(file: any WritableFile, offset: Int64) {
        self.file = file
        self.offset = offset
    }

    /// Writes raw bytes (the magic, the footer).
    mutating func write(_ bytes: [UInt8]) throws {
        try file.append(bytes)
        offset += Int64(bytes.count)
    }

    /// Compresses `body` and writes it with its page header; returns the sizes the column
    /// chunk's metadata counts (header included).
    mutating func writePage(
        type: Parquet.PageType, body: [UInt8], valueCount: Int32, encoding: Parquet.Encoding,
        compressor: inout PageCompressor
    ) throws -> (uncompressed: Int64, compressed: Int64) {
        let compressed = try compressor.compress(body)
        guard body.count <= Int(Int32.max), compressed.count <= Int(Int32.max) else {
            throw ExportError.encoding("a page of \(body.count) bytes is over Parquet's 2 GiB page limit")
        }
        let header = Parquet.PageHeader(
            type: type, uncompressedSize: Int32(body.count), compressedSize: Int32(compressed.count),
            valueCount: valueCount, encoding: encoding
        ).encoded()
        try write(header)
        try write(compressed)
        return (Int64(header.count + body.count), Int64(header.count + compressed.count))
    }
}
