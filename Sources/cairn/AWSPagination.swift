import ArgumentParser
import Foundation

/// aws-cli's pagination flags, which `scan`, `query` and `list-tables` take.
///
/// By default aws-cli follows the operation's paging token (LastEvaluatedKey,
/// LastEvaluatedTableName) until the end and prints one merged response: `Items` joined,
/// `Count` and `ScannedCount` summed (`TableNames` joined), without the paging token. Giving
/// `--limit` or `--exclusive-start-key` (`--exclusive-start-table-name`), or `--no-paginate`,
/// turns that off: one request, printed as the operation returns it.
struct PaginationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Print at most N items in all (aws-cli pagination); prints a NextToken to resume from.",
                               valueName: "n"))
    var maxItems: Int?

    @Option(help: ArgumentHelp("Items per request while paginating (the request's Limit).", valueName: "n"))
    var pageSize: Int?

    @Option(parsing: .unconditional,
            help: ArgumentHelp("Resume from a NextToken that an earlier --max-items printed.", valueName: "token"))
    var startingToken: String?

    @Flag(name: .customLong("no-paginate"), help: "Make one request and print its response as it is.")
    var noPaginate = false
}

/// botocore's paginator (`botocore/paginate.py`, `PageIterator` and `build_full_result`) for
/// one operation, following `dynamodb/2012-08-10/paginators-1.json`.
struct Paginator {
    /// The request member that carries the token (`ExclusiveStartKey`).
    var inputToken: String
    /// The response member that carries it (`LastEvaluatedKey`).
    var outputToken: String
    /// The members merged across pages; the first is the list `--max-items` counts.
    var resultKeys: [String]

    /// Query's and Scan's paging.
    static let items = Paginator(inputToken: "ExclusiveStartKey", outputToken: "LastEvaluatedKey",
                                 resultKeys: ["Items", "Count", "ScannedCount"])
    /// ListTables' paging.
    static let tableNames = Paginator(inputToken: "ExclusiveStartTableName", outputToken: "LastEvaluatedTableName",
                                      resultKeys: ["TableNames"])

    /// Runs `call` as aws-cli would for `request` and returns the response to print.
    ///
    /// - Parameter manualPaging: the user set `Limit` or the input token themselves, which
    ///   turns automatic pagination off as in aws-cli.
    func run(_ request: AWSRequest, _ options: PaginationOptions, manualPaging: Bool,
             call: (AWSRequest) throws -> JSONValue) throws -> JSONValue {
        if options.noPaginate || manualPaging {
            let used = [("--starting-token", options.startingToken != nil), ("--page-size", options.pageSize != nil),
                        ("--max-items", options.maxItems != nil)].filter(\.1).map(\.0)
            guard used.isEmpty else {
                throw UsageError(message: "Cannot specify --no-paginate along with pagination arguments: "
                    + used.joined(separator: ", "))
            }
            return try call(request)
        }
        if let n = options.maxItems, n < 1 {
            throw UsageError(message: "argument --max-items: must be at least 1")
        }
        var request = request
        if let size = options.pageSize { request.setInt("Limit", size) }
        var token: JSONValue = .null
        var startingTruncation = 0
        if let text = options.startingToken {
            (token, startingTruncation) = try decodeToken(text)
            if token != .null { request.set(inputToken, token) }
        }
        let primary = resultKeys[0]
        var result: [(String, JSONValue)] = []
        var resumeToken: JSONValue?
        var total = 0
        var first = true
        var previousToken: JSONValue?
        while true {
            var page = try call(request)
            if first {
                first = false
                if options.startingToken != nil, case .array(let list)? = page[member: primary] {
                    page = page.setting(primary, .array(Array(list.dropFirst(startingTruncation))))
                }
            } else {
                startingTruncation = 0
            }
            var pageItems: [JSONValue] = []
            if case .array(let list)? = page[member: primary] { pageItems = list }
            if let maxItems = options.maxItems, total + pageItems.count > maxItems {
                let keep = maxItems - total
                page = page.setting(primary, .array(Array(pageItems.prefix(keep))))
                merge(page, into: &result)
                resumeToken = .object([(inputToken, token), ("boto_truncate_amount", .number(String(keep + startingTruncation)))])
                break
            }
            merge(page, into: &result)
            total += pageItems.count
            guard let next = page[member: outputToken], next != .null, next != .string(""), next != .object([]) else { break }
            token = next
            if let maxItems = options.maxItems, total == maxItems {
                resumeToken = .object([(inputToken, next)])
                break
            }
            if previousToken == next {
                throw UsageError(message: "The same next token was received twice: \(next.compactText)")
            }
            previousToken = next
            request.set(inputToken, next)
        }
        if let resumeToken {
            result.append(("NextToken", .string(Data(resumeToken.compactText.utf8).base64EncodedString())))
        }
        return .object(result)
    }

    /// Adds a page's result members to the merged response: lists joined, numbers summed.
    private func merge(_ page: JSONValue, into result: inout [(String, JSONValue)]) {
        for key in resultKeys {
            guard let value = page[member: key], value != .null else { continue }
            guard let index = result.firstIndex(where: { $0.0 == key }) else {
                result.append((key, value))
                continue
            }
            switch (result[index].1, value) {
            case let (.array(a), .array(b)):
                result[index].1 = .array(a + b)
            case let (.number(a), .number(b)):
                result[index].1 = .number(String((Int(a) ?? 0) + (Int(b) ?? 0)))
            default:
                break
            }
        }
    }

    /// The service token and the items to skip, from a NextToken (base64 of
    /// `{"ExclusiveStartKey": ..., "boto_truncate_amount": n}`, as botocore writes it).
    private func decodeToken(_ text: String) throws -> (JSONValue, Int) {
        guard let data = Data(base64Encoded: text), let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
              case .object = json else {
            throw UsageError(message: "Bad starting token: \(text)")
        }
        var truncation = 0
        if case .number(let n)? = json[member: "boto_truncate_amount"] { truncation = max(0, Int(n) ?? 0) }
        return (json[member: inputToken] ?? .null, truncation)
    }
}

extension JSONValue {
    /// The object with member `name` set to `value` (added at the end if missing).
    func setting(_ name: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == name }) {
            members[index].1 = value
        } else {
            members.append((name, value))
        }
        return .object(members)
    }
}
