import Cairn
import CairnLSM

/// Small steps every exporter takes.
enum ExportSupport {
    /// Makes sure `directory` exists and is empty (created when absent): an export never
    /// mixes its files with others.
    static func prepareEmptyDirectory(_ directory: String, fileSystem fs: any FileSystem) throws {
        if fs.fileExists(directory) {
            let present = try fs.listDirectory(directory)
            guard present.isEmpty else {
                throw ExportError.encoding("\(directory) is not empty (\(present.count) entries): an export needs an empty or new directory")
            }
        } else {
            try fs.createDirectory(directory)
        }
    }

    /// Calls `body` with each change of `tableName`'s stream committed after sequence `after`
    /// up to sequence `end`, in commit order, a page at a time.
    static func forEachChange(
        _ db: ItemDatabase, table tableName: String, after: UInt64, through end: UInt64, _ body: (ChangeRecord) throws -> Void
    ) throws {
        var position = after
        while true {
            let page = try db.changeRecords(of: tableName, after: position, limit: 4096)
            guard !page.isEmpty else { return }
            for record in page {
                guard record.sequenceNumber <= end else { return }
                position = record.sequenceNumber
                try body(record)
            }
        }
    }
}
