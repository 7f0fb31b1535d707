import Dispatch
import Synchronization

/// The "every bit" harness (Docs/reliability.md): each planned bit flip is made on its own
/// process-crash copy of a base `MemoryFileSystem` and judged by the caller's check, on two
/// threads; the outcomes are counted per file type. The engine's, the item layer's and the
/// replicator's bit-flip tests share it, each with its own files and check.
public struct BitFlipSweep: Sendable {
    /// What one flip did.
    public enum Outcome: Sendable, Equatable {
        /// A `CairnError.corruption` naming the flipped file.
        case detected
        /// Every result equal to the undamaged one's.
        case harmless
        /// Anything else, and why: a different result with no error, another error.
        case failure(String)
    }

    /// One planned flip: bit `bit % 8` of byte `bit / 8` of `path`, counted under `type`.
    public struct Flip: Sendable {
        public var path: String
        public var bit: Int
        public var type: String
    }

    /// The counts of one file type.
    public struct Counts: Sendable, Equatable {
        public var flips = 0, detected = 0, harmless = 0, failures = 0
    }

    /// The flips planned so far, in order.
    public private(set) var flips: [Flip] = []
    /// Every bit of small files (see `MemoryFileSystem.bitFlipSample`).
    public let everyBit: Bool

    public init(everyBit: Bool) {
        self.everyBit = everyBit
    }

    /// Plans the sampled bits of the `size`-byte file at `path`; `type` names the file type of
    /// each byte offset (a table's blocks, a log's header).
    public mutating func add(path: String, size: Int, type: (Int) -> String) {
        for bit in MemoryFileSystem.bitFlipSample(size: size, everyBit: everyBit) {
            flips.append(Flip(path: path, bit: bit, type: type(bit / 8)))
        }
    }

    /// Runs `check` on a copy of `base` with each planned bit flipped (`check` gets the copy
    /// and the flipped file's path); returns the outcomes in plan order. An error `check`
    /// throws is the outcome too: `.detected` for a `CairnError.corruption` naming the flipped
    /// file, a failure for any other.
    public func run(on base: MemoryFileSystem, check: @escaping @Sendable (MemoryFileSystem, String) throws -> Outcome) -> BitFlipSweepResult {
        let start = ContinuousClock.now
        let results = CairnMutex<[Int: Outcome]>([:])
        let next = Atomic<Int>(0)
        let items = flips
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                guard i < items.count else { return }
                let image = base.processCrashClone()
                let path = items[i].path
                let outcome: Outcome
                do {
                    try image.flipBit(path: path, byteOffset: items[i].bit / 8, bit: items[i].bit % 8)
                    do {
                        outcome = try check(image, path)
                    } catch CairnError.corruption(let file, _, _) where file == path {
                        outcome = .detected
                    } catch {
                        outcome = .failure("\(error)")
                    }
                } catch {
                    outcome = .failure("flipBit: \(error)")
                }
                results.withLock { $0[i] = outcome }
            }
        }
        let outcomes = results.withLock { $0 }
        let elapsed = (ContinuousClock.now - start).components
        return BitFlipSweepResult(
            flips: items, outcomes: items.indices.map { outcomes[$0] ?? .failure("not run") },
            seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, everyBit: everyBit)
    }
}

/// What a `BitFlipSweep` found.
public struct BitFlipSweepResult: Sendable {
    public let flips: [BitFlipSweep.Flip]
    /// One per flip, in the same order.
    public let outcomes: [BitFlipSweep.Outcome]
    public let seconds: Double
    let everyBit: Bool

    /// The counts per file type.
    public var counts: [String: BitFlipSweep.Counts] {
        var counts: [String: BitFlipSweep.Counts] = [:]
        for (flip, outcome) in zip(flips, outcomes) {
            var c = counts[flip.type] ?? BitFlipSweep.Counts()
            c.flips += 1
            switch outcome {
            case .detected: c.detected += 1
            case .harmless: c.harmless += 1
            case .failure: c.failures += 1
            }
            counts[flip.type] = c
        }
        return counts
    }

    /// Each failure as "bit B of byte N of PATH (TYPE): why".
    public var failures: [String] {
        zip(flips, outcomes).compactMap { flip, outcome in
            guard case .failure(let why) = outcome else { return nil }
            return "bit \(flip.bit % 8) of byte \(flip.bit / 8) of \(flip.path) (\(flip.type)): \(why)"
        }
    }

    /// The table the harnesses print: flips, detected, harmless and failures per file type.
    public func report(_ label: String) -> String {
        func row(_ type: String, _ c: BitFlipSweep.Counts) -> String {
            func right(_ n: Int, _ width: Int) -> String { String(repeating: " ", count: max(0, width - String(n).count)) + String(n) }
            return "  " + type + String(repeating: " ", count: max(0, 22 - type.count))
                + right(c.flips, 6) + right(c.detected, 10) + right(c.harmless, 10) + right(c.failures, 10)
        }
        let tenths = Int((seconds * 10).rounded())
        var report = "\(label) bit flips (\(everyBit ? "full" : "fast") mode, \(tenths / 10).\(tenths % 10) s):\n"
        report += "  file type               flips  detected  harmless  failures\n"
        let counts = counts
        for (type, c) in counts.sorted(by: { $0.key < $1.key }) { report += row(type, c) + "\n" }
        let total = counts.values.reduce(into: BitFlipSweep.Counts()) {
            $0.flips += $1.flips; $0.detected += $1.detected; $0.harmless += $1.harmless; $0.failures += $1.failures
        }
        return report + row("total", total)
    }
}
