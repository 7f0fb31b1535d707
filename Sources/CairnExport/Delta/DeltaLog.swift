import CairnLSM
import Foundation

/// What a Delta table is at one version: the result of replaying its log.
public struct DeltaTableState: Sendable, Equatable {
    /// The version replayed to (-1: no commit yet).
    public var version: Int64 = -1
    public var protocolVersion: DeltaProtocol?
    public var metadata: DeltaMetadata?
    /// The table's data files, by path.
    public var files: [String: DeltaAddFile] = [:]
    /// The latest `txn` version of each application id.
    public var transactions: [String: Int64] = [:]

    public init() {}

    /// Applies one commit's actions (the commit of `version`).
    public mutating func apply(_ actions: [DeltaAction], version: Int64) {
        for action in actions {
            switch action {
            case .protocolVersion(let p): protocolVersion = p
            case .metadata(let m): metadata = m
            case .add(let a): files[a.path] = a
            case .remove(let r): files[r.path] = nil
            case .transaction(let appId, let v, _): transactions[appId] = v
            case .commitInfo, .other: break
            }
        }
        self.version = version
    }

    /// The actions that rebuild this state from nothing (a checkpoint's content): protocol,
    /// metadata, every transaction, every file (paths in order).
    public func checkpointActions() -> [DeltaAction] {
        var actions: [DeltaAction] = []
        if let protocolVersion { actions.append(.protocolVersion(protocolVersion)) }
        if let metadata { actions.append(.metadata(metadata)) }
        for (appId, v) in transactions.sorted(by: { $0.key < $1.key }) {
            actions.append(.transaction(appId: appId, version: v, lastUpdated: nil))
        }
        for path in files.keys.sorted() {
            if let add = files[path] { actions.append(.add(add)) }
        }
        return actions
    }
}

/// A Delta table's transaction log, `<table>/_delta_log/` (delta-io/delta PROTOCOL.md):
/// commit files `<version, 20 digits>.json` of one action a line, written once each;
/// checkpoints `<version>.checkpoint.parquet` and `_last_checkpoint` (DeltaCheckpoint).
///
/// Cairn keeps, beside it, its own copy of each checkpoint's actions as JSON lines in
/// `<table>/_cairn/state/<version>.json`, so a restart replays from the latest one without
/// reading Parquet. A writer holds `<table>/_cairn/LOCK`.
public struct DeltaLog: Sendable {
    public let fileSystem: any FileSystem
    /// The table's directory.
    public let directory: String

    public init(directory: String, fileSystem: any FileSystem) {
        self.directory = directory
        self.fileSystem = fileSystem
    }

    public var logDirectory: String { joinPath(directory, "_delta_log") }
    var cairnDirectory: String { joinPath(directory, "_cairn") }
    var stateDirectory: String { joinPath(cairnDirectory, "state") }

    public static func commitName(_ version: Int64) -> String { String(format: "%020lld.json", version) }
    public static func checkpointName(_ version: Int64) -> String { String(format: "%020lld.checkpoint.parquet", version) }

    /// The commit versions present in the log, ascending.
    public func versions() throws -> [Int64] { try versions(in: logDirectory) }

    /// The versions of the `<20 digits>.json` files in `directory`, ascending.
    private func versions(in directory: String) throws -> [Int64] {
        guard fileSystem.fileExists(directory) else { return [] }
        return try fileSystem.listDirectory(directory).compactMap { name -> Int64? in
            guard name.hasSuffix(".json"), name.utf8.count == 25 else { return nil }
            return Int64(name.prefix(20))
        }.sorted()
    }

    /// Replays the log to its latest version, from Cairn's latest state file at or below it
    /// (or from version 0). A gap in the versions, a damaged commit, or a data file the log
    /// names that is missing is `CairnError.corruption`.
    public func load() throws -> DeltaTableState {
        let versions = try versions()
        var state = DeltaTableState()
        guard let latest = versions.last else { return state }
        let present = Set(versions)
        var next: Int64 = 0
        if let stateVersion = try stateVersions().last(where: { $0 <= latest }) {
            let path = joinPath(stateDirectory, String(format: "%020lld.json", stateVersion))
            state.apply(try DeltaAction.parseLines(try Self.checkedStateFile(try fileSystem.readFile(path), file: path), file: path),
                        version: stateVersion)
            next = stateVersion + 1
        }
        while next <= latest {
            let path = joinPath(logDirectory, Self.commitName(next))
            guard present.contains(next) else {
                throw CairnError.corruption(file: path, offset: 0, reason: "Delta log version \(next) is missing (the log goes up to \(latest))")
            }
            state.apply(try DeltaAction.parseLines(try fileSystem.readFile(path), file: path), version: next)
            next += 1
        }
        for path in state.files.keys.sorted() where !fileSystem.fileExists(joinPath(directory, path)) {
            throw CairnError.corruption(
                file: joinPath(directory, path), offset: 0,
                reason: "the Delta log's version \(state.version) names data file \(path), which is missing")
        }
        return state
    }

