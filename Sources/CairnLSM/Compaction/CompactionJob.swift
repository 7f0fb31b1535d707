/// Merges input tables into one sorted output table, dropping what no reader can see.
///
/// Rules (LevelDB's, plus range tombstones), with `smallestSnapshot` the oldest sequence
/// number any reader can use:
/// - an entry shadowed by a newer entry of the same key whose sequence is <= smallestSnapshot
///   is dropped (every reader sees the newer one);
/// - a point deletion with sequence <= smallestSnapshot is dropped when the job covers the
///   bottom of the key space (`isBottommost`): nothing older can remain below it;
/// - an entry covered by a range tombstone that every reader sees is dropped, and such
///   tombstones are dropped when `isBottommost`.
struct CompactionJob {
    let inputs: [FileMetadata]
    let outputNumber: UInt64
    let outputLevel: Int
    let smallestSnapshot: SequenceNumber
    let isBottommost: Bool

    /// Statistics of a finished job.
    struct Result {
        var newFile: VersionEdit.NewFile?
        var bytesRead: Int64
        var entriesIn: Int
        var entriesOut: Int
    }

    func run(tableCache: TableCache, fileSystem fs: any FileSystem, directory: String, options: Options) throws -> Result {
        var children: [InternalIterator] = []
        var tombstones: [RangeTombstone] = []
        for f in inputs {
            let reader = try tableCache.reader(fileNumber: f.number)
            children.append(reader.makeIterator())
            tombstones.append(contentsOf: reader.rangeTombstones)
        }
        let fragments = FragmentedRangeTombstones(tombstones)
        let merged = MergingIterator(children)
        var result = Result(newFile: nil, bytesRead: inputs.reduce(0) { $0 + $1.size }, entriesIn: 0, entriesOut: 0)
        let props = try writeTable(number: outputNumber, fileSystem: fs, directory: directory, options: options) { builder in
            var currentKey: [UInt8] = []
            var haveKey = false
            var lastSequenceForKey = maxSequenceNumber
            try merged.seekToFirst()
            while merged.isValid {
                let key = merged.key
                let userKey = InternalKey.userKey(key)
                let trailer = InternalKey.trailerValue(key)
                let sequence = trailer >> 8
                let type = UInt8(truncatingIfNeeded: trailer)
                result.entriesIn += 1
                if !haveKey || compareBytes(currentKey, userKey) != 0 {
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
                if !drop {
                    try builder.add(key, merged.value)
                    result.entriesOut += 1
                }
                try merged.next()
            }
            for t in tombstones where !(isBottommost && t.sequence <= smallestSnapshot) {
                try builder.addRangeTombstone(t)
            }
        }
        result.newFile = props.map { VersionEdit.NewFile(level: outputLevel, number: outputNumber, properties: $0) }
        return result
    }
}
