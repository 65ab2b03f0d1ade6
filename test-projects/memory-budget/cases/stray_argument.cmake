wrt_memory_budget(fw PLATFORM iot STRICTLY COMPONENTS net 1MB)
