import CairnLSM
import Foundation

extension ItemDatabase {
    /// Rolls shards over and trims old ones, for every stream; the TTL sweeper's thread runs
    /// it after each pass, and tests call it with their clock.
    ///
    /// - Rollover: a lane's open shard that is older than `Options.streamShardMaxAge` or took
    ///   `Options.streamShardMaxBytes` of records since open closes at the last committed
    ///   sequence number, and a child shard (ParentShardId = the closed one) continues the
    ///   lane from the next number. Writers never look at shards: a record belongs to the
    ///   shard whose range holds its commit sequence number, so a rollover needs no lock.
    /// - Retention: a closed shard whose close is older than `Options.streamRetention` is
    ///   trimmed with one range deletion of its records (no scan of live data; compaction
    ///   reclaims the space) in the same batch as the descriptor without it. A disabled
    ///   stream whose shards are all trimmed disappears from ListStreams.
    public func maintainStreams() throws {
        let now = currentTime()
        for descriptor in catalog.streamDescriptors() {
            try rollOverShards(descriptor, now: now)
            try trimShards(descriptor.key, now: now)
        }
    }

    private func rollOverShards(_ descriptor: StreamDescriptor, now: Double) throws {
        guard descriptor.disabledAt == nil else { return }
        let due = descriptor.shards.filter { shard in
            guard shard.end == nil else { return false }
            let id = StreamKeys.laneID(table: descriptor.tableNumber, ordinal: descriptor.stream.ordinal, lane: shard.lane)
            let bytes = streamLaneBytes.withLock { $0[id] ?? 0 }
            return now - shard.createdAt >= options.streamShardMaxAge || bytes >= options.streamShardMaxBytes
        }
        guard !due.isEmpty else { return }
        try catalog.updateStream(descriptor.key) { current, _ in
            var next = current
            let last = lsm.latestSequenceNumber
            for closing in due {
                guard let i = next.shards.firstIndex(where: { $0.lane == closing.lane && $0.end == nil }),
                      last >= next.shards[i].start else { continue }
                next.shards[i].end = last
                next.shards[i].closedAt = now
                next.shards.append(ShardState(
                    lane: closing.lane, start: last + 1, end: nil, createdAt: now, closedAt: nil, parent: next.shards[i].id))
                let id = StreamKeys.laneID(table: current.tableNumber, ordinal: current.stream.ordinal, lane: closing.lane)
                streamLaneBytes.withLock { $0[id] = 0 }
            }
            return next
        }
    }

    private func trimShards(_ key: [UInt8], now: Double) throws {
        guard let descriptor = catalog.streamDescriptor(key: key) else { return }
        let expired = descriptor.shards.filter { ($0.closedAt.map { now - $0 >= options.streamRetention }) ?? false }
        guard !expired.isEmpty else { return }
        try catalog.updateStream(key) { current, batch in
            var next = current
            for shard in expired {
                guard let end = shard.end else { continue }
                let table = current.tableNumber, ordinal = current.stream.ordinal
                batch.deleteRange(
                    StreamKeys.recordKey(table: table, ordinal: ordinal, lane: shard.lane, sequence: shard.start),
                    StreamKeys.recordKey(table: table, ordinal: ordinal, lane: shard.lane, sequence: end &+ 1))
                next.shards.removeAll { $0 == shard }
            }
            return next.shards.isEmpty && next.disabledAt != nil ? nil : next
        }
    }
}
