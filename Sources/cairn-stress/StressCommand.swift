import ArgumentParser
import CairnLSM
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cairn-stress`: random operations against an expected state, and kill -9 cycles of them
/// (RocksDB's db_stress and db_crashtest.py, for Cairn). Docs/reliability.md has the commands
/// and the figures of the last long run.
@main
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn-stress",
        abstract: "Stress Cairn with random operations and check every key against an expected state.",
        discussion: """
            Every run prints its seed; the same seed gives the same options and the same operations.
            The expected state lives in DB.expected beside the database (Docs/expected_state_format.md).
            Exit status: 0 when every check passed, 1 when one failed, 2 on a usage or setup error.
            """,
        subcommands: [RunStress.self, VerifyStress.self, CrashStress.self],
        defaultSubcommand: RunStress.self
    )
}

/// Options every subcommand shares.
struct StressTarget: ParsableArguments {
    @Option(name: .long, help: "The database directory (created on the first run).")
    var db: String

    @Option(name: .long, help: "The expected-state file (default: DB.expected).")
    var expected: String?

    var expectedPath: String { expected ?? sibling("expected") }

    /// DB.`suffix`, beside the database directory.
    func sibling(_ suffix: String) -> String { (db.hasSuffix("/") ? String(db.dropLast()) : db) + "." + suffix }
}

/// What a run stresses and how: `run` and `crash` share these.
struct StressShape: ParsableArguments {
    @Option(help: "The seed of the options and operations (default: random; printed; a later run of the same database takes the first run's).")
    var seed: UInt64?

    @Option(help: "Keys in the key space (first run only).")
    var keys = 10_000

    @Option(help: "What to stress, kv (the engine's keys and values) or items (a table with indexes and a stream) (first run only).")
    var layer: StressLayer = .kv

    @Option(help: "Threads of operations (1 to 8).")
    var threads = 2

    func validate() throws {
        guard (1...ExpectedState.counterSlots).contains(threads) else { throw ValidationError("--threads must be 1 to \(ExpectedState.counterSlots)") }
    }
}

/// The layers `cairn-stress` can stress.
enum StressLayer: String, ExpressibleByArgument, CaseIterable {
    /// CairnLSM's keys and values.
    case kv
    /// A Cairn table's items, with its indexes and stream.
    case items

    var code: UInt8 { self == .kv ? 0 : 1 }
}

/// The first run of a database creates it with the seed's options and the expected state;
/// later runs take both (and the layer) from the expected state, so a database keeps them.
struct StressSession {
    let state: ExpectedState
    let configuration: StressConfiguration
    let workload: any StressWorkload

    static func open(_ target: StressTarget, seed: UInt64?, keys: Int, layer: StressLayer = .kv, cycle: UInt64 = 0) throws -> StressSession {
        let fs = PosixFileSystem()
        let state: ExpectedState
        if fs.fileExists(target.expectedPath) {
            state = try ExpectedState.openExisting(path: target.expectedPath)
            if let seed, seed != state.seed {
                throw CairnError.invalidArgument("\(target.expectedPath) belongs to a run with seed \(state.seed), not \(seed)")
            }
        } else {
            if fs.fileExists(target.db), !(try fs.listDirectory(target.db)).isEmpty {
                throw CairnError.invalidArgument("\(target.db) holds a database but \(target.expectedPath) is missing: its expected state is unknown")
            }
            state = try ExpectedState.create(path: target.expectedPath, keyCount: keys, seed: seed ?? UInt64.random(in: 1...UInt64.max))
            state.layer = layer.code
        }
        let configuration = StressConfiguration(seed: state.seed, cycle: cycle)
        let workload: any StressWorkload
        switch state.layer {
        case StressLayer.kv.code:
            workload = KeyValueStress(db: try Database.open(target.db, options: configuration.options()), state: state, configuration: configuration)
        case StressLayer.items.code:
            workload = ItemStress(
                db: try ItemStress.open(target.db, configuration: configuration), state: state, configuration: configuration,
                deltaDirectory: target.sibling("delta"))
        default:
            throw CairnError.corruption(file: target.expectedPath, offset: 20, reason: "unknown layer \(state.layer)")
        }
        return StressSession(state: state, configuration: configuration, workload: workload)
    }

    var layerName: String { state.layer == StressLayer.items.code ? StressLayer.items.rawValue : StressLayer.kv.rawValue }
}

/// One line on standard output, written at once (a killed or crashing process loses nothing
/// it printed).
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func describe(_ v: StressVerification) -> String {
    "verified \(v.keys) keys (\(v.present) present; writes in flight at the crash: \(v.pendingApplied) applied, \(v.pendingLost) not; "
        + (v.expired > 0 ? "\(v.expired) expired items swept; " : "")
        + (v.checked + ["\(v.failures.count) failure(s)"]).joined(separator: "; ") + ")"
}

/// `cairn-stress run`: verifies the database against its expected state (settling the writes
/// a crash left in flight), then runs threads of random operations, then verifies again.
struct RunStress: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Verify, run random operations, verify again.")

    @OptionGroup var target: StressTarget
    @OptionGroup var shape: StressShape

    @Option(help: "Cycle number: varies the operations and options of a run of the same seed (crash cycles pass it).")
    var cycle: UInt64 = 0

    @Option(help: "Operations per thread.")
    var ops = 100_000

    @Option(help: "Stop after this many seconds, whatever the operations done.")
    var duration: Double = 3_600

    func validate() throws {
        guard ops >= 0, duration > 0 else { throw ValidationError("--ops and --duration must be positive") }
    }

    func run() throws {
        do {
            let session = try StressSession.open(target, seed: shape.seed, keys: shape.keys, layer: shape.layer, cycle: cycle)
            let stress = session.workload
            printLine("cairn-stress run: seed \(session.state.seed) cycle \(cycle) (reproduce: --seed \(session.state.seed) --cycle \(cycle)); layer \(session.layerName); \(session.state.keyCount) keys; \(session.configuration)")
            let before = try stress.verifyAll(settle: true)
            printLine("start: " + describe(before))
            for failure in before.failures.prefix(20) { printLine("  FAIL \(failure)") }
            guard before.failures.isEmpty else { throw ExitCode(1) }
            let deadline = Date().addingTimeInterval(duration)
            let opsBefore = session.state.totalOperations
            try stress.run(threads: shape.threads, seed: session.state.seed ^ (cycle &* 0xD1B5_4A32_D192_ED03), operations: ops) { Date() >= deadline }
            let failures = stress.failures.withLock { $0 }
            let after = try stress.verifyAll(settle: true)
            try stress.close()
            printLine("end: \(session.state.totalOperations - opsBefore) operations; \(failures.count) check(s) failed during the run; " + describe(after))
            for failure in (failures + after.failures).prefix(20) { printLine("  FAIL \(failure)") }
            guard failures.isEmpty, after.failures.isEmpty else { throw ExitCode(1) }
        } catch let error as CairnError {
            printLine("cairn-stress: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `cairn-stress verify`: checks every key against the expected state (and settles writes in
/// flight at a crash).
struct VerifyStress: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check every key against the expected state.")

    @OptionGroup var target: StressTarget

    func run() throws {
        do {
            guard PosixFileSystem().fileExists(target.expectedPath) else {
                throw CairnError.invalidArgument("no expected state at \(target.expectedPath)")
            }
            let session = try StressSession.open(target, seed: nil, keys: 1)
            let result = try session.workload.verifyAll(settle: true)
            try session.workload.close()
            printLine(describe(result))
            for failure in result.failures.prefix(20) { printLine("  FAIL \(failure)") }
            guard result.failures.isEmpty else { throw ExitCode(1) }
        } catch let error as CairnError {
            printLine("cairn-stress: \(error)")
            throw ExitCode(2)
        }
    }
}
