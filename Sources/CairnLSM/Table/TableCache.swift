import Synchronization

/// A bounded set of open `TableReader`s, least recently used evicted first, so a database
/// with thousands of SSTables keeps at most `capacity` files open.
///
/// A miss opens `FileNames.table(directory, n)` outside the lock; if two threads miss on the
/// same file at once both open it and the first to finish is kept (the other reader is
/// returned to its caller and closed when released). An evicted reader stays usable by
/// whoever still holds it; its file closes when the last reference goes.
public final class TableCache: Sendable {
    private let fileSystem: any FileSystem
    /// Directory holding the tables.
    public let directory: String
    /// Most readers kept open.
    public let capacity: Int
    /// The block cache passed to every reader.
    public let blockCache: BlockCache?
    private let verifyChecksums: Bool
    /// Whether tables are opened with `FileSystem.newMappedFile`.
    private let mapFiles: Bool
    private let readers: CairnMutex<LRUMap<UInt64, TableReader>>
    private let hitCounter = Atomic<Int>(0)
    private let missCounter = Atomic<Int>(0)

    /// Creates an empty cache of at most `capacity` (>= 1) open readers; with `mapFiles` the
    /// tables are opened with `FileSystem.newMappedFile`.
    public init(
        fileSystem: any FileSystem, directory: String, capacity: Int, blockCache: BlockCache?, verifyChecksums: Bool,
        mapFiles: Bool = false
    ) {
        self.mapFiles = mapFiles
        self.fileSystem = fileSystem
        self.directory = directory
        self.capacity = max(1, capacity)
        self.blockCache = blockCache
        self.verifyChecksums = verifyChecksums
        self.readers = CairnMutex(LRUMap(capacity: max(1, capacity)))
    }

    /// The reader of the live table `file`, opening it on a miss and checking that the file is
    /// the one the manifest recorded: its size and its unique identity (a copy of another
    /// table, or a file of another database, in its place is corruption).
    func reader(for file: FileMetadata) throws -> TableReader {
        try reader(fileNumber: file.number) { opened in
            try opened.checkIdentity(size: file.size, uniqueID: file.uniqueID)
        }
    }

    /// The reader of table `fileNumber`, opening (and validating) it on a miss.
    public func reader(fileNumber: UInt64) throws -> TableReader {
        try reader(fileNumber: fileNumber) { _ in }
    }

    /// The reader of table `fileNumber`; a miss opens the file and runs `check` on it before
    /// caching it.
    private func reader(fileNumber: UInt64, check: (TableReader) throws -> Void) throws -> TableReader {
        if let cached = readers.withLock({ $0.get(fileNumber) }) {
            hitCounter.add(1, ordering: .relaxed)
            return cached
        }
        missCounter.add(1, ordering: .relaxed)
        let path = FileNames.table(directory, fileNumber)
        let file = try mapFiles ? fileSystem.newMappedFile(path) : fileSystem.newRandomAccessFile(path)
        let opened = try TableReader.open(
            file: file, fileNumber: fileNumber, blockCache: blockCache, verifyChecksums: verifyChecksums)
        try check(opened)
        return readers.withLock { map in
            if let raced = map.get(fileNumber) { return raced }
            map.insert(fileNumber, opened, charge: 1)
            return opened
        }
    }

    /// Forgets table `fileNumber` and drops its blocks from the block cache (call when the
    /// file is deleted).
    public func evict(fileNumber: UInt64) {
        _ = readers.withLock { $0.remove(fileNumber) }
        blockCache?.erase(fileNumber: fileNumber)
    }

    /// Number of open readers held.
    public var openCount: Int { readers.withLock { $0.count } }
    /// Lookups served from the cache.
    public var hits: Int { hitCounter.load(ordering: .relaxed) }
    /// Lookups that opened the file.
    public var misses: Int { missCounter.load(ordering: .relaxed) }
}
