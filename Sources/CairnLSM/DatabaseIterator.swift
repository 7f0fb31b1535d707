/// A cursor over the user keys of a database as of one sequence number, in byte order, with
/// optional bounds. It hides older versions, deleted keys and keys covered by range
/// deletions. Obtain one from `Database.makeIterator`.
///
/// The iterator pins the memtables and tables it reads, so it stays consistent while the
/// database keeps changing. Not thread-safe: use one iterator from one thread at a time.
public final class DatabaseIterator {
    private let iter: MergingIterator
    /// One cursor per source that has range tombstones (none when no source has any). A key
    /// is covered if any source covers it; the cursors make the checks of a monotonic scan
    /// amortized O(1).
    @exclusivity(unchecked) private var tombstoneCursors: [FragmentedRangeTombstones.Cursor]
    private let sequence: SequenceNumber
    private let lowerBound: [UInt8]?
    private let upperBound: [UInt8]?
    private let pinned: [AnyObject?]

    // Exclusivity checks are disabled on the hot fields: the iterator is used by one thread at
    // a time and no method holds an access across a call that re-enters it.
    @exclusivity(unchecked) private var valid = false
    @exclusivity(unchecked) private var forward = true
    /// In reverse mode: the current entry's user key. In forward mode: the user key whose
    /// older versions are being skipped (one memcpy into reused memory per step).
    private let savedKey = ByteBuffer(capacity: 64)
    /// In reverse mode: the current entry's value. Made on the first backward move, so
    /// forward-only iterators (a seek and a few steps) do not pay for it.
    @exclusivity(unchecked) private var savedValueBuffer: ByteBuffer?

    /// An unpositioned iterator over `merging` as of `sequence`. `tombstones` are the range
    /// tombstones of every source, one fragmented list per source (any may be empty); entries
    /// a tombstone visible at `sequence` covers are hidden.
    init(
        merging: MergingIterator, tombstones: [FragmentedRangeTombstones], sequence: SequenceNumber,
        options: ReadOptions, pinned: [AnyObject?]
    ) {
        self.iter = merging
        self.tombstoneCursors = tombstones.filter { !$0.isEmpty }.map { $0.makeCursor() }
        self.sequence = sequence
        self.lowerBound = options.lowerBound
        self.upperBound = options.upperBound
        self.pinned = pinned
    }

    /// True when the iterator is on an entry.
    public var isValid: Bool { valid }

    /// The current key (a copy). Requires `isValid`.
    public var key: [UInt8] { withKey { Array($0) } }

    /// The current value (a copy). Requires `isValid`.
    public var value: [UInt8] { withValue { Array($0) } }

