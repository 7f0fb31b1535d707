#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// C resources that one thread uses on its own (an SQLite connection with its prepared
/// statements, an LMDB read transaction with its cursor), kept per thread by `PerThread`.
///
/// Sendable because the registry of live contexts (behind a mutex) may free a context from
/// the thread that closes the engine; apart from `release`, a context is used by its own
/// thread only, so conformers are `@unchecked Sendable`.
protocol ThreadConfined: AnyObject, Sendable {
    /// Frees the C resources. `PerThread` calls it exactly once: on the owning thread when
    /// that thread exits, or from `PerThread.closeAll` when the engine closes.
    func release()
}

/// One context per thread, for engines whose C handles may not be shared between threads.
///
/// Each thread has one `ThreadSlots` list (in a process-wide pthread key) of its contexts,
/// one per `PerThread` it has used, so finding the calling thread's context costs one
/// `pthread_getspecific` and a short scan, and no lock. A registry behind a mutex, touched
/// only when a context is made or freed, holds every live context so that `closeAll` can
/// free the contexts of threads that are still running; when a thread exits first, the key's
/// destructor frees its contexts. The registry decides which of the two frees a context, so
/// none is freed twice. A running thread drops the (already freed) slots of closed engines
/// the next time it makes a context, or when it exits.
///
/// Safe to share: `context(make:)` only touches the calling thread's slots, and the registry
/// is behind a mutex. Like the engines themselves, `closeAll` must not run concurrently with
/// `context(make:)` or with the use of a context.
final class PerThread<Context: ThreadConfined>: Sendable {
    /// Identifies this instance's slots in every thread's list; never reused.
    private let id = nextPerThreadID.add(1, ordering: .relaxed).newValue
    private let registry = PerThreadRegistry()

    /// Checks that the process-wide key exists.
    init() throws {
        guard threadSlotsKey != nil else { throw BenchError("pthread_key_create failed") }
    }

    deinit { closeAll() }

    /// The calling thread's context, made with `make` on the thread's first call.
    @inline(__always)
    func context(make: () throws -> Context) throws -> Context {
        if let slots = ThreadSlots.current() {
            for slot in slots.entries where slot.ownerID == id {
                // Only this instance stores slots under `id`, always as PerThreadSlot<Context>.
                return unsafeDowncast(slot, to: PerThreadSlot<Context>.self).context
            }
        }
        return try makeContext(make)
    }

    /// The slow path of `context(make:)`: makes and registers the context, and stores it in
    /// the thread's list (first dropping slots of closed engines).
    private func makeContext(_ make: () throws -> Context) throws -> Context {
        let slots = try ThreadSlots.currentOrNew()
        slots.entries.removeAll { $0.registry.isClosed }
        let context = try make()
        guard registry.register(context) else {
            context.release()
            throw BenchError("engine is closed")
        }
        slots.entries.append(PerThreadSlot(ownerID: id, context: context, registry: registry))
        return context
    }

    /// Frees every live context (whichever thread it belongs to); later calls do nothing.
    func closeAll() {
        guard registry.closeAll() else { return }
        ThreadSlots.current()?.entries.removeAll { $0.ownerID == id }
    }
}

/// Source of `PerThread` ids.
private let nextPerThreadID = Atomic<UInt64>(0)

/// The process-wide key holding each thread's retained `ThreadSlots`; nil if the key could
/// not be created. Made once, never deleted.
private let threadSlotsKey: pthread_key_t? = {
    var key = pthread_key_t()
    return pthread_key_create(&key, threadSlotsDestructor) == 0 ? key : nil
}()

/// The `PerThread` contexts of one thread. Only that thread touches it (its exit destructor
/// included).
final class ThreadSlots {
    var entries: [PerThreadSlotBase] = []

    /// The calling thread's list, if it has one.
    @inline(__always)
    static func current() -> ThreadSlots? {
        guard let key = threadSlotsKey, let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<ThreadSlots>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The calling thread's list, made and stored on first use.
    static func currentOrNew() throws -> ThreadSlots {
        if let slots = current() { return slots }
        guard let key = threadSlotsKey else { throw BenchError("pthread_key_create failed") }
        let slots = ThreadSlots()
        let raw = Unmanaged.passRetained(slots).toOpaque()
        let rc = pthread_setspecific(key, raw)
        guard rc == 0 else {
            Unmanaged<ThreadSlots>.fromOpaque(raw).release()
            throw BenchError("pthread_setspecific failed: error \(rc)")
        }
        return slots
    }
}

/// pthread key destructor: runs on a thread that exits with a `ThreadSlots` stored, frees its
/// live contexts and takes back the retain `currentOrNew` stored.
private func threadSlotsDestructor(_ raw: UnsafeMutableRawPointer?) {
    guard let raw else { return }
    let slots = Unmanaged<ThreadSlots>.fromOpaque(raw).takeRetainedValue()
    for slot in slots.entries { slot.threadExited() }
    slots.entries.removeAll()
}

/// The live contexts of one `PerThread`, shared with the slots so a thread exiting after the
/// engine is gone still finds a valid lock.
final class PerThreadRegistry: Sendable {
    private struct State {
        var closed = false
        var live: [ObjectIdentifier: any ThreadConfined] = [:]
    }

    private let state = Mutex(State())
    private let closed = Atomic<Bool>(false)

    /// True once `closeAll` has run (every context is freed).
    var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Adds a context; false (and nothing added) once `closeAll` has run.
    func register(_ context: any ThreadConfined) -> Bool {
        state.withLock { state in
            if state.closed { return false }
            state.live[ObjectIdentifier(context)] = context
            return true
        }
    }

    /// Releases `context` unless `closeAll` already did.
    func unregister(_ context: any ThreadConfined) {
        state.withLock { state in
            if state.live.removeValue(forKey: ObjectIdentifier(context)) != nil {
                context.release()
            }
        }
    }

    /// Releases every live context and refuses new ones; true on the first call only.
    func closeAll() -> Bool {
        state.withLock { state in
            if state.closed { return false }
            state.closed = true
            closed.store(true, ordering: .releasing)
            for context in state.live.values { context.release() }
            state.live.removeAll()
            return true
        }
    }
}

/// An entry of a thread's `ThreadSlots`. Non-generic so the C key destructor, which cannot be
/// generic, can free any context.
class PerThreadSlotBase {
    /// The `PerThread` that made the slot.
    let ownerID: UInt64
    let registry: PerThreadRegistry

    init(ownerID: UInt64, registry: PerThreadRegistry) {
        self.ownerID = ownerID
        self.registry = registry
    }

    /// Called on the owning thread when it exits.
    func threadExited() {}
}

/// The slot of one thread's context.
final class PerThreadSlot<Context: ThreadConfined>: PerThreadSlotBase {
    let context: Context

    init(ownerID: UInt64, context: Context, registry: PerThreadRegistry) {
        self.context = context
        super.init(ownerID: ownerID, registry: registry)
    }

    override func threadExited() { registry.unregister(context) }
}


/// Creates `path` and its parents if missing (SQLite and LMDB create no directory, RocksDB
/// and LevelDB only the last component).
func makeDirectory(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw BenchError("cannot create \(path): \(error)")
    }
}

/// `bytes` as a C `const char *` (nil for an empty buffer without storage).
@inline(__always)
func cChars(_ bytes: UnsafeRawBufferPointer) -> UnsafePointer<CChar>? {
    bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
}

/// A byte count for settings lines: "64 MiB", "4096 B".
func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
    if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
    return "\(bytes) B"
}
