import ArgumentParser
import Cairn
import CairnLSM

/// Exit statuses of the item verbs. Cairn follows aws-cli v2's documented return codes
/// (aws-cli v1, installed here, exits 255 for all of these):
/// 252 when the command line is wrong (unknown flag, bad JSON or shorthand, a request that
/// fails parameter validation), 254 when the service answered with an error (every
/// `DynamoDBError`), 255 for any other failure (storage errors: `CairnError`).
enum ItemExitCode {
    static let usage: Int32 = 252
    static let serviceError: Int32 = 254
    static let otherError: Int32 = 255
}

/// Options every item verb shares.
struct ItemOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Database directory.", valueName: "path"))
    var db: String = ItemDatabase.defaultPath

    @Option(name: .customLong("cli-input-json"), parsing: .unconditional,
            help: ArgumentHelp("The request as DynamoDB JSON (inline or file://PATH); flags override its members.",
                               valueName: "json"))
    var cliInputJSON: String?

    @Flag(name: .customLong("read-only"),
          help: "Open the database read-only: replay the logs into memory and write nothing (works on a full disk).")
    var readOnly = false
}

/// An `aws dynamodb` verb: builds its operation's request from the flags, calls
/// `ItemDatabase`, and prints the response as aws-cli does. Runs from the command line
/// (`cairn put-item ...`) and inside the shell.
protocol ItemVerb: ParsableCommand {
    /// The API operation's name, as aws-cli names it in errors ("PutItem").
    static var operationName: String { get }
    /// The shared options.
    var options: ItemOptions { get }
    /// Flags that must be given unless `--cli-input-json` is (aws-cli's required arguments).
    var missingRequiredFlags: [String] { get }
    /// Runs the operation on `session`'s item database and returns the text to print (nil
    /// for nothing).
    func perform(_ session: Session) throws -> String?
}

extension ItemVerb {
    /// One-shot command line: opens the database, runs, closes, exits with aws-cli's status.
    func run() throws {
        let session = Session(path: options.db, readOnly: options.readOnly)
        let status = ItemVerbRunner.execute(self, session)
        do {
            try session.close()
        } catch {
            ItemVerbRunner.printFailure(error)
            throw ExitCode(ItemExitCode.otherError)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// Runs item verbs and reports their failures the way aws-cli does.
enum ItemVerbRunner {
    /// Runs `verb`, prints its output or its error, and returns the exit status.
    static func execute(_ verb: any ItemVerb, _ session: Session) -> Int32 {
        do {
            let missing = verb.options.cliInputJSON == nil ? verb.missingRequiredFlags : []
            guard missing.isEmpty else {
                throw UsageError(message: "the following arguments are required: " + missing.joined(separator: ", "))
            }
            if let text = try verb.perform(session) { writeStandardOutput(text) }
            return 0
        } catch let error as DynamoDBError {
            // botocore's ClientError text, after the blank line aws-cli's write_exception prints.
            printError("\nAn error occurred (\(error.name)) when calling the \(type(of: verb).operationName) operation: \(error.message)")
            return ItemExitCode.serviceError
        } catch {
            return printFailure(error)
        }
    }

    /// Prints a failure other than a service error and returns its exit status.
    @discardableResult
    static func printFailure(_ error: any Error) -> Int32 {
        switch error {
        case let error as ParameterError:
            printError("\n" + error.description)
            return ItemExitCode.usage
        case let error as ParameterValidationError:
            printError("\n" + error.description)
            return ItemExitCode.usage
        case let error as UsageError:
            printError("cairn: error: " + error.message)
            return ItemExitCode.usage
        case let error as ItemDatabaseOpenError:
            printError("\n" + error.description)
            return ItemExitCode.otherError
        case let error as CairnError:
            printError("\nCairn storage error: \(error)")
            return ItemExitCode.otherError
        default:
            printError("\n\(error)")
            return ItemExitCode.otherError
        }
    }
}

/// The item database could not be opened (for example the directory holds a plain key-value
/// database written by `cairn kv`).
struct ItemDatabaseOpenError: Error, CustomStringConvertible {
    var path: String
    var underlying: CairnError

    var description: String {
        if case .invalidArgument = underlying {
            return "Cannot open \(path) as a Cairn item database: \(underlying)\n"
                + "(The `cairn kv` verbs work on it; use another --db for tables.)"
        }
        if case .busy = underlying {
            // Another process has it open: the database is fine, say only that (one line).
            return "Cannot open \(path): \(underlying)"
        }
        return "Cannot open \(path) as a Cairn item database: \(underlying)"
    }
}

/// Writes `text` to standard output as is (no newline added).
func writeStandardOutput(_ text: String) {
    print(text, terminator: "")
}
