/// What the manifest records about one live SSTable.
///
/// A `FileMetadata` is shared by every `Version` that contains the file. When a version edit
/// removes the file, the version set marks it obsolete; the file itself is deleted when the
/// last reference goes away (ARC runs `deinit`), that is, when no version, iterator or get
/// still uses it. That is how "delete only when nobody can read it" is enforced.
final class FileMetadata: @unchecked Sendable {
    // Immutable fields are set at creation; `obsoleteSink` and the tombstone cache are guarded
    // by `guardLock`, which is why the class is @unchecked Sendable.
    let number: UInt64
    let size: Int64
    /// Smallest internal key (point entries and range-tombstone starts).
    let smallest: [UInt8]
    /// Largest internal key (point entries and range-tombstone ends).
    let largest: [UInt8]
    let smallestSequence: SequenceNumber
    let largestSequence: SequenceNumber
    let entryCount: UInt64
    let rangeDeletionCount: UInt64

    private let guardLock = SpinGuard()
    private var obsoleteSink: (@Sendable (UInt64) -> Void)?
    private var cachedTombstones: FragmentedRangeTombstones?

    init(
        number: UInt64, size: Int64, smallest: [UInt8], largest: [UInt8],
        smallestSequence: SequenceNumber, largestSequence: SequenceNumber,
        entryCount: UInt64, rangeDeletionCount: UInt64
    ) {
        self.number = number
        self.size = size
        self.smallest = smallest
        self.largest = largest
        self.smallestSequence = smallestSequence
        self.largestSequence = largestSequence
        self.entryCount = entryCount
        self.rangeDeletionCount = rangeDeletionCount
    }

    /// Marks the file obsolete: `sink(number)` runs when the last reference is released.
    func markObsolete(_ sink: @escaping @Sendable (UInt64) -> Void) {
        guardLock.withLock { obsoleteSink = sink }
    }

    /// The table's range tombstones, fragmented once and cached.
    func rangeTombstones(_ load: () throws -> [RangeTombstone]) rethrows -> FragmentedRangeTombstones {
        if let cached = guardLock.withLock({ cachedTombstones }) { return cached }
        let built = FragmentedRangeTombstones(try load())
        guardLock.withLock { cachedTombstones = built }
        return built
    }

    deinit {
        if let sink = obsoleteSink { sink(number) }
    }

    /// User key of `smallest`.
    var smallestUserKey: [UInt8] { Array(smallest.dropLast(InternalKey.trailerSize)) }
    /// User key of `largest`.
    var largestUserKey: [UInt8] { Array(largest.dropLast(InternalKey.trailerSize)) }

    /// True if the file's user-key range may include `userKey`.
    func mayContain(userKey: UnsafeRawBufferPointer) -> Bool {
        smallest.withUnsafeBytes { s in
            largest.withUnsafeBytes { l in
                compareBytes(userKey, InternalKey.userKey(s)) >= 0 && compareBytes(userKey, InternalKey.userKey(l)) <= 0
            }
        }
    }
}
