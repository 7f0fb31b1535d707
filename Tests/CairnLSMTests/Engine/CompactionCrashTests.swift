import Dispatch
import Foundation
import Synchronization
import Testing
@testable import CairnLSM

/// Marks the database's compaction queue (`Database.compactionQueue`) so the file-system hook
/// can tell that an operation runs inside a compaction: background compactions, trivial moves
/// and `compactRange` all run their file work on that queue (`compactRange` through `sync`,
/// which keeps the queue's specific values). Flushes, the WAL and obsolete-file deletion run
/// elsewhere.
private let compactionQueueKey = DispatchSpecificKey<Bool>()

/// Crash images taken at every file-system operation while background leveled compactions
/// (level 0 to 1, deeper levels, trivial moves) run beside the writer: each must reopen to a
/// prefix of the history holding every acknowledged synced write, pass `verify()`, and keep its
/// contents through a further `compactRange`.
@Suite struct CompactionCrashTests {
    /// Crash images captured from the file system's operation hook, one per distinct durable
    /// state: operations that change nothing durable (appends, creates, renames before the
    /// directory sync) leave the image as it was, so their moments share one image.
    final class Recorder: Sendable {
        /// One operation at which the crash image was taken.
        struct Moment: Sendable {
            /// History bounds: operations completed / known durable when the image was taken.
            let completed: Int
            let durable: Int
            let operation: MemoryFileSystem.Operation
            let path: String
            /// The operation ran on the compaction queue.
            let duringCompaction: Bool
            /// For table operations (and a compaction's directory sync after writing an
            /// output): the table's number.
            let table: UInt64?
            /// For manifest operations: the manifest's size before the operation.
            let manifestSize: Int64?

            var label: String { "\(operation) \(path)" + (duringCompaction ? " (compaction)" : "") }
        }
        /// A crash image and every operation it stands for.
        struct Image: Sendable {
            let fs: MemoryFileSystem
            var moments: [Moment]
            var duringCompaction: Bool { moments.contains(where: \.duringCompaction) }
        }
        /// What identifies a durable state: the durable size of each append-only numbered file
        /// (tables, logs and manifests are never reused or rewritten) and the bytes of the rest.
        struct Fingerprint: Hashable {
            var sizes: [String: Int] = [:]
            var others: [String: [UInt8]] = [:]

            init(_ state: MemoryFileSystem.State) {
                for (path, inode) in state.durable {
                    let name = String(path.split(separator: "/").last ?? "")
                    switch FileNames.parse(name) {
                    case .table?, .log?, .manifest?:
                        sizes[path] = inode.durableOverride?.count ?? min(inode.durableLength, inode.bytes.count)
                    default:
                        others[path] = inode.durableBytes
                    }
                }
            }
        }
        struct Captured {
            var images: [Image] = []
            var index: [Fingerprint: Int] = [:]
            var operations = 0
        }
        let captured = CairnMutex(Captured())
        let completed = Atomic<Int>(0)
        let durable = Atomic<Int>(0)
        /// Last table created on the compaction queue (touched only from that serial queue).
        let lastCompactionTable = CairnMutex<UInt64?>(nil)

        var images: [Image] { captured.withLock { $0.images } }
        var operations: Int { captured.withLock { $0.operations } }

        func install(on fs: MemoryFileSystem) {
            fs.setOperationHook { [self] op, path, _ in
                let duringCompaction = DispatchQueue.getSpecific(key: compactionQueueKey) == true
                let name = String(path.split(separator: "/").last ?? "")
                var table: UInt64?
                var manifestSize: Int64?
                switch FileNames.parse(name) {
                case .table(let n)?:
                    table = n
                    if duringCompaction && op == .create { lastCompactionTable.withLock { $0 = n } }
                case .manifest?:
                    // Manifest writes happen under the database mutex, one at a time.
                    manifestSize = try? fs.fileSize(path)
                default:
                    if duringCompaction && op == .syncDirectory { table = lastCompactionTable.withLock { $0 } }
                }
                // Background threads run the hook concurrently with the writer: read the durable
                // bound before taking the image and the completed bound after (see
                // CrashRecoveryTests). The image is fingerprinted, and cloned only when new,
                // under the file system's lock (what `crashClone()` does).
                let durable = durable.load(ordering: .sequentiallyConsistent)
                fs.state.withLock { state in
                    let fingerprint = Fingerprint(state)
                    let moment = Moment(
                        completed: completed.load(ordering: .sequentiallyConsistent), durable: durable,
                        operation: op, path: path, duringCompaction: duringCompaction, table: table,
                        manifestSize: manifestSize)
                    captured.withLock { c in
                        c.operations += 1
                        if let i = c.index[fingerprint] {
                            c.images[i].moments.append(moment)
                        } else {
                            c.index[fingerprint] = c.images.count
                            c.images.append(Image(fs: MemoryFileSystem(state: state.durableImage()), moments: [moment]))
                        }
                    }
                }
            }
        }
    }

