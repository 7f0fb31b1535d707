import Foundation

/// Renders results as text tables (one per workload, engines as rows) and as JSON.
enum Report {
    static func table(for workload: Workload, _ results: [WorkloadResult], baseline: String) -> String {
        let rows = results.filter { $0.workload == workload }
        guard !rows.isEmpty else { return "" }
        let base = rows.first { $0.engine == baseline }
        var lines: [[String]] = [[
            "engine", "ops/s", "µs/op", "p50 µs", "p99 µs", "p99.9 µs", "MB/s", "write-amp", "disk MB", "peak RSS MB", "vs " + baseline,
        ]]
        for r in rows {
            lines.append([
                r.engine,
                format(r.opsPerSecond, 0),
                format(r.microsPerOp, 2),
                format(r.p50Micros, 2),
                format(r.p99Micros, 2),
                format(r.p999Micros, 2),
                format(r.megabytesPerSecond, 1),
                r.writeAmplification.map { format($0, 2) } ?? "-",
                format(Double(r.sizeOnDisk) / 1e6, 1),
                r.peakResidentBytes.map { format(Double($0) / 1e6, 0) } ?? "-",
                base.map { format(r.opsPerSecond / max($0.opsPerSecond, 1e-9), 2) + "x" } ?? "-",
            ])
        }
        let widths = (0..<lines[0].count).map { c in lines.map { $0[c].count }.max() ?? 0 }
        var out = "\n== \(workload.rawValue) (\(rows[0].operations) ops, \(rows[0].threads) thread(s))\n"
        for (i, line) in lines.enumerated() {
            out += line.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ") + "\n"
            if i == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        for r in rows {
            var extras: [String] = []
            if let f = r.found { extras.append("found \(f) of \(r.operations)") }
            if let n = r.note { extras.append(n) }
            if let max = r.maxMicros, let slow = r.secondsInOpsOver1ms, slow > 0 {
                extras.append("slowest op \(format(max / 1000, 1)) ms; \(format(slow, 2)) s in ops over 1 ms")
            }
            if !extras.isEmpty { out += "  \(r.engine): " + extras.joined(separator: "; ") + "\n" }
        }
        return out
    }

    static func format(_ v: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", v)
    }

    /// The JSON document written by --json (schema in Docs/benchmarks.md).
    struct Document: Codable {
        struct EngineInfo: Codable {
            var name: String
            var settings: [String]
        }
        struct Parameters: Codable {
            var num: Int
            var reads: Int
            var syncNum: Int
            var keySize: Int
            var valueSize: Int
            var threads: Int
            var seed: UInt64
            var blockCacheBytes: Int
            var bloomBitsPerKey: Int
            var writeBufferBytes: Int
            var compression: String
        }
        var schemaVersion = 1
        var machine: String
        var date: String
        var command: String
        var parameters: Parameters
        var engines: [EngineInfo]
        var results: [WorkloadResult]
    }

    static func json(_ document: Document) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(document)
    }
}
