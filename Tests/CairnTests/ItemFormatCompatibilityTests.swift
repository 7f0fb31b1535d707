import CairnLSM
import Foundation
import Testing
@testable import Cairn

/// A small item database of today's formats, built deterministically (a fixed clock, fixed
/// items). It holds a table with an item of every attribute type, a local and a global
/// secondary index, a change stream with records, Time to Live with its expiry index, and the
/// catalog; the global index's last writes are left in its index log (not applied) so that
/// format is in the fixture too.
enum SmallItemDatabase {
    /// 2026-01-01T00:00:00Z: the clock of the generator and of the tests, so stream records,
    /// creation times and TTL read the same.
    static let clockTime: Double = 1_767_225_600

    static func options(_ fileSystem: any FileSystem) -> ItemDatabase.Options {
        var options = ItemDatabase.Options()
        options.storage.fileSystem = fileSystem
        options.clock = { SmallItemDatabase.clockTime }
        options.timeToLiveSweepInterval = 0
        options.indexUpdateInterval = 0
        return options
    }

    static func number(_ text: String) -> AttributeValue { .n(try! Number(parsing: text)) }

    static func keys(_ pairs: (String, KeySchemaElement.KeyType)...) -> [KeySchemaElement] {
        pairs.map { KeySchemaElement(attributeName: $0.0, keyType: $0.1) }
    }

    /// Item `i`: every attribute type, nested maps and lists, index keys on most items, a TTL
    /// value (in 2100, so it never expires under the fixed clock) on even items.
    static func item(_ i: Int, round: Int = 0) -> Item {
        var item: Item = [
            "pk": .s("user#\(i % 4)"), "sk": number("\(i)"),
            "s": .s("text \(i) ünïcode ✓ r\(round)"),
            "n": number(i % 2 == 0 ? "-\(i).25E-3" : "123456789012345678901234567890123456\(i)"),
            "b": .b([UInt8(i), 0, 0xff, UInt8(round)]),
            "t": .bool(i % 2 == 0), "f": .bool(false), "z": .null,
            "m": .m(["inner": .s("v\(i)"), "deep": .m(["x": number("\(i * 7)"), "l": .l([.null, .bool(true)])])]),
            "list": .l([.s("a"), number("1.5"), .b([1, 2]), .l([]), .m([:])]),
            "ss": .ss(["x\(i)", "y", "a"]), "ns": .ns([try! Number(parsing: "\(i)"), try! Number(parsing: "-0.5")]),
            "bs": .bs([[0], [UInt8(i), 9]]),
        ]
        if i % 3 != 0 { item["g"] = .s("group\(i % 2)") }
        if i % 4 != 1 { item["l"] = number("\(100 - i)") }
        if i % 2 == 0 { item["expires"] = number("\(4_102_444_800 + i)") }
        return item
    }

