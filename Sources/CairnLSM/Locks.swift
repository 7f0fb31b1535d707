import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal mutex for guarding a few fields, built on `Synchronization.Mutex`.
final class SpinGuard: Sendable {
    // A Bool, not Void: ThreadSanitizer reports an inout access to a zero-sized value as a race
    // with the object (Docs/reliability.md, "Sanitizers").
    private let mutex = CairnMutex<Bool>(false)

    @inline(__always)
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        try mutex.withLock { _ in try body() }
    }
}

/// A pthread mutex with condition variables, for code that must wait (group commit, background
/// work, back-pressure). Heap-allocated so its address is stable.
final class ConditionMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always)
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// A condition variable tied to this mutex.
    final class Condition: @unchecked Sendable {
        private let cond: UnsafeMutablePointer<pthread_cond_t>
        private let owner: ConditionMutex

        init(_ owner: ConditionMutex) {
            self.owner = owner
            cond = .allocate(capacity: 1)
            cond.initialize(to: pthread_cond_t())
            pthread_cond_init(cond, nil)
        }

        deinit {
            pthread_cond_destroy(cond)
            cond.deallocate()
        }

        /// Waits; the caller must hold the mutex.
        func wait() { pthread_cond_wait(cond, owner.mutex) }
        func signal() { pthread_cond_signal(cond) }
        func broadcast() { pthread_cond_broadcast(cond) }
    }

    func makeCondition() -> Condition { Condition(self) }
}
