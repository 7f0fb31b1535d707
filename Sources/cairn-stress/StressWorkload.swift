import CairnLSM
import Foundation
import Synchronization

/// What a check read of a key: nothing, the value of some base, or bytes (or an item) that
/// are no value of this key.
enum Observed: Equatable {
    case absent
    case value(UInt16)
    case foreign(String)
}

extension ExpectedState.Slot {
    /// Whether a read may see `observed`: the acknowledged state, or with a write in flight,
    /// the state before it or after it; and nothing instead of a state that `vanishing` says
    /// may be gone (an item with an expired Time to Live that a sweep may have deleted).
    func allows(_ observed: Observed, vanishing: (Self) -> Bool) -> Bool {
        let allowed = pending ? [unsent(), settled()] : [self]
        switch observed {
        case .absent: return allowed.contains { !$0.exists || vanishing($0) }
        case .value(let base): return allowed.contains { $0.exists && $0.base == base }
        case .foreign: return false
        }
    }

    /// The state a read saw (after a crash: what the write in flight became).
    func observed(_ observed: Observed) -> ExpectedState.Slot {
        switch observed {
        case .value(let base): return ExpectedState.Slot(base: base, exists: true)
        case .absent, .foreign: return ExpectedState.Slot(base: base, exists: false)
        }
    }
}

/// What a full verification found.
struct StressVerification {
    var keys = 0
    var present = 0
    /// Keys whose write was in flight at the crash, and what became of it.
    var pendingApplied = 0
    var pendingLost = 0
    /// Keys found absent that held an expired item (swept by Time to Live).
    var expired = 0
    var failures: [String] = []
    /// What else was checked (indexes, the stream), for the report.
    var checked: [String] = []
}

/// A layer under stress (the engine's keys and values, or a table's items): random
/// operations kept in step with the expected state, and a full check against it.
protocol StressWorkload: AnyObject, Sendable {
    var state: ExpectedState { get }
    var locks: KeyLocks { get }
    var failures: CairnMutex<[String]> { get }
    /// One random operation (which checks what it reads).
    func step(_ random: inout SplitMix64) throws
    /// What the layer holds for `key` now.
    func observe(_ key: Int) throws -> Observed
    /// Checks beyond the keys one by one (a full scan, indexes, the stream), each problem a
    /// line; `present` is the count of keys the point reads found.
    func verifyWhole(present: Int, into result: inout StressVerification) throws
    /// Whether a key in state `slot` may be found absent without a delete (an expired item
    /// that a Time to Live sweep deletes).
    func mayVanish(_ slot: ExpectedState.Slot) -> Bool
    /// Work beside the operation threads until `stop` returns true (the item layer's
    /// replication to a Delta table); an error is thrown to the caller of `run`.
    func runBackground(until stop: @escaping @Sendable () -> Bool) throws
    func close() throws
}

extension StressWorkload {
    var keyCount: Int { state.keyCount }

    func mayVanish(_ slot: ExpectedState.Slot) -> Bool { false }

    func runBackground(until stop: @escaping @Sendable () -> Bool) throws {}

    func fail(_ message: String) {
        failures.withLock { $0.append(message) }
    }

    func randomKey(_ random: inout SplitMix64) -> Int { Int(random.next() % UInt64(keyCount)) }

    /// Runs `threads` threads of random operations until `shouldStop` (checked between
    /// operations) or each has done `operations` of them, and `runBackground` beside them
    /// until they end. Thread `t` draws from a generator seeded with (`seed`, `t`). An error
    /// from the layer is thrown to the caller.
    func run(threads: Int, seed: UInt64, operations: Int, shouldStop: @escaping @Sendable () -> Bool) throws {
        let errors = CairnMutex<[any Error]>([])
        let running = CairnMutex(threads)
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread { [self] in
            defer { group.leave() }
            do {
                try runBackground { shouldStop() || running.withLock { $0 == 0 } }
            } catch {
                errors.withLock { $0.append(error) }
            }
        }
        for thread in 0..<threads {
            group.enter()
            Thread.detachNewThread { [self] in
                defer {
                    running.withLock { $0 -= 1 }
                    group.leave()
                }
                var random = SplitMix64(seed: seed &+ UInt64(thread) &* 0x9E37_79B9)
                var done = state.operations(ofThread: thread)
                do {
                    for _ in 0..<operations {
                        if shouldStop() { break }
                        try step(&random)
                        done &+= 1
                        state.setOperations(done, ofThread: thread)
                    }
                } catch {
                    errors.withLock { $0.append(error) }
                }
            }
        }
        group.wait()
        if let first = errors.withLock({ $0.first }) { throw first }
    }

    /// A write of `puts` and `deletes` (disjoint): under their locks, marks each pending, runs
    /// `send` with the base each put writes, and settles each once it returns (a write that
    /// throws stays pending: it may or may not have happened).
    func write(_ puts: [Int], deleting deletes: [Int], _ send: ([Int: UInt16]) throws -> Void) throws {
        try locks.withLocks(puts + deletes) {
            var bases: [Int: UInt16] = [:]
            for key in puts {
                let slot = state[key]
                bases[key] = slot.nextBase
                state[key] = slot.markingPending(delete: false)
            }
            for key in deletes { state[key] = state[key].markingPending(delete: true) }
            try send(bases)
            for key in puts + deletes { state[key] = state[key].settled() }
        }
    }

    /// Under the key's lock, reads it and records a failure unless the expected state allows
    /// what was read.
    func checkKey(_ key: Int, _ label: String) throws {
        try locks.withLocks([key]) {
            let observed = try observe(key)
            let slot = state[key]
            if !slot.allows(observed, vanishing: mayVanish) { fail("\(label): " + Self.problem(key: key, observed: observed, slot: slot)) }
        }
    }

    static func problem(key: Int, observed: Observed, slot: ExpectedState.Slot) -> String {
        switch observed {
        case .absent: return "key \(key) is absent, expected \(slot)"
        case .value(let base): return "key \(key) holds value \(base), expected \(slot)"
        case .foreign(let what): return "key \(key) holds \(what), which is no value of this key (expected \(slot))"
        }
    }

    /// Checks every key against the expected state, then the layer as a whole; with
    /// `settle`, records what each write in flight at a crash became, so the next run starts
    /// exact.
    func verifyAll(settle: Bool) throws -> StressVerification {
        var result = StressVerification()
        for key in 0..<keyCount {
            let observed = try observe(key)
            let slot = state[key]
            result.keys += 1
            if case .absent = observed {} else { result.present += 1 }
            guard slot.allows(observed, vanishing: mayVanish) else {
                result.failures.append(Self.problem(key: key, observed: observed, slot: slot))
                continue
            }
            guard settle else { continue }
            guard slot.pending else {
                if observed == .absent, slot.exists {  // allowed: a sweep deleted the expired item
                    result.expired += 1
                    state[key] = slot.observed(observed)
                }
                continue
            }
            let now = slot.observed(observed)
            if now == slot.settled() { result.pendingApplied += 1 } else { result.pendingLost += 1 }
            state[key] = now
        }
        try verifyWhole(present: result.present, into: &result)
        if settle { state.sync() }
        return result
    }
}
