import CCairnSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write's position in the database's history. Every entry of every write batch gets the
/// next number; 56 bits are usable (the low byte of the internal-key trailer holds the type).
public typealias SequenceNumber = UInt64

/// The largest sequence number an entry can carry.
public let maxSequenceNumber: SequenceNumber = (1 << 56) - 1

/// What an internal entry records about its user key.
public enum ValueType: UInt8, Sendable {
    /// The key was deleted (a point tombstone).
    case deletion = 0
    /// The key was set to the entry's value.
    case value = 1
    /// Keys in [key, value) were deleted. Range tombstones live in their own structures
    /// (memtable list, SSTable range-deletion block), never among point entries.
    case rangeDeletion = 2

    /// Type byte used in seek targets: sorts before every real type at the same sequence.
    public static let seekMarker: UInt8 = 0xFF
}

/// Internal keys are `userKey ++ trailer`, where the 8-byte little-endian trailer is
/// `sequence << 8 | type`. They sort by user key ascending (bytewise), then trailer descending,
/// so the newest version of a key comes first (LevelDB's layout).
public enum InternalKey {
    /// Size of the trailer.
    public static let trailerSize = 8

    /// Packs a sequence number and type into a trailer value.
    @inlinable
    public static func trailer(_ sequence: SequenceNumber, _ type: UInt8) -> UInt64 {
        (sequence << 8) | UInt64(type)
    }

    /// Appends `userKey ++ trailer(sequence, type)` to `out`.
    @inlinable
    public static func append(_ out: ByteBuffer, userKey: UnsafeRawBufferPointer, sequence: SequenceNumber, type: UInt8) {
        out.append(userKey)
        out.appendFixed64(trailer(sequence, type))
    }

    /// Builds an internal key as an array.
    public static func make(_ userKey: [UInt8], sequence: SequenceNumber, type: ValueType) -> [UInt8] {
        var out = userKey
        Coding.appendFixed64(&out, trailer(sequence, type.rawValue))
        return out
    }

    /// Builds the seek target that finds the newest entry for `userKey` visible at `sequence`.
    public static func seekTarget(_ userKey: [UInt8], sequence: SequenceNumber) -> [UInt8] {
        var out = userKey
        Coding.appendFixed64(&out, trailer(sequence, ValueType.seekMarker))
        return out
    }

    /// The user-key part of an internal key (callers guarantee `key.count >= 8`).
    @inlinable
    public static func userKey(_ key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: key[0..<(key.count - trailerSize)])
    }

    /// The trailer of an internal key (callers guarantee `key.count >= 8`).
    @inlinable
    public static func trailerValue(_ key: UnsafeRawBufferPointer) -> UInt64 {
        Coding.fixed64(key, at: key.count - trailerSize)
    }

    /// The sequence number of an internal key.
    @inlinable
    public static func sequence(_ key: UnsafeRawBufferPointer) -> SequenceNumber {
        trailerValue(key) >> 8
    }

    /// The type byte of an internal key.
    @inlinable
    public static func typeByte(_ key: UnsafeRawBufferPointer) -> UInt8 {
        UInt8(truncatingIfNeeded: trailerValue(key))
    }

    /// Compares two internal keys: user key ascending, then trailer descending.
    /// Returns <0, 0 or >0.
    @inlinable
    public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let r = compareBytes(userKey(a), userKey(b))
        if r != 0 { return r }
        let ta = trailerValue(a), tb = trailerValue(b)
        return ta > tb ? -1 : (ta < tb ? 1 : 0)
    }
}

/// Bytewise comparison (memcmp, then length). Returns <0, 0 or >0.
@inlinable
public func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
        let r = memcmp(pa, pb, n)
        if r != 0 { return Int(r) }
    }
    return a.count - b.count
}

/// Bytewise comparison of two arrays.
@inlinable
public func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compareBytes(pa, pb) } }
}

/// Bytewise comparison of a buffer and an array.
@inlinable
public func compareBytes(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    b.withUnsafeBytes { compareBytes(a, $0) }
}

/// Bytewise comparison of an array and a buffer.
@inlinable
public func compareBytes(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Int {
    a.withUnsafeBytes { compareBytes($0, b) }
}
