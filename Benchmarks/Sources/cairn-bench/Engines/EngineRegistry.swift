/// The engines cairn-bench can run, in report order: Cairn first, then its peers.
enum EngineRegistry {
    /// Every engine: cairn, rocksdb, leveldb, sqlite, lmdb.
    static let all: [any BenchEngine.Type] = [
        CairnEngine.self, RocksDBEngine.self, LevelDBEngine.self, SQLiteEngine.self, LMDBEngine.self,
    ]

    /// The engine whose `name` is `name`, or nil.
    static func named(_ name: String) -> (any BenchEngine.Type)? {
        all.first { $0.name == name }
    }
}
