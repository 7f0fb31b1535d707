/// The 5 bytes that follow every stored block: compression type (1 byte) and the masked
/// CRC32C of the stored contents followed by that type byte (fixed32).
enum BlockTrailer {
    /// Size of the trailer in bytes.
    static let size = 5

    /// The masked checksum stored for `contents` with compression `type`.
    static func checksum(_ contents: UnsafeRawBufferPointer, type: UInt8) -> UInt32 {
        var t = type
        let crc = withUnsafeBytes(of: &t) { CRC32C.extend(CRC32C.checksum(contents), $0) }
        return CRC32C.mask(crc)
    }
}
