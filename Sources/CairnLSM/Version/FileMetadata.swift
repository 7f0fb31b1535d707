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
    /// The table's identity as the manifest recorded it (empty for legacy records).
    let uniqueID: [UInt8]

    private let guardLock = SpinGuard()
    private var obsoleteSink: (@Sendable (UInt64) -> Void)?
    private var cachedTombstones: FragmentedRangeTombstones?

    /// The metadata a manifest edit records for a new file.
    init(_ f: VersionEdit.NewFile) {
        number = f.number
        size = f.size
        smallest = f.smallest
        largest = f.largest
        smallestSequence = f.smallestSequence
        largestSequence = f.largestSequence
        entryCount = f.entryCount
        rangeDeletionCount = f.rangeDeletionCount
        uniqueID = f.uniqueID
    }

    /// The manifest record that adds this file at `level`.
    func newFileRecord(level: Int) -> VersionEdit.NewFile {
        VersionEdit.NewFile(
            level: level, number: number, size: size, smallest: smallest, largest: largest,
            smallestSequence: smallestSequence, largestSequence: largestSequence,
            entryCount: entryCount, rangeDeletionCount: rangeDeletionCount, uniqueID: uniqueID)
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
