import CCairnSupport

/// CRC32C (Castagnoli) checksums, hardware-accelerated where the CPU allows.
///
/// Stored checksums are *masked* (as in LevelDB) so that a checksum of data that itself contains
/// checksums does not degenerate: `mask(crc) = rotateRight(crc, 15) &+ 0xa282ead8`.
public enum CRC32C {
    /// CRC32C of `bytes`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        extend(0, bytes)
    }

    /// Extends `crc` (the checksum of some earlier bytes) with `bytes`.
    @inlinable
    public static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return cairn_crc32c_extend(crc, base, bytes.count)
    }

    /// CRC32C of the bytes of an array.
    @inlinable
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    private static let maskDelta: UInt32 = 0xa282_ead8

    /// The masked form of `crc`, as stored on disk.
    @inlinable
    public static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
    }

    /// Inverse of `mask`.
    @inlinable
    public static func unmask(_ masked: UInt32) -> UInt32 {
        let rot = masked &- 0xa282_ead8
        return (rot >> 17) | (rot << 15)
    }
}
