/// Every engine cairn-bench knows, by name.
enum EngineRegistry {
    static let all: [any BenchEngine.Type] = [CairnEngine.self]

    static func named(_ name: String) -> (any BenchEngine.Type)? {
        all.first { $0.name == name }
    }
}
