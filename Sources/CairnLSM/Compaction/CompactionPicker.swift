/// One unit of compaction work: files of `level` merged with the files of `outputLevel` they
/// overlap.
struct CompactionPlan {
    /// The level being compacted.
    let level: Int
    /// Where the outputs go (level + 1).
    let outputLevel: Int
    /// Files taken from `level`.
    let inputs: [FileMetadata]
    /// Files of `outputLevel` that overlap `inputs`.
    let overlapping: [FileMetadata]
    /// Nothing below `outputLevel` overlaps the inputs' key range.
    let isBottommost: Bool
    /// The score that made the picker choose this level.
    let score: Double

    /// A lone file with nothing to merge against moves down by a manifest edit alone.
    var isTrivialMove: Bool { inputs.count == 1 && overlapping.isEmpty }

    var allInputs: [FileMetadata] { inputs + overlapping }
}

/// Chooses what to compact, RocksDB-style leveled: level 0 by file count
/// (`level0FileNumCompactionTrigger`), levels 1 and up by size against a target that starts at
/// `maxBytesForLevelBase` and grows `levelSizeMultiplier`-fold per level. The level with the
/// highest score >= 1 wins. Within level 0, the oldest file and what overlaps it; within
/// deeper levels, the file with the least overlap below per byte (ties taken round-robin
/// after a per-level compaction pointer).
struct CompactionPicker {
    let options: Options

    /// Target size of `level` (1 and up).
    func maxBytes(forLevel level: Int) -> Double {
        var bytes = Double(options.maxBytesForLevelBase)
        if level > 1 { for _ in 2...level { bytes *= Double(options.levelSizeMultiplier) } }
        return bytes
    }

    /// Score per level (the last level has none): >= 1 means the level needs compacting.
    func scores(_ version: Version) -> [Double] {
        (0..<Version.levelCount).map { level in
            if level == Version.levelCount - 1 { return 0 }
            if level == 0 {
                return Double(version.levels[0].count) / Double(max(1, options.level0FileNumCompactionTrigger))
            }
            let bytes = version.levels[level].reduce(Int64(0)) { $0 + $1.size }
            return Double(bytes) / maxBytes(forLevel: level)
        }
    }

    /// The most urgent compaction, or nil when every score is below 1.
    func pick(_ version: Version, pointers: inout [Int: [UInt8]]) -> CompactionPlan? {
        let scores = scores(version)
        guard let (level, score) = scores.enumerated().max(by: { $0.element < $1.element }), score >= 1 else {
            return nil
        }
        let inputs: [FileMetadata]
        if level == 0 {
            inputs = Self.levelZeroInputs(version.levels[0])
        } else {
            let files = version.levels[level]
            let pointer = pointers[level]
            let start = files.firstIndex { f in pointer.map { compareBytes(f.smallestUserKey, $0) > 0 } ?? true } ?? 0
            inputs = [Self.leastOverlappingFile(files, below: version.levels[level + 1], startingAt: start)]
        }
        guard let range = Self.userKeyRange(inputs) else { return nil }
        pointers[level] = range.upper
        let outputLevel = level + 1
        let overlapping = Self.overlapping(version.levels[outputLevel], range.lower, range.upper)
        let everything = Self.userKeyRange(inputs + overlapping) ?? range
        let bottommost = ((outputLevel + 1)..<Version.levelCount).allSatisfy {
            Self.overlapping(version.levels[$0], everything.lower, everything.upper).isEmpty
        }
        return CompactionPlan(
            level: level, outputLevel: outputLevel, inputs: inputs, overlapping: overlapping,
            isBottommost: bottommost, score: score)
    }

    /// The file of a level whose compaction rewrites the fewest bytes of the level below per
    /// byte it moves down: least overlapping bytes in `below` divided by its own size
    /// (RocksDB's default `kMinOverlappingRatio`). Ties go to the first file at or after
    /// `start` (the round-robin pointer), so equal candidates still take turns. Both levels
    /// are sorted and non-overlapping, so one sweep finds every file's overlap.
    static func leastOverlappingFile(_ files: [FileMetadata], below: [FileMetadata], startingAt start: Int) -> FileMetadata {
        var overlap = [Int64](repeating: 0, count: files.count)
        var j = 0
        for (i, f) in files.enumerated() {
            while j < below.count && compareBytes(below[j].largestUserKey, f.smallestUserKey) < 0 { j += 1 }
            var k = j
            while k < below.count && compareBytes(below[k].smallestUserKey, f.largestUserKey) <= 0 {
                overlap[i] += below[k].size
                k += 1
            }
        }
        var best = start % files.count
        var bestRatio = Double.infinity
        for step in 0..<files.count {
            let i = (start + step) % files.count
            let ratio = Double(overlap[i]) / Double(max(files[i].size, 1))
            if ratio < bestRatio {
                bestRatio = ratio
                best = i
            }
        }
        return files[best]
    }

    /// The oldest level-0 file and every level-0 file that overlaps the set, transitively
    /// (LevelDB's expansion). Files left behind overlap none of the chosen ones, so moving
    /// the set down keeps every key's newer versions above its older ones. Level-0 files of a
    /// sequential load overlap nothing, so each is chosen alone and moves down without a
    /// rewrite; before this, all of level 0 was merged whatever the overlap.
    static func levelZeroInputs(_ files: [FileMetadata]) -> [FileMetadata] {
        guard let oldest = files.min(by: { $0.number < $1.number }) else { return [] }
        var chosen = [oldest]
        while let range = userKeyRange(chosen) {
            let grown = overlapping(files, range.lower, range.upper)
            if grown.count == chosen.count { break }
            chosen = grown
        }
        return chosen
    }

    /// Smallest and largest user keys of `files` (inclusive).
    static func userKeyRange(_ files: [FileMetadata]) -> (lower: [UInt8], upper: [UInt8])? {
        guard var lower = files.first?.smallestUserKey, var upper = files.first?.largestUserKey else { return nil }
        for f in files.dropFirst() {
            let s = f.smallestUserKey, l = f.largestUserKey
            if compareBytes(s, lower) < 0 { lower = s }
            if compareBytes(l, upper) > 0 { upper = l }
        }
        return (lower, upper)
    }

    /// Files of `level` whose user-key range meets [lower, upper].
    static func overlapping(_ files: [FileMetadata], _ lower: [UInt8], _ upper: [UInt8]) -> [FileMetadata] {
        files.filter { compareBytes($0.largestUserKey, lower) >= 0 && compareBytes($0.smallestUserKey, upper) <= 0 }
    }
}