    /// Calls `body` with the current key without copying it; the buffer is valid only inside
    /// `body`. Requires `isValid`.
    public func withKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if forward { return try body(InternalKey.userKey(iter.key)) }
        return try body(savedKey.bytes)
    }

    /// Calls `body` with the current value without copying it. Requires `isValid`.
    public func withValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if forward { return try body(iter.value) }
        return try body(savedValueBuffer?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Moves to the first key (at or after the lower bound).
    public func seekToFirst() throws {
        if let lower = lowerBound { return try seek(lower) }
        forward = true
        try guarded {
            try iter.seekToFirst()
            try findNextUserEntry(skipping: false)
        }
    }

    /// Moves to the last key (before the upper bound).
    public func seekToLast() throws {
        forward = false
        try guarded {
            if let upper = upperBound {
                try positionBefore(userKey: upper)
            } else {
                try iter.seekToLast()
            }
            try findPrevUserEntry()
        }
    }

    /// Moves to the first key >= `target` (and >= the lower bound).
    public func seek(_ target: [UInt8]) throws {
        var t = target
        if let lower = lowerBound, compareBytes(t, lower) < 0 { t = lower }
        forward = true
        try guarded {
            try withInternalKey(t, InternalKey.trailer(sequence, ValueType.seekMarker)) { try iter.seek($0) }
            try findNextUserEntry(skipping: false)
        }
    }

    /// Moves to the last key <= `target` (and < the upper bound).
    public func seekForPrev(_ target: [UInt8]) throws {
        if let upper = upperBound, compareBytes(target, upper) >= 0 { return try seekToLast() }
        forward = false
        try guarded {
            // The smallest user key after `target` is target ++ 0x00.
            try positionBefore(userKey: target + [0])
            try findPrevUserEntry()
        }
    }

    /// Moves to the next key. Requires `isValid`.
    public func next() throws {
        guard valid else { return }
        try guarded {
            if !forward {
                // `iter` sits just before the entries of savedKey; step into them and skip.
                forward = true
                if iter.isValid { try iter.next() } else { try iter.seekToFirst() }
            } else {
                saveKey(InternalKey.userKey(iter.key))
                try iter.next()
            }
            try findNextUserEntry(skipping: true)
        }
    }

    /// Moves to the previous key. Requires `isValid`.
    public func prev() throws {
        guard valid else { return }
        try guarded {
            if forward {
                // Step back past every entry of the current key.
                saveKey(InternalKey.userKey(iter.key))
                while true {
                    try iter.prev()
                    if !iter.isValid { break }
                    if compareBytes(InternalKey.userKey(iter.key), savedKey.bytes) < 0 { break }
                }
                forward = false
                if !iter.isValid {
                    valid = false
                    return
                }
            }
            try findPrevUserEntry()
        }
    }

    // MARK: - Internals

    /// Runs `body`; on error leaves the iterator invalid and rethrows.
    private func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            valid = false
            throw error
        }
    }

    /// Calls `body` with `userKey ++ trailer`, built on the stack for ordinary key sizes.
    private func withInternalKey(
        _ userKey: [UInt8], _ trailer: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try withUnsafeTemporaryAllocation(byteCount: userKey.count + InternalKey.trailerSize, alignment: 8) { buffer in
            userKey.withUnsafeBytes { buffer.copyMemory(from: $0) }
            buffer.storeBytes(of: trailer.littleEndian, toByteOffset: userKey.count, as: UInt64.self)
            try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The reverse-mode value buffer, made on first use.
    private var savedValue: ByteBuffer {
        if let buffer = savedValueBuffer { return buffer }
        let buffer = ByteBuffer(capacity: 256)
        savedValueBuffer = buffer
        return buffer
    }

    /// Replaces `savedKey` with `userKey`.
    @inline(__always)
    private func saveKey(_ userKey: UnsafeRawBufferPointer) {
        savedKey.removeAll()
        savedKey.append(userKey)
    }

    /// Positions `iter` on the last entry whose user key is < `userKey`.
    private func positionBefore(userKey: [UInt8]) throws {
        try withInternalKey(userKey, InternalKey.trailer(maxSequenceNumber, ValueType.seekMarker)) { try iter.seek($0) }
        if iter.isValid { try iter.prev() } else { try iter.seekToLast() }
    }

    /// True if a range tombstone visible at `sequence` and newer than the entry covers
    /// `userKey`. Free when no source has tombstones.
    @inline(__always)
    private func isCovered(_ userKey: UnsafeRawBufferPointer, entrySequence: SequenceNumber) -> Bool {
        !tombstoneCursors.isEmpty && isCoveredByAnySource(userKey, entrySequence: entrySequence)
    }

    /// `isCovered` when some source has tombstones: the newest covering tombstone over all
    /// sources is newer than the entry iff one source's is.
    private func isCoveredByAnySource(_ userKey: UnsafeRawBufferPointer, entrySequence: SequenceNumber) -> Bool {
        for i in tombstoneCursors.indices
        where tombstoneCursors[i].maxCoveringSequence(userKey, visibleAt: sequence) > entrySequence {
            return true
        }
        return false
    }

    /// Forward: settles `iter` on the newest visible version of the next live user key.
    /// With `skipping`, entries whose user key is <= savedKey are hidden.
    private func findNextUserEntry(skipping: Bool) throws {
        var skipping = skipping
        while iter.isValid {
            let ikey = iter.key
            let userKey = InternalKey.userKey(ikey)
            if let upper = upperBound, compareBytes(upper, userKey) <= 0 { break }
            let trailer = InternalKey.trailerValue(ikey)
            let entrySequence = trailer >> 8
            if entrySequence <= sequence {
                let hidden = skipping && compareBytes(userKey, savedKey.bytes) <= 0
                if !hidden {
                    switch UInt8(truncatingIfNeeded: trailer) {
                    case ValueType.value.rawValue:
                        if !isCovered(userKey, entrySequence: entrySequence) {
                            valid = true
                            return
                        }
                        fallthrough
                    default:
                        // A deletion (or a covered value) hides older versions of this key.
                        saveKey(userKey)
                        skipping = true
                    }
                }
            }
            try iter.next()
        }
        valid = false
    }

    /// Backward: walks `iter` back over the entries of the previous user key, leaving
    /// savedKey/savedValue on its newest visible value and `iter` just before its entries.
    private func findPrevUserEntry() throws {
        var haveValue = false
        savedKey.removeAll()
        while iter.isValid {
            let ikey = iter.key
            let userKey = InternalKey.userKey(ikey)
            if let lower = lowerBound, compareBytes(userKey, lower) < 0 { break }
            let trailer = InternalKey.trailerValue(ikey)
            let entrySequence = trailer >> 8
            if entrySequence <= sequence {
                if haveValue && compareBytes(userKey, savedKey.bytes) < 0 {
                    // A complete, live entry for savedKey is in hand.
                    break
                }
                if UInt8(truncatingIfNeeded: trailer) == ValueType.value.rawValue
                    && !isCovered(userKey, entrySequence: entrySequence)
                {
                    haveValue = true
                    saveKey(userKey)
                    savedValue.removeAll()
                    savedValue.append(iter.value)
                } else {
                    haveValue = false
                    savedKey.removeAll()
                    savedValue.removeAll()
                }
            }
            try iter.prev()
        }
        if haveValue {
            valid = true
        } else {
            valid = false
            savedKey.removeAll()
            forward = true
        }
    }
}
