/// Builds a column chunk's pages in memory (`ColumnChunkWriter`): each page body in one
/// buffer reused for every page (grown to the largest page's bound, never shrunk), then
/// compressed and appended after its page header. One per thread that encodes chunks.
struct PageEncoder {
    private var compressor: PageCompressor
    private var body: [UInt8] = []
    /// The chunk's pages so far.
    private var pages: [UInt8] = []

    init(compressor: PageCompressor) {
        self.compressor = compressor
    }

    /// The footer's name for the codec.
    var parquetCodec: Parquet.Codec { compressor.parquetCodec }

    /// Where the next page starts, from the chunk's first byte.
    var offset: Int64 { Int64(pages.count) }

    /// The pages built since the last call, which starts the next chunk.
    mutating func takePages() -> [UInt8] {
        defer { pages = [] }
        return pages
    }

    /// Builds a page body of at most `bodyBound` bytes with `fill`, compresses it and appends
    /// it after its page header; returns the sizes the column chunk's metadata counts (header
    /// included). `valueCount` is the page's entries (a dictionary page's: its entries).
    mutating func writePage(
        type: Parquet.PageType, valueCount: Int, encoding: Parquet.Encoding, bodyBound: Int,
        fill: (inout ByteWriter) -> Void
    ) throws -> (uncompressed: Int64, compressed: Int64) {
        guard let values = Int32(exactly: valueCount) else {
            throw ExportError.encoding("a page of \(valueCount) values is over Parquet's limit of \(Int32.max)")
        }
        if body.count < bodyBound { body = [UInt8](repeating: 0, count: max(bodyBound, body.count * 2)) }
        return try Self.writePage(
            type: type, values: values, encoding: encoding, fill: fill, body: &body, compressor: &compressor, pages: &pages)
    }

    /// `writePage`'s work, on the encoder's parts as separate arguments so the body can be
    /// read while the compressor writes its own buffer.
    private static func writePage(
        type: Parquet.PageType, values: Int32, encoding: Parquet.Encoding, fill: (inout ByteWriter) -> Void,
        body: inout [UInt8], compressor: inout PageCompressor, pages: inout [UInt8]
    ) throws -> (uncompressed: Int64, compressed: Int64) {
        var used = 0
        var overflowed = false
        body.withUnsafeMutableBytes { buffer in
            var writer = ByteWriter(buffer)
            fill(&writer)
            used = writer.count
            overflowed = writer.overflowed
        }
        guard !overflowed else {
            throw ExportError.encoding("a \(type) page outgrew the bound computed for it (a writer bug)")
        }
        return try body.withUnsafeBufferPointer { buffer in
            let page = UnsafeBufferPointer(rebasing: buffer[0 ..< used])
            return try compressor.compress(page) { compressed in
                guard let uncompressedSize = Int32(exactly: page.count), let compressedSize = Int32(exactly: compressed.count) else {
                    throw ExportError.encoding("a page of \(page.count) bytes is over Parquet's 2 GiB page limit")
                }
                let header = Parquet.PageHeader(
                    type: type, uncompressedSize: uncompressedSize, compressedSize: compressedSize,
                    valueCount: values, encoding: encoding
                ).encoded()
                pages.append(contentsOf: header)
                pages.append(contentsOf: compressed)
                return (Int64(header.count + page.count), Int64(header.count + compressed.count))
            }
        }
    }
}