    private func stateVersions() throws -> [Int64] { try versions(in: stateDirectory) }

    /// Writes commit `version` with `actions`, only if no commit of that version exists (the
    /// log's mutual exclusion; the caller also holds the lock): a temporary file, synced,
    /// renamed into place, the directory synced.
    public func commit(version: Int64, actions: [DeltaAction]) throws {
        if !fileSystem.fileExists(logDirectory) {
            try createDirectories(logDirectory)
        }
        let path = joinPath(logDirectory, Self.commitName(version))
        guard !fileSystem.fileExists(path) else {
            throw CairnError.alreadyExists("Delta log version \(version) of \(directory) was committed by another writer")
        }
        let temp = joinPath(logDirectory, "." + Self.commitName(version) + ".tmp")
        let file = try fileSystem.newWritableFile(temp)
        do {
            try file.append(DeltaAction.lines(actions))
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            try? fileSystem.removeFile(temp)
            throw error
        }
        try fileSystem.rename(temp, to: path)
        try fileSystem.syncDirectory(logDirectory)
    }

    /// Writes Cairn's state file for `state` (after its checkpoint), and removes older ones
    /// but the last two.
    func writeStateFile(_ state: DeltaTableState) throws {
        try createDirectories(stateDirectory)
        let name = String(format: "%020lld.json", state.version)
        try fileSystem.writeFileAtomically(
            joinPath(stateDirectory, name), Self.withStateChecksum(DeltaAction.lines(state.checkpointActions())),
            directory: stateDirectory)
        let older = try stateVersions().filter { $0 < state.version }
        for version in older.dropLast(1) {
            try? fileSystem.removeFile(joinPath(stateDirectory, String(format: "%020lld.json", version)))
        }
    }

    /// The first bytes of a state file's last line, the checksum line:
    /// `{"cairn.stateChecksum":{"crc32c":N}}` with N the CRC-32C (decimal) of every byte before
    /// the line. It has the shape of an action, so a build that predates it reads it as an
    /// unknown action and ignores it.
    static let stateChecksumPrefix = Array(#"{"cairn.stateChecksum":{"crc32c":"#.utf8)

    /// A state file's actions (JSON lines) followed by their checksum line.
    ///
    /// Why: the state file replaces the replay of every commit up to its version, and nothing
    /// else checks it. Without a checksum a flipped bit in it (a file's size, a path, the `txn`
    /// version, the column mapping) silently changed the table the replicator wrote next (the
    /// bit-flip harness found 1,213 of 3,324 sampled flips doing so, `ReplicationBitFlipTests`).
    static func withStateChecksum(_ lines: [UInt8]) -> [UInt8] {
        lines + stateChecksumPrefix + Array("\(CRC32C.checksum(lines))}}\n".utf8)
    }

    /// A state file's JSON lines, after checking its checksum line: a mismatch, or a checksum
    /// line that does not parse, is `CairnError.corruption` naming the file. A file without the
    /// line (written before state files had one) is returned whole.
    static func checkedStateFile(_ bytes: [UInt8], file: String) throws -> [UInt8] {
        var end = bytes.count
        if end > 0 && bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        let lineStart = (bytes[0..<end].lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
        let line = bytes[lineStart..<end]
        guard line.starts(with: stateChecksumPrefix) else { return bytes }
        let body = Array(bytes[0..<lineStart])
        let digits = line.dropFirst(stateChecksumPrefix.count)
        guard digits.suffix(2).elementsEqual(Array("}}".utf8)),
              let stored = UInt32(String(decoding: digits.dropLast(2), as: UTF8.self)),
              digits.dropLast(2).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw CairnError.corruption(file: file, offset: Int64(lineStart), reason: "state file checksum line does not parse")
        }
        let actual = CRC32C.checksum(body)
        guard stored == actual else {
            throw CairnError.corruption(
                file: file, offset: 0, reason: "state file checksum mismatch (stored \(stored), computed \(actual))")
        }
        return body
    }

    /// Creates `path` and its missing parents below the table's directory.
    func createDirectories(_ path: String) throws {
        var missing: [String] = []
        var current = path
        while !fileSystem.fileExists(current) {
            missing.append(current)
            let parent = (current as NSString).deletingLastPathComponent
            if parent == current || parent.isEmpty { break }
            current = parent
        }
        for directory in missing.reversed() { try fileSystem.createDirectory(directory) }
    }
}
