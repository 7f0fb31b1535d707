import Cairn
import CairnLSM
import Foundation
import Synchronization
import Testing
@testable import CairnExport

/// `TableReplicator`: a Delta table kept at the base table's latest state, read back by
/// deltalake (Support/read_delta.py), through full load, upserts, deletes, file rewrites,
/// small-file merges, checkpoints, schema evolution and restarts; and the change table.
@Suite struct ReplicationTests {
    /// What read_delta.py prints for one table.
    struct DeltaRead: Decodable {
        var version: Int64?
        var schema: [String: String]?
        var files: Int?
        var items: [String?]?
        var rows: [[String: ParquetReadBackTests.JSONValue]]?
        var checkpoint: Int64?
        var error: String?
    }

    static func readDelta(_ paths: [String], fromCheckpoint: Bool = false) throws -> [String: DeltaRead] {
        let data = try ParquetReadBackTests.runSupportScript(
            "read_delta.py", (fromCheckpoint ? ["--from-checkpoint"] : []) + paths, needs: "deltalake")
        return try JSONDecoder().decode([String: DeltaRead].self, from: data)
    }

    /// The items of a Delta table as read by deltalake, keyed by their DynamoDB JSON, counted
    /// (a count of 2 is a duplicate row).
    static func items(_ read: DeltaRead?, _ label: String) -> [Item]? {
        guard let read else {
            Issue.record("\(label): not read")
            return nil
        }
        if let error = read.error {
            Issue.record("\(label): deltalake failed: \(error)")
            return nil
        }
        let decoder = JSONDecoder()
        var items: [Item] = []
        for text in read.items ?? [] {
            guard let text, let item = try? decoder.decode([String: AttributeValue].self, from: Data(text.utf8)) else {
                Issue.record("\(label): an _item is not DynamoDB JSON: \(String(describing: text))")
                return nil
            }
            items.append(item)
        }
        return items
    }

    static func scanAll(_ db: ItemDatabase, _ table: String) throws -> [Item] {
        try DynamoDBJSONExportTests.scanAll(db, table)
    }

    /// Equal as multisets (the Delta table's order is its files').
    static func sameItems(_ a: [Item], _ b: [Item]) -> Bool {
        func key(_ item: Item) -> String { String(decoding: DynamoDBJSON.encode(item), as: UTF8.self) }
        return a.count == b.count && a.map(key).sorted() == b.map(key).sorted()
    }

    static func openDatabase(_ path: String, fileSystem: (any FileSystem)? = nil) throws -> ItemDatabase {
        var options = ItemDatabase.Options()
        options.syncWrites = false
        if let fileSystem { options.storage.fileSystem = fileSystem }
        let db = try ItemDatabase.open(path, options: options)
        _ = try db.createTable(CreateTableInput(
            tableName: "orders",
            keySchema: [KeySchemaElement(attributeName: "pk", keyType: .hash), KeySchemaElement(attributeName: "sk", keyType: .range)],
            attributeDefinitions: [
                AttributeDefinition(attributeName: "pk", attributeType: .s), AttributeDefinition(attributeName: "sk", attributeType: .n),
            ],
            billingMode: .payPerRequest,
            streamSpecification: StreamSpecification(streamEnabled: true, streamViewType: .newAndOldImages)))
        return db
    }

    static func put(_ db: ItemDatabase, _ i: Int, round: Int) throws {
        var item = try TableExportTests.item(i)
        item["round"] = .n(try Number(parsing: "\(round)"))
        _ = try db.putItem(PutItemInput(tableName: "orders", item: item))
    }

    static func delete(_ db: ItemDatabase, _ i: Int) throws {
        let item = try TableExportTests.item(i)
        _ = try db.deleteItem(DeleteItemInput(tableName: "orders", key: ["pk": item["pk"]!, "sk": item["sk"]!]))
    }

    static func smallOptions(_ fs: any FileSystem = PosixFileSystem()) -> TableReplicator.Options {
        var options = TableReplicator.Options()
        options.fileSystem = fs
        options.targetFileRows = 60
        options.smallFileRows = 20
        options.smallFilesToMerge = 4
        options.checkpointInterval = 4
        return options
    }

