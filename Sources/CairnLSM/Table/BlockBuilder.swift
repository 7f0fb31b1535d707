/// Builds one block in LevelDB's format: prefix-compressed entries with restart points.
///
/// ```
/// entry:   shared varint32 | unshared varint32 | valueLength varint32 | key[shared...] | value
/// trailer: restart offset fixed32 * numRestarts | numRestarts fixed32
/// ```
/// Every `restartInterval` entries the full key is stored (`shared == 0`) and the entry's
/// offset is recorded as a restart point, so readers can binary-search the restarts and then
/// scan at most `restartInterval` entries. The caller adds keys in increasing order; the
/// builder does not compare them. Single owner, not thread-safe.
final class BlockBuilder {
    /// Entries between restart points (1 stores every key in full).
    let restartInterval: Int
    private let buffer = ByteBuffer(capacity: 8192)
    private var restarts: [UInt32] = [0]
    private var counter = 0
    private let last = ByteBuffer(capacity: 256)
    private var finished = false
    /// Entries added since the last reset.
    private(set) var entryCount = 0

    /// Creates an empty builder.
    init(restartInterval: Int) {
        self.restartInterval = max(1, restartInterval)
    }

    /// True when no entry was added since the last reset.
    var isEmpty: Bool { entryCount == 0 }

    /// The last key added (valid until the next `add` or `reset`).
    var lastKey: UnsafeRawBufferPointer { last.bytes }

    /// Size the block will have once finished (entries plus restart array).
    var currentSizeEstimate: Int {
        finished ? buffer.count : buffer.count + restarts.count * 4 + 4
    }

    /// Forgets all entries, keeping the allocations.
    func reset() {
        buffer.removeAll()
        restarts.removeAll(keepingCapacity: true)
        restarts.append(0)
        counter = 0
        last.removeAll()
        entryCount = 0
        finished = false
    }

    /// Appends an entry. `key` must sort after the previous key (not checked here).
    func add(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        var shared = 0
        if counter < restartInterval {
            let previous = last.bytes
            let limit = min(previous.count, key.count)
            if limit > 0, let a = previous.baseAddress, let b = key.baseAddress {
                // Compare 8 bytes at a time, then finish bytewise.
                while shared + 8 <= limit
                    && a.loadUnaligned(fromByteOffset: shared, as: UInt64.self)
                        == b.loadUnaligned(fromByteOffset: shared, as: UInt64.self)
                {
                    shared += 8
                }
                while shared < limit && previous[shared] == key[shared] { shared += 1 }
            }
        } else {
            restarts.append(UInt32(truncatingIfNeeded: buffer.count))
            counter = 0
        }
        let unshared = key.count - shared
        buffer.appendVarint(UInt64(shared))
        buffer.appendVarint(UInt64(unshared))
        buffer.appendVarint(UInt64(value.count))
        buffer.append(UnsafeRawBufferPointer(rebasing: key[shared...]))
        buffer.append(value)
        last.truncate(to: shared)
        last.append(UnsafeRawBufferPointer(rebasing: key[shared...]))
        counter += 1
        entryCount += 1
    }

    /// Appends the restart array and returns the finished block, valid until `reset`.
    func finish() -> UnsafeRawBufferPointer {
        if !finished {
            for r in restarts { buffer.appendFixed32(r) }
            buffer.appendFixed32(UInt32(truncatingIfNeeded: restarts.count))
            finished = true
        }
        return buffer.bytes
    }
}
