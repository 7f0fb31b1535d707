import ArgumentParser
import CairnLSM

/// A verb of `cairn kv` that also runs inside the shell.
protocol KVVerb: ParsableCommand {
    var global: GlobalOptions { get }
    func execute(_ session: Session, _ out: Output) throws
}

extension KVVerb {
    var format: ByteFormat { ByteFormat(hex: global.hex) }

    func run() throws {
        try Session.runClosing(path: global.db, readOnly: global.readOnly) { try execute($0, Output()) }
    }
}

/// `cairn kv`: admin verbs over the byte layer, like RocksDB's `ldb`.
struct KVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Read and write raw keys and values (like RocksDB's ldb).",
        subcommands: [
            Put.self, Get.self, Delete.self, DeleteRange.self, Scan.self, Load.self, Flush.self,
            Compact.self, Verify.self, Stats.self, Repair.self, DumpSST.self, DumpWAL.self,
        ]
    )

    static var verbs: [any KVVerb.Type] {
        configuration.subcommands.compactMap { $0 as? any KVVerb.Type }
    }
}

struct Put: KVVerb {
    static let configuration = CommandConfiguration(abstract: "Set KEY to VALUE.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Return only when the write is durable (fdatasync).") var sync = false
    @Argument(help: "The key.") var key: String
    @Argument(help: "The value.") var value: String

    func execute(_ session: Session, _ out: Output) throws {
        let seq = try session.db().put(try format.parse(key), try format.parse(value), sync: sync)
        out.line("OK (sequence \(seq))")
    }
}

struct Get: KVVerb {
    static let configuration = CommandConfiguration(abstract: "Print the value of KEY.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The key.") var key: String

    func execute(_ session: Session, _ out: Output) throws {
        guard let value = try session.dbForReading().get(try format.parse(key)) else {
            throw CLIError("key not found: \(key)")
        }
        out.line(format.render(value))
    }
}

struct Delete: KVVerb {
    static let configuration = CommandConfiguration(abstract: "Delete KEY.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Return only when the write is durable.") var sync = false
    @Argument(help: "The key.") var key: String

    func execute(_ session: Session, _ out: Output) throws {
        let seq = try session.db().delete(try format.parse(key), sync: sync)
        out.line("OK (sequence \(seq))")
    }
}

struct DeleteRange: KVVerb {
    static let configuration = CommandConfiguration(
        commandName: "delete-range", abstract: "Delete every key in [FROM, TO).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Return only when the write is durable.") var sync = false
    @Argument(help: "First key deleted.") var from: String
    @Argument(help: "First key kept.") var to: String

    func execute(_ session: Session, _ out: Output) throws {
        let seq = try session.db().deleteRange(try format.parse(from), try format.parse(to), sync: sync)
        out.line("OK (sequence \(seq))")
    }
}

struct Scan: KVVerb {
    static let configuration = CommandConfiguration(
        abstract: "Print key<TAB>value lines in key order (the format `load` reads).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "First key (inclusive).") var from: String?
    @Option(help: "Stop before this key (exclusive).") var to: String?
    @Option(help: "Print at most N entries.") var limit: Int?
    @Flag(help: "Scan from the end backwards.") var reverse = false

    func execute(_ session: Session, _ out: Output) throws {
        if let limit, limit < 0 { throw CLIError("--limit must be >= 0") }
        let options = ReadOptions(
            lowerBound: try from.map { try format.parse($0) }, upperBound: try to.map { try format.parse($0) })
        let it = try session.dbForReading().makeIterator(options)
        if reverse { try it.seekToLast() } else { try it.seekToFirst() }
        var n = 0
        while it.isValid && n < (limit ?? Int.max) {
            out.line(format.render(it.key) + "\t" + format.render(it.value))
            n += 1
            if reverse { try it.prev() } else { try it.next() }
        }
    }
}

struct Load: KVVerb {
    static let configuration = CommandConfiguration(
        abstract: "Read key<TAB>value lines from standard input and write them in batches.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Updates per write batch.") var batchSize: Int = 1000
    @Flag(help: "Sync each batch.") var sync = false

    func execute(_ session: Session, _ out: Output) throws {
        guard batchSize > 0 else { throw CLIError("--batch-size must be > 0") }
        let db = try session.db()
        var batch = WriteBatch()
        var loaded = 0
        var lineNumber = 0
        /// Entries in batches the database acknowledged, and the input line of the batch's first.
        var written = 0
        var batchFirstLine = 1
        func write() throws {
            do {
                try db.write(batch, sync: sync)
            } catch {
                // One line that also says how much got in: every entry before is kept.
                throw CLIError("\(error) (after \(written) entries were loaded; the entries from line \(batchFirstLine) on were not)")
            }
            written += batch.count
            batch.removeAll()
        }
        while let line = readLine(strippingNewline: true) {
            lineNumber += 1
            if line.isEmpty { continue }
            guard let tab = line.firstIndex(of: "\t") else {
                throw CLIError("line \(lineNumber): expected key<TAB>value")
            }
            if batch.isEmpty { batchFirstLine = lineNumber }
            batch.put(
                try format.parse(String(line[..<tab])),
                try format.parse(String(line[line.index(after: tab)...])))
            loaded += 1
            if batch.count >= batchSize { try write() }
        }
        if !batch.isEmpty { try write() }
        out.line("loaded \(loaded) entries")
    }
}

struct Flush: KVVerb {
    static let configuration = CommandConfiguration(abstract: "Write the memtable to a level-0 table.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ out: Output) throws {
        try session.db().flush()
        out.line("OK")
    }
}

struct Compact: KVVerb {
    static let configuration = CommandConfiguration(
        abstract: "Flush, then merge every table into one sorted run, dropping what no snapshot can see.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ out: Output) throws {
        let db = try session.db()
        try db.compactRange()
        out.line("OK")
    }
}

struct Verify: KVVerb {
    static let configuration = CommandConfiguration(
        abstract: "Read every live file and check every checksum.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ out: Output) throws {
        let report = try session.dbForReading().verify()
        out.line("OK: \(report)")
    }
}

struct Stats: KVVerb {
    static let configuration = CommandConfiguration(abstract: "Print the database's statistics.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ out: Output) throws {
        out.line(try session.dbForReading().statistics.description)
    }
}

struct Repair: KVVerb {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a database that no longer opens from its intact files (like `ldb repair`).",
        discussion: """
            Checks every table (damaged ones move to lost/), recovers every valid write batch from \
            the write-ahead logs (damaged logs move to lost/), writes a new manifest and CURRENT, \
            and compacts. Copy the directory first: a repair cannot be undone.
            """)
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ out: Output) throws {
        try session.close()  // the shell may hold the database open
        let report = try Database.repair(session.path)
        out.line(report.description)
    }
}
