/// A value of a fixed-width physical type as `FixedWidthChunk` stores it: INT32, INT64 (and
/// TIMESTAMP), DOUBLE, and DECIMAL as FIXED_LEN_BYTE_ARRAY(16).
///
/// A chunk keeps values typed and makes their PLAIN bytes only when it writes a page, so
/// adding a value copies no bytes. Two values are the same dictionary entry when their PLAIN
/// bytes are equal (`0.0` and `-0.0` are two entries; NaNs with the same bits are one).
protocol FixedWidthParquetValue: Sendable, BitwiseCopyable {
    static var physicalType: Parquet.PhysicalType { get }
    /// Bytes of the PLAIN form.
    static var plainWidth: Int { get }
    /// Whether `self` and `other` have the same PLAIN bytes.
    func hasSamePlainBytes(as other: Self) -> Bool
    /// A hash of the PLAIN bytes.
    func dictionaryHash(seed: UInt64) -> UInt64
    /// Whether `self` sorts strictly before `other` in the column type's order (statistics).
    func sortsBefore(_ other: Self) -> Bool
    /// False for a value statistics leave out (a NaN, as Parquet asks).
    var countsInStatistics: Bool { get }
    /// Writes the `plainWidth` PLAIN bytes at `address`.
    func storePlain(at address: UnsafeMutableRawPointer)
}

extension FixedWidthParquetValue {
    /// The PLAIN bytes (for statistics).
    var plainBytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.plainWidth) { buffer, initialized in
            if let base = buffer.baseAddress { storePlain(at: UnsafeMutableRawPointer(base)) }
            initialized = Self.plainWidth
        }
    }
}

extension Int32: FixedWidthParquetValue {
    static var physicalType: Parquet.PhysicalType { .int32 }
    static var plainWidth: Int { 4 }
    func hasSamePlainBytes(as other: Int32) -> Bool { self == other }
    func dictionaryHash(seed: UInt64) -> UInt64 { DictionaryHashing.mix(UInt64(UInt32(bitPattern: self)) ^ seed) }
    func sortsBefore(_ other: Int32) -> Bool { self < other }
    var countsInStatistics: Bool { true }
    func storePlain(at address: UnsafeMutableRawPointer) { address.storeBytes(of: littleEndian, as: Int32.self) }
}

extension Int64: FixedWidthParquetValue {
    static var physicalType: Parquet.PhysicalType { .int64 }
    static var plainWidth: Int { 8 }
    func hasSamePlainBytes(as other: Int64) -> Bool { self == other }
    func dictionaryHash(seed: UInt64) -> UInt64 { DictionaryHashing.mix(UInt64(bitPattern: self) ^ seed) }
    func sortsBefore(_ other: Int64) -> Bool { self < other }
    var countsInStatistics: Bool { true }
    func storePlain(at address: UnsafeMutableRawPointer) { address.storeBytes(of: littleEndian, as: Int64.self) }
}

extension Double: FixedWidthParquetValue {
    static var physicalType: Parquet.PhysicalType { .double }
    static var plainWidth: Int { 8 }
    func hasSamePlainBytes(as other: Double) -> Bool { bitPattern == other.bitPattern }
    func dictionaryHash(seed: UInt64) -> UInt64 { DictionaryHashing.mix(bitPattern ^ seed) }
    func sortsBefore(_ other: Double) -> Bool { self < other }
    var countsInStatistics: Bool { !isNaN }
    func storePlain(at address: UnsafeMutableRawPointer) { address.storeBytes(of: bitPattern.littleEndian, as: UInt64.self) }
}

/// A DECIMAL's unscaled value, whose PLAIN form is FIXED_LEN_BYTE_ARRAY(16): two's
/// complement, big-endian.
struct ParquetDecimal128: FixedWidthParquetValue {
    var unscaled: Int128

    static var physicalType: Parquet.PhysicalType { .fixedLenByteArray }
    static var plainWidth: Int { 16 }
    func hasSamePlainBytes(as other: ParquetDecimal128) -> Bool { unscaled == other.unscaled }
    func dictionaryHash(seed: UInt64) -> UInt64 {
        let bits = UInt128(bitPattern: unscaled)
        return DictionaryHashing.mix(UInt64(truncatingIfNeeded: bits) ^ DictionaryHashing.mix(UInt64(truncatingIfNeeded: bits >> 64) ^ seed))
    }
    func sortsBefore(_ other: ParquetDecimal128) -> Bool { unscaled < other.unscaled }
    var countsInStatistics: Bool { true }
    func storePlain(at address: UnsafeMutableRawPointer) {
        address.storeBytes(of: unscaled.bigEndian, as: Int128.self)
    }
}
