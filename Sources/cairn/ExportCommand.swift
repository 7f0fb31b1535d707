import ArgumentParser
import Cairn
import CairnExport
import CairnLSM
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cairn export`: a full export of one table at one consistent snapshot into a directory of
/// Parquet files (CairnExport's `TableExport`), with a progress line on a terminal and a JSON
/// summary on stdout.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a table, as of one moment, to Parquet files or DynamoDB's export format.",
        discussion: """
            --format parquet (default) reads the table at one snapshot and writes part-NNNNN.parquet files \
            (typed columns for the key attributes and every attribute with one type, and _item, the whole \
            item in DynamoDB JSON), then _cairn_export.json, which lists them; the directory must be empty or \
            new. --at TIME exports the table as it was then, undoing later changes from its stream's old \
            images (a NEW_AND_OLD_IMAGES stream enabled before TIME, within its 24-hour retention). --format dynamodb-json writes DynamoDB's Export-to-S3 layout under DIR/AWSDynamoDB/<ExportId>/ \
            (data/*.json.gz with one {"Item": ...} a line, manifest-files.json, manifest-summary.json), which \
            `cairn import` and DynamoDB's ImportTable read. Prints a JSON summary; its SnapshotSequence is \
            where the table's change stream takes over. Docs/parquet_writer.md has the layouts.
            """)

    @Option(name: .long, help: "Database directory.") var db: String = ItemDatabase.defaultPath
    @Option(name: .long, help: "The table to export.") var tableName: String
    @Option(name: .customLong("to"), help: "The directory to write (empty or new).") var directory: String
    @Option(name: .long, help: "parquet or dynamodb-json.") var format: String = "parquet"
    @Option(name: .long, help: "Page compression: zstd, lz4_raw or none.") var compression: String = "zstd"
    @Option(name: .customLong("from"), help: "Incremental export: changes from this time (ISO 8601 or seconds since 1970) on, from the table's stream.")
    var fromTime: String?
    @Option(name: .customLong("to-time"), help: "Incremental export: changes before this time (default: now).")
    var toTime: String?
    @Option(name: .customLong("at"), help: "Export the table as it was at this time (ISO 8601 or seconds since 1970), from its stream's old images (within 24 hours).")
    var atTime: String?

    /// A time as ISO 8601 (`2026-12-07T10:00:00Z`, fractions allowed) or seconds since 1970.
    static func parseTime(_ text: String, flag: String) throws -> Date {
        if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw ValidationError("\(flag) must be an ISO 8601 time (2026-12-07T10:00:00Z) or seconds since 1970, not \(text)")
    }

    /// A progress bar for a terminal: `\rwriting [#########...........]  45% 450000 of 1000000 items`
    /// (the scanning pass, whose total is not known yet, shows the count alone).
    static func progressLine(_ progress: TableExport.Progress) -> String {
        var line = "\r\(progress.phase.rawValue)"
        if let total = progress.totalItems, total > 0 {
            let fraction = min(1, Double(progress.items) / Double(total))
            let filled = Int(fraction * 30)
            line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "] "
            line += String(format: "%3d%% %d of %d items", Int(fraction * 100), progress.items, total)
        } else {
            line += ": \(progress.items) items"
        }
        return line + (progress.phase == .done ? "\n" : "")
    }

    func run() throws {
        guard let format = TableExport.Format(rawValue: format) else {
            throw ValidationError("--format must be one of: \(TableExport.Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let codec = ParquetCompression(rawValue: compression) else {
            throw ValidationError("--compression must be one of: \(ParquetCompression.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options = TableExport.Options()
        options.format = format
        options.parquet.compression = codec
        options.at = try atTime.map { try Self.parseTime($0, flag: "--at") }
        let showProgress = isatty(STDERR_FILENO) == 1
        try Session.runClosing(path: db) { session in
            let items = try session.itemsForReading()
            let report: (TableExport.Progress) -> Void = { progress in
                guard showProgress else { return }
                _ = Self.progressLine(progress).withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
            var fields: [(String, String)] = [("TableName", jsonString(tableName)), ("ExportFormat", jsonString(format.rawValue))]
            if fromTime != nil || toTime != nil {
                guard format == .parquet else { throw CLIError("an incremental export (--from, --to-time) writes parquet") }
                guard atTime == nil else { throw CLIError("--at is for a full export; --from and --to-time choose the changes of an incremental one") }
                let from = try fromTime.map { try Self.parseTime($0, flag: "--from") }
                let to = try toTime.map { try Self.parseTime($0, flag: "--to-time") }
                let summary = try ChangeExport.export(items, table: tableName, to: directory, from: from, to: to, options: options, progress: report)
                fields += [
                    ("ExportType", jsonString("INCREMENTAL_EXPORT")), ("ChangeCount", "\(summary.changeCount)"),
                    ("BilledSizeBytes", "\(summary.bytes)"), ("FirstSequence", jsonString(String(summary.firstSequence))),
                    ("LastSequence", jsonString(String(summary.lastSequence))), ("Directory", jsonString(directory)),
                    ("Files", "[" + summary.files.map(jsonString).joined(separator: ", ") + "]"),
                ]
                print("{\n" + fields.map { "    \(jsonString($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}")
                return
            }
            switch format {
            case .parquet:
                let summary = try TableExport.export(items, table: tableName, to: directory, options: options, progress: report)
                fields += [
                    ("ItemCount", "\(summary.itemCount)"), ("BilledSizeBytes", "\(summary.bytes)"),
                    ("SnapshotSequence", jsonString(String(summary.snapshotSequence))), ("Directory", jsonString(directory)),
                    ("Files", "[" + summary.files.map(jsonString).joined(separator: ", ") + "]"),
                ]
            case .dynamoDBJSON:
                let summary = try DynamoDBJSONExport.export(items, table: tableName, to: directory, at: options.at, progress: report)
                fields += [
                    ("ExportId", jsonString(summary.exportID)), ("ItemCount", "\(summary.itemCount)"),
                    ("BilledSizeBytes", "\(summary.bytes)"), ("SnapshotSequence", jsonString(String(summary.snapshotSequence))),
                    ("Directory", jsonString(summary.directory)),
                    ("Files", "[" + summary.dataFiles.map(jsonString).joined(separator: ", ") + "]"),
                ]
            }
            print("{\n" + fields.map { "    \(jsonString($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}")
        }
    }

}

/// `cairn import`: loads a DynamoDB JSON export (DynamoDB's Export-to-S3 layout, from `cairn
/// export --format dynamodb-json` or from DynamoDB) into an existing table.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a DynamoDB JSON export (DynamoDB's Export-to-S3 layout) into an existing table.",
        discussion: """
            --from is the directory holding AWSDynamoDB/<ExportId>/ (the newest complete export is read), an \
            export's own directory, or its manifest-files.json. Every data file's MD5 is checked against the \
            manifest; items are written 25 at a time and replace items with the same key. Prints a JSON summary.
            """)

    @Option(name: .long, help: "Database directory.") var db: String = ItemDatabase.defaultPath
    @Option(name: .long, help: "The table to load (it must exist).") var tableName: String
    @Option(name: .customLong("from"), help: "The export's directory (or its bucket directory).") var directory: String

    func run() throws {
        try Session.runClosing(path: db) { session in
            let items = try session.itemsForReading()
            let summary = try DynamoDBJSONExport.importExport(from: directory, into: items, table: tableName)
            print("{\n    \"TableName\": \(jsonString(tableName)),\n    \"ImportedItemCount\": \(summary.itemCount),\n    \"DataFiles\": \(summary.dataFiles)\n}")
        }
    }
}

/// `s` as a JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        default:
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}
