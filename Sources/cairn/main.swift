print("cairn: not built yet")
