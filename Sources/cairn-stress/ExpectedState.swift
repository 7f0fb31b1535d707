import CairnLSM
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What each key of a stress run may hold, in a file that outlives the process (RocksDB's
/// expected-state design; the byte layout is Docs/expected_state_format.md).
///
/// Every key has one 32-bit slot: the *value base* of its last acknowledged value (a counter
/// that each put of the key advances by one, so the value's bytes follow from key and base),
/// whether the key exists, and whether a write to it is in flight. A writer marks the slot
/// pending **before** it sends a write and settles it **after** the write is acknowledged; a
/// crash in between leaves it pending, and the verifier then accepts the value before or the
/// value after that write, nothing else. The file is memory-mapped and shared, so each store
/// is in the page cache at once and survives a SIGKILL of the process (not a machine crash:
/// crash cycles kill processes; machine crashes are the memory file system's crash points).
///
/// Not thread-safe by itself: the stress holds a key's lock (`KeyLocks`) around every change
/// of its slot.
final class ExpectedState: @unchecked Sendable {
    /// "CSTE": Cairn STress Expected state.
    static let magic: [UInt8] = Array("CSTE".utf8)
    static let version: UInt32 = 1
    /// Magic, version, key count, seed, layer, stream position; from byte 64, eight operation
    /// counters.
    static let headerSize = 128
    /// The counters of acknowledged operations, one per thread (so no two threads share one).
    static let counterSlots = 8

    /// One key's state.
    struct Slot: Equatable, CustomStringConvertible {
        var raw: UInt32

        /// The value base of the last acknowledged put (or of the value the key had before a
        /// delete): 16 bits, wrapping.
        var base: UInt16 { UInt16(truncatingIfNeeded: raw) }
        var exists: Bool { raw & Self.existsBit != 0 }
        var pending: Bool { raw & Self.pendingBit != 0 }
        /// With `pending`: the write in flight deletes the key (else it puts `base &+ 1`).
        var pendingDelete: Bool { raw & Self.pendingDeleteBit != 0 }

        static let existsBit: UInt32 = 1 << 16
        static let pendingBit: UInt32 = 1 << 17
        static let pendingDeleteBit: UInt32 = 1 << 18

        init(raw: UInt32) { self.raw = raw }

        init(base: UInt16, exists: Bool) {
            raw = UInt32(base) | (exists ? Self.existsBit : 0)
        }

        /// The base a put in flight (or about to be sent) writes.
        var nextBase: UInt16 { base &+ 1 }

        /// This slot with a put of `nextBase` (or a delete) in flight.
        func markingPending(delete: Bool) -> Slot {
            Slot(raw: raw | Self.pendingBit | (delete ? Self.pendingDeleteBit : 0))
        }

        /// The state once the write in flight is acknowledged.
        func settled() -> Slot {
            guard pending else { return self }
            return pendingDelete ? Slot(base: base, exists: false) : Slot(base: nextBase, exists: true)
        }

        /// The state before the write in flight (as if it never happened).
        func unsent() -> Slot { Slot(base: base, exists: exists) }

        var description: String {
            let state = exists ? "value \(base)" : "absent (last value \(base))"
            guard pending else { return state }
            return state + (pendingDelete ? ", delete in flight" : ", put of value \(nextBase) in flight")
        }
    }

    let path: String
    let keyCount: Int
    let seed: UInt64
    private let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer
    private let mappedSize: Int

    private init(path: String, descriptor: Int32, mapping: UnsafeMutableRawPointer, size: Int, keyCount: Int, seed: UInt64) {
        self.path = path
        self.descriptor = descriptor
        self.mapping = mapping
        mappedSize = size
        self.keyCount = keyCount
        self.seed = seed
    }

    deinit {
        munmap(mapping, mappedSize)
        close(descriptor)
    }

    /// Creates a file for `keyCount` keys, every key absent with base 0.
    static func create(path: String, keyCount: Int, seed: UInt64) throws -> ExpectedState {
        guard keyCount > 0, keyCount <= 1 << 24 else {
            throw CairnError.invalidArgument("the key count must be between 1 and \(1 << 24), not \(keyCount)")
        }
        let size = headerSize + 4 * keyCount
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CairnError.io(errno: errno, path: path, operation: "create") }
        guard ftruncate(fd, off_t(size)) == 0 else {
            let code = errno
            close(fd)
            throw CairnError.io(errno: code, path: path, operation: "ftruncate")
        }
        let state = try map(path: path, descriptor: fd, size: size, keyCount: keyCount, seed: seed)
        var header = [UInt8](repeating: 0, count: headerSize)
        header.replaceSubrange(0..<4, with: magic)
        Self.store(version, into: &header, at: 4)
        Self.store(UInt32(keyCount), into: &header, at: 8)
        Self.store(UInt32(truncatingIfNeeded: seed), into: &header, at: 12)
        Self.store(UInt32(truncatingIfNeeded: seed >> 32), into: &header, at: 16)
        header.withUnsafeBytes { state.mapping.copyMemory(from: $0.baseAddress!, byteCount: headerSize) }
        return state
    }

    /// Opens a file written by `create`; a wrong magic, version or size is a corruption error.
    static func openExisting(path: String) throws -> ExpectedState {
        let fd = Glibc.open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw CairnError.io(errno: errno, path: path, operation: "open") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw CairnError.io(errno: code, path: path, operation: "fstat")
        }
        let size = Int(info.st_size)
        var header = [UInt8](repeating: 0, count: headerSize)
        let read = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, headerSize, 0) }
        func corrupt(_ reason: String) -> CairnError {
            close(fd)
            return CairnError.corruption(file: path, offset: 0, reason: reason)
        }
        guard read == headerSize, Array(header[0..<4]) == magic else { throw corrupt("not an expected-state file (magic CSTE)") }
        guard load(header, at: 4) == version else { throw corrupt("expected-state version \(load(header, at: 4)), this tool reads \(version)") }
        let keyCount = Int(load(header, at: 8))
        guard keyCount > 0, size == headerSize + 4 * keyCount else {
            throw corrupt("the file holds \(size) bytes, \(headerSize + 4 * keyCount) expected for \(keyCount) keys")
        }
        let seed = UInt64(load(header, at: 12)) | UInt64(load(header, at: 16)) << 32
        return try map(path: path, descriptor: fd, size: size, keyCount: keyCount, seed: seed)
    }

    private static func map(path: String, descriptor fd: Int32, size: Int, keyCount: Int, seed: UInt64) throws -> ExpectedState {
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), pointer != MAP_FAILED else {
            let code = errno
            close(fd)
            throw CairnError.io(errno: code, path: path, operation: "mmap")
        }
        return ExpectedState(path: path, descriptor: fd, mapping: pointer, size: size, keyCount: keyCount, seed: seed)
    }

    private static func store(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    private static func load(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    /// Key `key`'s slot (little-endian in the file). `key` is always a number the stress made
    /// (below `keyCount`) or one it read back and checked against `keyCount`
    /// (`StressValues.number(ofKey:)` with the scan's bound, `ItemStress.number(of:)`); the
    /// precondition guards the mapping's memory, as Array's bounds check does.
    subscript(key: Int) -> Slot {
        get {
            precondition(key >= 0 && key < keyCount, "key \(key) outside the expected state's \(keyCount) keys")
            return Slot(raw: UInt32(littleEndian: mapping.load(fromByteOffset: Self.headerSize + 4 * key, as: UInt32.self)))
        }
        set {
            precondition(key >= 0 && key < keyCount, "key \(key) outside the expected state's \(keyCount) keys")
            mapping.storeBytes(of: newValue.raw.littleEndian, toByteOffset: Self.headerSize + 4 * key, as: UInt32.self)
        }
    }

    /// Operations thread `thread` (below `counterSlots`) has had acknowledged, over every run
    /// of this file: stored after each one, so a count survives a SIGKILL.
    func operations(ofThread thread: Int) -> UInt64 {
        UInt64(littleEndian: mapping.load(fromByteOffset: 64 + 8 * (thread % Self.counterSlots), as: UInt64.self))
    }

    func setOperations(_ count: UInt64, ofThread thread: Int) {
        mapping.storeBytes(of: count.littleEndian, toByteOffset: 64 + 8 * (thread % Self.counterSlots), as: UInt64.self)
    }

    /// The layer under stress (0: the engine's keys and values, 1: a table's items), fixed
    /// when the file is made.
    var layer: UInt8 {
        get { mapping.load(fromByteOffset: 20, as: UInt8.self) }
        set { mapping.storeBytes(of: newValue, toByteOffset: 20, as: UInt8.self) }
    }

    /// The item layer's Time to Live moment (seconds since 1970), set when the file is made:
    /// an item value with a TTL carries this (plus its base), an hour before the file's first
    /// run, so it has expired and lies within DynamoDB's five-year horizon. 0 in a file made
    /// before the field existed; the item layer then sets it.
    var timeToLiveEpoch: UInt64 {
        get { UInt64(littleEndian: mapping.load(fromByteOffset: 32, as: UInt64.self)) }
        set { mapping.storeBytes(of: newValue.littleEndian, toByteOffset: 32, as: UInt64.self) }
    }

    /// The change-stream sequence number up to which the items' stream was checked.
    var streamPosition: UInt64 {
        get { UInt64(littleEndian: mapping.load(fromByteOffset: 24, as: UInt64.self)) }
        set { mapping.storeBytes(of: newValue.littleEndian, toByteOffset: 24, as: UInt64.self) }
    }

    /// Operations acknowledged over every run of this file.
    var totalOperations: UInt64 { (0..<Self.counterSlots).reduce(0) { $0 &+ operations(ofThread: $1) } }

    /// Writes the mapped pages to disk (for a clean stop; a SIGKILL needs no sync).
    func sync() {
        msync(mapping, mappedSize, MS_SYNC)
    }
}
