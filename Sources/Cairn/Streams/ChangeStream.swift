import CairnLSM
import Foundation
import Synchronization

/// One change of a table, as the Swift API delivers it (the same facts as a DynamoDB Streams
/// record, typed).
public struct ChangeRecord: Sendable, Hashable {
    /// INSERT, MODIFY or REMOVE.
    public var eventName: StreamEventName
    /// The item's key attributes.
    public var keys: Item
    /// The item after the change (per the stream's view type; nil for REMOVE).
    public var newImage: Item?
    /// The item before the change (per the stream's view type; nil for INSERT).
    public var oldImage: Item?
    /// The commit sequence number: increasing over the whole stream, the position a consumer
    /// saves.
    public var sequenceNumber: UInt64
    /// When the change was written.
    public var approximateCreationDate: Date
    /// True for a deletion by Time to Live.
    public var isTimeToLiveDeletion: Bool
}

/// A table's latest stream, as `ItemDatabase.streamInfo(of:)` describes it.
public struct StreamInfo: Sendable, Hashable {
    /// What each record holds.
    public var viewType: StreamViewType
    /// When the stream was enabled: changes before it have no record.
    public var enabledAt: Date
    public var isEnabled: Bool
    /// How long records are kept (seconds; 24 hours by default).
    public var retention: TimeInterval
}

/// Where a change stream starts.
public enum ChangeStreamStart: Sendable, Hashable {
    /// At the oldest record kept.
    case trimHorizon
    /// After the newest record: only changes committed from now on.
    case latest
    /// After the record with this sequence number (a saved position).
    case after(UInt64)
}

