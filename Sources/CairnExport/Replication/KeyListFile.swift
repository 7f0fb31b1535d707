import CairnLSM

/// The keys of the items in one data file of a replicated Delta table:
/// `<table>/_cairn/keys/<data file>.keys` (Docs/delta_replication.md, "Key lists").
///
/// The replicator keeps, for every live data file, which items it holds, so that a change to
/// an item rewrites exactly the file that had it. A key list is written and synced before the
/// commit that adds its data file, and removed after the commit that removes it.
///
/// Layout (little-endian):
///
///     magic "CKEY" (4) | version 1 (1) | count (4) | count x (length (4) | key bytes) | CRC-32C of all before (4)
///
/// A key is the item's key as CairnLSM stores it (`TableSnapshot.storageKey(of:)`).
enum KeyListFile {
    static let magic: [UInt8] = Array("CKEY".utf8)
    static let version: UInt8 = 1

    static func encode(_ keys: [[UInt8]]) -> [UInt8] {
        var out = magic
        out.append(version)
        appendUInt32(UInt32(keys.count), to: &out)
        for key in keys {
            appendUInt32(UInt32(key.count), to: &out)
            out += key
        }
        appendUInt32(CRC32C.checksum(out), to: &out)
        return out
    }

    static func decode(_ bytes: [UInt8], file: String) throws -> [[UInt8]] {
        func bad(_ offset: Int, _ reason: String) -> CairnError {
            .corruption(file: file, offset: Int64(offset), reason: "key list: \(reason)")
        }
        guard bytes.count >= 13 else { throw bad(0, "\(bytes.count) bytes is too short") }
        guard Array(bytes[0..<4]) == magic else { throw bad(0, "bad magic") }
        guard bytes[4] == version else { throw bad(4, "version \(bytes[4]); this build reads version \(version)") }
        let body = bytes.count - 4
        let stored = readUInt32(bytes, body)
        let actual = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<body])) }
        guard stored == actual else { throw bad(body, "checksum mismatch") }
        let count = Int(readUInt32(bytes, 5))
        var keys: [[UInt8]] = []
        keys.reserveCapacity(min(count, body / 4))
        var offset = 9
        for _ in 0..<count {
            guard offset + 4 <= body else { throw bad(offset, "ends inside a key length") }
            let length = Int(readUInt32(bytes, offset))
            offset += 4
            guard length <= body - offset else { throw bad(offset, "a key of \(length) bytes runs past the end") }
            keys.append(Array(bytes[offset..<(offset + length)]))
            offset += length
        }
        guard offset == body else { throw bad(offset, "\(body - offset) bytes after the last key") }
        return keys
    }

    private static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
