/// An `InternalIterator` over the tables of one level >= 1, whose files are sorted by key and
/// do not overlap, so their entries concatenated are sorted (LevelDB's two-level iterator over
/// a level's file list).
///
/// Only one table is open at a time, and a table is opened (through the table cache) only
/// when the cursor reaches it: a seek binary-searches the file list by largest key and opens
/// the one file that can hold the target. Files without point entries (a table of range
/// tombstones only) are stepped over in both directions.
///
/// The iterator holds the `FileMetadata` of its files, which keeps them from being deleted
/// while it lives. After any method throws, the iterator is invalid until the next seek.
final class LevelIterator: InternalIterator {
    private let files: [FileMetadata]
    private let tableCache: TableCache
    /// The open table's iterator, nil when unpositioned or past either end. Set only through
    /// `setTable`.
    @exclusivity(unchecked) private var table: TableIterator?
    /// `table`, unretained: the per-entry paths call it through this, which does not retain
    /// and release it on every call as loading the optional would. Valid while `table` holds
    /// the same object.
    @exclusivity(unchecked) private var current: Unmanaged<TableIterator>?
    /// Index in `files` of the table `table` reads.
    @exclusivity(unchecked) private var fileIndex = 0

    /// An unpositioned iterator over `files` (sorted by key, non-overlapping), opening tables
    /// through `tableCache`.
    init(files: [FileMetadata], tableCache: TableCache) {
        self.files = files
        self.tableCache = tableCache
    }

    /// True when positioned on an entry.
    var isValid: Bool { current?._withUnsafeGuaranteedRef { $0.isValid } ?? false }

    /// The current internal key, valid until the iterator moves. Requires `isValid`.
    var key: UnsafeRawBufferPointer {
        current?._withUnsafeGuaranteedRef { $0.key } ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// The current value, valid until the iterator moves. Requires `isValid`.
    var value: UnsafeRawBufferPointer {
        current?._withUnsafeGuaranteedRef { $0.value } ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Moves to the first entry of the first file that has one.
    func seekToFirst() throws {
        try guarded {
            guard try open(0) else { return }
            try table?.seekToFirst()
            try skipExhaustedForward()
        }
    }

    /// Moves to the last entry of the last file that has one.
    func seekToLast() throws {
        try guarded {
            guard try open(files.count - 1) else { return }
            try table?.seekToLast()
            try skipExhaustedBackward()
        }
    }

    /// Moves to the first entry >= `target`: into the first file whose largest key is >=
    /// `target` (every earlier file holds only smaller keys).
    func seek(_ target: UnsafeRawBufferPointer) throws {
        try guarded {
            var lo = 0, hi = files.count
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if files[mid].largest.withUnsafeBytes({ InternalKey.compare($0, target) }) < 0 {
                    lo = mid + 1
                } else {
                    hi = mid
                }
            }
            guard try open(lo) else { return }
            try table?.seek(target)
            try skipExhaustedForward()
        }
    }

    /// Moves to the next entry, into the next file's first entry at the end of a file.
    /// Requires `isValid`.
    func next() throws {
        guard let current else { return }
        try guarded {
            let exhausted = try current._withUnsafeGuaranteedRef { table in
                guard table.isValid else { return false }
                try table.next()
                return !table.isValid
            }
            if exhausted { try skipExhaustedForward() }
        }
    }

    /// Moves to the previous entry, into the previous file's last entry at the start of a
    /// file. Requires `isValid`.
    func prev() throws {
        guard let current else { return }
        try guarded {
            let exhausted = try current._withUnsafeGuaranteedRef { table in
                guard table.isValid else { return false }
                try table.prev()
                return !table.isValid
            }
            if exhausted { try skipExhaustedBackward() }
        }
    }

    // MARK: - Internals

    /// Runs `body`; if it throws, leaves the iterator invalid and rethrows.
    @inline(__always)
    private func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            setTable(nil)
            throw error
        }
    }

    /// Makes `table` an (unpositioned) iterator over file `index`, reusing the open one when
    /// it is that file. Returns false, leaving the iterator invalid, when `index` is out of
    /// range.
    private func open(_ index: Int) throws -> Bool {
        guard index >= 0 && index < files.count else {
            setTable(nil)
            return false
        }
        if table != nil && fileIndex == index { return true }
        setTable(nil)
        let reader = try tableCache.reader(for: files[index])
        setTable(reader.makeIterator())
        fileIndex = index
        return true
    }

    /// Replaces the open table's iterator (and its unretained alias).
    private func setTable(_ newTable: TableIterator?) {
        current = newTable.map { Unmanaged.passUnretained($0) }
        table = newTable
    }

    /// While the open table is exhausted, moves to the first entry of the next file.
    private func skipExhaustedForward() throws {
        while let table, !table.isValid {
            guard try open(fileIndex + 1) else { return }
            try self.table?.seekToFirst()
        }
    }

    /// While the open table is exhausted, moves to the last entry of the previous file.
    private func skipExhaustedBackward() throws {
        while let table, !table.isValid {
            guard try open(fileIndex - 1) else { return }
            try self.table?.seekToLast()
        }
    }
}