    /// A workload of rounds: round 0 loads 300 items; each later round updates, deletes and
    /// inserts some (round r touches items by a stride, so rounds rewrite different files).
    static func round(_ db: ItemDatabase, _ r: Int) throws {
        if r == 0 {
            for i in 0..<300 { try put(db, i, round: 0) }
            return
        }
        for i in stride(from: r % 7, to: 300, by: 7 + r) { try put(db, i, round: r) }
        for i in stride(from: r % 11, to: 300, by: 29 + r) { try delete(db, i) }
        for i in 0..<(5 + r) { try put(db, 300 + r * 50 + i, round: r) }
        if r == 3 {
            // A new attribute appears: a new column (schema evolution).
            _ = try db.putItem(PutItemInput(tableName: "orders", item: ["pk": .s("new"), "sk": .n(1), "added": .s("later")]))
        }
    }

    @Test func theDeltaTableFollowsTheBaseTableAcrossStepsAndRestarts() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-replicate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let db = try Self.openDatabase(root + "/db")
        defer { try? db.close() }
        let table = root + "/delta"
        var options = Self.smallOptions()
        options.changeTableDirectory = root + "/changes"
        try Self.round(db, 0)
        var replicator = try TableReplicator(table: "orders", directory: table, options: options)
        let load = try #require(try replicator.step(db))
        #expect(load.isFullLoad && load.version == 0 && load.changes == 300 && load.filesAdded == 5)
        #expect(try replicator.step(db) == nil, "nothing new: no version")

        var snapshots: [(version: Int64, items: [Item])] = [(0, try Self.scanAll(db, "orders"))]
        var changeRecords = 0
        var lastSequence: UInt64 = 0
        for r in 1...9 {
            let before = db.storage.latestSequenceNumber
            try Self.round(db, r)
            changeRecords += try db.streamRecords(of: "orders", after: before, limit: 100_000).count
            if r == 5 {
                // A restart between steps: the state comes back from the log and the key lists.
                replicator.close()
                replicator = try TableReplicator(table: "orders", directory: table, options: options)
                #expect(replicator.version == 4 && replicator.itemCount == snapshots.last?.items.count)
            }
            let commit = try #require(try replicator.step(db))
            #expect(commit.version == Int64(r) && !commit.isFullLoad && commit.filesRemoved > 0)
            #expect(commit.checkpointed == (r % 4 == 0))
            snapshots.append((commit.version, try Self.scanAll(db, "orders")))
            lastSequence = commit.sequence
        }
        // The bookmark is the last step's snapshot (the consumer's position was written after).
        #expect(replicator.appliedSequence == lastSequence && db.storage.latestSequenceNumber == lastSequence + 1)
        #expect(try db.consumer(named: "cairn-replicate", of: "orders").position() == replicator.appliedSequence)
        replicator.close()

        // deltalake reads the latest version equal to a full Scan, from the commits and from the
        // last checkpoint (version 8) on its own.
        let latest = try Self.readDelta([table, root + "/changes"])
        let read = latest[table]
        #expect(read?.version == 9)
        if let items = Self.items(read, "latest") {
            #expect(Self.sameItems(items, snapshots.last?.items ?? []), "\(items.count) rows, \(snapshots.last?.items.count ?? 0) items")
        }
        #expect(read?.schema?["added"] == "string" && read?.schema?["price"] == "decimal128(38, 3)")
        #expect(read?.schema?["tags"]?.hasPrefix("list<") == true)
        let fromCheckpoint = try Self.readDelta([table], fromCheckpoint: true)[table]
        #expect(fromCheckpoint?.checkpoint == 8)
        if let items = Self.items(fromCheckpoint, "from checkpoint") {
            #expect(Self.sameItems(items, snapshots.last?.items ?? []))
        }
        // Every file the log names exists, and small files were merged along the way.
        let state = try DeltaLog(directory: table, fileSystem: PosixFileSystem()).load()
        #expect(state.version == 9 && state.transactions["cairn-replicate"] == Int64(bitPattern: lastSequence))

