/// An immutable snapshot of which SSTables are live at each level.
///
/// Level 0 holds flushed memtables, which may overlap; they are ordered newest first. Levels
/// 1 and up hold non-overlapping files ordered by key. Readers hold a `Version` for as long as
/// they read; ARC keeps it (and, through it, each `FileMetadata`) alive.
final class Version: Sendable {
    /// Number of levels.
    static let levelCount = VersionEdit.maxLevels

    /// Files per level.
    let levels: [[FileMetadata]]

    init(levels: [[FileMetadata]] = Array(repeating: [], count: Version.levelCount)) {
        self.levels = levels
    }

    /// Every live file, level by level.
    var allFiles: [FileMetadata] { levels.flatMap { $0 } }

    /// The version that results from applying `edit`, and the files the edit removes.
    /// Throws `.corruption` (naming the manifest) if the edit removes a file that is not there
    /// or adds one twice.
    ///
    /// Has no side effects: the caller marks the removed files obsolete (see
    /// `FileMetadata.markObsolete`) only once the edit is durable, so a failed manifest write
    /// never deletes a table the on-disk manifest still lists.
    func applying(_ edit: VersionEdit, manifest: String) throws -> (version: Version, removed: [FileMetadata]) {
        var levels = self.levels
        var removed: [FileMetadata] = []
        for deleted in edit.deletedFiles {
            guard let index = levels[deleted.level].firstIndex(where: { $0.number == deleted.number }) else {
                throw CairnError.corruption(
                    file: manifest, offset: 0,
                    reason: "edit deletes file \(deleted.number) that is not at level \(deleted.level)")
            }
            removed.append(levels[deleted.level].remove(at: index))
        }
        let existing = Set(levels.joined().map(\.number))
        for f in edit.newFiles {
            guard !existing.contains(f.number) else {
                throw CairnError.corruption(file: manifest, offset: 0, reason: "edit adds file \(f.number) twice")
            }
            if let moved = removed.firstIndex(where: { $0.number == f.number }) {
                // Deleted and re-added by one edit: a move between levels. The file stays live,
                // so it keeps its metadata object and is never marked obsolete.
                levels[f.level].append(removed.remove(at: moved))
            } else {
                levels[f.level].append(FileMetadata(f))
            }
        }
        levels[0].sort { ($0.largestSequence, $0.number) > ($1.largestSequence, $1.number) }
        for level in 1..<levels.count {
            levels[level].sort { compareInternal($0.smallest, $1.smallest) < 0 }
        }
        return (Version(levels: levels), removed)
    }

    /// An edit that recreates this version from nothing (written at the start of a manifest).
    func snapshotEdit() -> VersionEdit {
        var edit = VersionEdit()
        for (level, files) in levels.enumerated() {
            edit.newFiles.append(contentsOf: files.map { $0.newFileRecord(level: level) })
        }
        return edit
    }
}

/// `InternalKey.compare` for arrays.
func compareInternal(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in InternalKey.compare(pa, pb) } }
}
