import Testing
@testable import Cairn

/// Helpers for writing expression trees by hand in tests (the evaluators are tested without
/// the text parser). Suites adopt the protocol to get the helpers as methods.
protocol ExpressionTreeBuilding {}

extension ExpressionTreeBuilding {
    /// `"a.b[2].c"` as a path: names split at dots, `[n]` list indexes. Test input only; names
    /// with dots or brackets are written with `DocumentPath([...])` instead.
    func path(_ text: String) -> DocumentPath {
        var elements: [PathElement] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                let name = rest[..<bracket]
                if !name.isEmpty { elements.append(.name(String(name))) }
                rest = rest[bracket...]
                while rest.first == "[", let close = rest.firstIndex(of: "]") {
                    let digits = rest[rest.index(after: rest.startIndex)..<close]
                    if let index = Int(digits) { elements.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                elements.append(.name(String(rest)))
            }
        }
        return DocumentPath(elements)
    }

    /// A path operand.
    func p(_ text: String) -> Operand { .path(path(text)) }

    /// A constant operand (an ExpressionAttributeValues entry).
    func v(_ value: AttributeValue) -> Operand { .value(value) }

    /// A number from its decimal text (records an issue for invalid text).
    func num(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Number {
        do {
            return try Number(parsing: text)
        } catch {
            Issue.record("bad number \(text): \(error)", sourceLocation: sourceLocation)
            return .zero
        }
    }

    /// An N value from its decimal text.
    func n(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> AttributeValue {
        .n(num(text, sourceLocation: sourceLocation))
    }

    /// An NS value from decimal texts.
    func ns(_ texts: String..., sourceLocation: SourceLocation = #_sourceLocation) -> AttributeValue {
        .ns(texts.map { num($0, sourceLocation: sourceLocation) })
    }

    /// Runs `body`, which must throw a `ValidationException`; returns its message (nil, with an
    /// issue recorded, otherwise).
    @discardableResult
    func validationMessage<T>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) -> String? {
        do {
            let result = try body()
            Issue.record("expected a ValidationException, got \(result)", sourceLocation: sourceLocation)
            return nil
        } catch let error as DynamoDBError {
            #expect(error.name == "ValidationException", "\(error)", sourceLocation: sourceLocation)
            return error.message
        } catch {
            Issue.record("expected a ValidationException, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}
