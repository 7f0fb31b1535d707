import Foundation

/// One lock per key (striped): a writer holds the locks of every key it changes from the
/// moment it marks them pending until it settles them, and a checker holds a key's lock while
/// it compares the database with the expected state, so both see one write at a time per key.
final class KeyLocks: @unchecked Sendable {
    private let locks: [NSLock]

    init(stripes: Int = 4096) {
        locks = (0..<stripes).map { _ in NSLock() }
    }

    /// Runs `body` holding the locks of `keys` (taken in stripe order, so no two callers
    /// deadlock).
    func withLocks<R>(_ keys: [Int], _ body: () throws -> R) rethrows -> R {
        let stripes = Set(keys.map { $0 % locks.count }).sorted()
        for stripe in stripes { locks[stripe].lock() }
        defer { for stripe in stripes.reversed() { locks[stripe].unlock() } }
        return try body()
    }
}
