import ArgumentParser
import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// `cairn`: the command-line front end. The DynamoDB verbs mirror `aws dynamodb`
/// (`cairn put-item --table-name T --item '{...}'`); `cairn kv ...` works on raw keys and
/// values; with no verb it opens the interactive shell.
@main
struct CairnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Cairn: an embedded DynamoDB-style store on its own LSM tree.",
        discussion: """
            The table and item verbs take aws-cli's flags (`aws dynamodb VERB help`) and print aws-cli's JSON.
            Structure flags take JSON or aws-cli's shorthand; any flag value may be file://PATH.
            Exit status: 0 success, 252 bad command line, 254 error from the operation, 255 storage failure.
            """,
        subcommands: [ShellCommand.self, KVCommand.self, StreamsCommand.self, TailCommand.self, VerifyCommand.self, ExportCommand.self, ImportCommand.self, ReplicateCommand.self]
            + itemVerbs.map { $0 as any ParsableCommand.Type },
        defaultSubcommand: ShellCommand.self
    )

    /// Parses and runs like `ParsableCommand.main()`, except that a command line an item verb
    /// cannot parse exits with aws-cli v2's usage status 252 (the `kv` verbs keep
    /// ArgumentParser's statuses).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let isItemVerb = arguments.first.map { verb in
                itemVerbs.contains { $0._commandName == verb } || verb == StreamsCommand._commandName
            } ?? false
            let code = exitCode(for: error)
            if isItemVerb, code != .success, code.rawValue != ItemExitCode.usage,
               code.rawValue != ItemExitCode.serviceError, code.rawValue != ItemExitCode.otherError,
               !(error is ExitCode) {
                let message = fullMessage(for: error)
                if !message.isEmpty { printError(message) }
                Glibc.exit(ItemExitCode.usage)
            }
            exit(withError: error)
        }
    }
}

/// Options every `kv` verb shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Database directory.")
    var db: String = "./cairn-data"

    @Flag(name: .long, help: "Keys and values are hex on input and output.")
    var hex = false

    @Flag(name: .long, help: "Open the database read-only: replay the logs into memory and write nothing (works on a full disk).")
    var readOnly = false
}

/// Turns a thrown error into one clear line on stderr and a non-zero exit.
func reportAndExit(_ error: Error) -> ExitCode {
    if let e = error as? CairnError {
        printError("error: \(e)")
    } else if let e = error as? CLIError {
        printError("error: \(e.message)")
    } else if let e = error as? ItemDatabaseOpenError {
        printError("error: \(e)")
    } else {
        printError("error: \(error)")
    }
    return ExitCode(1)
}

/// An error in what the user typed or supplied.
struct CLIError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
