/// Merges input tables into sorted output tables, dropping what no reader can see.
///
/// Rules (LevelDB's, plus range tombstones), with `smallestSnapshot` the oldest sequence
/// number any reader can use:
/// - an entry shadowed by a newer entry of the same key whose sequence is <= smallestSnapshot
///   is dropped (every reader sees the newer one);
/// - a point deletion with sequence <= smallestSnapshot is dropped when nothing below the
///   output level overlaps the job (`isBottommost`): nothing older can remain below it;
/// - an entry covered by a range tombstone that every reader sees is dropped, and such
///   tombstones are dropped when `isBottommost`;
/// - when `isBottommost`, a value every reader sees (sequence <= smallestSnapshot) is written
///   with sequence 0: no older version survives it, every surviving tombstone is newer than
///   it was, and zeroed trailers compress.
///
/// Outputs are cut at user-key boundaries once they reach `targetFileSize`, so a key's
/// versions never straddle two files. Surviving range tombstones are clipped to each output's
/// key range, [first key of this output, first key of the next), so outputs never overlap.
struct CompactionJob {
    let inputs: [FileMetadata]
    let outputLevel: Int
    let smallestSnapshot: SequenceNumber
    let isBottommost: Bool
    let targetFileSize: Int64
    /// Reserves a file number for an output (the database records it as a pending output).
    let newFileNumber: () -> UInt64

    /// What a finished job produced and consumed.
    struct Result {
        var newFiles: [VersionEdit.NewFile] = []
        var bytesWritten: Int64 = 0
        var entriesIn = 0
        var entriesOut = 0
    }

    func run(tableCache: TableCache, fileSystem fs: any FileSystem, directory: String, options: Options) throws -> Result {
        var children: [InternalIterator] = []
        var tombstones: [RangeTombstone] = []
        for f in inputs {
            let reader = try tableCache.reader(for: f)
            children.append(reader.makeIterator(fillCache: false))
            tombstones.append(contentsOf: reader.rangeTombstones)
        }
        let fragments = FragmentedRangeTombstones(tombstones)
        let surviving = tombstones.filter { !(isBottommost && $0.sequence <= smallestSnapshot) }
        let merged = MergingIterator(children)
        var result = Result()

        var currentKey: [UInt8] = []
        var haveKey = false
        var lastSequenceForKey = maxSequenceNumber
        var lowerBound: [UInt8]? = nil
        var zeroedKey: [UInt8] = []
        try merged.seekToFirst()
        while true {
            var splitKey: [UInt8]? = nil
            let number = newFileNumber()
            let props = try writeTable(number: number, fileSystem: fs, directory: directory, options: options) { builder in
                while merged.isValid {
                    let key = merged.key
                    let userKey = InternalKey.userKey(key)
                    let trailer = InternalKey.trailerValue(key)
                    let sequence = trailer >> 8
                    let type = UInt8(truncatingIfNeeded: trailer)
                    let newUserKey = !haveKey || compareBytes(currentKey, userKey) != 0
                    if newUserKey && builder.entryCount > 0 && builder.estimatedFileSize >= targetFileSize {
                        splitKey = Array(userKey)
                        break
                    }
                    result.entriesIn += 1
                    if newUserKey {
                        currentKey.removeAll(keepingCapacity: true)
                        currentKey.append(contentsOf: userKey)
                        haveKey = true
                        lastSequenceForKey = maxSequenceNumber
                    }
                    var drop = false
                    if lastSequenceForKey <= smallestSnapshot {
                        drop = true
                    } else if type == ValueType.deletion.rawValue && sequence <= smallestSnapshot && isBottommost {
                        drop = true
                    } else if !fragments.isEmpty
                        && fragments.maxCoveringSequence(userKey, visibleAt: smallestSnapshot) > sequence
                    {
                        drop = true
                    }
                    lastSequenceForKey = sequence
                    if !drop && isBottommost && sequence <= smallestSnapshot && type == ValueType.value.rawValue {
                        // Every reader sees this version and nothing older survives below it:
                        // its sequence number carries no information, so it is written as 0
                        // (RocksDB does the same), which lets the trailers compress.
                        zeroedKey.removeAll(keepingCapacity: true)
                        zeroedKey.append(contentsOf: userKey)
                        zeroedKey.append(type)
                        zeroedKey.append(contentsOf: repeatElement(0, count: 7))
                        try zeroedKey.withUnsafeBytes { try builder.add($0, merged.value) }
                        result.entriesOut += 1
                    } else if !drop {
                        try builder.add(key, merged.value)
                        result.entriesOut += 1
                    }
                    try merged.next()
                }
                for t in surviving {
                    if let clipped = CompactionJob.clip(t, lower: lowerBound, upper: splitKey) {
                        try builder.addRangeTombstone(clipped)
                    }
                }
            }
            if let props {
                result.newFiles.append(VersionEdit.NewFile(level: outputLevel, number: number, properties: props))
                result.bytesWritten += Int64(props.fileSize)
            }
            guard let next = splitKey else { break }
            lowerBound = next
        }
        return result
    }

    /// `t` restricted to [lower, upper) (nil bounds are open), or nil if nothing is left.
    static func clip(_ t: RangeTombstone, lower: [UInt8]?, upper: [UInt8]?) -> RangeTombstone? {
        var c = t
        if let lower, compareBytes(c.start, lower) < 0 { c.start = lower }
        if let upper, compareBytes(c.end, upper) > 0 { c.end = upper }
        return compareBytes(c.start, c.end) < 0 ? c : nil
    }
}