    static func build(path: String, fileSystem: any FileSystem) throws {
        let db = try ItemDatabase.open(path, options: options(fileSystem))
        _ = try db.createTable(CreateTableInput(
            tableName: "Fixture", keySchema: keys(("pk", .hash), ("sk", .range)),
            attributeDefinitions: [
                AttributeDefinition(attributeName: "pk", attributeType: .s),
                AttributeDefinition(attributeName: "sk", attributeType: .n),
                AttributeDefinition(attributeName: "g", attributeType: .s),
                AttributeDefinition(attributeName: "l", attributeType: .n),
            ],
            streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: .newAndOldImages),
            localSecondaryIndexes: [
                LocalSecondaryIndex(indexName: "byL", keySchema: keys(("pk", .hash), ("l", .range)),
                                    projection: IndexProjection(projectionType: .all)),
            ],
            globalSecondaryIndexes: [
                GlobalSecondaryIndex(indexName: "byG", keySchema: keys(("g", .hash), ("sk", .range)),
                                     projection: IndexProjection(projectionType: .include, nonKeyAttributes: ["s"])),
            ]))
        _ = try db.updateTimeToLive(UpdateTimeToLiveInput(
            tableName: "Fixture", timeToLiveSpecification: TimeToLiveSpecification(enabled: true, attributeName: "expires")))
        for i in 0..<12 { _ = try db.putItem(PutItemInput(tableName: "Fixture", item: item(i))) }
        _ = try db.putItem(PutItemInput(tableName: "Fixture", item: item(3, round: 1)))
        _ = try db.deleteItem(DeleteItemInput(tableName: "Fixture", key: ["pk": .s("user#1"), "sk": number("5")]))
        // The global index's log applied so far; the writes after this stay in its log.
        try db.catchUpIndexes()
        _ = try db.putItem(PutItemInput(tableName: "Fixture", item: item(12)))
        _ = try db.putItem(PutItemInput(tableName: "Fixture", item: item(7, round: 2)))
        _ = try db.deleteItem(DeleteItemInput(tableName: "Fixture", key: ["pk": .s("user#0"), "sk": number("8")]))
        try db.storage.flush()
        // A second table, keyed by binary, without indexes or stream (left in the log).
        _ = try db.createTable(CreateTableInput(tableName: "Other", partitionKey: ("id", .b)))
        for i in 0..<3 { _ = try db.putItem(PutItemInput(tableName: "Other", item: ["id": .b([UInt8(i), 0x80]), "v": number("\(i)")])) }
        try db.close()
    }

    // MARK: - Listings

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Every key and value of the storage underneath, in key order.
    static func rawListing(_ db: ItemDatabase) throws -> String {
        let it = try db.storage.makeIterator()
        var text = ""
        try it.seekToFirst()
        while it.isValid {
            text += hex(it.key) + "\t" + hex(it.value) + "\n"
            try it.next()
        }
        return text
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A table or index read with Scan, one item a line, in scan order.
    static func scanListing(_ db: ItemDatabase, _ table: String, index: String? = nil) throws -> String {
        var text = "", start: Item?
        repeat {
            var input = ScanInput(tableName: table, limit: 5, exclusiveStartKey: start)
            input.indexName = index
            let page = try db.scan(input)
            for item in page.items ?? [] { text += try json(item) + "\n" }
            start = page.lastEvaluatedKey
        } while start != nil
        return text
    }

    /// Every stream record of every shard of every stream, one a line.
    static func streamListing(_ db: ItemDatabase) throws -> String {
        var text = ""
        for stream in try db.listStreams().streams {
            let description = try db.describeStream(DescribeStreamInput(streamArn: stream.streamArn)).streamDescription
            for shard in description.shards {
                text += "shard \(shard.shardId)\n"
                var iterator = try db.getShardIterator(GetShardIteratorInput(
                    streamArn: stream.streamArn, shardId: shard.shardId, shardIteratorType: .trimHorizon)).shardIterator
                while let current = iterator {
                    let page = try db.getRecords(GetRecordsInput(shardIterator: current))
                    for record in page.records { text += try json(record) + "\n" }
                    iterator = page.records.isEmpty ? nil : page.nextShardIterator
                }
            }
        }
        return text
    }

    /// The catalog as DescribeTable and DescribeTimeToLive show it.
    static func catalogListing(_ db: ItemDatabase) throws -> String {
        var text = ""
        for name in ["Fixture", "Other"] {
            text += try json(try db.describeTable(DescribeTableInput(tableName: name))) + "\n"
            text += try json(try db.describeTimeToLive(DescribeTimeToLiveInput(tableName: name))) + "\n"
        }
        return text
    }
}

