import CairnLSM
import Foundation

/// One action of a Delta Lake transaction log (delta-io/delta PROTOCOL.md, "Actions"), as
/// Cairn writes and reads them: each commit file `_delta_log/<version>.json` holds one action
/// a line, as `{"<kind>": {...}}`.
///
/// Only what the replicator writes is modelled; a log written by another engine may hold
/// other actions (`cdc`, `domainMetadata`, ...), which `DeltaLog` reads as `.other` and keeps
/// out of its state.
public enum DeltaAction: Sendable, Equatable {
    case protocolVersion(DeltaProtocol)
    case metadata(DeltaMetadata)
    case add(DeltaAddFile)
    case remove(DeltaRemoveFile)
    /// An application's transaction id: `appId` has committed everything up to `version`
    /// (for the replicator, the base table's commit sequence number it reached).
    case transaction(appId: String, version: Int64, lastUpdated: Int64?)
    /// Provenance only (readers ignore it): the operation, its time and its parameters.
    case commitInfo(timestamp: Int64, operation: String, parameters: [String: String])
    /// An action of a kind Cairn does not write, by its key.
    case other(String)
}

/// The `protocol` action: what a reader and a writer must support. Cairn's tables need
/// nothing past the first versions (reader 1, writer 2).
public struct DeltaProtocol: Sendable, Equatable {
    public var minReaderVersion: Int
    public var minWriterVersion: Int

    public init(minReaderVersion: Int = 1, minWriterVersion: Int = 2) {
        self.minReaderVersion = minReaderVersion
        self.minWriterVersion = minWriterVersion
    }
}

/// The `metaData` action: the table's id, schema and settings.
public struct DeltaMetadata: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var description: String?
    /// The schema in Delta's JSON form (`DeltaSchema`).
    public var schemaString: String
    public var partitionColumns: [String] = []
    public var configuration: [String: String] = [:]
    public var createdTime: Int64?

    public init(id: String, name: String? = nil, description: String? = nil, schemaString: String,
                configuration: [String: String] = [:], createdTime: Int64?) {
        self.id = id
        self.name = name
        self.description = description
        self.schemaString = schemaString
        self.configuration = configuration
        self.createdTime = createdTime
    }
}

/// The `add` action: a data file that is part of the table from this version on.
public struct DeltaAddFile: Sendable, Equatable {
    /// Relative to the table's directory.
    public var path: String
    public var size: Int64
    /// Milliseconds since 1970.
    public var modificationTime: Int64
    /// False when the file only rearranges rows already in the table (a compaction).
    public var dataChange: Bool
    /// Statistics as JSON text (`{"numRecords": n}`).
    public var stats: String?

    public init(path: String, size: Int64, modificationTime: Int64, dataChange: Bool, stats: String?) {
        self.path = path
        self.size = size
        self.modificationTime = modificationTime
        self.dataChange = dataChange
        self.stats = stats
    }
}

/// The `remove` action: a data file that is no longer part of the table (readers of older
/// versions still read it until a VACUUM deletes it).
public struct DeltaRemoveFile: Sendable, Equatable {
    public var path: String
    public var deletionTimestamp: Int64
    public var dataChange: Bool
    public var size: Int64?

    public init(path: String, deletionTimestamp: Int64, dataChange: Bool, size: Int64?) {
        self.path = path
        self.deletionTimestamp = deletionTimestamp
        self.dataChange = dataChange
        self.size = size
    }
}

// MARK: - JSON

