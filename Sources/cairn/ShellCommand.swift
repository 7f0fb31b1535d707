import ArgumentParser
import CEditLine
import Cairn
import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// `cairn` with no verb: an interactive shell on one database, opened once as an item
/// database. Each line is an `aws dynamodb`-style verb with the same flags as on the command
/// line (`put-item --table-name T --item '{"pk": {"S": "a"}}'`), or a key-value verb after
/// `kv` (`kv get k`); lines are split like a POSIX shell does (`ShellLineSplitter`), so JSON
/// goes in single quotes. `help` lists the verbs, `exit` leaves. Reading from a pipe works
/// too: lines are read without a prompt and the exit status is 1 if any line failed.
struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell", abstract: "Interactive shell on a database (the default verb).")

    @Option(name: .long, help: "Database directory.")
    var db: String = ItemDatabase.defaultPath

    @Flag(name: .long, help: "Open the database read-only: replay the logs into memory and write nothing (works on a full disk).")
    var readOnly = false

    func run() throws {
        let session = Session(path: db, readOnly: readOnly)
        let interactive = isatty(STDIN_FILENO) != 0
        let historyPath = (getenv("HOME").map { String(cString: $0) } ?? ".") + "/.cairn_history"
        if interactive {
            _ = read_history(historyPath)
            print("cairn shell on \(db): DynamoDB verbs as in `aws dynamodb` (create-table, put-item, query...),")
            print("raw keys with `kv VERB`; type help for the list, exit to leave.")
        }
        do {
            _ = try session.items()
        } catch let error as ItemDatabaseOpenError {
            guard case .invalidArgument = error.underlying else { throw reportAndExit(error) }
            // A plain key-value database: the kv verbs still work on it.
            printError("note: \(db) holds a plain key-value database, not Cairn tables: only the kv verbs work here")
            do { _ = try session.db() } catch { throw reportAndExit(error) }
        } catch {
            throw reportAndExit(error)
        }
        var failures = 0
        while true {
            let line: String
            if interactive {
                guard let raw = readline("cairn> ") else { break }
                line = String(cString: raw)
                free(raw)
                if !line.allSatisfy({ $0 == " " || $0 == "\t" }) { _ = add_history(line) }
            } else {
                guard let l = Swift.readLine() else { break }
                line = l
            }
            let words: [String]
            do {
                words = try ShellLineSplitter.split(line)
            } catch {
                printError("error: \(error)")
                failures += 1
                continue
            }
            guard let first = words.first else { continue }
            if first == "exit" || first == "quit" { break }
            if first == "help" || first == "?" {
                print(ShellCommand.help(Array(words.dropFirst())))
                continue
            }
            if !ShellCommand.run(words, session) { failures += 1 }
        }
        if interactive { _ = write_history(historyPath) }
        try? session.close()
        if failures > 0 && !interactive { throw ExitCode(1) }
    }

    /// Runs one line's words against the session; prints output and errors; returns false on
    /// failure.
    static func run(_ words: [String], _ session: Session) -> Bool {
        guard let first = words.first else { return true }
        if first == "kv" { return runKV(Array(words.dropFirst()), session) }
        if first == StreamsCommand._commandName { return runStreams(Array(words.dropFirst()), session) }
        if first == VerifyCommand._commandName { return runVerify(Array(words.dropFirst()), session) }
        guard itemVerbs.contains(where: { $0._commandName == first }) else {
            if KVCommand.verbs.contains(where: { $0._commandName == first }) {
                printError("error: unknown verb '\(first)'; the key-value verbs are under kv: kv \(words.joined(separator: " "))")
            } else {
                printError("error: unknown verb '\(first)' (type help for the list)")
            }
            return false
        }
        do {
            let command = try ItemVerbsCommand.parseAsRoot(words)
            guard let verb = command as? any ItemVerb else {
                // `VERB --help` parses as ArgumentParser's help command.
                print(help([first]))
                return true
            }
            if verb.options.db != ItemDatabase.defaultPath && verb.options.db != session.path {
                printError("note: --db is ignored in the shell; it works on \(session.path)")
            }
            return ItemVerbRunner.execute(verb, session) == 0
        } catch {
            return printParseOutcome(ItemVerbsCommand.fullMessage(for: error), ItemVerbsCommand.exitCode(for: error))
        }
    }

    /// Runs a `dynamodbstreams` verb (the words after `dynamodbstreams`).
    static func runStreams(_ words: [String], _ session: Session) -> Bool {
        do {
            let command = try StreamsCommand.parseAsRoot(words)
            guard let verb = command as? any ItemVerb else {
                print(StreamsCommand.helpMessage())
                return true
            }
            return ItemVerbRunner.execute(verb, session) == 0
        } catch {
            return printParseOutcome(StreamsCommand.fullMessage(for: error), StreamsCommand.exitCode(for: error))
        }
    }

    /// Runs `verify` (the words after it) on the shell's database.
    static func runVerify(_ words: [String], _ session: Session) -> Bool {
        runReportingErrors(usage: { printParseOutcome(VerifyCommand.fullMessage(for: $0), VerifyCommand.exitCode(for: $0)) }) {
            let command = try VerifyCommand.parseAsRoot(words)
            guard let verify = command as? VerifyCommand else {
                print(VerifyCommand.helpMessage())
                return true
            }
            if verify.db != ItemDatabase.defaultPath && verify.db != session.path {
                printError("note: --db is ignored in the shell; it works on \(session.path)")
            }
            try verify.execute(session, Output())
            return true
        }
    }

    /// Runs a `kv` verb (the words after `kv`).
    static func runKV(_ words: [String], _ session: Session) -> Bool {
        runReportingErrors(usage: { printParseOutcome(KVCommand.fullMessage(for: $0), KVCommand.exitCode(for: $0)) }) {
            let command = try KVCommand.parseAsRoot(words)
            guard let verb = command as? any KVVerb else {
                print(help(["kv"] + words.prefix(1)))
                return true
            }
            try verb.execute(session, Output())
            return true
        }
    }

    /// Runs a shell verb's `body`, printing a storage or command-line error as one `error:`
    /// line (a failure); anything else thrown is the parser's refusal, which `usage` reports.
    private static func runReportingErrors(usage: (Error) -> Bool, _ body: () throws -> Bool) -> Bool {
        do {
            return try body()
        } catch let error as CairnError {
            printError("error: \(error)")
        } catch let error as CLIError {
            printError("error: \(error.message)")
        } catch let error as ItemDatabaseOpenError {
            printError("error: \(error)")
        } catch {
            return usage(error)
        }
        return false
    }

    /// Prints what ArgumentParser made of a line it did not run: help (on stdout, a success)
    /// or a usage error (on stderr, a failure).
    private static func printParseOutcome(_ message: String, _ code: ExitCode) -> Bool {
        if code == .success {
            print(message)
            return true
        }
        printError(message.isEmpty ? "error: cannot parse the line" : message)
        return false
    }

    /// The shell's help: the verb list, or one verb's flags (`help put-item`, `help kv put`).
    static func help(_ words: [String]) -> String {
        if let verb = words.first, let type = itemVerbs.first(where: { $0._commandName == verb }) {
            return type.helpMessage()
        }
        if words.first == VerifyCommand._commandName { return VerifyCommand.helpMessage() }
        if words.first == "kv" {
            if let verb = words.dropFirst().first, let type = KVCommand.verbs.first(where: { $0._commandName == verb }) {
                return type.helpMessage()
            }
            var lines = ["key-value verbs (kv VERB ...; same as `cairn kv VERB`; help kv VERB for details):"]
            for v in KVCommand.verbs { lines.append(row("kv " + v._commandName, v.configuration.abstract)) }
            return lines.joined(separator: "\n")
        }
        var lines = ["DynamoDB verbs (flags as in `aws dynamodb VERB`; help VERB for details):"]
        for v in itemVerbs { lines.append(row(v._commandName, v.configuration.abstract)) }
        lines.append("")
        lines.append("key-value verbs (raw keys and values; help kv for the list):")
        lines.append(row("kv VERB ...", "put, get, delete, delete-range, scan, load, flush, compact, verify, stats, ..."))
        lines.append("")
        lines.append("change-stream verbs (flags as in `aws dynamodbstreams VERB`):")
        for v in streamVerbs { lines.append(row("dynamodbstreams " + v._commandName, v.configuration.abstract)) }
        lines.append("")
        lines.append(row(VerifyCommand._commandName, VerifyCommand.configuration.abstract))
        lines.append(row("help [VERB]", "this list, or a verb's flags"))
        lines.append(row("exit", "leave the shell"))
        lines.append("")
        lines.append("Words split as in sh: put JSON in single quotes, e.g.")
        lines.append(#"  put-item --table-name Music --item '{"Artist": {"S": "Acme"}, "Song": {"S": "Hi"}}'"#)
        return lines.joined(separator: "\n")
    }

    private static func row(_ name: String, _ text: String) -> String {
        "  " + name + String(repeating: " ", count: max(1, 16 - name.count)) + text
    }
}
