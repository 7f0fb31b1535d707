/// An ordered group of updates applied atomically: after a crash either every update of a
/// batch is present or none is.
///
/// The encoded form is also the write-ahead log's record payload (see Docs/log_format.md):
///
/// ```
/// sequence: fixed64 | count: fixed32 | record*
/// record := kValue(1) key:lenprefixed value:lenprefixed
///         | kDeletion(0) key:lenprefixed
///         | kRangeDeletion(2) start:lenprefixed end:lenprefixed
///         | kStampedValue(3) prefix:lenprefixed value:lenprefixed
/// ```
///
/// The database assigns `sequence` when the batch is written; the i-th record gets
/// `sequence + i`. A stamped value's key is its prefix followed by its own sequence number
/// (8 bytes, big-endian), known only at commit (`putStamped`).
public struct WriteBatch: Sendable {
    static let headerSize = 12

    /// The encoded batch (header + records).
    var rep: [UInt8]

    /// An empty batch.
    public init() {
        rep = [UInt8](repeating: 0, count: WriteBatch.headerSize)
    }

    /// Wraps an encoded batch read from the log. Call `validate` before trusting it.
    init(encoded: [UInt8]) {
        rep = encoded
    }

    /// Number of updates in the batch.
    public var count: Int {
        rep.withUnsafeBytes { Int(Coding.fixed32($0, at: 8)) }
    }

    /// True if the batch holds no updates.
    public var isEmpty: Bool { count == 0 }

    /// Size of the encoded batch in bytes.
    public var byteSize: Int { rep.count }

    /// The sequence number assigned to the first update (0 until written).
    public internal(set) var sequence: SequenceNumber {
        get { rep.withUnsafeBytes { Coding.fixed64($0, at: 0) } }
        set { rep.withUnsafeMutableBytes { $0.storeBytes(of: newValue.littleEndian, toByteOffset: 0, as: UInt64.self) } }
    }

    /// Makes room for `payload` more bytes plus a tag and two varint lengths, growing
    /// geometrically, so a put into an empty batch allocates once instead of doubling its
    /// way up from the 12-byte header.
    @inline(__always)
    private mutating func reserve(payload: Int) {
        let needed = rep.count + 1 + 10 + payload
        if rep.capacity < needed { rep.reserveCapacity(max(needed, rep.capacity * 2)) }
    }

