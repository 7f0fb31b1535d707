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

    static func sample(size: Int) -> [Int] { MemoryFileSystem.bitFlipSample(size: size, everyBit: full) }

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
        var work: [(path: String, bit: Int, type: String)] = []
        for name in try base.listDirectory("/db").sorted() where name != "LOCK" {
            let path = "/db/" + name
            let type = name.hasSuffix(".sst") ? "items sst" : name.hasSuffix(".log") ? "items wal"
                : name.hasPrefix("MANIFEST") ? "items manifest" : "items " + name
            for bit in Self.sample(size: base.contents(of: path)?.count ?? 0) { work.append((path, bit, type)) }
        }
        let start = Date()
        let failures = CairnMutex<[String]>([])
        let counts = CairnMutex<[String: [Int]]>([:])
        let next = Atomic<Int>(0)
        let items = work
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < items.count else { return }
                let (path, bit, type) = items[i]
                var outcome = 3
                var why = ""
                do {
                    let image = base.processCrashClone()
                    try image.flipBit(path: path, byteOffset: bit / 8, bit: bit % 8)
                    let db = try ItemDatabase.open("/db", options: SmallItemDatabase.options(image))
                    defer { try? db.close() }
                    try db.storage.verify()
                    if try Self.listings(db) == expected { outcome = 2 } else { why = "a listing differs with no error" }
                } catch CairnError.corruption(let file, _, _) where file == path {
                    outcome = 1
                } catch {
                    why = "\(error)"
                }
                counts.withLock { c in
                    var row = c[type] ?? [0, 0, 0, 0]
                    row[0] += 1
                    row[outcome] += 1
                    c[type] = row
                }
                if outcome == 3 { failures.withLock { $0.append("bit \(bit % 8) of byte \(bit / 8) of \(path): \(why)") } }
            }
        }
        var report = "Item database bit flips (\(Self.full ? "full" : "fast") mode, \(String(format: "%.1f", Date().timeIntervalSince(start))) s):\n"
        report += "  file type               flips  detected  harmless  failures\n"
        for (type, row) in counts.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            report += "  " + type.padding(toLength: 22, withPad: " ", startingAt: 0)
                + String(format: "%6d %9d %9d %9d", row[0], row[1], row[2], row[3]) + "\n"
        }
        print(report)
        let found = failures.withLock { $0 }
        for failure in found.prefix(10) { Issue.record(Comment(rawValue: failure)) }
        #expect(found.isEmpty)
    }
}
