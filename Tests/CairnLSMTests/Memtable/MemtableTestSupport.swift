@testable import CairnLSM

/// The memtable tests' PRNG is the suite-wide SplitMix64 (Engine/TestSupport.swift).
typealias MemtableTestRandom = SeededRandom

/// Internal-key order over arrays (the model's comparator).
func memtableTestCompare(_ a: [UInt8], _ b: [UInt8]) -> Int {
    compareInternal(a, b)
}

extension InternalIterator {
    /// Copies of the current key and value.
    var memtableTestEntry: (key: [UInt8], value: [UInt8]) { (Array(key), Array(value)) }

    /// `seekForPrev` with an array target.
    func memtableTestSeekForPrev(_ target: [UInt8]) throws {
        try target.withUnsafeBytes { try seekForPrev($0) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs each body on its own OS thread and waits for all of them. (Dispatch's global pool is
/// sized to the core count, so spinning readers there could starve the writer on 2 cores.)
func memtableTestRunThreads(_ bodies: [@Sendable () -> Void]) {
    final class Box: @unchecked Sendable {
        // @unchecked Sendable: immutable after init; handed to exactly one thread.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var threads: [pthread_t] = []
    for body in bodies {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if rc == 0 {
            threads.append(thread)
        } else {
            // Could not start a thread: run inline so the test still completes.
            Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
        }
    }
    for thread in threads { pthread_join(thread, nil) }
}
