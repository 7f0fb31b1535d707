import Testing
@testable import CairnLSM

// SeededRandom (SplitMix64) is shared by the whole suite: Engine/TestSupport.swift.

/// A test-only in-memory file: written through `WritableFile`, read back through
/// `RandomAccessFile` after `snapshot()` freezes the bytes.
final class MemoryWritableFile: WritableFile, @unchecked Sendable {
    // Single owner per the WritableFile contract; tests never share one across threads.
    let path: String
    private(set) var bytes: [UInt8] = []
    /// Number of `append` calls.
    private(set) var appends = 0
    var size: Int64 { Int64(bytes.count) }
    init(path: String = "/mem/000001.sst") { self.path = path }
    func append(_ data: UnsafeRawBufferPointer) throws {
        bytes.append(contentsOf: data)
        appends += 1
    }
    func sync() throws {}
    func close() throws {}
}

/// An immutable in-memory `RandomAccessFile`.
final class MemoryReadFile: RandomAccessFile, Sendable {
    let path: String
    let bytes: [UInt8]
    var size: Int64 { Int64(bytes.count) }
    init(_ bytes: [UInt8], path: String = "/mem/000001.sst") {
        self.bytes = bytes
        self.path = path
    }
    func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0, offset < Int64(bytes.count) else { return 0 }
        let n = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[Int(offset)..<(Int(offset) + n)]))
        }
        return n
    }
}

/// One point entry of a test model.
struct ModelEntry {
    var key: [UInt8]
    var value: [UInt8]
}

/// Sorts and deduplicates internal keys in `InternalKey.compare` order.
func sortedModel(_ entries: [ModelEntry]) -> [ModelEntry] {
    var sorted = entries.sorted { a, b in
        a.key.withUnsafeBytes { pa in b.key.withUnsafeBytes { pb in InternalKey.compare(pa, pb) < 0 } }
    }
    var out: [ModelEntry] = []
    out.reserveCapacity(sorted.count)
    for e in sorted {
        if let last = out.last, internalCompare(last.key, e.key) == 0 { continue }
        out.append(e)
    }
    sorted.removeAll()
    return out
}

/// `InternalKey.compare` on arrays.
func internalCompare(_ a: [UInt8], _ b: [UInt8]) -> Int { compareInternal(a, b) }

/// Index of the first model entry with key >= target (model.count if none).
func lowerBound(_ model: [ModelEntry], _ target: [UInt8]) -> Int {
    var lo = 0, hi = model.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if internalCompare(model[mid].key, target) < 0 { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// Asserts the iterator is on `model[index]` (or invalid when index is out of range).
func expectAt(_ it: any InternalIterator, _ model: [ModelEntry], _ index: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    if index < 0 || index >= model.count {
        #expect(!it.isValid, "expected an invalid iterator", sourceLocation: sourceLocation)
        return
    }
    #expect(it.isValid, "expected entry \(index), iterator is invalid", sourceLocation: sourceLocation)
    guard it.isValid else { return }
    #expect(Array(it.key) == model[index].key, "key mismatch at \(index)", sourceLocation: sourceLocation)
    #expect(Array(it.value) == model[index].value, "value mismatch at \(index)", sourceLocation: sourceLocation)
}

/// Scans `it` from the first entry and checks it yields exactly `model`, in order.
func expectFullScan(_ it: any InternalIterator, _ model: [ModelEntry], sourceLocation: SourceLocation = #_sourceLocation) throws {
    try it.seekToFirst()
    var i = 0
    while it.isValid {
        expectAt(it, model, i, sourceLocation: sourceLocation)
        i += 1
        try it.next()
    }
    #expect(i == model.count, "scanned \(i) of \(model.count) entries", sourceLocation: sourceLocation)
}

/// Runs `body` and returns the `.corruption` it throws; records a failure otherwise.
@discardableResult
func expectCorruption(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> (file: String, offset: Int64, reason: String)? {
    do {
        try body()
        Issue.record("\(what): expected corruption, nothing was thrown", sourceLocation: sourceLocation)
    } catch let CairnError.corruption(file, offset, reason) {
        return (file, offset, reason)
    } catch {
        Issue.record("\(what): expected corruption, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Random bytes.
func randomBytes(_ count: Int, _ rng: inout SeededRandom) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// Text-like (compressible) bytes.
func compressibleBytes(_ count: Int, _ rng: inout SeededRandom) -> [UInt8] {
    let words: [[UInt8]] = ["alpha ", "beta ", "gamma ", "delta ", "value-", "0042 ", "cairn "].map { Array($0.utf8) }
    var out: [UInt8] = []
    while out.count < count { out += words[Int.random(in: 0..<words.count, using: &rng)] }
    return Array(out.prefix(count))
}

/// Builds a table in memory from sorted entries and tombstones; returns the file bytes and
/// the properties `finish` reported.
func buildTable(
    _ model: [ModelEntry], tombstones: [RangeTombstone] = [], options: TableBuilderOptions = TableBuilderOptions(),
    path: String = "/mem/000001.sst"
) throws -> ([UInt8], TableProperties) {
    let file = MemoryWritableFile(path: path)
    let builder = TableBuilder(file: file, options: options)
    for e in model { try builder.add(e.key, e.value) }
    for t in tombstones { try builder.addRangeTombstone(t) }
    let props = try builder.finish()
    return (file.bytes, props)
}

/// Opens table bytes held in memory.
func openTable(
    _ bytes: [UInt8], fileNumber: UInt64 = 1, cache: BlockCache? = nil, verify: Bool = true, path: String = "/mem/000001.sst"
) throws -> TableReader {
    try TableReader.open(file: MemoryReadFile(bytes, path: path), fileNumber: fileNumber, blockCache: cache, verifyChecksums: verify)
}

/// From `position` (where `it` stands), takes up to `steps` random next/prev steps, checking
/// each landing against the model.
func walkRandomly(
    _ it: any InternalIterator, _ model: [ModelEntry], from position: Int, steps: Int, _ rng: inout SeededRandom,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var position = position
    for _ in 0..<steps where position >= 0 && position < model.count {
        if Bool.random(using: &rng) {
            try it.next()
            position += 1
        } else {
            try it.prev()
            position -= 1
        }
        expectAt(it, model, position, sourceLocation: sourceLocation)
    }
}

/// Scans `it` forward and then backward end to end, checking every entry against the model.
func expectFullScansMatch(_ it: any InternalIterator, _ model: [ModelEntry], sourceLocation: SourceLocation = #_sourceLocation) throws {
    try it.seekToFirst()
    for i in 0..<model.count {
        expectAt(it, model, i, sourceLocation: sourceLocation)
        try it.next()
    }
    #expect(!it.isValid, sourceLocation: sourceLocation)
    try it.seekToLast()
    for i in stride(from: model.count - 1, through: 0, by: -1) {
        expectAt(it, model, i, sourceLocation: sourceLocation)
        try it.prev()
    }
    #expect(!it.isValid, sourceLocation: sourceLocation)
}
