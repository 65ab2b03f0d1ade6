wrt_memory_budget(fw COMPONENTS net 1MB CONFIG a.toml NO_CONFIG)
