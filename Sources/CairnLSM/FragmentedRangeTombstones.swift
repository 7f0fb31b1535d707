/// Range tombstones cut into non-overlapping fragments, for fast "is this key deleted?" checks
/// (RocksDB's `FragmentedRangeTombstoneList`).
///
/// Built from any collection of tombstones — overlapping, unsorted, from several memtables and
/// tables. The fragment boundaries are every distinct start and end key; each fragment
/// `[start, end)` carries the sequence numbers of all tombstones covering it, sorted
/// descending (duplicates removed). Adjacent fragments with identical sequence lists are
/// merged, and empty tombstones (`start >= end`) are dropped. A point query is then one binary
/// search over fragment starts plus a scan of one short sequence list.
///
/// Storage is flat: all keys in one byte array addressed by offsets, all sequence lists in one
/// array, so queries compare with `memcmp` and allocate nothing. The value is immutable and
/// `Sendable`; share it freely between threads.
struct FragmentedRangeTombstones: Sendable {
    /// One fragment, materialized for tests and debugging.
    struct Fragment: Equatable, Sendable, CustomStringConvertible {
        /// First user key of the fragment (inclusive).
        var start: [UInt8]
        /// End of the fragment (exclusive).
        var end: [UInt8]
        /// Sequence numbers of the tombstones covering the fragment, descending.
        var sequences: [SequenceNumber]

        var description: String { "[\(start), \(end)) @ \(sequences)" }
    }

    /// Keys of all fragments: fragment `i` has start `keyBytes[keyOffsets[2i]..<keyOffsets[2i+1]]`
    /// and end `keyBytes[keyOffsets[2i+1]..<keyOffsets[2i+2]]`.
    private let keyBytes: [UInt8]
    /// `2 * count + 1` offsets into `keyBytes`.
    private let keyOffsets: [Int]
    /// All fragments' sequence lists, concatenated.
    private let sequences: [SequenceNumber]
    /// `count + 1` offsets into `sequences`: fragment `i` owns `sequenceOffsets[i]..<sequenceOffsets[i+1]`.
    private let sequenceOffsets: [Int]

    /// No tombstones.
    init() {
        self.init(keyBytes: [], keyOffsets: [0], sequences: [], sequenceOffsets: [0])
    }

    /// Takes already-flattened storage (see the stored properties for the layout).
    private init(keyBytes: [UInt8], keyOffsets: [Int], sequences: [SequenceNumber], sequenceOffsets: [Int]) {
        self.keyBytes = keyBytes
        self.keyOffsets = keyOffsets
        self.sequences = sequences
        self.sequenceOffsets = sequenceOffsets
    }

    /// Fragments `tombstones` (any order, any overlap).
    init(_ tombstones: [RangeTombstone]) {
        let valid = tombstones.filter { compareBytes($0.start, $0.end) < 0 }
        guard !valid.isEmpty else {
            self.init()
            return
        }
        // Every distinct start and end key is a fragment boundary.
        var points: [[UInt8]] = []
        points.reserveCapacity(valid.count * 2)
        for t in valid {
            points.append(t.start)
            points.append(t.end)
        }
        points.sort { compareBytes($0, $1) < 0 }
        var boundaries: [[UInt8]] = []
        boundaries.reserveCapacity(points.count)
        for p in points where boundaries.last.map({ compareBytes($0, p) != 0 }) ?? true {
            boundaries.append(p)
        }
        let byStart = valid.sorted { compareBytes($0.start, $1.start) < 0 }

        // Sweep the boundaries, keeping the tombstones that cover the current gap.
        var built: [Fragment] = []
        var active: [(end: [UInt8], sequence: SequenceNumber)] = []
        var nextTombstone = 0
        for i in 0..<(boundaries.count - 1) {
            let lo = boundaries[i], hi = boundaries[i + 1]
            active.removeAll { compareBytes($0.end, lo) <= 0 }
            while nextTombstone < byStart.count && compareBytes(byStart[nextTombstone].start, lo) <= 0 {
                let t = byStart[nextTombstone]
                active.append((t.end, t.sequence))
                nextTombstone += 1
            }
            guard !active.isEmpty else { continue }
            // Every active tombstone starts at or before `lo` and ends at a boundary after it,
            // so it covers all of [lo, hi).
            var seqs = active.map(\.sequence)
            seqs.sort(by: >)
            var unique: [SequenceNumber] = []
            unique.reserveCapacity(seqs.count)
            for s in seqs where unique.last != s { unique.append(s) }
            if let last = built.last, last.end == lo, last.sequences == unique {
                built[built.count - 1].end = hi
            } else {
                built.append(Fragment(start: lo, end: hi, sequences: unique))
            }
        }

        var bytes: [UInt8] = []
        var offsets: [Int] = [0]
        var seqs: [SequenceNumber] = []
        var seqOffsets: [Int] = [0]
        offsets.reserveCapacity(built.count * 2 + 1)
        seqOffsets.reserveCapacity(built.count + 1)
        for f in built {
            bytes.append(contentsOf: f.start)
            offsets.append(bytes.count)
            bytes.append(contentsOf: f.end)
            offsets.append(bytes.count)
            seqs.append(contentsOf: f.sequences)
            seqOffsets.append(seqs.count)
        }
        self.init(keyBytes: bytes, keyOffsets: offsets, sequences: seqs, sequenceOffsets: seqOffsets)
    }

    /// Number of fragments.
    var count: Int { sequenceOffsets.count - 1 }

    /// True when there are no (non-empty) tombstones.
    var isEmpty: Bool { count == 0 }

