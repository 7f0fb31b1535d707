/// Errors of CairnExport that are not the file system's (those stay `CairnError`).
public enum ExportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A value does not fit its column, or a page could not be encoded.
    case encoding(String)
    /// The writer was used after `finish()`.
    case finished

    public var description: String {
        switch self {
        case .encoding(let message): return "export encoding error: \(message)"
        case .finished: return "export error: the Parquet writer has already finished its file"
        }
    }
}
