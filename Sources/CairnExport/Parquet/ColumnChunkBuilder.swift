import CairnLSM

/// The values of one column in the row group being written, and how they become pages.
///
/// Values arrive a row at a time. A non-null value is kept in its PLAIN form (fixed-width
/// bytes, or a byte array in one buffer with offsets) and, while the column's dictionary stays
/// under its limit, also as an index into the dictionary. At the end of the row group the
/// chunk is written as a dictionary page and RLE_DICTIONARY data pages, or, when the
/// dictionary grew past its limit or would not pay, as PLAIN data pages (the fallback).
/// Statistics (min, max, null count) are kept as values arrive.
final class ColumnChunkBuilder {
    let column: ParquetColumn
    private let options: ParquetWriterOptions

    /// Rows added.
    private(set) var rowCount = 0
    /// Per row: 1 present, 0 null (optional columns only).
    private var definitionLevels: [UInt32] = []
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

    init(column: ParquetColumn, options: ParquetWriterOptions) {
        self.column = column
        self.options = options
        if column.kind == .boolean { dictionary = nil }
    }

    /// Bytes buffered, for row-group sizing.
    var bufferedBytes: Int { plain.count + booleans.count / 8 + definitionLevels.count + indices.count * 4 }

    // MARK: Adding values

    /// Throws unless `value` fits the column (checked for a whole row before any of it is
    /// added, so a refused row leaves every column as it was).
    func check(_ value: ParquetValue) throws {
        switch (column.kind, value) {
        case (_, .null):
            guard column.isOptional else { throw ExportError.encoding("column \(column.name) is REQUIRED and got a null") }
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.double, .double):
            break
        case (.string, .bytes(let bytes)), (.json, .bytes(let bytes)), (.binary, .bytes(let bytes)):
            guard bytes.count <= Int(Int32.max) else {
                throw ExportError.encoding("a value of column \(column.name) has \(bytes.count) bytes")
            }
        case (.decimal(let precision, _), .decimal(let unscaled)):
            guard unscaled.magnitude < Self.powerOfTen(precision) else {
                throw ExportError.encoding("\(unscaled) does not fit DECIMAL(\(precision)) of column \(column.name)")
            }
        default:
            throw ExportError.encoding("column \(column.name) (\(column.kind)) got \(value)")
        }
    }

    /// Adds one row's value, which `check` accepted.
    func append(_ value: ParquetValue) {
        switch (column.kind, value) {
        case (_, .null):
            definitionLevels.append(0)
            nullCount += 1
            rowCount += 1
            return
        case (.boolean, .boolean(let b)):
            booleans.append(b)
            updateStatistics([b ? 1 : 0])
        case (.int32, .int32(let v)):
            addFixed(withUnsafeBytes(of: v.littleEndian) { Array($0) })
        case (.int64, .int64(let v)):
            addFixed(withUnsafeBytes(of: v.littleEndian) { Array($0) })
        case (.double, .double(let v)):
            addFixed(withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) })
        case (_, .bytes(let bytes)):
            plain.append(contentsOf: bytes)
            offsets.append(plain.count)
            addToDictionary(bytes)
            updateStatistics(bytes)
        case (_, .decimal(let unscaled)):
            addFixed(withUnsafeBytes(of: unscaled.bigEndian) { Array($0) })
        default:
            return  // `check` refuses every other pair
        }
        if column.isOptional { definitionLevels.append(1) }
        valueCount += 1
        rowCount += 1
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
        dictionaryBytes += bytes.count + (column.physicalType == .byteArray ? 4 : 0)
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
        if case .double = column.kind {
            let d = Double(bitPattern: value.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
            if d.isNaN { return }  // NaN is left out of min and max, as Parquet asks
        }
        if minimum.map({ compare(value, $0) < 0 }) ?? true { minimum = value }
        if maximum.map({ compare(value, $0) > 0 }) ?? true { maximum = value }
    }

    /// The column type's order on two PLAIN values.
    private func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch column.kind {
        case .boolean:
            return sign(a[0], b[0])
        case .int32:
            return sign(a.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) },
                        b.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) })
        case .int64:
            return sign(a.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) },
                        b.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) })
        case .double:
            return sign(a.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) },
                        b.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) })
        case .decimal:
            return sign(a.withUnsafeBytes { Int128(bigEndian: $0.loadUnaligned(as: Int128.self)) },
                        b.withUnsafeBytes { Int128(bigEndian: $0.loadUnaligned(as: Int128.self)) })
        case .string, .json, .binary:
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
        // Rows [rowStart, row), values [valueStart, value) of the page being cut.
        var rowStart = 0, valueStart = 0, value = 0, row = 0
        var pageBytes = 0
        while row < rowCount {
            let present = column.isOptional ? definitionLevels[row] == 1 : true
            if present {
                pageBytes += useDictionary ? 1 : plainSize(ofValue: value)
                value += 1
            }
            row += 1
            if row == rowCount || row - rowStart >= options.pageRowLimit || pageBytes >= options.dataPageBytes {
                var body: [UInt8] = []
                body.reserveCapacity(pageBytes + (row - rowStart) / 4 + 16)
                if column.isOptional {
                    var levels: [UInt8] = []
                    definitionLevels.withUnsafeBufferPointer { all in
                        RLEHybridEncoder.encode(UnsafeBufferPointer(rebasing: all[rowStart..<row]), bitWidth: 1, into: &levels)
                    }
                    withUnsafeBytes(of: UInt32(levels.count).littleEndian) { body.append(contentsOf: $0) }
                    body.append(contentsOf: levels)
                }
                if useDictionary {
                    body.append(UInt8(bitWidth))
                    indices.withUnsafeBufferPointer { all in
                        RLEHybridEncoder.encode(UnsafeBufferPointer(rebasing: all[valueStart..<value]), bitWidth: bitWidth, into: &body)
                    }
                } else {
                    appendPlainValues(valueStart..<value, to: &body)
                }
                let sizes = try sink.writePage(
                    type: .dataPage, body: body, valueCount: Int32(row - rowStart),
                    encoding: useDictionary ? .rleDictionary : .plain, compressor: &compressor)
                uncompressedTotal += sizes.uncompressed
                compressedTotal += sizes.compressed
                rowStart = row
                valueStart = value
                pageBytes = 0
            }
        }
        var min = minimum, max = maximum
        if case .boolean = column.kind {
            min = min.map { [$0[0]] }
            max = max.map { [$0[0]] }
        }
        return Parquet.ColumnChunkMetadata(
            physicalType: column.physicalType, encodings: encodings, path: [column.name],
            codec: compressor.parquetCodec, valueCount: Int64(rowCount), uncompressedSize: uncompressedTotal,
            compressedSize: compressedTotal, dataPageOffset: dataPageOffset, dictionaryPageOffset: dictionaryPageOffset,
            statistics: Parquet.Statistics(nullCount: Int64(nullCount), min: min, max: max))
    }

    /// PLAIN size of non-null value `index`.
    private func plainSize(ofValue index: Int) -> Int {
        switch column.physicalType {
        case .boolean: return 1
        case .byteArray: return 4 + offsets[index + 1] - offsets[index]
        default: return fixedWidth
        }
    }

    private var fixedWidth: Int {
        switch column.physicalType {
        case .int32, .float: return 4
        case .int64, .double: return 8
        case .fixedLenByteArray: return 16
        case .boolean, .byteArray: return 0
        }
    }

    /// One value in PLAIN form (a byte array gets its 4-byte length).
    private func appendPlainValue(_ value: [UInt8], to out: inout [UInt8]) {
        if column.physicalType == .byteArray {
            withUnsafeBytes(of: UInt32(value.count).littleEndian) { out.append(contentsOf: $0) }
        }
        out.append(contentsOf: value)
    }

    /// Non-null values `range` in PLAIN form.
    private func appendPlainValues(_ range: Range<Int>, to out: inout [UInt8]) {
        switch column.physicalType {
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
