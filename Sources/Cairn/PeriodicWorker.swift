import Foundation
import CairnLSM
import Synchronization

/// A background thread that runs one pass of work every `interval` seconds, or sooner when
/// woken: the Time to Live sweeper (`ItemDatabase.sweepExpiredItems()` and stream
/// maintenance) and the index updater (`ItemDatabase.runIndexUpkeep()`). Its work holds the
/// database weakly; `ItemDatabase.close()` stops it.
final class PeriodicWorker: Sendable {
    private struct State {
        var stopped = false
        var woken = false
    }

    /// What the thread and the owner share.
    private final class Shared: Sendable {
        let state = CairnMutex(State())
        let signal = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
    }

    private let shared = Shared()
    /// Seconds between passes.
    let interval: Double

    /// Starts thread `name`; `work` runs one pass (and returns false once the database is
    /// gone). A pass that a `wake()` started waits `coalesce` seconds first, so the wakes of
    /// that moment (every commit wakes the index updater) make one pass over all their work
    /// instead of one pass each.
    init(name: String, interval: Double, coalesce: Double = 0, work: @escaping @Sendable () -> Bool) {
        self.interval = interval
        let shared = shared
        let thread = Thread {
            while true {
                if shared.signal.wait(timeout: .now() + interval) == .success, coalesce > 0 {
                    Thread.sleep(forTimeInterval: coalesce)
                }
                let stop = shared.state.withLock { s -> Bool in
                    s.woken = false
                    return s.stopped
                }
                if stop || !work() { break }
            }
            shared.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Runs a pass soon.
    func wake() {
        let first = shared.state.withLock { s -> Bool in
            defer { s.woken = true }
            return !s.woken
        }
        if first { shared.signal.signal() }
    }

    /// Stops the thread and waits for its current pass to end. Idempotent.
    func stop() {
        let wasRunning = shared.state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        guard wasRunning else { return }
        shared.signal.signal()
        shared.finished.wait()
    }
}
