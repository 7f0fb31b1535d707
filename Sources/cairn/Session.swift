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
    private var database: Database?
    private var itemDatabase: ItemDatabase?

    init(path: String) { self.path = path }

    /// The byte-level engine, opening it (and creating the directory if missing) on first use.
    func db() throws -> Database {
        if let items = itemDatabase { return items.storage }
        if let d = database { return d }
        let d = try Database.open(path)
        database = d
        return d
    }

    /// The item database, opening it (creating it if missing) on first use.
    ///
    /// - Throws: `ItemDatabaseOpenError` if the directory cannot be opened as one.
    func items() throws -> ItemDatabase {
        if let items = itemDatabase { return items }
        if let d = database {
            database = nil
            try d.close()
        }
        do {
            let items = try ItemDatabase.open(path)
            itemDatabase = items
            return items
        } catch let error as CairnError {
            throw ItemDatabaseOpenError(path: path, underlying: error)
        }
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
