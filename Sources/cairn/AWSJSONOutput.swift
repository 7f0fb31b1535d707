import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Prints responses as aws-cli's JSON output does (`--output json`, its default):
///
/// - `json.dumps(response, indent=4, ensure_ascii=False)` layout (`JSONValue.pythonIndentedText`);
/// - structure members in the API model's order (`DynamoDBShapes`), which is the order
///   botocore's parser builds them in; members the model does not list follow in the order
///   the response has them;
/// - map members (item attributes, keys, expression maps) sorted by name, bytewise in UTF-8:
///   DynamoDB gives no order and aws-cli keeps the wire's, so Cairn picks a stable one;
/// - numbers inside AttributeValues stay strings (`{"N": "1.5"}`), as DynamoDB's JSON has them;
/// - timestamps in ISO 8601 in the local time zone with microseconds, as aws-cli v2 prints them
///   (`datetime.fromtimestamp(t, tzlocal()).isoformat()`: `2026-11-23T21:55:38.123000+00:00`);
///   aws-cli v1 prints the wire's epoch number unless `cli_timestamp_format = iso8601`;
/// - an empty response (`{}`, e.g. PutItem without ReturnValues, GetItem of a missing item)
///   prints nothing at all.
enum AWSJSONOutput {
    /// The text to print for `response` (with a final newline), or nil when there is nothing
    /// to print.
    static func text(_ response: some Encodable, shape: Shape) throws -> String? {
        let data = try JSONEncoder().encode(response)
        let json = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        return text(json, shape: shape)
    }

    /// The text to print for a response already in JSON form.
    static func text(_ response: JSONValue, shape: Shape) -> String? {
        let shaped = arrange(response, shape)
        if case .object(let members) = shaped, members.isEmpty { return nil }
        return shaped.pythonIndentedText + "\n"
    }

    /// Orders members and renders timestamps as the model says; drops JSON nulls (absent
    /// members), as botocore's parser does.
    static func arrange(_ value: JSONValue, _ shape: Shape) -> JSONValue {
        switch (shape, value) {
        case (.timestamp, .number(let text)):
            guard let seconds = Double(text) else { return value }
            return .string(AWSTimestamp.isoformat(seconds))
        case (.list(let element), .array(let elements)):
            return .array(elements.map { arrange($0, element) })
        case (.map(let valueShape), .object(let members)):
            let sorted = members.filter { $0.1 != .null }
                .sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            return .object(sorted.map { ($0.0, arrange($0.1, valueShape)) })
        case (.structure, .object(let members)), (.attributeValue, .object(let members)):
            guard let structure = shape.structure else { return value }
            var out: [(String, JSONValue)] = []
            for (name, memberShape) in structure.members {
                if let v = members.first(where: { $0.0 == name })?.1, v != .null {
                    out.append((name, arrange(v, memberShape)))
                }
            }
            for (name, v) in members where structure.member(name) == nil && v != .null {
                out.append((name, v))
            }
            return .object(out)
        default:
            return value
        }
    }
}

/// aws-cli v2's rendering of timestamps.
enum AWSTimestamp {
    /// `seconds` since 1970 as Python's `datetime.fromtimestamp(seconds, tzlocal()).isoformat()`:
    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM` in the local time zone (set `TZ=UTC` for `+00:00`),
    /// microseconds rounded half to even and left out when zero.
    static func isoformat(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e15 else { return String(seconds) }
        var whole = seconds.rounded(.down)
        var micros = ((seconds - whole) * 1_000_000).rounded(.toNearestOrEven)
        if micros >= 1_000_000 {
            whole += 1
            micros -= 1_000_000
        }
        var t = time_t(whole)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return String(seconds) }
        func pad(_ n: Int, _ width: Int) -> String {
            let digits = String(abs(n))
            return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
            + "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if micros > 0 { text += "." + pad(Int(micros), 6) }
        let offset = Int(parts.tm_gmtoff)
        let sign = offset < 0 ? "-" : "+"
        text += sign + pad(abs(offset) / 3600, 2) + ":" + pad(abs(offset) % 3600 / 60, 2)
        if abs(offset) % 60 != 0 { text += ":" + pad(abs(offset) % 60, 2) }
        return text
    }
}