    /// The fragments, materialized (allocates; for tests and debugging).
    var fragments: [Fragment] {
        (0..<count).map { i in
            Fragment(
                start: Array(keyBytes[keyOffsets[2 * i]..<keyOffsets[2 * i + 1]]),
                end: Array(keyBytes[keyOffsets[2 * i + 1]..<keyOffsets[2 * i + 2]]),
                sequences: Array(sequences[sequenceOffsets[i]..<sequenceOffsets[i + 1]]))
        }
    }

    // MARK: Queries

    /// The largest sequence number <= `snapshot` of a tombstone covering `userKey`, or 0 if
    /// no tombstone visible at `snapshot` covers it.
    func maxCoveringSequence(_ userKey: UnsafeRawBufferPointer, visibleAt snapshot: SequenceNumber) -> SequenceNumber {
        keyBytes.withUnsafeBytes { keys in
            let candidate = upperBound(userKey, keys, in: 0..<count) - 1
            return coveringSequence(candidate, userKey, keys, snapshot)
        }
    }

    /// Array convenience for `maxCoveringSequence`.
    func maxCoveringSequence(_ userKey: [UInt8], visibleAt snapshot: SequenceNumber) -> SequenceNumber {
        userKey.withUnsafeBytes { maxCoveringSequence($0, visibleAt: snapshot) }
    }

    /// True if a tombstone visible at `snapshot` and newer than `entrySequence` covers
    /// `userKey`, that is if the entry `userKey@entrySequence` is deleted for a reader at
    /// `snapshot`.
    func isCovered(userKey: UnsafeRawBufferPointer, entrySequence: SequenceNumber, snapshot: SequenceNumber) -> Bool {
        maxCoveringSequence(userKey, visibleAt: snapshot) > entrySequence
    }

    /// Array convenience for `isCovered`.
    func isCovered(userKey: [UInt8], entrySequence: SequenceNumber, snapshot: SequenceNumber) -> Bool {
        maxCoveringSequence(userKey, visibleAt: snapshot) > entrySequence
    }

    /// A cursor for testing many keys in increasing or decreasing order (as iterators do)
    /// without a full binary search per key.
    func makeCursor() -> Cursor { Cursor(self) }

    /// Checks probes that mostly move monotonically (forward or backward iteration). Each
    /// probe first steps a few fragments from the previous position and falls back to a
    /// binary search, so any order of probes is correct; monotonic ones are amortized O(1).
    /// A value type holding a copy of the (immutable) fragment list; use one per iterator.
    struct Cursor {
        private let list: FragmentedRangeTombstones
        /// Last fragment whose start is <= the previous probe, or -1.
        private var index: Int = -1
        /// Steps tried before falling back to a binary search.
        private static var maxSteps: Int { 4 }

        fileprivate init(_ list: FragmentedRangeTombstones) {
            self.list = list
        }

        /// Same result as `FragmentedRangeTombstones.maxCoveringSequence`.
        mutating func maxCoveringSequence(_ userKey: UnsafeRawBufferPointer, visibleAt snapshot: SequenceNumber) -> SequenceNumber {
            let n = list.count
            if n == 0 { return 0 }
            let list = self.list
            var i = index
            let result = list.keyBytes.withUnsafeBytes { keys -> SequenceNumber in
                var steps = 0
                if i < 0 || compareBytes(list.start(i, keys), userKey) <= 0 {
                    // Forward (or from before the first fragment): last start <= key at or after i.
                    while i + 1 < n && compareBytes(list.start(i + 1, keys), userKey) <= 0 {
                        steps += 1
                        if steps > Self.maxSteps {
                            i = list.upperBound(userKey, keys, in: (i + 1)..<n) - 1
                            break
                        }
                        i += 1
                    }
                } else {
                    // Backward: start(i) > key, so the answer is before i.
                    while i >= 0 && compareBytes(list.start(i, keys), userKey) > 0 {
                        steps += 1
                        if steps > Self.maxSteps {
                            i = list.upperBound(userKey, keys, in: 0..<i) - 1
                            break
                        }
                        i -= 1
                    }
                }
                return list.coveringSequence(i, userKey, keys, snapshot)
            }
            index = i
            return result
        }

        /// True if the entry `userKey@entrySequence` is deleted for a reader at `snapshot`.
        mutating func isCovered(userKey: UnsafeRawBufferPointer, entrySequence: SequenceNumber, snapshot: SequenceNumber) -> Bool {
            maxCoveringSequence(userKey, visibleAt: snapshot) > entrySequence
        }
    }

    // MARK: Internals (over `keyBytes` viewed as `keys`)

    @inline(__always)
    private func start(_ i: Int, _ keys: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: keys[keyOffsets[2 * i]..<keyOffsets[2 * i + 1]])
    }

    @inline(__always)
    private func end(_ i: Int, _ keys: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: keys[keyOffsets[2 * i + 1]..<keyOffsets[2 * i + 2]])
    }

    /// The first fragment index in `range` whose start is > `key` (`range.upperBound` if none).
    private func upperBound(_ key: UnsafeRawBufferPointer, _ keys: UnsafeRawBufferPointer, in range: Range<Int>) -> Int {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if compareBytes(start(mid, keys), key) <= 0 {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }

    /// Given `candidate`, the last fragment starting at or before `key` (or -1), the newest
    /// sequence <= `snapshot` covering `key`, or 0.
    @inline(__always)
    private func coveringSequence(
        _ candidate: Int, _ key: UnsafeRawBufferPointer, _ keys: UnsafeRawBufferPointer, _ snapshot: SequenceNumber
    ) -> SequenceNumber {
        guard candidate >= 0, candidate < count, compareBytes(key, end(candidate, keys)) < 0 else { return 0 }
        // Sequences are descending: the first one <= snapshot is the answer.
        for j in sequenceOffsets[candidate]..<sequenceOffsets[candidate + 1] where sequences[j] <= snapshot {
            return sequences[j]
        }
        return 0
    }
}
