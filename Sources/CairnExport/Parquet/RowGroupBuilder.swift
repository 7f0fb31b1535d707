import Foundation

/// The column chunks of the row group being built: one per leaf column, each kept in an array
/// of its own physical type (so adding a value runs code specialized for the type, with no
/// class or existential in between).
struct RowGroupBuilder {
    /// Where a leaf's chunk is: its store and its position there.
    private enum Slot {
        case boolean(Int), int32(Int), int64(Int), double(Int), decimal(Int), byteArray(Int)
    }

    let leaves: [ParquetLeaf]
    private let slots: [Slot]
    private var booleans: [BooleanChunk] = []
    private var int32s: [FixedWidthChunk<Int32>] = []
    private var int64s: [FixedWidthChunk<Int64>] = []
    private var doubles: [FixedWidthChunk<Double>] = []
    private var decimals: [FixedWidthChunk<ParquetDecimal128>] = []
    private var byteArrays: [ByteArrayChunk] = []

    init(leaves: [ParquetLeaf], options: ParquetWriterOptions) {
        self.leaves = leaves
        let seed = DictionaryHashing.randomSeed()
        let limit = options.dictionaryPageBytes
        var slots: [Slot] = []
        for leaf in leaves {
            let levels = ChunkLevels(maxDefinition: leaf.maxDefinition, maxRepetition: leaf.maxRepetition)
            switch leaf.kind {
            case .boolean:
                slots.append(.boolean(booleans.count))
                booleans.append(BooleanChunk(levels: levels))
            case .int32:
                slots.append(.int32(int32s.count))
                int32s.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .int64, .timestampMicros:
                slots.append(.int64(int64s.count))
                int64s.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .double:
                slots.append(.double(doubles.count))
                doubles.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .decimal:
                slots.append(.decimal(decimals.count))
                decimals.append(FixedWidthChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            case .string, .json, .binary, .list, .group, .map:
                // Leaves are primitives: only the byte-array kinds reach here.
                slots.append(.byteArray(byteArrays.count))
                byteArrays.append(ByteArrayChunk(levels: levels, dictionaryLimit: limit, seed: seed))
            }
        }
        self.slots = slots
    }

    /// The sum of the chunks' `bufferedBytes`, for row-group sizing.
    var bufferedBytes: Int {
        booleans.reduce(0) { $0 + $1.bufferedBytes } + int32s.reduce(0) { $0 + $1.bufferedBytes }
            + int64s.reduce(0) { $0 + $1.bufferedBytes } + doubles.reduce(0) { $0 + $1.bufferedBytes }
            + decimals.reduce(0) { $0 + $1.bufferedBytes } + byteArrays.reduce(0) { $0 + $1.bufferedBytes }
    }

    // MARK: Adding entries

    /// Adds the values of column `column` of `rows` to flat leaf `leaf` (a top-level primitive
    /// column: one entry per row, `.null` at definition level 0), in order. The values were
    /// checked (`LeafValueCheck`), so no value of another kind reaches the `default` cases. A
    /// column at a time, the chunk's code runs in one loop over the chunk, and each value's
    /// payload is read in place (no copy of the enum).
    mutating func appendColumn(_ rows: [[ParquetValue]], column: Int, leaf: Int) {
        switch slots[leaf] {
        case .boolean(let k):
            Self.update(&booleans[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .boolean(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .int32(let k):
            Self.update(&int32s[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .int32(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .int64(let k):
            Self.update(&int64s[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .int64(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .double(let k):
            Self.update(&doubles[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .double(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .decimal(let k):
            Self.update(&decimals[k]) { chunk in
                for row in rows {
                    switch row[column] {
                    case .decimal(let v): chunk.append(ParquetDecimal128(unscaled: v), repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        case .byteArray(let k):
            Self.update(&byteArrays[k]) { chunk in
                for row in rows {
                    // A value already in the dictionary is found in place and added as its
                    // entry, never copied (`ByteArrayChunk.dictionaryEntry(of:)`).
                    if let found = chunk.dictionaryEntry(of: row[column]) {
                        chunk.appendEntry(found.entry, size: found.size, repetition: 0)
                        continue
                    }
                    switch row[column] {
                    case .bytes(let v): chunk.append(v, repetition: 0)
                    case .null: chunk.appendNull(definition: 0, repetition: 0)
                    default: break
                    }
                }
            }
        }
    }

    /// Calls `body` with `chunk` (one access to the array element holding it, for a loop).
    @inline(__always)
    private static func update<Chunk>(_ chunk: inout Chunk, _ body: (inout Chunk) -> Void) {
        body(&chunk)
    }

    /// Adds an entry with non-null `value` (which the leaf's `LeafValueCheck` accepted) at the
    /// leaf's maximum definition level.
    mutating func appendValue(_ value: ParquetValue, leaf: Int, repetition: UInt32) {
        switch slots[leaf] {
        case .boolean(let k):
            if case .boolean(let v) = value { booleans[k].append(v, repetition: repetition) }
        case .int32(let k):
            if case .int32(let v) = value { int32s[k].append(v, repetition: repetition) }
        case .int64(let k):
            if case .int64(let v) = value { int64s[k].append(v, repetition: repetition) }
        case .double(let k):
            if case .double(let v) = value { doubles[k].append(v, repetition: repetition) }
        case .decimal(let k):
            if case .decimal(let v) = value { decimals[k].append(ParquetDecimal128(unscaled: v), repetition: repetition) }
        case .byteArray(let k):
            if case .bytes(let v) = value { byteArrays[k].append(v, repetition: repetition) }
        }
    }

    /// Adds an entry without a value: a null defined up to `definition` (below the maximum).
    mutating func appendNull(leaf: Int, definition: UInt32, repetition: UInt32) {
        switch slots[leaf] {
        case .boolean(let k): booleans[k].appendNull(definition: definition, repetition: repetition)
        case .int32(let k): int32s[k].appendNull(definition: definition, repetition: repetition)
        case .int64(let k): int64s[k].appendNull(definition: definition, repetition: repetition)
        case .double(let k): doubles[k].appendNull(definition: definition, repetition: repetition)
        case .decimal(let k): decimals[k].appendNull(definition: definition, repetition: repetition)
        case .byteArray(let k): byteArrays[k].appendNull(definition: definition, repetition: repetition)
        }
    }

    /// The levels of leaf `leaf` so far.
    func levels(ofLeaf leaf: Int) -> ChunkLevels {
        switch slots[leaf] {
        case .boolean(let k): return booleans[k].levels
        case .int32(let k): return int32s[k].levels
        case .int64(let k): return int64s[k].levels
        case .double(let k): return doubles[k].levels
        case .decimal(let k): return decimals[k].levels
        case .byteArray(let k): return byteArrays[k].levels
        }
    }

    // MARK: Writing

    /// A leaf's chunk, whatever its type.
    private enum AnyChunk {
        case boolean(BooleanChunk), int32(FixedWidthChunk<Int32>), int64(FixedWidthChunk<Int64>)
        case double(FixedWidthChunk<Double>), decimal(FixedWidthChunk<ParquetDecimal128>), byteArray(ByteArrayChunk)

        /// Roughly the work of encoding it.
        var bufferedBytes: Int {
            switch self {
            case .boolean(let chunk): return chunk.bufferedBytes
            case .int32(let chunk): return chunk.bufferedBytes
            case .int64(let chunk): return chunk.bufferedBytes
            case .double(let chunk): return chunk.bufferedBytes
            case .decimal(let chunk): return chunk.bufferedBytes
            case .byteArray(let chunk): return chunk.bufferedBytes
            }
        }

        func encode(leaf: ParquetLeaf, options: ParquetWriterOptions, with encoder: inout PageEncoder) throws -> EncodedChunk {
            switch self {
            case .boolean(var chunk): return try ColumnChunkWriter.encode(&chunk, leaf: leaf, options: options, with: &encoder)
            case .int32(var chunk): return try ColumnChunkWriter.encode(&chunk, leaf: leaf, options: options, with: &encoder)
            case .int64(var chunk): return try ColumnChunkWriter.encode(&chunk, leaf: leaf, options: options, with: &encoder)
            case .double(var chunk): return try ColumnChunkWriter.encode(&chunk, leaf: leaf, options: options, with: &encoder)
            case .decimal(var chunk): return try ColumnChunkWriter.encode(&chunk, leaf: leaf, options: options, with: &encoder)
            case .byteArray(var chunk): return try ColumnChunkWriter.encode(&chunk, leaf: leaf, options: options, with: &encoder)
            }
        }
    }

    /// The chunks, in the leaves' order.
    private var chunks: [AnyChunk] {
        slots.map { slot in
            switch slot {
            case .boolean(let k): return .boolean(booleans[k])
            case .int32(let k): return .int32(int32s[k])
            case .int64(let k): return .int64(int64s[k])
            case .double(let k): return .double(doubles[k])
            case .decimal(let k): return .decimal(decimals[k])
            case .byteArray(let k): return .byteArray(byteArrays[k])
            }
        }
    }

    /// Encodes every leaf's chunk (`ColumnChunkWriter`) and writes them, in the leaves' order,
    /// to `sink`; returns their metadata. The builder is spent after it.
    ///
    /// With one encoder, each chunk is written as soon as it is encoded. With more, the chunks
    /// are shared among as many threads, the largest first, each to the thread with the least
    /// work so far, and written once all are encoded: the bytes are the same either way.
    mutating func writeChunks(
        options: ParquetWriterOptions, encoders: inout [PageEncoder], to sink: inout PageSink
    ) throws -> [Parquet.ColumnChunkMetadata] {
        let chunks = self.chunks
        byteArrays = []; int64s = []; int32s = []; doubles = []; decimals = []; booleans = []
        var written: [Parquet.ColumnChunkMetadata] = []
        written.reserveCapacity(chunks.count)
        guard encoders.count > 1 && chunks.count > 1 else {
            for (leaf, chunk) in zip(leaves, chunks) {
                written.append(try sink.write(try chunk.encode(leaf: leaf, options: options, with: &encoders[0])))
            }
            return written
        }
        let jobs = zip(leaves, chunks).map { ChunkJob(leaf: $0, chunk: $1) }
        let workers = encoders.map { EncodingWorker(encoder: $0) }
        for job in jobs.sorted(by: { $0.work > $1.work }) {
            var least = 0
            for w in workers.indices where workers[w].work < workers[least].work { least = w }
            workers[least].jobs.append(job)
            workers[least].work += job.work
        }
        DispatchQueue.concurrentPerform(iterations: workers.count) { w in workers[w].run(options: options) }
        encoders = workers.map(\.encoder)
        for job in jobs {
            guard let result = job.result else { throw ExportError.encoding("column \(job.leaf.dottedPath) was not encoded") }
            written.append(try sink.write(try result.get()))
        }
        return written
    }

    /// One chunk to encode on a worker thread, and what came of it.
    ///
    /// `@unchecked Sendable`: a job is touched by one thread at a time: the writer's thread
    /// before and after `DispatchQueue.concurrentPerform`, which returns once every worker has
    /// finished, and during it the one worker it was given to.
    private final class ChunkJob: @unchecked Sendable {
        let leaf: ParquetLeaf
        let chunk: AnyChunk
        let work: Int
        var result: Result<EncodedChunk, any Error>?

        init(leaf: ParquetLeaf, chunk: AnyChunk) {
            self.leaf = leaf
            self.chunk = chunk
            work = chunk.bufferedBytes
        }
    }

    /// A thread's jobs and its encoder (`@unchecked Sendable` as `ChunkJob`).
    private final class EncodingWorker: @unchecked Sendable {
        var encoder: PageEncoder
        var jobs: [ChunkJob] = []
        var work = 0

        init(encoder: PageEncoder) {
            self.encoder = encoder
        }

        func run(options: ParquetWriterOptions) {
            for job in jobs {
                job.result = Result { try job.chunk.encode(leaf: job.leaf, options: options, with: &encoder) }
            }
        }
    }
}

