import CairnLSM

/// The kind of change a stream record describes (DynamoDB's `eventName`).
public enum StreamEventName: String, Codable, Sendable {
    /// A new item.
    case insert = "INSERT"
    /// An item changed.
    case modify = "MODIFY"
    /// An item deleted.
    case remove = "REMOVE"
}

/// One change as stored in a stream (the value under a `StreamKeys` record key), before the
/// stream's identity and the record's sequence number are added to it for readers.
struct StoredStreamRecord: Sendable, Equatable {
    var eventName: StreamEventName
    /// True for a deletion by Time to Live (DynamoDB's service `userIdentity`).
    var byTimeToLive: Bool
    /// Milliseconds since 1970 when the change was written.
    var createdAtMillis: UInt64
    var keys: Item
    var newImage: Item?
    var oldImage: Item?
}

/// The byte layout of a stored stream record (Docs/stream_format.md):
///
/// ```
/// version: u8 = 1 | event: u8 (1 INSERT, 2 MODIFY, 3 REMOVE) | flags: u8 | created: fixed64 ms
/// keys: varint length + ItemCodec | [new image: same] | [old image: same]
/// flags: bit 0 deletion by TTL, bit 1 has new image, bit 2 has old image
/// ```
enum StreamRecordCodec {
    static let version: UInt8 = 1

    static func encode(_ record: StoredStreamRecord) -> [UInt8] {
        var out: [UInt8] = [version]
        out.append(record.eventName == .insert ? 1 : record.eventName == .modify ? 2 : 3)
        var flags: UInt8 = 0
        if record.byTimeToLive { flags |= 1 }
        if record.newImage != nil { flags |= 2 }
        if record.oldImage != nil { flags |= 4 }
        out.append(flags)
        Coding.appendFixed64(&out, record.createdAtMillis)
        for item in [record.keys, record.newImage, record.oldImage].compactMap({ $0 }) {
            Coding.appendLengthPrefixed(&out, ItemCodec.encode(item))
        }
        return out
    }

    /// Decodes a stored record; damage is `CairnError.corruption` naming `key`'s stream.
    static func decode(_ bytes: [UInt8]) throws -> StoredStreamRecord {
        func bad(_ reason: String) -> CairnError {
            .corruption(file: "change stream", offset: 0, reason: "stream record: \(reason)")
        }
        guard bytes.count >= 11, bytes[0] == version else { throw bad("unknown version or too short") }
        let event: StreamEventName
        switch bytes[1] {
        case 1: event = .insert
        case 2: event = .modify
        case 3: event = .remove
        default: throw bad("unknown event \(bytes[1])")
        }
        let flags = bytes[2]
        return try bytes.withUnsafeBytes { p in
            let created = Coding.fixed64(p, at: 3)
            var cursor = 11
            func item() throws -> Item {
                guard let range = Coding.readLengthPrefixed(p, &cursor) else { throw bad("truncated item") }
                return try ItemCodec.decode(Array(p[range]))
            }
            let keys = try item()
            let new = flags & 2 != 0 ? try item() : nil
            let old = flags & 4 != 0 ? try item() : nil
            guard cursor == p.count else { throw bad("trailing bytes") }
            return StoredStreamRecord(
                eventName: event, byTimeToLive: flags & 1 != 0, createdAtMillis: created, keys: keys,
                newImage: new, oldImage: old)
        }
    }
}

extension ItemDatabase {
    /// Whether a write to `table` must read the item first for its stream (the stream needs
    /// to know whether the item existed and, for images, what it was). A table without a
    /// stream keeps its blind writes.
    func streamNeedsOldItem(_ table: TableDefinition) -> Bool {
        table.activeStream != nil
    }

    /// Adds the stream record of a change to `batch`, in the same batch as the change: none
    /// when the table has no enabled stream or nothing changed (a put of an equal item, a
    /// delete of a missing one). `old` must be the item before the write, read under its lock
    /// (`streamNeedsOldItem`).
    func addStreamRecord(
        _ effect: ItemWrite.Effect, old: Item?, new: Item?, key: [UInt8], table: TableDefinition, cause: ChangeCause,
        to batch: inout WriteBatch
    ) {
        guard let stream = table.activeStream else { return }
        let event: StreamEventName
        switch effect {
        case .none:
            return
        case .put:
            guard let new else { return }
            if let old {
                if old == new { return }
                event = .modify
            } else {
                event = .insert
            }
        case .delete:
            guard old != nil else { return }
            event = .remove
        }
        guard let keySource = new ?? old else { return }
        let record = StoredStreamRecord(
            eventName: event, byTimeToLive: cause == .timeToLive,
            createdAtMillis: UInt64(max(0, (currentTime() * 1000).rounded(.down))),
            keys: table.key(of: keySource),
            newImage: stream.viewType.includesNewImage && event != .remove ? new : nil,
            oldImage: stream.viewType.includesOldImage && event != .insert ? old : nil)
        let lane = StreamKeys.lane(ofItemKey: key, lanes: stream.lanes)
        let prefix = StreamKeys.lanePrefix(table: table.number, ordinal: stream.ordinal, lane: lane)
        let value = StreamRecordCodec.encode(record)
        streamLaneBytes.withLock { $0[prefix, default: 0] += prefix.count + 8 + value.count }
        batch.putStamped(prefix, value)
    }
}