extension DeltaAction {
    /// The action as one line of a commit file (no newline), keys sorted.
    public func jsonLine() -> [UInt8] {
        let object: [String: Any]
        switch self {
        case .protocolVersion(let p):
            object = ["protocol": ["minReaderVersion": p.minReaderVersion, "minWriterVersion": p.minWriterVersion]]
        case .metadata(let m):
            var body: [String: Any] = [
                "id": m.id, "format": ["provider": "parquet", "options": [String: String]()],
                "schemaString": m.schemaString, "partitionColumns": m.partitionColumns, "configuration": m.configuration,
            ]
            if let name = m.name { body["name"] = name }
            if let description = m.description { body["description"] = description }
            if let created = m.createdTime { body["createdTime"] = created }
            object = ["metaData": body]
        case .add(let a):
            var body: [String: Any] = [
                "path": a.path, "partitionValues": [String: String](), "size": a.size,
                "modificationTime": a.modificationTime, "dataChange": a.dataChange,
            ]
            if let stats = a.stats { body["stats"] = stats }
            object = ["add": body]
        case .remove(let r):
            var body: [String: Any] = [
                "path": r.path, "deletionTimestamp": r.deletionTimestamp, "dataChange": r.dataChange,
                "extendedFileMetadata": r.size != nil, "partitionValues": [String: String](),
            ]
            if let size = r.size { body["size"] = size }
            object = ["remove": body]
        case .transaction(let appId, let version, let lastUpdated):
            var body: [String: Any] = ["appId": appId, "version": version]
            if let lastUpdated { body["lastUpdated"] = lastUpdated }
            object = ["txn": body]
        case .commitInfo(let timestamp, let operation, let parameters):
            object = ["commitInfo": [
                "timestamp": timestamp, "operation": operation, "operationParameters": parameters,
                "engineInfo": "Cairn", "isBlindAppend": false,
            ]]
        case .other(let kind):
            object = [kind: [String: Any]()]
        }
        // Every value above is a string, number, bool, array or dictionary of those: valid.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// Parses one line of a commit file. `file` names it in errors.
    public static func parse(line: Substring, file: String, offset: Int64) throws -> DeltaAction {
        func bad(_ reason: String) -> CairnError { .corruption(file: file, offset: offset, reason: "Delta log action: \(reason)") }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8)),
              let object = parsed as? [String: Any], object.count == 1, let (kind, value) = object.first,
              let body = value as? [String: Any] else {
            throw bad("not a JSON object with one key: \(line.prefix(80))")
        }
        func string(_ key: String) throws -> String {
            guard let s = body[key] as? String else { throw bad("\(kind).\(key) is missing or not a string") }
            return s
        }
        func int(_ key: String) throws -> Int64 {
            // A JSON number converts to Int64 only when it is an integer in range.
            guard let n = body[key] as? Int64 else { throw bad("\(kind).\(key) is missing or not an integer") }
            return n
        }
        func optionalInt(_ key: String) throws -> Int64? { body[key] == nil || body[key] is NSNull ? nil : try int(key) }
        func bool(_ key: String) throws -> Bool {
            guard let b = body[key] as? Bool else { throw bad("\(kind).\(key) is missing or not a boolean") }
            return b
        }
        switch kind {
        case "protocol":
            return .protocolVersion(DeltaProtocol(minReaderVersion: Int(try int("minReaderVersion")), minWriterVersion: Int(try int("minWriterVersion"))))
        case "metaData":
            var m = DeltaMetadata(
                id: try string("id"), name: body["name"] as? String, description: body["description"] as? String,
                schemaString: try string("schemaString"), configuration: body["configuration"] as? [String: String] ?? [:],
                createdTime: try optionalInt("createdTime"))
            m.partitionColumns = body["partitionColumns"] as? [String] ?? []
            return .metadata(m)
        case "add":
            return .add(DeltaAddFile(
                path: try string("path"), size: try int("size"), modificationTime: try int("modificationTime"),
                dataChange: try bool("dataChange"), stats: body["stats"] as? String))
        case "remove":
            return .remove(DeltaRemoveFile(
                path: try string("path"), deletionTimestamp: try optionalInt("deletionTimestamp") ?? 0,
                dataChange: try bool("dataChange"), size: try optionalInt("size")))
        case "txn":
            return .transaction(appId: try string("appId"), version: try int("version"), lastUpdated: try optionalInt("lastUpdated"))
        case "commitInfo":
            return .commitInfo(
                timestamp: try optionalInt("timestamp") ?? 0, operation: body["operation"] as? String ?? "",
                parameters: body["operationParameters"] as? [String: String] ?? [:])
        default:
            return .other(kind)
        }
    }

    /// Parses a commit file (or Cairn's own state file): one action a non-empty line.
    public static func parseLines(_ bytes: [UInt8], file: String) throws -> [DeltaAction] {
        var actions: [DeltaAction] = []
        var offset: Int64 = 0
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            defer { offset += Int64(line.utf8.count + 1) }
            if line.allSatisfy({ $0 == " " || $0 == "\r" }) { continue }
            actions.append(try parse(line: line, file: file, offset: offset))
        }
        return actions
    }

    /// Actions as a commit file's bytes.
    public static func lines(_ actions: [DeltaAction]) -> [UInt8] {
        var out: [UInt8] = []
        for action in actions {
            out += action.jsonLine()
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}