/// Wakes stream readers when item writes commit, so a reader that has caught up waits without
/// polling. Readers take the generation before reading and wait for it to move.
final class StreamSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [(UInt64, CheckedContinuation<Void, Never>)] = []
        var closed = false
    }
    private let state = CairnMutex(State())

    var generation: UInt64 { state.withLock { $0.generation } }

    /// Called after every item write commits (and on close).
    func notify() {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation &+= 1
            guard !s.waiters.isEmpty else { return [] }
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.1)
        }
        for w in woken { w.resume() }
    }

    /// Ends every wait for good (the database closed).
    func close() {
        state.withLock { $0.closed = true }
        notify()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Returns once the generation differs from `seen` (at once if it already does), or the
    /// signal is closed, or the task is cancelled.
    func wait(changedFrom seen: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.generation != seen || s.closed || Task.isCancelled { return true }
                    s.waiters.append((seen, continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            notify()
        }
    }
}

extension ItemDatabase {
    /// Writes a batch of item changes and wakes change-stream readers.
    func commit(_ batch: WriteBatch, sync: Bool) throws {
        _ = try lsm.write(batch, sync: sync)
        streamSignal.notify()
        if catalog.hasLogMaintainedIndexes { indexUpdater?.wake() }
    }

    /// The changes of a table's current stream as an `AsyncSequence`, in commit order across
    /// all its shards, from `start`. It waits for new changes without polling, and ends when
    /// the stream is disabled and read to its end, or the database closes. Each record's
    /// `sequenceNumber` is the position to resume from (`.after(n)`).
    ///
    /// - Throws: `ResourceNotFoundException` for a missing table, `ValidationException` for a
    ///   table without an enabled stream.
    public func changes(of tableName: String, from start: ChangeStreamStart = .trimHorizon) throws -> ChangeStream {
        let table = try catalog.table(named: tableName)
        guard let stream = table.activeStream else {
            throw DynamoDBError.validation("Table \(tableName) has no enabled stream")
        }
        let after: UInt64
        switch start {
        case .trimHorizon: after = 0
        case .latest: after = lsm.latestSequenceNumber
        case .after(let n): after = n
        }
        return ChangeStream(database: self, table: table.number, stream: stream, keys: table.keyAttributes, after: after)
    }

    /// Up to `limit` records of `tableName`'s latest stream (enabled or not) committed after
    /// sequence number `after`, in commit order across its shards, as DynamoDB Streams shapes
    /// them; empty when there are none yet. For readers that poll, such as `cairn tail`
    /// following another process's writes through read-only opens.
    public func streamRecords(of tableName: String, after: UInt64, limit: Int = 1000) throws -> [StreamRecord] {
        let table = try catalog.table(named: tableName)
        guard let stream = table.settings.stream else {
            throw DynamoDBError.validation("Table \(tableName) has no stream")
        }
        return try readChanges(table: table.number, stream: stream, keys: table.keyAttributes, after: after, limit: limit).records
            .map { Self.streamRecord($0.record, sequence: $0.sequence, table: table.number, stream: stream) }
    }

    /// What a table's latest stream keeps, for readers that must know whether the records
    /// cover a span of time (nil: the table never had a stream).
    public func streamInfo(of tableName: String) throws -> StreamInfo? {
        let table = try catalog.table(named: tableName)
        guard let stream = table.settings.stream else { return nil }
        return StreamInfo(
            viewType: stream.viewType, enabledAt: Date(timeIntervalSince1970: stream.createdAt), isEnabled: stream.enabled,
            retention: options.streamRetention)
    }

    /// Up to `limit` changes of `tableName`'s latest stream (enabled or not) committed after
    /// sequence number `after`, in commit order, typed (`ChangeRecord`); empty when there are
    /// none yet. The synchronous, typed form of `streamRecords(of:after:limit:)`, for readers
    /// that poll without DynamoDB Streams' shapes (the exporter).
    public func changeRecords(of tableName: String, after: UInt64, limit: Int = 1000) throws -> [ChangeRecord] {
        let table = try catalog.table(named: tableName)
        guard let stream = table.settings.stream else {
            throw DynamoDBError.validation("Table \(tableName) has no stream")
        }
        return try readChanges(table: table.number, stream: stream, keys: table.keyAttributes, after: after, limit: limit).records
            .map { ChangeRecord($0.record, sequence: $0.sequence) }
    }

    /// Up to `limit` records of a stream after sequence `after`, in commit order across its
    /// lanes, read at one snapshot; `ended` is true when the stream is disabled and nothing
    /// follows.
    func readChanges(
        table: UInt32, stream: StreamState, keys: [KeyAttribute], after: UInt64, limit: Int
    ) throws -> (records: [(sequence: UInt64, record: StoredStreamRecord)], ended: Bool) {
        let snapshot = lsm.snapshot()
        var found: [(sequence: UInt64, record: StoredStreamRecord)] = []
        for lane in 0..<stream.lanes {
            var taken = 0
            _ = try scanLane(table: table, ordinal: stream.ordinal, lane: lane, after: after, snapshot: snapshot) { sequence, value in
                guard taken < limit else { return false }
                found.append((sequence, try StreamRecordCodec.decode(value, keys: keys)))
                taken += 1
                return true
            }
        }
        found.sort { $0.sequence < $1.sequence }
        let page = Array(found.prefix(limit))
        let ended = page.isEmpty
            && catalog.streamDescriptor(key: StreamKeys.descriptorKey(table: table, ordinal: stream.ordinal))?.disabledAt != nil
        return (page, ended)
    }

    /// Calls `body` with the commit sequence and the stored value of each record of one lane
    /// committed after `after`, in commit order, read at `snapshot`, while `body` returns
    /// true. Returns true if the lane was read to its end. The one scan GetRecords and the
    /// Swift readers share.
    func scanLane(
        table: UInt32, ordinal: UInt16, lane: UInt16, after: UInt64, snapshot: Snapshot,
        _ body: (UInt64, [UInt8]) throws -> Bool
    ) throws -> Bool {
        let prefix = StreamKeys.lanePrefix(table: table, ordinal: ordinal, lane: lane)
        let iterator = try lsm.makeIterator(ReadOptions(snapshot: snapshot, lowerBound: prefix, upperBound: prefix.prefixSuccessor))
        try iterator.seek(StreamKeys.recordKey(table: table, ordinal: ordinal, lane: lane, sequence: after &+ 1))
        while iterator.isValid {
            guard let sequence = StreamKeys.sequence(ofRecordKey: iterator.key) else {
                throw CairnError.corruption(file: "change stream", offset: 0, reason: "malformed stream record key")
            }
            guard try body(sequence, iterator.value) else { return false }
            try iterator.next()
        }
        return true
    }
}

extension ChangeRecord {
    /// A stored record committed at `sequence`.
    init(_ stored: StoredStreamRecord, sequence: UInt64) {
        self.init(
            eventName: stored.eventName, keys: stored.keys, newImage: stored.newImage, oldImage: stored.oldImage,
            sequenceNumber: sequence, approximateCreationDate: Date(timeIntervalSince1970: Double(stored.createdAtMillis) / 1000),
            isTimeToLiveDeletion: stored.byTimeToLive)
    }
}

/// A table's change stream as an `AsyncSequence` of `ChangeRecord`s (`ItemDatabase.changes`).
public struct ChangeStream: AsyncSequence, Sendable {
    public typealias Element = ChangeRecord
    let database: ItemDatabase
    let table: UInt32
    let stream: StreamState
    let keys: [KeyAttribute]
    let after: UInt64

    public func makeAsyncIterator() -> Iterator {
        Iterator(database: database, table: table, stream: stream, keys: keys, position: after)
    }

    /// Reads pages of records and waits on the database's stream signal when caught up.
    public struct Iterator: AsyncIteratorProtocol {
        let database: ItemDatabase
        let table: UInt32
        let stream: StreamState
        let keys: [KeyAttribute]
        /// The last sequence number delivered.
        public private(set) var position: UInt64
        var buffer: [ChangeRecord] = []

        init(database: ItemDatabase, table: UInt32, stream: StreamState, keys: [KeyAttribute], position: UInt64) {
            self.database = database
            self.table = table
            self.stream = stream
            self.keys = keys
            self.position = position
        }

        public mutating func next() async throws -> ChangeRecord? {
            while buffer.isEmpty {
                if Task.isCancelled || database.streamSignal.isClosed { return nil }
                let generation = database.streamSignal.generation
                let (page, ended) = try database.readChanges(table: table, stream: stream, keys: keys, after: position, limit: 256)
                if ended { return nil }
                if page.isEmpty {
                    await database.streamSignal.wait(changedFrom: generation)
                    continue
                }
                buffer = page.map { ChangeRecord($0.record, sequence: $0.sequence) }.reversed()
            }
            let record = buffer.removeLast()
            position = record.sequenceNumber
            return record
        }
    }
}
