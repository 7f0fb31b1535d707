import ArgumentParser
import CairnLSM
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cairn-stress crash`: db_crashtest.py's kill -9 loop. Each cycle starts `cairn-stress run`
/// on the database as a child process, kills it with SIGKILL at a random moment, and checks
/// every key against the expected state: nothing acknowledged lost, nothing deleted come back,
/// no value torn or of another key. Writes in flight at the kill may have happened or not.
struct CrashStress: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash", abstract: "Run, kill -9, verify; N times.")

    @OptionGroup var target: StressTarget

    @Option(help: "Kill-and-verify cycles.")
    var cycles = 20

    @OptionGroup var shape: StressShape

    @Option(help: "The earliest kill, in seconds after the child starts its operations.")
    var minSeconds = 0.3

    @Option(help: "The latest kill, in seconds after the child starts its operations.")
    var maxSeconds = 2.0

    func validate() throws {
        guard cycles >= 1 else { throw ValidationError("--cycles must be at least 1") }
        guard minSeconds > 0, maxSeconds >= minSeconds else { throw ValidationError("need 0 < --min-seconds <= --max-seconds") }
    }

    func run() throws {
        let runSeed: UInt64
        do {
            // Create the database and the expected state (or check the seed) before the first child.
            let session = try StressSession.open(target, seed: shape.seed, keys: shape.keys, layer: shape.layer)
            runSeed = session.state.seed
            try session.workload.close()
            printLine("cairn-stress crash: seed \(runSeed) (reproduce: --seed \(runSeed)); layer \(session.layerName); \(cycles) cycles; \(session.state.keyCount) keys; \(shape.threads) threads; options drawn anew each cycle, the first: \(session.configuration)")
        } catch let error as CairnError {
            printLine("cairn-stress: \(error)")
            throw ExitCode(2)
        }
        var random = SplitMix64(seed: runSeed ^ 0x6B69_6C6C)
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let logPath = target.expectedPath + ".child.log"
        var totals = (operations: UInt64(0), keys: 0, applied: 0, lost: 0, expired: 0, idle: 0, failures: 0)
        let started = Date()
        var operationsBefore: UInt64 = 0
        for cycle in 1...cycles {
            let child = Process()
            child.executableURL = executable
            child.arguments = [
                "run", "--db", target.db, "--expected", target.expectedPath, "--seed", String(runSeed),
                "--cycle", String(cycle), "--threads", String(shape.threads), "--ops", String(Int.max / 16), "--duration", "3600",
            ]
            guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
                throw CairnError.io(errno: errno, path: logPath, operation: "create")
            }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            child.standardOutput = log
            child.standardError = log
            child.standardInput = FileHandle.nullDevice
            try child.run()
            // The kill comes a random time after the child has opened and verified the
            // database and started its operations (its "start:" line), so that a slow start on
            // a loaded machine does not leave cycles without operations.
            let startDeadline = Date().addingTimeInterval(120)
            while child.isRunning, Date() < startDeadline, !Self.hasStarted(logPath) { Thread.sleep(forTimeInterval: 0.01) }
            let delay = minSeconds + (maxSeconds - minSeconds) * Double(random.next() % 1_000_001) / 1_000_000
            let deadline = Date().addingTimeInterval(delay)
            while child.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            let exitedEarly = !child.isRunning
            if !exitedEarly { kill(child.processIdentifier, SIGKILL) }
            child.waitUntilExit()
            try? log.close()
            if exitedEarly {
                let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                printLine("cycle \(cycle): the child exited by itself with status \(child.terminationStatus) before the kill:\n\(output)")
                totals.failures += 1
                break
            }
            do {
                let session = try StressSession.open(target, seed: runSeed, keys: shape.keys)
                let result = try session.workload.verifyAll(settle: true)
                try session.workload.close()
                let operations = session.state.totalOperations
                totals.operations = operations
                totals.keys += result.keys
                totals.applied += result.pendingApplied
                totals.lost += result.pendingLost
                totals.expired += result.expired
                if operations == operationsBefore { totals.idle += 1 }
                totals.failures += result.failures.count
                printLine(String(format: "cycle %d: killed after %.2f s, %llu operations; ", cycle, delay, operations - operationsBefore) + describe(result))
                operationsBefore = operations
                for failure in result.failures.prefix(20) { printLine("  FAIL \(failure)") }
                if !result.failures.isEmpty { break }
            } catch {
                printLine("cycle \(cycle): reopening or verifying after the kill failed: \(error)")
                totals.failures += 1
                break
            }
        }
        printLine(String(format: "cairn-stress crash: seed %llu; %d cycle(s) in %.0f s (%d without an acknowledged operation); %llu operations acknowledged; %d keys verified; writes in flight at a kill: %d applied, %d not; %d expired items found swept; %d failure(s)",
                         runSeed, cycles, Date().timeIntervalSince(started), totals.idle, totals.operations, totals.keys, totals.applied, totals.lost, totals.expired, totals.failures))
        if totals.failures > 0 {
            printLine("the database and its expected state are kept for inspection: \(target.db), \(target.expectedPath); the last child's output: \(logPath)")
            throw ExitCode(1)
        }
    }

    /// Whether the child's output has its "start:" line (it verified and began operating).
    static func hasStarted(_ logPath: String) -> Bool {
        guard let output = try? String(contentsOfFile: logPath, encoding: .utf8) else { return false }
        return output.contains("\nstart: ")
    }
}
