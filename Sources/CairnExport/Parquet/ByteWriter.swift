/// A cursor that writes bytes into memory sized beforehand: a page body, which
/// `PageSink.writePage` sizes from an upper bound of what the page's sections can take
/// (`RLEHybridEncoder.maxEncodedBytes`, the exact PLAIN sizes) and fills in one pass.
///
/// Unsafe memory: `ByteWriter` only exists inside the `withUnsafeMutableBytes` scope of the
/// buffer it writes (`PageSink.writePage`), and never writes past its end: a write that does
/// not fit is dropped and sets `overflowed`, which `writePage` turns into an error (it would
/// mean a bound was computed wrong; nothing a caller's values can cause).
struct ByteWriter {
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far, from the buffer's start.
    private(set) var count = 0
    /// Whether a write did not fit (and was dropped).
    private(set) var overflowed = false

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// Room for `n` more bytes: their offset, or nil (and `overflowed`) when they do not fit.
    @inline(__always)
    private mutating func claim(_ n: Int) -> Int? {
        guard n >= 0, n <= buffer.count - count else {
            overflowed = true
            return nil
        }
        let start = count
        count += n
        return start
    }

    mutating func append(_ byte: UInt8) {
        guard let at = claim(1) else { return }
        buffer[at] = byte
    }

    /// The low `byteCount` (0...8) bytes of `value`, least significant first.
    @inline(__always)
    mutating func appendLittleEndian(_ value: UInt64, byteCount: Int) {
        guard byteCount >= 0 && byteCount <= 8 else {
            overflowed = true
            return
        }
        if buffer.count - count >= 8 {
            // All 8 bytes in one store; those past `byteCount` are not counted (the next
            // write covers them).
            buffer.storeBytes(of: value.littleEndian, toByteOffset: count, as: UInt64.self)
            count += byteCount
            return
        }
        guard let at = claim(byteCount) else { return }
        if byteCount == 8 {
            buffer.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt64.self)
        } else {
            var v = value
            for k in 0..<byteCount {
                buffer[at + k] = UInt8(truncatingIfNeeded: v)
                v >>= 8
            }
        }
    }

    mutating func appendUInt32(littleEndian value: UInt32) {
        guard let at = claim(4) else { return }
        buffer.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt32.self)
    }

    /// Overwrites 4 bytes written before (a length written ahead of what it measures).
    mutating func setUInt32(littleEndian value: UInt32, at offset: Int) {
        guard offset >= 0, offset <= count - 4 else {
            overflowed = true
            return
        }
        buffer.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let at = claim(bytes.count), let source = bytes.baseAddress, let target = buffer.baseAddress else { return }
        (target + at).copyMemory(from: source, byteCount: bytes.count)
    }

    /// An unsigned LEB128 varint.
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    /// Lets `fill` write exactly `n` bytes at once through a pointer (bulk PLAIN values).
    /// `fill` must initialize the `n` bytes and nothing past them.
    mutating func appendBulk(_ n: Int, _ fill: (UnsafeMutableRawPointer) -> Void) {
        guard let at = claim(n), let target = buffer.baseAddress else { return }
        fill(target + at)
    }
}
