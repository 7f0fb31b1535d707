import CairnLSM
import Foundation

/// A TransactWriteItems ClientRequestToken and the fingerprint of its request, stored with the
/// transaction it made idempotent.
///
/// The record is written in the transaction's own write batch, so it exists exactly when the
/// transaction committed, survives crashes with it, and is read under the token's stripe lock
/// (two requests with one token never both run). Key and value (Docs/item_keyspace.md):
/// ```
/// 0x00 'X' <token, UTF-8>  ->  version (1) | fingerprint (16 bytes) | commit time (8 bytes,
///                              big-endian bit pattern of a Double, seconds since 1970)
/// ```
/// A record older than `ItemDatabase.idempotencyWindow` no longer counts; the TTL sweeper
/// removes such records (`ItemDatabase.expireIdempotencyRecords`).
struct IdempotencyToken {
    /// The record's format version.
    static let version: UInt8 = 1
    /// Bytes of a record's value.
    static let recordSize = 1 + 16 + 8
    /// The key prefix of every record.
    static let keyPrefix: [UInt8] = [KeySpace.catalogTag, UInt8(ascii: "X")]

    /// The record's key.
    let key: [UInt8]
    /// 128 bits identifying the request's parameters.
    let fingerprint: [UInt8]

    /// Validates `token` (1 to 36 characters) and fingerprints `request`: its JSON with
    /// sorted keys, so the order of map members does not matter (as in DynamoDB), while the
    /// order of the actions does.
    init<Request: Encodable>(_ token: String, request: Request) throws {
        var violations = ConstraintViolations()
        if token.isEmpty {
            violations.add(value: "''", field: "clientRequestToken", constraint: "Member must have length greater than or equal to 1")
        } else if token.count > 36 {
            violations.add(
                value: "'\(token)'", field: "clientRequestToken", constraint: "Member must have length less than or equal to 36")
        }
        try violations.check()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(request)
        let bytes = [UInt8](json)
        var print: [UInt8] = []
        for seed: UInt64 in [0x43_41_49_52_4E, 0x54_4F_4B_45_4E] {
            KeySpace.appendBigEndian(XXHash64.hash(bytes, seed: seed), to: &print)
        }
        key = Self.keyPrefix + Array(token.utf8)
        fingerprint = print
    }

    /// True if this token's request committed less than the window ago; throws
    /// IdempotentParameterMismatchException if it was a different request.
    func alreadyCommitted(in lsm: Database, now: Double) throws -> Bool {
        guard let value = try lsm.get(key) else { return false }
        let committed = try Self.decode(value)
        guard now - committed.time < ItemDatabase.idempotencyWindow else { return false }
        guard committed.fingerprint == fingerprint else { throw DynamoDBError.idempotentParameterMismatch() }
        return true
    }

    /// Adds the record, committed at `now`, to `batch`.
    func record(in batch: inout WriteBatch, now: Double) {
        var value: [UInt8] = [Self.version]
        value += fingerprint
        KeySpace.appendBigEndian(now.bitPattern, to: &value)
        batch.put(key, value)
    }

    /// A stored record's fingerprint and commit time; `.corruption` if it is malformed.
    static func decode(_ value: [UInt8]) throws -> (fingerprint: [UInt8], time: Double) {
        guard value.count == recordSize, value[0] == version else {
            throw CairnError.corruption(
                file: "idempotency record", offset: 0,
                reason: "record of \(value.count) bytes with version \(value.first.map(String.init) ?? "none")")
        }
        var bits: UInt64 = 0
        for byte in value[17..<25] { bits = bits << 8 | UInt64(byte) }
        return (Array(value[1..<17]), Double(bitPattern: bits))
    }
}

extension ItemDatabase {
    /// Deletes the idempotency records older than the 10-minute window; returns how many.
    @discardableResult
    func expireIdempotencyRecords(now: Double) throws -> Int {
        let prefix = IdempotencyToken.keyPrefix
        let iterator = try lsm.makeIterator(ReadOptions(lowerBound: prefix, upperBound: prefix.prefixSuccessor))
        var expired: [[UInt8]] = []
        try iterator.seek(IdempotencyToken.keyPrefix)
        while iterator.isValid {
            let record = try IdempotencyToken.decode(iterator.value)
            if now - record.time >= Self.idempotencyWindow { expired.append(iterator.key) }
            try iterator.next()
        }
        for key in expired {
            // Under the token's lock: a transaction with this token may be committing a fresh record.
            try locks.withLock(key) {
                guard let value = try lsm.get(key), now - (try IdempotencyToken.decode(value)).time >= Self.idempotencyWindow
                else { return }
                _ = try lsm.delete(key, sync: false)
            }
        }
        return expired.count
    }
}