    /// Tiny levels so a few dozen KiB of writes go through three levels: memtables of about
    /// 4 KiB of data (a 6 KiB buffer in 4 KiB arena blocks), level 1 of 8 KiB cut into 4 KiB
    /// tables, level 2 of 80 KiB. Every crash image is reopened and compacted, so the data
    /// stays small to keep the test fast.
    static func smallLevels(_ fs: MemoryFileSystem) -> Options {
        var o = memoryOptions(fs, writeBufferSize: 6 << 10, compression: .none)
        o.blockSize = 512
        o.targetFileSize = 4 << 10
        o.maxBytesForLevelBase = 8 << 10
        o.level0FileNumCompactionTrigger = 4
        o.tableWriteBufferSize = 0  // one append per block: a crash point between blocks
        return o
    }

    /// What a manifest record did, read back from the manifest the workload wrote.
    enum EditKind: Hashable, CustomStringConvertible {
        case flush
        case trivialMove(from: Int)
        case compaction(from: Int, to: Int)
        case other

        var description: String {
            switch self {
            case .flush: return "flush"
            case .trivialMove(let l): return "trivial move L\(l)->L\(l + 1)"
            case .compaction(let a, let b): return "compaction L\(a)->L\(b)"
            case .other: return "other"
            }
        }

        init(_ edit: VersionEdit) {
            let deleted = Set(edit.deletedFiles.map(\.number))
            if edit.deletedFiles.isEmpty {
                self = edit.newFiles.isEmpty || edit.newFiles.allSatisfy({ $0.level == 0 }) ? .flush : .other
            } else if edit.newFiles.count == 1, edit.deletedFiles.count == 1, deleted.contains(edit.newFiles[0].number) {
                self = .trivialMove(from: edit.deletedFiles[0].level)
            } else {
                let from = edit.deletedFiles.map(\.level).min() ?? 0
                let to = edit.newFiles.map(\.level).max() ?? from + 1
                self = .compaction(from: from, to: to)
            }
        }
    }

    /// The records of a manifest: byte offset and edit.
    static func manifestRecords(_ path: String, _ fs: MemoryFileSystem) throws -> [(offset: Int64, edit: VersionEdit)] {
        let reader = try LogReader(file: try fs.newRandomAccessFile(path), kind: .manifest, expectedFileNumber: nil)
        var out: [(Int64, VersionEdit)] = []
        while let record = try reader.readRecord() {
            out.append((reader.lastRecordOffset, try VersionEdit.decode(record, file: path, offset: reader.lastRecordOffset)))
        }
        return out
    }

    /// Reopens `image`, checks its contents with `accept` and that `verify()` passes, then
    /// compacts everything and checks that nothing changed, also after another reopen.
    /// Returns a failure message, or nil.
    static func checkImage(
        _ image: Recorder.Image, options: (MemoryFileSystem) -> Options, accept: (Model) -> String?
    ) -> String? {
        let label = image.moments.first { $0.duringCompaction }?.label ?? image.moments[0].label
        do {
            let db = try Database.open("/db", options: options(image.fs))
            let contents = try scanAll(db)
            var got = Model()
            for (k, v) in contents { got.put(k, v) }
            if let failure = accept(got) {
                try db.close()
                return "crash at \(label) (one of \(image.moments.count) operations with this image): \(failure)"
            }
            try db.verify()
            try db.compactRange()
            try db.verify()
            let compacted = try scanAll(db)
            try db.close()
            guard samePairs(compacted, contents) else { return "crash at \(label): compactRange after recovery changed the contents" }
            let again = try Database.open("/db", options: options(image.fs))
            let reopened = try scanAll(again)
            try again.close()
            guard samePairs(reopened, contents) else { return "crash at \(label): reopening after compactRange changed the contents" }
            return nil
        } catch {
            return "crash at \(label): \(error)"
        }
    }

    /// Crash points inside compactions, sorted by what the compaction did.
    struct Classified {
        var moments: [Recorder.Moment] = []
        var kinds: [EditKind?] = []
        var summary = ""

        func count(_ p: (EditKind) -> Bool) -> Int { kinds.filter { $0.map(p) ?? false }.count }
        var levelZero: Int { count { if case .compaction(0, _) = $0 { return true } else { return false } } }
        var deeper: Int { count { if case .compaction(let from, _) = $0 { return from >= 1 } else { return false } } }
        var trivialMoves: Int { count { if case .trivialMove = $0 { return true } else { return false } } }
    }

