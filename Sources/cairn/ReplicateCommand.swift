import ArgumentParser
import Cairn
import CairnExport
import CairnLSM
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT and SIGTERM: `cairn replicate` finishes the step it is in and exits.
private let stopRequested = Atomic<Bool>(false)

/// `cairn replicate`: continuous change capture of a table into a Delta Lake table
/// (CairnExport's `TableReplicator`), until stopped.
struct ReplicateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicate",
        abstract: "Keep a Delta Lake table at the latest state of a table, from its change stream, until stopped.",
        discussion: """
            The first run loads the whole table at one snapshot (Delta version 0); then, every --interval \
            seconds, the changes committed since are upserted as one Delta version whose txn action holds the \
            consumer's name and the last sequence number applied, the bookmark a restart resumes from (each \
            change is applied exactly once, whatever the moment the process stops). The table needs an enabled \
            stream. The database is opened read-only at each step, so other cairn processes keep writing it. \
            --change-table DIR also appends every change record to a second Delta table (_op, _seq, \
            _commit_ts, the item's columns, _item, _old_item). Prints one JSON line per commit. \
            Docs/delta_replication.md has the layout.
            """)

    @Option(name: .long, help: "Database directory.") var db: String = ItemDatabase.defaultPath
    @Option(name: .long, help: "The table to replicate.") var tableName: String
    @Option(name: .customLong("to"), help: "The Delta table's directory (created on the first run).") var directory: String
    @Option(name: .long, help: "Also append every change to a Delta change table in this directory.") var changeTable: String?
    @Option(name: .long, help: "Seconds between commits.") var interval: Double = 1
    @Option(name: .long, help: "The stream consumer's name: the Delta txn appId and the bookmark's owner.") var consumerName: String = "cairn-replicate"
    @Option(name: .long, help: "Page compression: zstd, lz4_raw or none.") var compression: String = "zstd"
    @Flag(name: .long, help: "Apply what the stream holds now, then exit (instead of running until stopped).") var once = false

    func run() throws {
        guard interval > 0, interval <= 86_400 else { throw ValidationError("--interval must be between 0 and 86400 seconds") }
        guard let codec = ParquetCompression(rawValue: compression) else {
            throw ValidationError("--compression must be one of: \(ParquetCompression.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options = TableReplicator.Options()
        options.consumerName = consumerName
        options.changeTableDirectory = changeTable
        options.parquet.compression = codec
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        let replicator: TableReplicator
        do {
            replicator = try TableReplicator(table: tableName, directory: directory, options: options)
        } catch {
            throw reportAndExit(error)
        }
        defer { replicator.close() }
        var failures = 0
        while !stopRequested.load(ordering: .relaxed) {
            var caughtUp = true
            let started = Date().timeIntervalSince1970
            do {
                var storeOptions = ItemDatabase.Options()
                storeOptions.readOnly = true
                storeOptions.storage.createIfMissing = false
                let items = try ItemDatabase.open(db, options: storeOptions)
                defer { try? items.close() }
                if let commit = try replicator.step(items) {
                    // One unbuffered write per line, so a pipe sees each commit as it happens.
                    let line = Self.line(commit) + "\n"
                    _ = line.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
                    caughtUp = false
                }
                failures = 0
            } catch let error as DynamoDBError {
                throw reportAndExit(CLIError("\(error.name): \(error.message)"))
            } catch let error as CairnError where error.isCorruption || Self.isPermanent(error) {
                throw reportAndExit(error)
            } catch {
                // Another process may be mid-compaction or mid-open; try again, and give up only
                // if it keeps failing.
                failures += 1
                if once || failures >= 50 { throw reportAndExit(error) }
            }
            if once {
                if caughtUp { return }
                continue
            }
            // The next step starts one interval after this one started.
            var remaining = interval - (Date().timeIntervalSince1970 - started)
            while remaining > 0 && !stopRequested.load(ordering: .relaxed) {
                let slice = min(remaining, 0.1)
                usleep(UInt32(slice * 1_000_000))
                remaining -= slice
            }
        }
    }

    private static func isPermanent(_ error: CairnError) -> Bool {
        switch error {
        case .invalidArgument, .notFound, .alreadyExists, .notSupported: return true
        default: return false
        }
    }

    /// One commit as a JSON line.
    static func line(_ commit: TableReplicator.Commit) -> String {
        let now = Date().timeIntervalSince1970
        var fields: [(String, String)] = [
            ("Version", "\(commit.version)"), ("Sequence", jsonString(String(commit.sequence))),
            ("Operation", jsonString(commit.isFullLoad ? "FULL_LOAD" : "CHANGES")), ("Changes", "\(commit.changes)"),
            ("RowsWritten", "\(commit.rowsWritten)"), ("FilesAdded", "\(commit.filesAdded)"),
            ("FilesRemoved", "\(commit.filesRemoved)"), ("FilesMerged", "\(commit.filesMerged)"),
            ("Checkpoint", commit.checkpointed ? "true" : "false"),
        ]
        if let oldest = commit.changeTimes.min() {
            fields.append(("MaxLagMillis", "\(Int(((now - oldest) * 1000).rounded()))"))
        }
        if let version = commit.changeTableVersion { fields.append(("ChangeTableVersion", "\(version)")) }
        return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
