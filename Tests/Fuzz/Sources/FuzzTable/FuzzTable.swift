// Fuzz target: the SSTable reader and its blocks (footer, index, metaindex, properties, bloom
// filter, range-deletion and data blocks; LZ4 and zstd block decompression).
//
// Input: one flags byte, then the bytes of an SSTable file, opened from a MemoryFileSystem
// through the public readers: `FileInspector.openTable` (the `dump-sst` path: properties,
// block layout, range tombstones, every entry, verify) and `TableReader.open` (the engine's
// path: filter checks and point lookups through the index).
// Flags: bit 0: when the file has the size of one of the template tables (the seeds: tables
// the engine wrote with no compression, LZ4 and zstd), recompute every block trailer and the
// footer checksum at that table's block layout, so mutated block contents reach the block
// decoders instead of stopping at "checksum mismatch"; bit 1: `TableReader` with
// `verifyChecksums: false` (data blocks are then decoded unchecked).
// Every thrown error is fine; only a crash, trap, hang or sanitizer report is a finding.
import Cairn
import CairnLSM
import FuzzSupport

#if canImport(Glibc)
import Glibc
#endif

struct TemplateTable {
    var bytes: [UInt8]
    var layout: [BlockInfo]
}

nonisolated(unsafe) var templates: [TemplateTable]?

func loadTemplates() -> [TemplateTable] {
    if let templates { return templates }
    var result: [TemplateTable] = []
    for compression in [CompressionType.none, .lz4, .zstd] {
        let fs = try! makeTemplateDatabase(compression: compression)
        for path in try! files(fs, matching: ".sst") {
            let layout = try! FileInspector.openTable(path, fileSystem: fs).blocks()
            result.append(TemplateTable(bytes: fs.contents(of: path)!, layout: layout))
        }
    }
    templates = result
    return result
}

/// Recomputes the block trailers and the footer checksum of `file` at `layout`.
func fixChecksums(_ file: inout [UInt8], layout: [BlockInfo]) {
    for block in layout where block.kind != .footer {
        let start = Int(block.offset), end = start + Int(block.size)
        guard end + 5 <= file.count else { continue }
        let type = file[end]
        let crc = file.withUnsafeBytes { all in
            withUnsafeBytes(of: type) { t in
                CRC32C.mask(CRC32C.extend(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[start..<end])), t))
            }
        }
        storeFixed32(&file, at: end + 1, crc)
    }
    guard file.count >= 48 else { return }
    let footer = file.count - 48
    let crc = file.withUnsafeBytes { CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[footer..<(footer + 36)]))) }
    storeFixed32(&file, at: footer + 36, crc)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for (k, t) in loadTemplates().enumerated() {
            seeds.append(("table-\(k)", [0] + t.bytes))
            seeds.append(("table-\(k)-fixed", [1] + t.bytes))
            seeds.append(("table-\(k)-fixed-unverified", [3] + t.bytes))
        }
        return seeds
    }
    _ = loadTemplates()
    return 0
}

let tablePath = "/t/000007.sst"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = input(data, size)
    guard let flags = raw.first else { return 0 }
    var file = Array(raw.dropFirst())
    if flags & 1 != 0, let t = loadTemplates().first(where: { $0.bytes.count == file.count }) {
        fixChecksums(&file, layout: t.layout)
    }
    let fs = MemoryFileSystem()
    do {
        try fs.createDirectory("/t")
        try writeFile(fs, tablePath, file)
    } catch { fatalError("cannot write the table: \(error)") }

    var keys: [[UInt8]] = [bytes("k0005"), bytes("k0050"), bytes("zzz"), []]
    if let table = try? FileInspector.openTable(tablePath, fileSystem: fs) {
        _ = table.properties
        _ = table.rangeTombstones
        _ = try? table.blocks()
        var n = 0
        try? table.forEachEntry { entry in
            if keys.count < 24 { keys.append(entry.key) }
            n += 1
            if n > 100_000 { throw CairnError.invalidArgument("enough") }
        }
        try? table.verify()
    }
    if let reader = try? TableReader.open(
        file: fs.newRandomAccessFile(tablePath), fileNumber: 7, blockCache: nil, verifyChecksums: flags & 2 == 0)
    {
        for key in keys {
            _ = reader.mayContain(userKey: key)
            _ = try? reader.get(InternalKey.seekTarget(key, sequence: maxSequenceNumber))
            _ = try? reader.get(InternalKey.seekTarget(key, sequence: 1))
        }
        _ = try? reader.blockLayout()
    }
    return 0
}
