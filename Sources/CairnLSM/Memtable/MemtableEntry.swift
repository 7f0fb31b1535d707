/// The byte layout of one memtable entry inside a skiplist node, and its order.
///
/// ```
/// varint internalKeyLength | internalKey (userKey ++ 8-byte trailer) | varint valueLength | value
/// ```
///
/// Lengths are LEB128 varints (as LevelDB's memtable): one byte for keys and values shorter
/// than 128 bytes, and no upper limit short of `Int.max`, so `Memtable.add` never has to reject
/// an entry. Decoding the common one-byte length is a single load and branch. Entries are
/// written once by the memtable's writer before the node is published and never change, so
/// the views these functions return are valid for the memtable's lifetime and safe to read
/// from any thread that reached the node through the skiplist.
enum MemtableEntry: SkipListKeyOrder {
    /// Number of bytes an entry for these lengths takes.
    @inline(__always)
    static func encodedLength(internalKeyLength: Int, valueLength: Int) -> Int {
        varintLength(internalKeyLength) + internalKeyLength + varintLength(valueLength) + valueLength
    }

    /// Writes an entry at `destination`, which must have room for `encodedLength(...)` bytes.
    /// The internal key is `userKey ++ trailer(sequence, type)`.
    @inline(__always)
    static func write(
        to destination: UnsafeMutableRawPointer,
        userKey: UnsafeRawBufferPointer,
        trailer: UInt64,
        value: UnsafeRawBufferPointer
    ) {
        var p = destination
        p = writeVarint(p, userKey.count + InternalKey.trailerSize)
        if let base = userKey.baseAddress, userKey.count > 0 {
            p.copyMemory(from: base, byteCount: userKey.count)
            p += userKey.count
        }
        p.storeBytes(of: trailer.littleEndian, as: UInt64.self)
        p += InternalKey.trailerSize
        p = writeVarint(p, value.count)
        if let base = value.baseAddress, value.count > 0 {
            p.copyMemory(from: base, byteCount: value.count)
        }
    }

    /// The internal key of the entry at `entry`.
    @inline(__always)
    static func key(ofEntry entry: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        let first = entry.load(as: UInt8.self)
        if first < 0x80 {
            return UnsafeRawBufferPointer(start: entry + 1, count: Int(first))
        }
        var p = entry
        let n = readVarint(&p)
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    /// The value of the entry at `entry`.
    @inline(__always)
    static func value(ofEntry entry: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        let key = key(ofEntry: entry)
        // The key view always has a base address: it points into the entry.
        var p = UnsafeRawPointer(key.baseAddress ?? entry) + key.count
        let n = readVarint(&p)
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    /// Internal-key order: user key ascending, then trailer descending.
    @inline(__always)
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        InternalKey.compare(a, b)
    }

    // MARK: Varints over raw memory (the entry was written by `write`, so it is well formed)

    @inline(__always)
    private static func varintLength(_ v: Int) -> Int {
        Coding.varintLength(UInt64(truncatingIfNeeded: v))
    }

    @inline(__always)
    private static func writeVarint(_ p: UnsafeMutableRawPointer, _ v: Int) -> UnsafeMutableRawPointer {
        var x = UInt64(truncatingIfNeeded: v)
        var q = p
        while x >= 0x80 {
            q.storeBytes(of: UInt8(truncatingIfNeeded: x) | 0x80, as: UInt8.self)
            x >>= 7
            q += 1
        }
        q.storeBytes(of: UInt8(x), as: UInt8.self)
        return q + 1
    }

    @inline(__always)
    private static func readVarint(_ p: inout UnsafeRawPointer) -> Int {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            let byte = p.load(as: UInt8.self)
            p += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        return Int(truncatingIfNeeded: result)
    }
}
