wrt_memory_budget(fw COMPONENTS net 1MB CONFIG no-such-file.toml)
