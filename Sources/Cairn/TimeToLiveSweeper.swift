import CairnLSM
import Foundation
import Synchronization

/// Why an item changed: a request, or Time to Live. Every deletion by TTL goes through
/// `ItemDatabase.deleteExpired`, which carries `.timeToLive`, so the change stream (a later
/// version) can mark those deletions as DynamoDB's streams do (`userIdentity`
/// `dynamodb.amazonaws.com`).
enum ChangeCause: Sendable, Equatable {
    /// An API request (PutItem, TransactWriteItems, ...).
    case request
    /// The TTL sweeper deleting an expired item.
    case timeToLive
}

/// The background thread that deletes expired items: every `interval` seconds (or when
/// woken) it runs `ItemDatabase.sweepExpiredItems()`. It holds the database weakly and stops
/// in `ItemDatabase.close()`.
final class TimeToLiveSweeper: Sendable {
    private struct State {
        var stopped = false
        var woken = false
    }

    /// What the thread and the owner share.
    private final class Shared: Sendable {
        let state = Mutex(State())
        let signal = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }

    private let shared = Shared()
    /// Seconds between passes.
    let interval: Double

    /// Starts the thread; `sweep` runs one pass (and returns false once the database is gone).
    init(interval: Double, sweep: @escaping @Sendable () -> Bool) {
        self.interval = interval
        let shared = shared
        let thread = Thread {
            while true {
                _ = shared.signal.wait(timeout: .now() + interval)
                let stop = shared.state.withLock { s -> Bool in
                    s.woken = false
                    return s.stopped
                }
                if stop || !sweep() { break }
            }
            shared.finished.signal()
        }
        thread.name = "cairn-ttl-sweeper"
        thread.start()
    }

    /// Runs a pass soon (after a TTL setting changed).
    func wake() {
        let first = shared.state.withLock { s -> Bool in
            defer { s.woken = true }
            return !s.woken
        }
        if first { shared.signal.signal() }
    }

    /// Stops the thread and waits for its current pass to end. Idempotent.
    func stop() {
        let wasRunning = shared.state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard wasRunning else { return }
        shared.signal.signal()
        shared.finished.wait()
    }
}

extension ItemDatabase {
    /// Deletes the items of every TTL-enabled table that have expired at `now` (default: the
    /// clock of `Options`), and the idempotency records past their 10 minutes. Returns how
    /// many items it deleted.
    ///
    /// Each table is read through one snapshot iterator, without locks; each expired item is
    /// then deleted by `deleteExpired`, which takes the item's lock and checks again, so a
    /// write that renewed the item in the meantime wins. Foreground writes wait at most for
    /// one item's delete.
    @discardableResult
    func sweepExpiredItems(now: Double? = nil) throws -> Int {
        let now = now ?? currentTime()
        var deleted = 0
        for name in catalog.names() {
            guard let definition = catalog.lookup(name), let attribute = definition.settings.timeToLiveAttribute else {
                continue
            }
            let start = KeySpace.tablePrefix(definition.number)
            let iterator = try lsm.makeIterator(ReadOptions(lowerBound: start, upperBound: KeySpace.tableEnd(definition.number)))
            try iterator.seek(start)
            var expired: [[UInt8]] = []
            while iterator.isValid {
                let item = try iterator.withValue { try ItemCodec.decode($0) }
                if Self.hasExpired(item, attribute: attribute, now: now) { expired.append(iterator.key) }
                try iterator.next()
                if expired.count >= 1_000 || !iterator.isValid {
                    for key in expired where try deleteExpired(definition, key, attribute: attribute, now: now) {
                        deleted += 1
                    }
                    expired.removeAll(keepingCapacity: true)
                }
            }
        }
        try expireIdempotencyRecords(now: now)
        return deleted
    }

    /// Deletes the item under `key` if, under its lock, it still exists and has still expired;
    /// returns whether it did. The one path of deletions with cause `.timeToLive`.
    func deleteExpired(_ definition: TableDefinition, _ key: [UInt8], attribute: String, now: Double) throws -> Bool {
        try locks.withLock(key) {
            guard catalog.isCurrent(definition), let item = try readItem(key),
                Self.hasExpired(item, attribute: attribute, now: now)
            else { return false }
            try applyDelete(key, cause: .timeToLive)
            return true
        }
    }

    /// Deletes `key` for `cause` (not synced: an expired item deleted again after a crash is
    /// harmless) and counts TTL deletions.
    private func applyDelete(_ key: [UInt8], cause: ChangeCause) throws {
        _ = try lsm.delete(key, sync: false)
        if cause == .timeToLive { timeToLiveDeletionCounter.add(1, ordering: .relaxed) }
    }

    /// Items the TTL sweeper has deleted since the database was opened.
    public var timeToLiveDeletions: Int { timeToLiveDeletionCounter.load(ordering: .relaxed) }
}
