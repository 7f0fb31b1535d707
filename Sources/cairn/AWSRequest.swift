import Foundation

/// A DynamoDB request assembled from command-line flags the way aws-cli assembles it: start
/// from `--cli-input-json` (if given), then each flag sets its member, overriding the JSON.
/// Every flag value may be `file://PATH` (or `fileb://PATH`) to read it from a file, as aws-cli
/// accepts; structure, map and list flags take JSON (when the value starts with `{` or `[`)
/// or aws-cli's shorthand syntax. The finished request is checked against the model and
/// decoded into Cairn's input struct.
struct AWSRequest {
    /// The request's members, in the order they were set.
    private(set) var members: [(String, JSONValue)] = []

    /// A request starting from `--cli-input-json`'s object, if there is one.
    init(cliInputJSON: String?) throws {
        guard let raw = cliInputJSON else { return }
        let text = try Self.loadParameter(raw, flag: "--cli-input-json")
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw ParameterError(flag: "--cli-input-json", message: "Invalid JSON received.")
        }
        guard case .object(let members) = value else {
            throw ParameterError(flag: "--cli-input-json", message: "Invalid JSON received.")
        }
        self.members = members
    }

    /// The member `name`, if set.
    subscript(name: String) -> JSONValue? {
        members.first { $0.0 == name }?.1
    }

    /// Sets member `name` (replacing a value from `--cli-input-json`); nil leaves it alone.
    mutating func set(_ name: String, _ value: JSONValue?) {
        guard let value else { return }
        if let index = members.firstIndex(where: { $0.0 == name }) {
            members[index].1 = value
        } else {
            members.append((name, value))
        }
    }

    /// Removes member `name`.
    mutating func remove(_ name: String) {
        members.removeAll { $0.0 == name }
    }

    /// Sets a string member from a flag (reading `file://` values).
    mutating func setString(_ name: String, _ raw: String?, flag: String) throws {
        guard let raw else { return }
        set(name, .string(try Self.loadParameter(raw, flag: flag)))
    }

    /// Sets an integer member.
    mutating func setInt(_ name: String, _ value: Int?) {
        set(name, value.map { .number(String($0)) })
    }

    /// Sets a boolean member.
    mutating func setBool(_ name: String, _ value: Bool?) {
        set(name, value.map { .bool($0) })
    }

    /// Sets a structure or map member from a flag's JSON or shorthand value.
    mutating func setComplex(_ name: String, _ raw: String?, flag: String, shape: Shape) throws {
        guard let raw else { return }
        set(name, try Self.complexValue([raw], flag: flag, shape: shape))
    }

    /// Sets a list member from a flag's values: one JSON list, or one JSON object or shorthand
    /// structure per value (`--key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE`).
    mutating func setList(_ name: String, _ raws: [String], flag: String, shape: Shape) throws {
        guard !raws.isEmpty else { return }
        set(name, try Self.complexValue(raws, flag: flag, shape: shape))
    }

    /// The request as `Input`, after botocore's parameter checks against `shape`.
    ///
    /// - Throws: `ParameterValidationError` for a request the model rejects; `DynamoDBError`
    ///   for what DynamoDB itself would refuse while reading the request (a bad enum value,
    ///   a malformed AttributeValue).
    func decode<Input: Decodable>(_ type: Input.Type, shape: Shape) throws -> Input {
        let request = JSONValue.object(members)
        var validation = ParameterValidation()
        validation.check(request, shape, "")
        guard validation.problems.isEmpty else { throw ParameterValidationError(problems: validation.problems) }
        do {
            return try JSONDecoder().decode(Input.self, from: Data(request.compactText.utf8))
        } catch let error as DecodingError {
            throw ParameterValidationError(problems: [Self.describe(error)])
        }
    }

    // MARK: Parameter values

    /// The value of a flag, read from the file when it is `file://PATH` or `fileb://PATH`
    /// (`~` expands to the home directory), as aws-cli's paramfile handler does.
    static func loadParameter(_ raw: String, flag: String) throws -> String {
        let prefix: String
        if raw.hasPrefix("file://") {
            prefix = "file://"
        } else if raw.hasPrefix("fileb://") {
            prefix = "fileb://"
        } else {
            return raw
        }
        var path = String(raw.dropFirst(prefix.count))
        if path == "~" || path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
            path = home + path.dropFirst()
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path)
                ? "cannot read \(path)" : "[Errno 2] No such file or directory: '\(path)'"
            throw ParameterError(flag: flag, message: "Unable to load paramfile \(raw): \(reason)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ParameterError(flag: flag, message:
                "Unable to load paramfile (\(path)), text contents could not be decoded.")
        }
        return text
    }

    /// Parses a complex flag's values (JSON or shorthand) into a value of `shape`.
    static func complexValue(_ raws: [String], flag: String, shape: Shape) throws -> JSONValue {
        // As aws-cli: a single value is read from its file first; a list of several is not.
        let values = raws.count == 1 ? [try loadParameter(raws[0], flag: flag)] : raws
        let first = values[0].trimmingSpaces
        if case .list(let element) = shape {
            if values.count == 1, first.hasPrefix("[") {
                return try json(values[0], flag: flag)
            }
            var elements: [JSONValue] = []
            for value in values {
                elements.append(try single(value, flag: flag, shape: element, path: "[\(elements.count)]"))
            }
            return .array(elements)
        }
        guard values.count == 1 else {
            throw ParameterError(flag: flag, message: "expected one value, got \(values.count)")
        }
        return try single(values[0], flag: flag, shape: shape, path: "")
    }

    /// One JSON or shorthand value of `shape`.
    private static func single(_ text: String, flag: String, shape: Shape, path: String) throws -> JSONValue {
        let trimmed = text.trimmingSpaces
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") { return try json(text, flag: flag) }
        if trimmed.isEmpty { throw ParameterError(flag: flag, message: "Invalid JSON:\n\(text)") }
        var parser = ShorthandParser()
        parser.loadFile = { value in
            value.hasPrefix("file://") || value.hasPrefix("fileb://") ? try loadParameter(value, flag: flag) : nil
        }
        let parsed: JSONValue
        do {
            parsed = try parser.parse(text)
        } catch let error as ShorthandParseError {
            throw ParameterError(flag: flag, message: error.message)
        }
        do {
            return try shape.typeShorthand(parsed, path: path)
        } catch {
            throw ParameterError(flag: flag, message: error.message)
        }
    }

    /// A JSON flag value; the error is aws-cli's ("Invalid JSON: <Python's message>\nJSON received: ...").
    private static func json(_ text: String, flag: String) throws -> JSONValue {
        do {
            return try JSONValue.parse(text)
        } catch {
            throw ParameterError(flag: flag, message: "Invalid JSON: \(error.message)\nJSON received: \(text)")
        }
    }

    /// A decoding failure described by the member path it happened at.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .drop { $0 == "." }.description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "Missing required parameter in \(parent.isEmpty ? "input" : parent): \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let at = path(context.codingPath)
            return "Invalid value for parameter \(at.isEmpty ? "input" : at): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// A flag's value cannot be read or parsed; printed as aws-cli prints it:
/// "Error parsing parameter '--item': Invalid JSON: ...".
struct ParameterError: Error {
    var flag: String
    var message: String

    var description: String { "Error parsing parameter '\(flag)': \(message)" }
}

/// The request breaks the API model (botocore's "Parameter validation failed:" list).
struct ParameterValidationError: Error {
    var problems: [String]

    var description: String { "Parameter validation failed:\n" + problems.joined(separator: "\n") }
}

/// A usage error aws-cli reports itself, before any request (e.g. "Cannot specify
/// --no-paginate along with pagination arguments: --max-items").
struct UsageError: Error {
    var message: String
}