    /// Attributes each compaction moment to the manifest edit that installed the table it
    /// wrote, or that its manifest write recorded (read back from `manifest`).
    static func classify(_ recorder: Recorder, manifest: String, _ fs: MemoryFileSystem) throws -> Classified {
        let records = try manifestRecords(manifest, fs)
        var tableKind: [UInt64: EditKind] = [:]
        for (_, edit) in records {
            for f in edit.newFiles where tableKind[f.number] == nil { tableKind[f.number] = EditKind(edit) }
        }
        func kind(_ moment: Recorder.Moment) -> EditKind? {
            if let n = moment.table { return tableKind[n] }
            if let size = moment.manifestSize, moment.path == manifest {
                // An append writes the record starting at (or just past block padding after)
                // the old size; a sync covers the last record before it.
                let record = moment.operation == .append
                    ? records.first { $0.offset >= size } : records.last { $0.offset < size }
                return record.map { EditKind($0.edit) }
            }
            return nil
        }
        var c = Classified()
        c.moments = recorder.images.flatMap(\.moments).filter(\.duringCompaction)
        c.kinds = c.moments.map(kind)
        var byKind: [String: Int] = [:]
        for (m, k) in zip(c.moments, c.kinds) { byKind["\(k.map(String.init(describing:)) ?? "unattributed") \(m.operation)", default: 0] += 1 }
        c.summary = byKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return c
    }

    /// Random updates, deletions and range deletions (a tenth of them synced), then ascending
    /// new keys, written while background compactions run; a crash image at every
    /// file-system operation.
    @Test func crashAtEveryOperationOfBackgroundCompactions() throws {
        let fs = MemoryFileSystem()
        let db = try Database.open("/db", options: Self.smallLevels(fs))
        db.compactionQueue.setSpecific(key: compactionQueueKey, value: true)
        let recorder = Recorder()
        recorder.install(on: fs)

        var rng = SeededRandom(seed: 21)
        var states: [Model] = [Model()]  // states[i] = model after i operations
        var model = Model()
        func record(sync: Bool) {
            states.append(model)
            recorder.completed.store(states.count - 1, ordering: .sequentiallyConsistent)
            if sync { recorder.durable.store(states.count - 1, ordering: .sequentiallyConsistent) }
        }
        // Random keys out of 300: every level-0 table overlaps level 1, so level-0
        // compactions rewrite level-1 tables, and level 1 overflows into level 2.
        for i in 0..<1600 {
            let k = bytes(String(format: "k%03d", Int.random(in: 0..<300, using: &rng)))
            let sync = Int.random(in: 0..<10, using: &rng) == 0
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<72:
                let v = bytes("v\(i)-" + String(repeating: "x", count: Int.random(in: 30..<90, using: &rng)))
                try db.put(k, v, sync: sync)
                model.put(k, v)
            case 72..<97:
                try db.delete(k, sync: sync)
                model.delete(k)
            default:
                let start = Array(k.prefix(3)), end = k + bytes("5")  // ["k12", "k1235"): k120 to k123
                try db.deleteRange(start, end, sync: sync)
                model.deleteRange(start, end)
            }
            record(sync: sync)
        }
        // Then ascending new keys: their level-1 tables overlap nothing in level 2, so they
        // move down by manifest edits alone.
        for i in 0..<300 {
            let sync = i % 25 == 24
            let k = bytes(String(format: "s%05d", i)), v = bytes("s\(i)-" + String(repeating: "y", count: 60))
            try db.put(k, v, sync: sync)
            model.put(k, v)
            record(sync: sync)
        }
        db.waitForBackgroundWork()
        fs.setOperationHook(nil)
        let stats = db.statistics
        let manifest = FileNames.manifest("/db", db.mutex.withLock { db.versions.manifestNumber })
        try db.close()

        let images = recorder.images
        let c = try Self.classify(recorder, manifest: manifest, fs)
        #expect(stats.compactions >= 10, "\(stats)")
        #expect(stats.trivialMoves > 0, "\(stats)")
        #expect(stats.levels.dropFirst(2).contains { $0.fileCount > 0 }, "data should reach level 2: \(stats)")
        #expect(images.reduce(0) { $0 + $1.moments.count } == recorder.operations)
        #expect(c.moments.count > 500, "crash points inside compactions: \(c.summary)")
        #expect(c.levelZero > 100, "crash points in level-0 compactions: \(c.summary)")
        #expect(c.deeper > 100, "crash points in level-1 compactions: \(c.summary)")
        #expect(c.trivialMoves > 0, "crash points in trivial moves: \(c.summary)")
        #expect(c.moments.contains { $0.operation == .sync && $0.path.hasSuffix(".sst") })
        #expect(c.moments.contains { $0.operation == .sync && $0.path == manifest })
        #expect(c.moments.contains { $0.operation == .syncDirectory })
        #expect(images.filter(\.duringCompaction).count > 60, "distinct crash images inside compactions")