/// Item databases written by an earlier build must stay readable:
/// `Tests/Fixtures/formats/items/db` (`SmallItemDatabase.build`) is copied to a temporary
/// directory, its version bytes checked, and every stored key, item, index entry, stream record
/// and catalog record compared with the listings committed beside it.
///
/// To rewrite it (only when a format changes on purpose): `CAIRN_WRITE_FIXTURES=1 swift test
/// --skip-build --filter ItemFormatCompatibilityTests` (Tests/Fixtures/formats/README.md).
@Suite struct ItemFormatCompatibilityTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats/items").path

    static var writing: Bool { ProcessInfo.processInfo.environment["CAIRN_WRITE_FIXTURES"] == "1" }

    /// The listings, each computed on a freshly opened database.
    static var listings: [(file: String, make: (ItemDatabase) throws -> String)] { [
        ("raw.tsv", SmallItemDatabase.rawListing),
        ("items.jsonl", { try SmallItemDatabase.scanListing($0, "Fixture") + SmallItemDatabase.scanListing($0, "Other") }),
        ("lsi.jsonl", { try SmallItemDatabase.scanListing($0, "Fixture", index: "byL") }),
        ("stream.jsonl", SmallItemDatabase.streamListing),
        ("catalog.jsonl", SmallItemDatabase.catalogListing),
    ] }

    @Test(.enabled(if: ItemFormatCompatibilityTests.writing)) func writeFixture() throws {
        let temp = NSTemporaryDirectory() + "cairn-fixture-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: temp) }
        try SmallItemDatabase.build(path: temp, fileSystem: PosixFileSystem())
        try? FileManager.default.removeItem(atPath: Self.fixture)
        try FileManager.default.createDirectory(atPath: Self.fixture, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: temp, toPath: Self.fixture + "/db")
        try? FileManager.default.removeItem(atPath: Self.fixture + "/db/LOCK")
        var options = SmallItemDatabase.options(PosixFileSystem())
        options.readOnly = true
        let db = try ItemDatabase.open(Self.fixture + "/db", options: options)
        defer { try? db.close() }
        for (file, make) in Self.listings {
            try make(db).write(toFile: Self.fixture + "/" + file, atomically: true, encoding: .utf8)
        }
        // The global index after its log is applied (by the tests, on a copy).
        let copy = temp + "-gsi"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: Self.fixture + "/db", toPath: copy)
        let writable = try ItemDatabase.open(copy, options: SmallItemDatabase.options(PosixFileSystem()))
        try writable.catchUpIndexes()
        try SmallItemDatabase.scanListing(writable, "Fixture", index: "byG")
            .write(toFile: Self.fixture + "/gsi.jsonl", atomically: true, encoding: .utf8)
        try writable.close()
    }

    static func copyFixture() throws -> String {
        let temp = NSTemporaryDirectory() + "cairn-items-fixture-" + UUID().uuidString
        try FileManager.default.copyItem(atPath: fixture + "/db", toPath: temp)
        return temp
    }

    static func read(_ name: String) throws -> String {
        try String(contentsOfFile: fixture + "/" + name, encoding: .utf8)
    }

    /// Version bytes of the item layer's records: the format marker, table definitions, stream
    /// descriptors, the expiry-index marker, items and index entries (item format 1), stream
    /// records (1) and index-log records (2). A change here must be deliberate.
    @Test(.disabled(if: ItemFormatCompatibilityTests.writing)) func everyRecordCarriesTheVersionsOfToday() throws {
        var counts: [String: Int] = [:]
        for line in try Self.read("raw.tsv").split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let key = unhex(String(fields[0])), value = unhex(String(fields[1]))
            func expectVersion(_ kind: String, _ version: UInt8) {
                counts[kind, default: 0] += 1
                #expect(value.first == version, "\(kind) \(fields[0]): version \(String(describing: value.first))")
            }
            switch (key[0], key.count > 1 ? key[1] : 0) {
            case (0x00, UInt8(ascii: "F")):
                counts["marker", default: 0] += 1
                #expect(value == Array("CAIRNITM".utf8) + [1], "format marker CAIRNITM version 1")
            case (0x00, UInt8(ascii: "T")): expectVersion("table definition", 1)
            case (0x00, UInt8(ascii: "S")): expectVersion("stream descriptor", 1)
            case (0x00, UInt8(ascii: "E")): expectVersion("expiry marker", 1)
            case (0x00, _): counts["other catalog", default: 0] += 1
            case (0x01, _): expectVersion("item", 1)
            case (0x02, _): counts["expiry entry", default: 0] += 1; #expect(value.isEmpty)
            case (0x03, _): expectVersion("stream record", 1)
            case (0x04, _): counts["index entry", default: 0] += 1
            case (0x05, _): expectVersion("index-log record", 2)
            default: Issue.record("a key outside the key space: \(fields[0])")
            }
        }
        for kind in ["marker", "table definition", "stream descriptor", "expiry marker", "item", "expiry entry",
                     "stream record", "index entry", "index-log record"] {
            #expect(counts[kind, default: 0] > 0, "the fixture holds \(kind)s")
        }
        #expect(counts["table definition"] == 2)
        #expect(counts["item"] == 11 + 3, "12 puts, 2 deletes, 1 more put in Fixture; 3 in Other")
    }

    /// Opened for reading, the database lists exactly as committed: every stored key and value,
    /// every item by Scan, the local index, the stream's records, the catalog.
    @Test(.disabled(if: ItemFormatCompatibilityTests.writing)) func readOnlyOpenListsAsCommitted() throws {
        let dir = try Self.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = SmallItemDatabase.options(PosixFileSystem())
        options.readOnly = true
        let db = try ItemDatabase.open(dir, options: options)
        defer { try? db.close() }
        for (file, make) in Self.listings {
            #expect(try make(db) == (try Self.read(file)), "\(file)")
        }
    }

    /// Opened for writing, it lists the same, verifies, applies the global index's pending
    /// log to exactly the committed index, and stays so across a compaction and a reopen.
    @Test(.disabled(if: ItemFormatCompatibilityTests.writing)) func writableOpenListsAsCommittedAndCatchesUp() throws {
        let dir = try Self.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = SmallItemDatabase.options(PosixFileSystem())
        do {
            let db = try ItemDatabase.open(dir, options: options)
            defer { try? db.close() }
            for (file, make) in Self.listings {
                #expect(try make(db) == (try Self.read(file)), "\(file)")
            }
            try db.storage.verify()
            try db.catchUpIndexes()
            #expect(try SmallItemDatabase.scanListing(db, "Fixture", index: "byG") == (try Self.read("gsi.jsonl")))
            let report = try db.verifyIndexes()
            #expect(report.indexes.count == 2 && report.indexes.allSatisfy(\.isConsistent))
            try db.storage.compactRange()
            #expect(try SmallItemDatabase.scanListing(db, "Fixture") + SmallItemDatabase.scanListing(db, "Other")
                == (try Self.read("items.jsonl")))
        }
        let reopened = try ItemDatabase.open(dir, options: options)
        defer { try? reopened.close() }
        #expect(try SmallItemDatabase.streamListing(reopened) == (try Self.read("stream.jsonl")))
        #expect(try SmallItemDatabase.scanListing(reopened, "Fixture", index: "byG") == (try Self.read("gsi.jsonl")))
        #expect(try SmallItemDatabase.scanListing(reopened, "Fixture", index: "byL") == (try Self.read("lsi.jsonl")))
    }

    func unhex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            out.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return out
    }
}
