import ArgumentParser
import CairnLSM

struct DumpSST: KVVerb {
    static let configuration = CommandConfiguration(
        commandName: "dump-sst", abstract: "Print an SSTable's properties, blocks and entries.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Path of the .sst file.") var file: String
    @Flag(help: "Print properties and blocks only, not entries.") var noEntries = false

    func execute(_ session: Session, _ out: Output) throws {
        let table = try FileInspector.openTable(file)
        let p = table.properties
        out.line("file            \(file)")
        out.line("format version  \(p.formatVersion)")
        out.line("entries         \(p.entryCount) (\(p.rangeTombstoneCount) range deletions)")
        out.line("sequences       \(p.smallestSequence)...\(p.largestSequence)")
        out.line("raw key bytes   \(p.rawKeyBytes), raw value bytes \(p.rawValueBytes)")
        out.line("data blocks     \(p.dataBlockCount) (\(p.dataBytes) bytes on disk), compression \(p.compression)")
        out.line("bloom filter    \(p.filterBitsPerKey) bits/key")
        out.line("file size       \(p.fileSize)")
        out.line("blocks:")
        for b in try table.blocks() {
            var line = "  \(b.kind.rawValue) @\(b.offset) size \(b.size)"
            if b.compression != .none { line += " \(b.compression) (\(b.uncompressedSize) uncompressed)" }
            if let n = b.entryCount { line += " entries \(n)" }
            out.line(line)
        }
        for t in table.rangeTombstones {
            out.line("range deletion [\(format.render(t.start)), \(format.render(t.end))) @ \(t.sequence)")
        }
        if noEntries { return }
        out.line("entries:")
        try table.forEachEntry { e in
            switch e.type {
            case .value: out.line("  '\(format.render(e.key))' @ \(e.sequence) : put => '\(format.render(e.value))'")
            case .deletion: out.line("  '\(format.render(e.key))' @ \(e.sequence) : delete")
            case .rangeDeletion: out.line("  '\(format.render(e.key))' @ \(e.sequence) : range delete")
            }
        }
    }
}

struct DumpWAL: KVVerb {
    static let configuration = CommandConfiguration(
        commandName: "dump-wal", abstract: "Print a write-ahead log's records (write batches).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Path of the .log file.") var file: String

    func execute(_ session: Session, _ out: Output) throws {
        var records = 0
        let dropped = try FileInspector.forEachLogRecord(file) { r in
            records += 1
            out.line("@\(r.offset) sequence \(r.sequence) count \(r.updates.count)")
            for u in r.updates {
                switch u.type {
                case .value: out.line("  put '\(format.render(u.key))' => '\(format.render(u.value))'")
                case .deletion: out.line("  delete '\(format.render(u.key))'")
                case .rangeDeletion: out.line("  delete-range ['\(format.render(u.key))', '\(format.render(u.value))')")
                }
            }
        }
        out.line("\(records) records" + (dropped > 0 ? ", \(dropped) bytes of torn tail ignored" : ""))
    }
}
