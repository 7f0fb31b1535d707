import Cairn
import CairnLSM

/// The database the verbs run against: opened on first use and shared by every verb the shell
/// runs; the one-shot CLI opens it for a single verb and closes it afterwards.
///
/// Item verbs open the directory as an `ItemDatabase`; the `kv` verbs then work on the same
/// open engine underneath (`ItemDatabase.storage`), so the shell holds one handle. A `kv`
/// verb run first opens the plain engine; an item verb after it closes that and reopens the
/// directory as an item database (which fails, clearly, if the directory holds plain keys).
final class Session {
    /// The database directory.
    let path: String
    /// Open the database read-only (`--read-only`): logs are replayed into memory and nothing
    /// is written, so a full disk or a read-only mount still serves reads.
    let readOnly: Bool
    private var database: Database?
    private var itemDatabase: ItemDatabase?

    init(path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    /// Runs one command-line verb on a session of its own and closes it; a failure is
    /// reported as the one-line error and exit status of `reportAndExit`.
    static func runClosing(path: String, readOnly: Bool = false, _ body: (Session) throws -> Void) throws {
        let session = Session(path: path, readOnly: readOnly)
        do {
            try body(session)
            try session.close()
        } catch {
            try? session.close()
            throw reportAndExit(error)
        }
    }

    /// The byte-level engine, opening it on first use; a verb that writes creates the
    /// database (and its directory) if there is none.
    func db() throws -> Database { try db(create: true) }

    /// The byte-level engine for a verb that only reads: a path with no database is an error
    /// ("no database at ..."), and nothing is created.
    func dbForReading() throws -> Database { try db(create: false) }

    private func db(create: Bool) throws -> Database {
        if let items = itemDatabase { return items.storage }
        if let d = database { return d }
        var options = Options()
        options.createIfMissing = create
        let d = readOnly ? try Database.openReadOnly(path, options: options) : try Database.open(path, options: options)
        Session.warn(d)
        database = d
        return d
    }

    /// The item database, opening it on first use; a verb that writes creates it if missing.
    ///
    /// - Throws: `ItemDatabaseOpenError` if the directory cannot be opened as one.
    func items() throws -> ItemDatabase { try items(create: true) }

    /// The item database for a verb that only reads: nothing is created.
    func itemsForReading() throws -> ItemDatabase { try items(create: false) }

    private func items(create: Bool) throws -> ItemDatabase {
        if let items = itemDatabase { return items }
        if let d = database {
            database = nil
            try d.close()
        }
        do {
            var options = ItemDatabase.Options()
            options.storage.createIfMissing = create
            options.readOnly = readOnly
            let items = try ItemDatabase.open(path, options: options)
            Session.warn(items.storage)
            itemDatabase = items
            return items
        } catch let error as CairnError {
            throw ItemDatabaseOpenError(path: path, underlying: error)
        }
    }

    /// Prints what the open's recovery dropped, one warning per line on stderr.
    private static func warn(_ db: Database) {
        for line in db.recoveryReport.warnings { printError("warning: \(line)") }
    }

    /// Closes whatever is open.
    func close() throws {
        let d = database, items = itemDatabase
        database = nil
        itemDatabase = nil
        try d?.close()
        try items?.close()
    }
}
