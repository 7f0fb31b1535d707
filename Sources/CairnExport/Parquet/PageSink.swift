import CairnLSM

/// Where a file's bytes go: the file, with its running offset.
struct PageSink {
    let file: any WritableFile
    private(set) var offset: Int64

    init(file: any WritableFile, offset: Int64) {
        self.file = file
        self.offset = offset
    }

    /// Writes raw bytes (the magic, the footer).
    mutating func write(_ bytes: [UInt8]) throws {
        try file.append(bytes)
        offset += Int64(bytes.count)
    }

    /// Writes a column chunk that `PageEncoder` built; returns its metadata with the page
    /// offsets moved from the chunk's start to where it lands in the file.
    mutating func write(_ chunk: EncodedChunk) throws -> Parquet.ColumnChunkMetadata {
        var metadata = chunk.metadata
        metadata.dataPageOffset += offset
        metadata.dictionaryPageOffset = metadata.dictionaryPageOffset.map { $0 + offset }
        try write(chunk.bytes)
        return metadata
    }
}

/// A column chunk's pages, in memory, and its metadata with page offsets counted from the
/// chunk's first byte.
struct EncodedChunk: Sendable {
    var bytes: [UInt8]
    var metadata: Parquet.ColumnChunkMetadata
}
