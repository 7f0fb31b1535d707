import ArgumentParser
import CEditLine
import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// `cairn` with no verb: an interactive shell on one database. Each line is a `kv` verb
/// (`put k v`, `scan --limit 10`, ...); `help` lists them, `exit` leaves. Reading from a pipe
/// works too: lines are read without a prompt and the exit status is non-zero if any failed.
struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell", abstract: "Interactive shell on a database (the default verb).")

    @Option(name: .long, help: "Database directory.")
    var db: String = "./cairn-data"

    func run() throws {
        let session = Session(path: db)
        let interactive = isatty(STDIN_FILENO) != 0
        let historyPath = (getenv("HOME").map { String(cString: $0) } ?? ".") + "/.cairn_history"
        if interactive {
            _ = read_history(historyPath)
            print("cairn shell on \(db) — type help for verbs, exit to leave")
        }
        do {
            _ = try session.db()
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
                words = try ShellCommand.split(line)
            } catch {
                printError("error: \((error as? CLIError)?.message ?? "\(error)")")
                failures += 1
                continue
            }
            guard let first = words.first else { continue }
            if first == "exit" || first == "quit" { break }
            if first == "help" || first == "?" {
                print(ShellCommand.help(words.dropFirst().first))
                continue
            }
            let verbWords = first == "kv" ? Array(words.dropFirst()) : words
            if !ShellCommand.run(verbWords, session) { failures += 1 }
        }
        if interactive { _ = write_history(historyPath) }
        try? session.close()
        if failures > 0 && !interactive { throw ExitCode(1) }
    }

    /// Runs one verb line against the session; prints errors; returns false on failure.
    static func run(_ words: [String], _ session: Session) -> Bool {
        do {
            let command = try KVCommand.parseAsRoot(words)
            guard let verb = command as? any KVVerb else {
                print(help(nil))
                return true
            }
            try verb.execute(session, Output())
            return true
        } catch let error as CairnError {
            printError("error: \(error)")
        } catch let error as CLIError {
            printError("error: \(error.message)")
        } catch {
            let message = KVCommand.fullMessage(for: error)
            printError(message.isEmpty ? "error: \(error)" : message)
        }
        return false
    }

    static func help(_ verb: String?) -> String {
        if let verb, let type = KVCommand.verbs.first(where: { $0._commandName == verb }) {
            return type.helpMessage()
        }
        var lines = ["verbs (same as `cairn kv VERB`; `help VERB` for details):"]
        for v in KVCommand.verbs {
            let name = v._commandName
            lines.append("  " + name + String(repeating: " ", count: max(1, 14 - name.count))
                + v.configuration.abstract)
        }
        lines.append("  exit          leave the shell")
        return lines.joined(separator: "\n")
    }

    /// Splits a line into words: whitespace separates, '...' and "..." group, \ escapes.
    static func split(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for c in line {
            if escape {
                current.append(c)
                escape = false
                continue
            }
            if c == "\\" && quote != "'" {
                escape = true
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if quote != nil { throw CLIError("unterminated quote") }
        if escape { current.append("\\") }
        if inWord { words.append(current) }
        return words
    }
}
