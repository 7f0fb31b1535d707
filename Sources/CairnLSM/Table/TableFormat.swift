/// Names and constants of the SSTable layout shared by `TableBuilder` and `TableReader`
/// (documented in Docs/table_format.md).
enum TableFormat {
    /// Metaindex name of the bloom filter block.
    static let filterBlockName = "cairn.bloom"
    /// Metaindex name of the range-deletion block.
    static let rangeDeletionBlockName = "cairn.rangedel"
    /// Metaindex name of the properties block.
    static let propertiesBlockName = "cairn.properties"
    /// Restart interval of the index, metaindex, properties and range-deletion blocks
    /// (every key stored in full, so binary search lands exactly).
    static let metaRestartInterval = 1
}
