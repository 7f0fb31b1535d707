import ArgumentParser
import Cairn
import CairnExport
import CairnLSM
#if canImport(Glibc)
import Glibc
#endif

/// `cairn export`: a full export of one table at one consistent snapshot into a directory of
/// Parquet files (CairnExport's `TableExport`), with a progress line on a terminal and a JSON
/// summary on stdout.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a table, as of one moment, to a directory of Parquet files.",
        discussion: """
            Reads the table at one snapshot and writes part-NNNNN.parquet files (typed columns for the key \
            attributes and every attribute with one type, and _item, the whole item in DynamoDB JSON), then \
            _cairn_export.json, which lists them. The directory must be empty or new. Prints a JSON summary; \
            its SnapshotSequence is where the table's change stream takes over. Docs/parquet_writer.md has \
            the mapping.
            """)

    @Option(name: .long, help: "Database directory.") var db: String = ItemDatabase.defaultPath
    @Option(name: .long, help: "The table to export.") var tableName: String
    @Option(name: .customLong("to"), help: "The directory to write (empty or new).") var directory: String
    @Option(name: .long, help: "parquet (the only format so far).") var format: String = "parquet"
    @Option(name: .long, help: "Page compression: zstd, lz4_raw or none.") var compression: String = "zstd"

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
        let showProgress = isatty(STDERR_FILENO) == 1
        try Session.runClosing(path: db) { session in
            let items = try session.itemsForReading()
            let summary = try TableExport.export(items, table: tableName, to: directory, options: options) { progress in
                guard showProgress else { return }
                let total = progress.totalItems.map { " of \($0)" } ?? ""
                let line = "\r\(progress.phase.rawValue): \(progress.items)\(total) items"
                _ = (line + (progress.phase == .done ? "\n" : "")).withCString { write(STDERR_FILENO, $0, strlen($0)) }
            }
            var json = "{\n"
            json += "    \"TableName\": \(jsonString(summary.tableName)),\n"
            json += "    \"ExportFormat\": \(jsonString(summary.format.rawValue)),\n"
            json += "    \"ItemCount\": \(summary.itemCount),\n"
            json += "    \"BilledSizeBytes\": \(summary.bytes),\n"
            json += "    \"SnapshotSequence\": \(jsonString(String(summary.snapshotSequence))),\n"
            json += "    \"Directory\": \(jsonString(directory)),\n"
            json += "    \"Files\": [" + summary.files.map(jsonString).joined(separator: ", ") + "]\n}"
            print(json)
        }
    }

    private func jsonString(_ s: String) -> String {
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
}