        // Every distinct image (an image left by a compaction's sync is often first seen by
        // the writer's next WAL append). It must be a state of history allowed by every
        // operation it was taken at.
        var failures = 0
        for image in images {
            let lower = image.moments.map(\.durable).min()!
            let upper = min(image.moments.map(\.completed).max()! + 1, states.count - 1)
            let failure = Self.checkImage(image, options: Self.smallLevels) { got in
                let matching = (lower...upper).filter { states[$0] == got }
                for m in image.moments {
                    let allowed = m.durable...min(m.completed + 1, states.count - 1)
                    if matching.contains(where: allowed.contains) { continue }
                    let want = states[m.durable].entries
                    let differ = Set(want.keys).union(got.entries.keys).filter { want[$0] != got.entries[$0] }
                    return "not a state of history in \(allowed) at \(m.label); keys differing from the "
                        + "durable state: \(differ.prefix(5).map { String(decoding: $0, as: UTF8.self) })"
                }
                return nil
            }
            if let failure {
                failures += 1
                if failures <= 5 { Issue.record(Comment(rawValue: failure)) }
            }
        }
        #expect(failures == 0, "\(failures) of \(images.count) crash images failed")
    }

    /// Compactions of synced data only: level 0 filled with auto compactions off, levels 1
    /// and 2 populated before that, then one more synced table triggers background
    /// compactions through the levels. A crash at any operation of them (or of the flush
    /// before) must recover exactly the full contents.
    @Test func crashDuringCompactionOfSyncedDataLosesNothing() throws {
        let fs = MemoryFileSystem()
        var options = Self.smallLevels(fs)
        var model = Model()
        var rng = SeededRandom(seed: 9)
        /// 150 updates over 400 keys, ending with a synced range deletion.
        func round(_ r: Int, _ db: Database) throws {
            for i in 0..<150 {
                let k = bytes(String(format: "k%04d", Int.random(in: 0..<400, using: &rng)))
                if i % 9 == 8 {
                    try db.delete(k)
                    model.delete(k)
                } else {
                    let v = bytes("r\(r)-\(i)-" + String(repeating: "z", count: Int.random(in: 40..<80, using: &rng)))
                    try db.put(k, v)
                    model.put(k, v)
                }
            }
            let start = Int.random(in: 0..<370, using: &rng)
            let (from, to) = (bytes(String(format: "k%04d", start)), bytes(String(format: "k%04d", start + 30)))
            try db.deleteRange(from, to, sync: true)
            model.deleteRange(from, to)
        }
        // Level 2 first: background compactions take the data there, and compactRange
        // gathers the rest.
        let base = try Database.open("/db", options: options)
        for r in 0..<4 { try round(r, base) }
        try base.compactRange()
        let shape = base.statistics.levels.map(\.fileCount)
        try #require(shape[0] == 0 && shape[1] == 0 && shape[2] > 1, "\(base.statistics)")
        try base.close()
        // Three level-0 tables, one short of the trigger.
        options.disableAutoCompactions = true
        options.writeBufferSize = 1 << 20
        let filling = try Database.open("/db", options: options)
        for r in 4..<7 {
            try round(r, filling)
            try filling.flush()
        }
        try #require(filling.statistics.levels[0].fileCount == 3)
        try filling.close()

        options.disableAutoCompactions = false
        let db = try Database.open("/db", options: options)
        db.compactionQueue.setSpecific(key: compactionQueueKey, value: true)
        try round(7, db)  // ends with a synced write: everything is durable
        let before = db.statistics
        let recorder = Recorder()
        recorder.install(on: fs)
        try db.flush()  // the fourth level-0 table: compactions follow in the background
        db.waitForBackgroundWork()
        fs.setOperationHook(nil)
        let stats = db.statistics
        let manifest = FileNames.manifest("/db", db.mutex.withLock { db.versions.manifestNumber })
        try db.close()

        let images = recorder.images
        let c = try Self.classify(recorder, manifest: manifest, fs)
        #expect(before.compactions == 0 && before.levels[0].fileCount == 3, "\(before)")
        #expect(stats.compactions >= 2, "\(stats)")
        #expect(c.levelZero > 20, "crash points in the level-0 compaction: \(c.summary)")
        #expect(c.deeper > 0, "crash points in level-1 compactions: \(c.summary)")
        var failures = 0
        for image in images {
            let failure = Self.checkImage(image, options: Self.smallLevels) { got in
                got == model ? nil : "recovered \(got.entries.count) keys, want all \(model.entries.count), synced"
            }
            if let failure {
                failures += 1
                if failures <= 5 { Issue.record(Comment(rawValue: failure)) }
            }
        }
        #expect(failures == 0, "\(failures) of \(images.count) crash images failed")
    }
}
