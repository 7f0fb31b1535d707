import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import Cairn

/// Every bit of an item database (`SmallItemDatabase`: catalog, items of every type, a local
/// and a global index with a pending index log, a stream, TTL entries; one table, a log, the
/// manifest, CURRENT): flipped one at a time on the in-memory file system, then
/// `ItemDatabase.open` (which reads the format marker and the catalog), `verify`, and every
/// listing of the format fixture (stored keys and values, Scan of both tables, the local index,
/// the stream, DescribeTable). Each flip must be a `CairnError.corruption` naming the flipped
/// file or leave every listing equal. The item layer's records are CairnLSM keys and values, so
/// this is the CairnLSM harness (`BitFlipTests`) seen through the item layer. Sampling: every
/// bit of each file's first and last 64 bytes and every 11th bit between; `CAIRN_FLIP_ALL=1`:
/// every bit up to 4 KiB, above that the first and last 512 bytes and every 7th bit.
@Suite struct ItemBitFlipTests {
    static var full: Bool { ProcessInfo.processInfo.environment["CAIRN_FLIP_ALL"] == "1" }

    static func listings(_ db: ItemDatabase) throws -> [String] {
        try ItemFormatCompatibilityTests.listings.map { try $0.make(db) }
    }

    @Test func everyFileOfAnItemDatabaseDetectsOrSurvivesEachFlippedBit() throws {
        let base = MemoryFileSystem()
        try SmallItemDatabase.build(path: "/db", fileSystem: base)
        let expected: [String]
        do {
            let db = try ItemDatabase.open("/db", options: SmallItemDatabase.options(base.processCrashClone()))
            defer { try? db.close() }
            expected = try Self.listings(db)
        }
        var sweep = BitFlipSweep(everyBit: Self.full)
        for name in try base.listDirectory("/db").sorted() where name != "LOCK" {
            let path = "/db/" + name
            let type = name.hasSuffix(".sst") ? "items sst" : name.hasSuffix(".log") ? "items wal"
                : name.hasPrefix("MANIFEST") ? "items manifest" : "items " + name
            sweep.add(path: path, size: base.contents(of: path)?.count ?? 0) { _ in type }
        }
        let result = sweep.run(on: base) { image, _ in
            let db = try ItemDatabase.open("/db", options: SmallItemDatabase.options(image))
            defer { try? db.close() }
            try db.storage.verify()
            return try Self.listings(db) == expected ? .harmless : .failure("a listing differs with no error")
        }
        print(result.report("Item database"))
        let found = result.failures
        for failure in found.prefix(10) { Issue.record(Comment(rawValue: failure)) }
        #expect(found.isEmpty)
    }
}
