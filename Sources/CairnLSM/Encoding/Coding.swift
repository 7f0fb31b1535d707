/// Little-endian fixed-width and LEB128 varint encodings, as in LevelDB's util/coding.h.
///
/// Encoders append to a `ByteBuffer` or an array; decoders read from an
/// `UnsafeRawBufferPointer` at a cursor and return `nil` instead of trapping when the input is
/// short or malformed, so callers turn bad bytes into `CairnError.corruption`.
public enum Coding {
    /// Reads a little-endian UInt32 at `offset` (no bounds check beyond the caller's).
    @inlinable
    public static func fixed32(_ p: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Reads a little-endian UInt64 at `offset` (no bounds check beyond the caller's).
    @inlinable
    public static func fixed64(_ p: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Reads a little-endian UInt32 at `cursor`, advancing it; nil if fewer than 4 bytes remain.
    @inlinable
    public static func readFixed32(_ p: UnsafeRawBufferPointer, _ cursor: inout Int) -> UInt32? {
        guard cursor >= 0, cursor + 4 <= p.count else { return nil }
        defer { cursor += 4 }
        return fixed32(p, at: cursor)
    }

    /// Reads a little-endian UInt64 at `cursor`, advancing it; nil if fewer than 8 bytes remain.
    @inlinable
    public static func readFixed64(_ p: UnsafeRawBufferPointer, _ cursor: inout Int) -> UInt64? {
        guard cursor >= 0, cursor + 8 <= p.count else { return nil }
        defer { cursor += 8 }
        return fixed64(p, at: cursor)
    }

    /// Reads a varint of at most 64 bits at `cursor`, advancing it; nil if truncated or longer
    /// than 10 bytes.
    @inlinable
    public static func readVarint64(_ p: UnsafeRawBufferPointer, _ cursor: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = cursor
        guard i >= 0 else { return nil }
        while i < p.count && shift <= 63 {
            let byte = p[i]
            i += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                cursor = i
                return result
            }
            shift += 7
        }
        return nil
    }

    /// Reads a varint that must fit in 32 bits at `cursor`, advancing it.
    @inlinable
    public static func readVarint32(_ p: UnsafeRawBufferPointer, _ cursor: inout Int) -> UInt32? {
        // Fast path: one byte.
        if cursor >= 0 && cursor < p.count {
            let b = p[cursor]
            if b & 0x80 == 0 {
                cursor += 1
                return UInt32(b)
            }
        }
        var c = cursor
        guard let v = readVarint64(p, &c), v <= UInt64(UInt32.max) else { return nil }
        cursor = c
        return UInt32(v)
    }

    /// Reads a varint32 length followed by that many bytes; returns the bytes' range in `p`.
    @inlinable
    public static func readLengthPrefixed(_ p: UnsafeRawBufferPointer, _ cursor: inout Int) -> Range<Int>? {
        var c = cursor
        guard let n = readVarint32(p, &c), Int(n) <= p.count - c else { return nil }
        cursor = c + Int(n)
        return c..<(c + Int(n))
    }

    /// Number of bytes the varint encoding of `v` takes.
    @inlinable
    public static func varintLength(_ v: UInt64) -> Int {
        var n = 1
        var x = v
        while x >= 0x80 {
            x >>= 7
            n += 1
        }
        return n
    }

    /// Appends `v` as little-endian 4 bytes.
    @inlinable
    public static func appendFixed32(_ out: inout [UInt8], _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Appends `v` as little-endian 8 bytes.
    @inlinable
    public static func appendFixed64(_ out: inout [UInt8], _ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    /// Writes `v` as a varint at `out`, which must have room for 10 bytes; returns its length.
    @inlinable
    public static func encodeVarint(_ v: UInt64, into out: UnsafeMutableRawPointer) -> Int {
        var x = v
        var n = 0
        while x >= 0x80 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: x) | 0x80, toByteOffset: n, as: UInt8.self)
            x >>= 7
            n += 1
        }
        out.storeBytes(of: UInt8(x), toByteOffset: n, as: UInt8.self)
        return n + 1
    }

    /// Appends `v` as a varint.
    @inlinable
    public static func appendVarint(_ out: inout [UInt8], _ v: UInt64) {
        var x = v
        while x >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: x) | 0x80)
            x >>= 7
        }
        out.append(UInt8(x))
    }

    /// Appends a varint length followed by `bytes`.
    @inlinable
    public static func appendLengthPrefixed(_ out: inout [UInt8], _ bytes: UnsafeRawBufferPointer) {
        appendVarint(&out, UInt64(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// Appends a varint length followed by `bytes`.
    @inlinable
    public static func appendLengthPrefixed(_ out: inout [UInt8], _ bytes: [UInt8]) {
        appendVarint(&out, UInt64(bytes.count))
        out.append(contentsOf: bytes)
    }
}

/// Lower-case hexadecimal of `bytes` (two digits a byte), for messages and tools.
public func hexString(_ bytes: some Collection<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
