/// A growable byte buffer over raw memory, for building blocks, log records and batches
/// without per-byte array overhead.
///
/// `ByteBuffer` owns one heap allocation that doubles as needed. It is a class (reference
/// semantics) used by a single owner at a time; it is not thread-safe. Views returned by
/// `bytes` are valid until the next mutation.
public final class ByteBuffer {
    // Exclusivity checks are disabled on the fields: a buffer has one owner at a time and no
    // method holds an access across a call that re-enters the buffer.
    @exclusivity(unchecked) var storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) var capacity: Int
    /// Number of bytes written.
    @exclusivity(unchecked) public private(set) var count: Int = 0

    /// Creates an empty buffer with room for `capacity` bytes before it grows.
    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// The bytes written so far; valid until the next mutation.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage, count: count)
    }

    /// Mutable access to bytes already written (for patching headers in place).
    public var mutableBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: storage, count: count)
    }

    /// Forgets the contents, keeping the allocation.
    public func removeAll() { count = 0 }

    /// Drops bytes past `newCount`.
    public func truncate(to newCount: Int) {
        if newCount < count { count = max(0, newCount) }
    }

    /// Makes room for at least `additional` more bytes.
    public func reserve(_ additional: Int) {
        if count + additional > capacity { grow(count + additional) }
    }

    /// Empties the buffer and, if its allocation grew past `limit` bytes (for one unusually
    /// large payload), replaces it with one of `capacity` bytes.
    public func shrink(ifCapacityAbove limit: Int, to capacity: Int) {
        count = 0
        guard self.capacity > limit else { return }
        let newCapacity = max(capacity, 16)
        storage.deallocate()
        storage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        self.capacity = newCapacity
    }

    func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    /// Appends raw bytes.
    public func append(_ source: UnsafeRawBufferPointer) {
        guard source.count > 0, let base = source.baseAddress else { return }
        reserve(source.count)
        (storage + count).copyMemory(from: base, byteCount: source.count)
        count += source.count
    }

    /// Appends the bytes of an array.
    public func append(_ source: [UInt8]) {
        source.withUnsafeBytes { append($0) }
    }

    /// Appends one byte.
    public func append(byte: UInt8) {
        reserve(1)
        storage.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    /// Appends `value` as 4 little-endian bytes.
    public func appendFixed32(_ value: UInt32) {
        reserve(4)
        storage.storeBytes(of: value.littleEndian, toByteOffset: count, as: UInt32.self)
        count += 4
    }

    /// Appends `value` as 8 little-endian bytes.
    public func appendFixed64(_ value: UInt64) {
        reserve(8)
        storage.storeBytes(of: value.littleEndian, toByteOffset: count, as: UInt64.self)
        count += 8
    }

    /// Appends `value` as a LEB128 varint.
    public func appendVarint(_ value: UInt64) {
        reserve(10)
        count += Coding.encodeVarint(value, into: storage + count)
    }

    /// Appends a varint length followed by `source`.
    public func appendLengthPrefixed(_ source: UnsafeRawBufferPointer) {
        appendVarint(UInt64(source.count))
        append(source)
    }

    /// Overwrites 4 bytes at `offset` (which must be < count - 3) with `value`, little-endian.
    public func setFixed32(_ value: UInt32, at offset: Int) {
        storage.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// A copy of the contents as an array.
    public func toArray() -> [UInt8] { Array(bytes) }
}
