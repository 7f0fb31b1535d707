import ArgumentParser
import CairnLSM

/// `cairn`: the command-line front end. With no verb it opens the interactive shell.
@main
struct CairnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Cairn: an embedded LSM key-value store (and, later, DynamoDB-style tables).",
        subcommands: [ShellCommand.self, KVCommand.self],
        defaultSubcommand: ShellCommand.self
    )
}

/// Options every verb shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Database directory.")
    var db: String = "./cairn-data"

    @Flag(name: .long, help: "Keys and values are hex on input and output.")
    var hex = false
}

/// Turns a thrown error into one clear line on stderr and a non-zero exit.
func reportAndExit(_ error: Error) -> ExitCode {
    if let e = error as? CairnError {
        printError("error: \(e)")
    } else if let e = error as? CLIError {
        printError("error: \(e.message)")
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
