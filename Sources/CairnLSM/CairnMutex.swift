import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if CAIRN_SANITIZER_LOCKS
/// `Synchronization.Mutex`'s interface on a pthread mutex, for ThreadSanitizer builds
/// (`-Xswiftc -DCAIRN_SANITIZER_LOCKS`; Docs/reliability.md, "Sanitizers").
///
/// On Linux, `Mutex` waits with raw futex calls that ThreadSanitizer does not see, so every
/// access it guards is reported as a race (checked: a two-thread counter under `Mutex` alone
/// gives reports). A pthread mutex is intercepted by the sanitizer, so with this lock its
/// reports are the races that are really there. The lock is a `ConditionMutex` (Locks.swift).
public final class CairnMutex<Value>: @unchecked Sendable {
    private let mutex = ConditionMutex()
    private var value: Value

    public init(_ initialValue: Value) {
        value = initialValue
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result, E: Error>(_ body: (inout Value) throws(E) -> Result) throws(E) -> Result {
        mutex.lock()
        defer { mutex.unlock() }
        return try body(&value)
    }
}
#else
/// The mutex Cairn guards shared state with: `Synchronization.Mutex`, except in
/// ThreadSanitizer builds (`-DCAIRN_SANITIZER_LOCKS`), where a pthread mutex with the same
/// interface takes its place so the sanitizer sees the locking.
public typealias CairnMutex<Value: ~Copyable> = Synchronization.Mutex<Value>
#endif
