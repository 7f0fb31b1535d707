/// A `Number` is `Codable` so that a Swift type may hold one and still use synthesized
/// `Codable`. `ItemEncoder` and `ItemDecoder` store it as N exactly as it is; any other coder
/// sees its canonical decimal text as a string (`"12.5"`), as DynamoDB's JSON carries numbers,
/// so no digits are lost to `Double`.
extension Number: Codable {
    /// Decodes the decimal text of a number, e.g. `"-1.5E3"`.
    ///
    /// - Throws: `DecodingError.dataCorrupted` when the text is not a valid DynamoDB number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Number(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a valid DynamoDB number: \(error)",
                      underlyingError: error))
        }
    }

    /// Encodes the canonical decimal text (`description`) as a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
