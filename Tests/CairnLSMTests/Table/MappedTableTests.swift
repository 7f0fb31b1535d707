import Testing
@testable import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// SSTables read through `PosixFileSystem.newMappedFile`: the same answers as `pread`, and
/// damaged bytes still reported as corruption.
@Suite("MappedTableTests")
struct MappedTableTests {
    /// Writes `model` as table `number` in `dir`.
    static func writeTable(_ model: [ModelEntry], _ fs: PosixFileSystem, _ dir: String, _ number: UInt64, compression: CompressionType) throws {
        let file = try fs.newWritableFile(FileNames.table(dir, number))
        var options = TableBuilderOptions()
        options.compression = compression
        let builder = TableBuilder(file: file, options: options)
        for e in model { try builder.add(e.key, e.value) }
        _ = try builder.finish()
        try file.sync()
        try file.close()
    }

    @Test func mappedReadsReturnTheBytesPreadReturns() throws {
        let fs = PosixFileSystem()
        let dir = try TableCacheTests.temporaryDirectory()
        defer { TableCacheTests.cleanup(dir, fs) }
        let model = TableTests.versionedModel(users: 300, seed: 4)
        try Self.writeTable(model, fs, dir, 1, compression: .lz4)
        let path = FileNames.table(dir, 1)
        let mapped = try fs.newMappedFile(path)
        let plain = try fs.newRandomAccessFile(path)
        #expect(mapped.mappedContents?.count == Int(mapped.size))
        #expect(plain.mappedContents == nil)
        var rng = SeededRandom(seed: 8)
        for _ in 0..<200 {
            let offset = Int64.random(in: 0...(mapped.size + 10), using: &rng)
            let count = Int.random(in: 0...5_000, using: &rng)
            var a = [UInt8](repeating: 0, count: count), b = a
            let na = try a.withUnsafeMutableBytes { try mapped.read(at: offset, into: $0) }
            let nb = try b.withUnsafeMutableBytes { try plain.read(at: offset, into: $0) }
            #expect(na == nb)
            #expect(a == b)
        }
        // An empty file has nothing to map and reads nothing.
        let empty = try fs.newWritableFile(joinPath(dir, "empty.sst"))
        try empty.close()
        let emptyFile = try fs.newMappedFile(joinPath(dir, "empty.sst"))
        #expect(emptyFile.mappedContents == nil)
        var buffer = [UInt8](repeating: 0, count: 4)
        #expect(try buffer.withUnsafeMutableBytes { try emptyFile.read(at: 0, into: $0) } == 0)
    }

    @Test(arguments: [CompressionType.none, .lz4, .zstd])
    func lookupsAndScansOverMappedTables(compression: CompressionType) throws {
        let fs = PosixFileSystem()
        let dir = try TableCacheTests.temporaryDirectory()
        defer { TableCacheTests.cleanup(dir, fs) }
        let model = TableTests.versionedModel(users: 2_000, seed: 12)
        try Self.writeTable(model, fs, dir, 7, compression: compression)
        for mapped in [true, false] {
            let cache = TableCache(
                fileSystem: fs, directory: dir, capacity: 4, blockCache: BlockCache(capacity: 64 << 10),
                verifyChecksums: true, mapFiles: mapped)
            let reader = try cache.reader(fileNumber: 7)
            #expect((reader.file.mappedContents != nil) == mapped)
            try expectFullScan(reader.makeIterator(), model)
            for entry in model {
                let user = Array(entry.key.dropLast(InternalKey.trailerSize))
                let sequence = entry.key.withUnsafeBytes { InternalKey.sequence($0) }
                let found = try reader.get(InternalKey.seekTarget(user, sequence: sequence))
                #expect(found?.sequence == sequence && found?.value == entry.value)
            }
        }
    }

    @Test func aFlippedByteInAMappedDataBlockIsCorruption() throws {
        let fs = PosixFileSystem()
        let dir = try TableCacheTests.temporaryDirectory()
        defer { TableCacheTests.cleanup(dir, fs) }
        let model = TableTests.versionedModel(users: 500, seed: 3)
        try Self.writeTable(model, fs, dir, 9, compression: .lz4)
        let path = FileNames.table(dir, 9)
        // Damage the first data block (offset 10 lies inside it) on disk.
        let fd = open(path, O_RDWR)
        try #require(fd >= 0)
        var byte: UInt8 = 0
        _ = pread(fd, &byte, 1, 10)
        byte ^= 0x40
        _ = pwrite(fd, &byte, 1, 10)
        close(fd)
        let cache = TableCache(
            fileSystem: fs, directory: dir, capacity: 4, blockCache: BlockCache(capacity: 1 << 20),
            verifyChecksums: true, mapFiles: true)
        let reader = try cache.reader(fileNumber: 9)
        #expect(reader.file.mappedContents != nil)
        let first = Array(model[0].key.dropLast(InternalKey.trailerSize))
        let damage = expectCorruption("lookup in the damaged block") {
            _ = try reader.get(InternalKey.seekTarget(first, sequence: maxSequenceNumber))
        }
        #expect(damage?.reason == "block checksum mismatch")
        #expect(damage?.offset == 0)
    }
}
