#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Striped mutexes that make each item's read-check-write atomic.
///
/// A conditional write reads the item, evaluates its condition and writes, all while holding
/// the stripe of the item's key, so no other write to that item can come in between; writes to
/// items on different stripes run in parallel. Several stripes (a transaction) are taken in
/// ascending order, so two writers never wait on each other in a cycle.
final class ItemLocks: @unchecked Sendable {
    /// The number of stripes; a power of two.
    static let stripeCount = 1024

    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutexes = .allocate(capacity: Self.stripeCount)
        for i in 0..<Self.stripeCount {
            (mutexes + i).initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutexes + i, nil)
        }
    }

    deinit {
        for i in 0..<Self.stripeCount { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    /// The stripe guarding the item stored under `key`.
    static func stripe(of key: [UInt8]) -> Int {
        // FNV-1a: cheap, and the stripe choice is not part of any format.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29)) & (stripeCount - 1)
    }

    /// Runs `body` holding the stripe of `key`.
    func withLock<R>(_ key: [UInt8], _ body: () throws -> R) rethrows -> R {
        let stripe = Self.stripe(of: key)
        pthread_mutex_lock(mutexes + stripe)
        defer { pthread_mutex_unlock(mutexes + stripe) }
        return try body()
    }

    /// Runs `body` holding the stripes of all `keys` (each once, in ascending order).
    func withLocks<R>(_ keys: [[UInt8]], _ body: () throws -> R) rethrows -> R {
        let stripes = Set(keys.map(Self.stripe(of:))).sorted()
        for stripe in stripes { pthread_mutex_lock(mutexes + stripe) }
        defer { for stripe in stripes.reversed() { pthread_mutex_unlock(mutexes + stripe) } }
        return try body()
    }

    /// Runs `body` holding every stripe: no item write runs meanwhile (DeleteTable).
    func withAllLocks<R>(_ body: () throws -> R) rethrows -> R {
        for stripe in 0..<Self.stripeCount { pthread_mutex_lock(mutexes + stripe) }
        defer { for stripe in (0..<Self.stripeCount).reversed() { pthread_mutex_unlock(mutexes + stripe) } }
        return try body()
    }
}
