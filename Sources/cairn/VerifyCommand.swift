import ArgumentParser
import Cairn
import CairnLSM

/// `cairn verify`: the whole database checked, storage then items. First every live file's
/// checksums (what `cairn kv verify` does), then every secondary index of every table
/// recomputed from the table's items and compared with its stored entries
/// (`ItemDatabase.verifyIndexes()`), one line per index. Exits non-zero with a one-line error
/// on stderr when storage is damaged or any index differs from its table.
///
/// Before comparing, the pending work of eventually consistent indexes is applied
/// (`ItemDatabase.catchUpIndexes()`: the index logs, and the backfill of an index UpdateTable
/// is still creating), so the database is opened for writing; like the read verbs, it never
/// creates a database where there is none. Runs inside the shell too (`verify`).
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every file's checksums, then every secondary index against its table.",
        discussion: """
            Prints the storage check (as `cairn kv verify`), then one line per secondary index: its table, \
            its name, the entries the table's items call for and the entries stored, and how many are \
            missing, extra or have a wrong projection. Pending work of eventually consistent indexes \
            (index-log records, the backfill of an index being created) is applied first, so the database \
            is opened for writing. Exits 1 with a one-line error when a file is damaged or an index differs.
            """)

    @Option(name: .long, help: "Database directory.")
    var db: String = ItemDatabase.defaultPath

    func run() throws {
        try Session.runClosing(path: db) { try execute($0, Output()) }
    }

    /// Runs the checks on `session`'s database (the CLI's, or the shell's open one).
    ///
    /// - Throws: `CLIError` when an index differs from its table or the session is read-only;
    ///   `CairnError` for damaged storage; `ItemDatabaseOpenError` when there is no item
    ///   database at the path.
    func execute(_ session: Session, _ out: Output) throws {
        if session.readOnly {
            throw CLIError("verify applies pending index work and needs the database open for writing; run it without --read-only (`cairn kv verify --read-only` checks the files alone)")
        }
        let items = try session.itemsForReading()
        let storage = try items.storage.verify()
        out.line("storage OK: \(storage)")
        try items.catchUpIndexes()
        let report = try items.verifyIndexes()
        if report.indexes.isEmpty { out.line("no secondary indexes") }
        for index in report.indexes { out.line(Self.describe(index)) }
        let differing = report.indexes.filter { !$0.isConsistent }
        guard differing.isEmpty else {
            let names = differing.map { "\($0.tableName)/\($0.indexName)" }.joined(separator: ", ")
            throw CLIError("\(differing.count) of \(report.indexes.count) secondary indexes differ from their tables: \(names)")
        }
    }

    /// One index's line: `table Music, index ByYear: OK, 3 entries expected, 3 stored, 0
    /// missing, 0 extra, 0 wrong`.
    static func describe(_ index: IndexVerifyReport.IndexResult) -> String {
        let head = "table \(index.tableName), index \(index.indexName): "
        if index.backfilling { return head + "backfilling, not checked" }
        return head + (index.isConsistent ? "OK" : "INCONSISTENT")
            + ", \(index.expectedEntries) entries expected, \(index.storedEntries) stored, \(index.missing) missing, "
            + "\(index.extra) extra, \(index.wrongValue) wrong"
    }
}