        // The change table: one row per change record after the full load, in sequence order.
        let changes = latest[root + "/changes"]
        #expect(changes?.error == nil, "\(changes?.error ?? "")")
        let rows = changes?.rows ?? []
        #expect(rows.count == changeRecords)
        let sequences = rows.compactMap { row -> Int64? in if case .int(let s)? = row["_seq"] { return s } else { return nil } }
        #expect(sequences.count == rows.count && Set(sequences).count == sequences.count)
        let ops = Set(rows.compactMap { row -> String? in if case .string(let s)? = row["_op"] { return s } else { return nil } })
        #expect(ops == ["INSERT", "MODIFY", "REMOVE"])
    }

    /// `run`: steps at an interval until told to stop, reporting each commit; writes made
    /// while it runs reach the Delta table.
    @Test func runReportsEachCommitUntilStopped() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-replicate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let db = try Self.openDatabase(root + "/db")
        defer { try? db.close() }
        for i in 0..<20 { try Self.put(db, i, round: 0) }
        let replicator = try TableReplicator(table: "orders", directory: root + "/delta", options: Self.smallOptions())
        defer { replicator.close() }
        var commits: [TableReplicator.Commit] = []
        try replicator.run(db, interval: 0.01, shouldStop: { commits.count >= 3 }) { commit in
            commits.append(commit)
            // Each report is followed by more writes, which the next step applies.
            for i in 0..<5 { try? Self.put(db, 100 + commits.count * 10 + i, round: commits.count) }
        }
        #expect(commits.map(\.version) == [0, 1, 2])
        #expect(commits.map(\.isFullLoad) == [true, false, false])
        #expect(commits.map(\.changes) == [20, 5, 5])
        #expect(replicator.itemCount == 30)
    }

    /// Crash points: the replicator's file system fails at its k-th change (a create, write,
    /// sync, rename, remove or directory sync) and loses what was not synced; a new replicator on
    /// what is left catches up. For every k the table is whole and equal to the base table:
    /// no change lost or applied twice, and the log never names a missing file.
    @Test func aCrashAtAnyFileOperationLosesAndRepeatsNothing() throws {
        // The base table lives on a file system of its own, which never crashes.
        let db = try Self.openDatabase("/db", fileSystem: MemoryFileSystem())
        defer { try? db.close() }
        let fs = MemoryFileSystem()
        try fs.createDirectory("/delta")
        // Before every change the replicator makes to its file system, what a power loss at
        // that moment would leave.
        let images = CairnMutex<[(index: Int, operation: String, image: MemoryFileSystem)]>([])
        fs.setOperationHook { operation, path, index in
            let image = fs.crashClone()
            images.withLock { $0.append((index, "\(operation) \(path)", image)) }
        }
        // Rounds of writes, each followed by a step: full load, then five versions of changes
        // with rewrites, merges and a checkpoint (interval 4).
        let replicator = try TableReplicator(table: "orders", directory: "/delta", options: Self.smallOptions(fs))
        for r in 0...5 {
            try Self.round(db, r)
            #expect(try replicator.step(db) != nil)
        }
        let cleanEnd = try #require(replicator.appliedSequence)
        replicator.close()
        fs.setOperationHook(nil)
        let expected = try Self.scanAll(db, "orders")
        let all = images.withLock { $0 }
        #expect(all.count > 100)
        // Every commit of the log and what surrounds it, and a sample of the data-file writes.
        let stride = max(1, all.count / 100)
        let captured = all.enumerated().filter { n, point in
            n % stride == 0 || point.operation.contains("_delta_log") || point.operation.contains("remove")
        }.map(\.element)

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var dumps: [String] = []
        let sampleEvery = max(1, captured.count / 16)
        for (n, point) in captured.enumerated() {
            let label = "crash before operation \(point.index) (\(point.operation))"
            // Recovery: a new replicator on what survived catches up with the base table.
            let recovered = try TableReplicator(table: "orders", directory: "/delta", options: Self.smallOptions(point.image))
            while try recovered.step(db) != nil {}
            // Caught up: at the clean run's bookmark or, when the crash came before the full load
            // committed, at a new full load's later one.
            let applied = try #require(recovered.appliedSequence, "\(label)")
            #expect(applied >= cleanEnd, "\(label)")
            #expect(recovered.itemCount == expected.count && recovered.rowCount == expected.count,
                    "\(label): \(recovered.itemCount) keys in \(recovered.rowCount) rows, \(expected.count) items")
            recovered.close()
            // The log replays, and names no missing file.
            let state = try DeltaLog(directory: "/delta", fileSystem: point.image).load()
            #expect(state.transactions["cairn-replicate"] == Int64(bitPattern: applied), "\(label)")
            if n % sampleEvery == 0 || n == captured.count - 1 {
                let dump = scratch + "/p\(point.index)"
                try Self.copy(point.image, "/delta", to: dump)
                dumps.append(dump)
            }
        }
        // deltalake reads a sample of the recovered tables: every item once, equal to a Scan.
        let reads = try Self.readDelta(dumps)
        for dump in dumps {
            if let items = Self.items(reads[dump], dump) {
                #expect(Self.sameItems(items, expected), "\(dump): \(items.count) rows, \(expected.count) items")
            }
        }
    }

    /// Damaged replication metadata is a typed corruption error naming the file, never a
    /// crash or a silently wrong table: a flipped bit in a key list, a missing commit in the
    /// middle of the log, a commit line that is not an action, and a data file the log names
    /// that is gone.
    @Test func damagedReplicationFilesAreCorruptionErrors() throws {
        let db = try Self.openDatabase("/db", fileSystem: MemoryFileSystem())
        defer { try? db.close() }
        let fs = MemoryFileSystem()
        try fs.createDirectory("/delta")
        let replicator = try TableReplicator(table: "orders", directory: "/delta", options: Self.smallOptions(fs))
        for r in 0...2 {
            try Self.round(db, r)
            _ = try replicator.step(db)
        }
        replicator.close()
        let state = try DeltaLog(directory: "/delta", fileSystem: fs).load()
        let file = try #require(state.files.keys.sorted().first)

        func expectCorruption(_ image: MemoryFileSystem, naming fragment: String, _ label: String) {
            do {
                let opened = try TableReplicator(table: "orders", directory: "/delta", options: Self.smallOptions(image))
                opened.close()
                Issue.record("\(label): opened without an error")
            } catch let error as CairnError {
                guard case .corruption(let path, _, _) = error, path.contains(fragment) else {
                    Issue.record("\(label): \(error), expected corruption in a file named like \(fragment)")
                    return
                }
            } catch {
                Issue.record("\(label): \(error) is not a CairnError")
            }
        }
        // A flipped bit in a live file's key list.
        let flipped = fs.processCrashClone()
        try flipped.flipBit(path: "/delta/_cairn/keys/\(file).keys", byteOffset: 10, bit: 3)
        expectCorruption(flipped, naming: "\(file).keys", "key list bit flip")
        // Version 1 missing while 2 is present.
        let gap = fs.processCrashClone()
        try gap.removeFile("/delta/_delta_log/" + DeltaLog.commitName(1))
        expectCorruption(gap, naming: DeltaLog.commitName(1), "missing commit")
        // A commit whose line is not an action.
        let garbled = fs.processCrashClone()
        try garbled.overwrite(path: "/delta/_delta_log/" + DeltaLog.commitName(2), at: 0, bytes: Array("{not json".utf8))
        expectCorruption(garbled, naming: DeltaLog.commitName(2), "garbled commit")
        // A data file the log names is gone.
        let lost = fs.processCrashClone()
        try lost.removeFile("/delta/" + file)
        expectCorruption(lost, naming: file, "missing data file")
    }

    /// Copies a directory tree from a memory file system to disk.
    static func copy(_ fs: MemoryFileSystem, _ from: String, to: String) throws {
        try FileManager.default.createDirectory(atPath: to, withIntermediateDirectories: true)
        for name in try fs.listDirectory(from) {
            let source = joinPath(from, name)
            if let bytes = fs.contents(of: source) {
                try Data(bytes).write(to: URL(fileURLWithPath: joinPath(to, name)))
            } else {
                try copy(fs, source, to: joinPath(to, name))
            }
        }
    }
}
