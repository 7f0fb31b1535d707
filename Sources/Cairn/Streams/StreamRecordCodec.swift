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
/// key: varint length + the item's encoded key values (its item key after the 9-byte table
///      and partition-hash prefix, KeyEncoding) | [new image: varint length + ItemCodec]
///      | [old image: same]
/// flags: bit 0 deletion by TTL, bit 1 has new image, bit 2 has old image
/// ```
/// The writer copies bytes it already has (the item key, the encoded new item) instead of
/// building and encoding items again; readers decode the key with the table's key schema.
enum StreamRecordCodec {
    static let version: UInt8 = 1
    /// Bytes of an item key before its encoded key values: tag, table number, partition hash.
    static var itemKeyPrefixSize: Int { KeySpace.itemKeyPrefixSize }

    /// Appends a record to `out`.
    static func write(
        event: StreamEventName, byTimeToLive: Bool, createdAtMillis: UInt64, itemKey: [UInt8], newImage: [UInt8]?,
        oldImage: [UInt8]?, to out: inout [UInt8]
    ) {
        out.append(version)
        switch event {
        case .insert: out.append(1)
        case .modify: out.append(2)
        case .remove: out.append(3)
        }
        var flags: UInt8 = byTimeToLive ? 1 : 0
        if newImage != nil { flags |= 2 }
        if oldImage != nil { flags |= 4 }
        out.append(flags)
        Coding.appendFixed64(&out, createdAtMillis)
        itemKey.withUnsafeBytes { key in
            Coding.appendLengthPrefixed(&out, UnsafeRawBufferPointer(rebasing: key.dropFirst(itemKeyPrefixSize)))
        }
        if let newImage { Coding.appendLengthPrefixed(&out, newImage) }
        if let oldImage { Coding.appendLengthPrefixed(&out, oldImage) }
    }

    /// A record as one array (tests).
    static func encode(
        event: StreamEventName, byTimeToLive: Bool, createdAtMillis: UInt64, itemKey: [UInt8], newImage: [UInt8]?,
        oldImage: [UInt8]?
    ) -> [UInt8] {
        var out: [UInt8] = []
        write(
            event: event, byTimeToLive: byTimeToLive, createdAtMillis: createdAtMillis, itemKey: itemKey,
            newImage: newImage, oldImage: oldImage, to: &out)
        return out
    }

    /// Decodes a stored record whose table has key attributes `keys` (partition key first);
    /// damage is `CairnError.corruption` ("change stream").
    static func decode(_ bytes: [UInt8], keys: [KeyAttribute]) throws -> StoredStreamRecord {
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
            guard let keyRange = Coding.readLengthPrefixed(p, &cursor) else { throw bad("truncated key") }
            let keyBytes = Array(p[keyRange])
            var offset = 0
            var keyItem: Item = [:]
            for attribute in keys {
                guard let value = KeyEncoding.decode(attribute.type.rawValue, from: keyBytes, offset: &offset) else {
                    throw bad("undecodable key attribute \(attribute.name)")
                }
                keyItem[attribute.name] = value
            }
            guard offset == keyBytes.count else { throw bad("trailing key bytes") }
            func item() throws -> Item {
                guard let range = Coding.readLengthPrefixed(p, &cursor) else { throw bad("truncated item") }
                return try ItemCodec.decode(Array(p[range]))
            }
            let new = flags & 2 != 0 ? try item() : nil
            let old = flags & 4 != 0 ? try item() : nil
            guard cursor == p.count else { throw bad("trailing bytes") }
            return StoredStreamRecord(
                eventName: event, byTimeToLive: flags & 1 != 0, createdAtMillis: created, keys: keyItem,
                newImage: new, oldImage: old)
        }
    }
}

extension ItemDatabase {
    /// Adds the stream record of a change to `batch`, in the same batch as the change: none
    /// when the table has no enabled stream or nothing changed (a put of an equal item, a
    /// delete of a missing one). `old` must be the item before the write, read under its lock
    /// (`needsOldItem`).
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
        var isRemove = false, isInsert = false
        switch event {
        case .insert: isInsert = true
        case .remove: isRemove = true
        case .modify: break
        }
        var byTimeToLive = false
        if case .timeToLive = cause { byTimeToLive = true }
        var newBytes: [UInt8]?
        if stream.viewType.includesNewImage, !isRemove, case .put(let bytes) = effect { newBytes = bytes }
        let oldBytes = stream.viewType.includesOldImage && !isInsert ? old.map(ItemCodec.encode) : nil
        let lane = StreamKeys.lane(ofItemKey: key, lanes: stream.lanes)
        let created = UInt64(max(0, (currentTime() * 1000).rounded(.down)))
        let valueCount = StreamKeys.withLanePrefix(table: table.number, ordinal: stream.ordinal, lane: lane) { prefix in
            batch.putStamped(prefix) { out in
                StreamRecordCodec.write(
                    event: event, byTimeToLive: byTimeToLive, createdAtMillis: created, itemKey: key,
                    newImage: newBytes, oldImage: oldBytes, to: &out)
            }
        }
        let laneID = StreamKeys.laneID(table: table.number, ordinal: stream.ordinal, lane: lane)
        streamLaneBytes.withLock { $0[laneID, default: 0] += StreamKeys.lanePrefixSize + 8 + valueCount }
    }
}