    private mutating func setCount(_ n: Int) {
        rep.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(n).littleEndian, toByteOffset: 8, as: UInt32.self) }
    }

    /// Appends one record of two length-prefixed fields (key and value, or start and end).
    private mutating func appendRecord(_ tag: UInt8, _ first: [UInt8], _ second: [UInt8]) {
        reserve(payload: first.count + second.count)
        rep.append(tag)
        Coding.appendLengthPrefixed(&rep, first)
        Coding.appendLengthPrefixed(&rep, second)
        setCount(count + 1)
    }

    /// Sets `key` to `value`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        appendRecord(ValueType.value.rawValue, key, value)
    }

    /// Sets `key` to `value` from raw buffers.
    public mutating func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        reserve(payload: key.count + value.count)
        rep.append(ValueType.value.rawValue)
        Coding.appendLengthPrefixed(&rep, key)
        Coding.appendLengthPrefixed(&rep, value)
        setCount(count + 1)
    }

    /// Sets the key `prefix ++ s` to `value`, where `s` is the sequence number this update
    /// gets when the batch commits, as 8 bytes big-endian.
    ///
    /// Keys stamped this way sort in commit order under their prefix, and a reader at any
    /// snapshot sees exactly the stamped keys whose sequence numbers are at or below the
    /// snapshot's: a log kept this way (a change stream) never shows a gap that a later
    /// commit fills. The key is rebuilt from the sequence when the log is replayed.
    public mutating func putStamped(_ prefix: [UInt8], _ value: [UInt8]) {
        appendRecord(WriteBatch.stampedValueTag, prefix, value)
    }

    /// `putStamped` for a value that `writeValue` appends to the buffer it is given (the
    /// batch's own), so an encoder writes the value in place instead of building it first.
    /// The value's length is measured after it is written and its varint put in front of it
    /// (moving the value by a few bytes), so nothing trusts a length declared in advance.
    /// Returns the value's length.
    @discardableResult
    public mutating func putStamped(_ prefix: UnsafeRawBufferPointer, _ writeValue: (inout [UInt8]) -> Void) -> Int {
        reserve(payload: prefix.count + 256)
        rep.append(WriteBatch.stampedValueTag)
        Coding.appendLengthPrefixed(&rep, prefix)
        let start = rep.count
        writeValue(&rep)
        let valueCount = rep.count - start
        withUnsafeTemporaryAllocation(byteCount: 10, alignment: 1) { buffer in
            if let base = buffer.baseAddress {
                let n = Coding.encodeVarint(UInt64(valueCount), into: base)
                rep.insert(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), at: start)
            } else {
                var varint: [UInt8] = []
                Coding.appendVarint(&varint, UInt64(valueCount))
                rep.insert(contentsOf: varint, at: start)
            }
        }
        setCount(count + 1)
        return valueCount
    }

    /// The batch record type of `putStamped` (stored only in batches and logs; in the
    /// memtable and tables the update is an ordinary value).
    static let stampedValueTag: UInt8 = 3

    /// Deletes `key`.
    public mutating func delete(_ key: [UInt8]) {
        key.withUnsafeBytes { delete($0) }
    }

    /// Deletes `key` from a raw buffer.
    public mutating func delete(_ key: UnsafeRawBufferPointer) {
        reserve(payload: key.count)
        rep.append(ValueType.deletion.rawValue)
        Coding.appendLengthPrefixed(&rep, key)
        setCount(count + 1)
    }

    /// Deletes every key k with `start <= k < end`. An empty range (start >= end) is recorded
    /// but deletes nothing; `Database.deleteRange` rejects it up front.
    public mutating func deleteRange(_ start: [UInt8], _ end: [UInt8]) {
        appendRecord(ValueType.rangeDeletion.rawValue, start, end)
    }

    /// Appends every update of `other` (used to merge a commit group into one log record).
    mutating func append(contentsOf other: WriteBatch) {
        rep.append(contentsOf: other.rep[WriteBatch.headerSize...])
        setCount(count + other.count)
    }

    /// Removes every update.
    public mutating func removeAll() {
        rep.removeAll(keepingCapacity: true)
        rep.append(contentsOf: repeatElement(0, count: WriteBatch.headerSize))
    }

    /// The synced extent a write-ahead log record begins with, and where its batch starts
    /// (Docs/wal_format.md): a varint in a version 2 log; absent (0) in a version 1 log.
    static func walRecordExtent(
        _ record: [UInt8], version: UInt32, file: String, offset: Int64
    ) throws -> (syncedExtent: Int64, batchStart: Int) {
        guard version >= 2 else { return (0, 0) }
        var cursor = 0
        let extent = record.withUnsafeBytes { Coding.readVarint64($0, &cursor) }
        guard let extent else {
            throw CairnError.corruption(file: file, offset: offset, reason: "log record has a malformed synced extent")
        }
        guard extent < 1 << 48 else {
            throw CairnError.corruption(file: file, offset: offset, reason: "synced extent \(extent) out of range")
        }
        return (Int64(extent), cursor)
    }

    /// Decodes a whole write-ahead log record of a log of format `version`: its synced extent
    /// and its batch.
    static func decodeWALRecord(
        _ record: [UInt8], version: UInt32, file: String, offset: Int64
    ) throws -> (syncedExtent: Int64, batch: WriteBatch) {
        let (extent, start) = try walRecordExtent(record, version: version, file: file, offset: offset)
        return (extent, try decodeLogRecord(record, from: start, file: file, offset: offset))
    }

    /// Wraps the batch at `start` in a log record, checking that it has a header and that its
    /// sequence numbers `sequence ... sequence + count - 1` are valid (>= 1,
    /// <= maxSequenceNumber).
    static func decodeLogRecord(_ record: [UInt8], from start: Int = 0, file: String, offset: Int64) throws -> WriteBatch {
        guard record.count - start >= headerSize else {
            throw CairnError.corruption(file: file, offset: offset, reason: "log record shorter than a batch header")
        }
        let batch = WriteBatch(encoded: start == 0 ? record : Array(record[start...]))
        let count = UInt64(batch.count)
        guard batch.sequence >= 1, batch.sequence <= maxSequenceNumber, count <= maxSequenceNumber - batch.sequence + 1 else {
            throw CairnError.corruption(
                file: file, offset: offset, reason: "batch sequence \(batch.sequence) with \(count) updates is out of range")
        }
        return batch
    }

    /// Calls `body` for each update in order with its type, key and value (the end key for a
    /// range deletion; empty for a deletion). A stamped value is passed as a `.value` whose
    /// key ends in its sequence number (`sequence + i`). Throws `.corruption` (naming `file`
    /// and `offset`) if the encoding is malformed or the record count is wrong.
    func forEach(
        file: String = "write batch", offset: Int64 = 0,
        _ body: (ValueType, UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try forEachUpdate(file: file, offset: offset) { type, key, value, _ in try body(type, key, value) }
    }

    /// `forEach`, also telling `body` whether the update was stamped (`putStamped`), so the
    /// memtable can insert a run of stamped keys under one prefix from a hint.
    func forEachUpdate(
        file: String = "write batch", offset: Int64 = 0,
        _ body: (ValueType, UnsafeRawBufferPointer, UnsafeRawBufferPointer, _ stamped: Bool) throws -> Void
    ) throws {
        let first = sequence
        try rep.withUnsafeBytes { p in
            guard p.count >= WriteBatch.headerSize else {
                throw CairnError.corruption(file: file, offset: offset, reason: "write batch shorter than its header")
            }
            let expected = Int(Coding.fixed32(p, at: 8))
            var cursor = WriteBatch.headerSize
            var seen = 0
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            while cursor < p.count {
                let tag = p[cursor]
                cursor += 1
                let isStamped = tag == WriteBatch.stampedValueTag
                guard let type = isStamped ? .value : ValueType(rawValue: tag) else {
                    throw CairnError.corruption(file: file, offset: offset, reason: "unknown write batch record type \(tag)")
                }
                guard let keyRange = Coding.readLengthPrefixed(p, &cursor) else {
                    throw CairnError.corruption(file: file, offset: offset, reason: "truncated write batch key")
                }
                let key = UnsafeRawBufferPointer(rebasing: p[keyRange])
                if type == .deletion {
                    try body(type, key, empty, false)
                } else {
                    guard let valueRange = Coding.readLengthPrefixed(p, &cursor) else {
                        throw CairnError.corruption(file: file, offset: offset, reason: "truncated write batch value")
                    }
                    let value = UnsafeRawBufferPointer(rebasing: p[valueRange])
                    if isStamped {
                        // The stamped key on the stack: the prefix, then the sequence big-endian.
                        let s = first &+ UInt64(seen)
                        try withUnsafeTemporaryAllocation(byteCount: key.count + 8, alignment: 8) { stamped in
                            stamped.copyMemory(from: key)
                            stamped.storeBytes(of: s.bigEndian, toByteOffset: key.count, as: UInt64.self)
                            try body(type, UnsafeRawBufferPointer(stamped), value, true)
                        }
                    } else {
                        try body(type, key, value, false)
                    }
                }
                seen += 1
            }
            guard seen == expected else {
                throw CairnError.corruption(
                    file: file, offset: offset,
                    reason: "write batch says \(expected) records but holds \(seen)")
            }
        }
    }
}
