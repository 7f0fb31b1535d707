import Cairn
import CairnLSM
import Foundation

/// A table as it was at a past moment (`cairn export --at TIME`, DynamoDB's
/// ExportTableToPointInTime): a snapshot of now, with every change committed after that
/// moment undone from the change stream's old images.
///
/// For each item changed after the moment, the first change after it holds the item as it
/// was then: its old image (or, for an INSERT, no item). So the view is the snapshot with
/// those items replaced, removed or put back. This needs a stream that keeps old images
/// (NEW_AND_OLD_IMAGES or OLD_IMAGE), enabled before the moment, and a moment within the
/// stream's retention (24 hours), so that every change after it has a record.
///
/// Without a moment (`time` nil) the view is the snapshot itself.
struct PointInTimeView: Sendable {
    let snapshot: TableSnapshot
    /// Items changed after the moment: their value then (nil: absent then), by storage key.
    private let overlay: [StorageKey: Item?]
    /// Items present at the moment and deleted since, in key order.
    private let restored: [(key: [UInt8], item: Item)]
    let time: Date?

    init(_ db: ItemDatabase, table tableName: String, at time: Date?) throws {
        self.time = time
        let now = db.now
        guard let time else {
            snapshot = try db.snapshot(ofTable: tableName)
            overlay = [:]
            restored = []
            return
        }
        guard let info = try db.streamInfo(of: tableName) else {
            throw CairnError.invalidArgument("an export at a past time reads the table's stream, and \(tableName) has none: enable one with old images (NEW_AND_OLD_IMAGES)")
        }
        guard info.viewType == .newAndOldImages || info.viewType == .oldImage else {
            throw CairnError.invalidArgument("an export at a past time needs old images; \(tableName)'s stream is \(info.viewType.rawValue) (use NEW_AND_OLD_IMAGES)")
        }
        guard time <= now else { throw CairnError.invalidArgument("the export time \(Self.format(time)) is in the future") }
        guard time >= info.enabledAt else {
            throw CairnError.invalidArgument("the export time \(Self.format(time)) is before \(tableName)'s stream was enabled (\(Self.format(info.enabledAt))): changes since then are not all recorded")
        }
        guard now.timeIntervalSince(time) < info.retention else {
            throw CairnError.invalidArgument("the export time \(Self.format(time)) is older than the stream's retention (\(Int(info.retention / 3600)) hours)")
        }
        let snapshot = try db.snapshot(ofTable: tableName)
        self.snapshot = snapshot
        let moment = time.timeIntervalSince1970
        var overlay: [StorageKey: Item?] = [:]
        try ExportSupport.forEachChange(db, table: tableName, after: 0, through: snapshot.sequence) { record in
            guard record.approximateCreationDate.timeIntervalSince1970 > moment else { return }
            let key = StorageKey(try snapshot.storageKey(of: record.keys))
            guard overlay[key] == nil else { return }
            if record.eventName != .insert && record.oldImage == nil {
                throw CairnError.invalidArgument("a \(record.eventName.rawValue) record after the export time has no old image")
            }
            overlay[key] = .some(record.eventName == .insert ? nil : record.oldImage)
        }
        // Items deleted since: not in the snapshot, so added to their share.
        var restored: [(key: [UInt8], item: Item)] = []
        for (key, value) in overlay {
            guard let item = value, try snapshot.item(atStorageKey: key.bytes) == nil else { continue }
            restored.append((key.bytes, item))
        }
        self.overlay = overlay
        self.restored = restored.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// Calls `body` with each item of share `share` of `shares` (`TableSnapshot`'s split), as
    /// it was at the moment; items deleted since come after the share's others.
    func forEachItem(share: Int, of shares: Int, _ body: (Item) throws -> Void) throws {
        if overlay.isEmpty {
            return try snapshot.forEachItem(share: share, of: shares, body)
        }
        try snapshot.forEachItem(share: share, of: shares) { item in
            let key = StorageKey(try snapshot.storageKey(of: item))
            if let then = overlay[key] {
                if let then { try body(then) }
            } else {
                try body(item)
            }
        }
        for entry in restored where snapshot.share(ofStorageKey: entry.key, of: shares) == share { try body(entry.item) }
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
