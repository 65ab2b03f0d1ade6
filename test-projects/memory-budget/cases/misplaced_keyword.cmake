wrt_memory_budget(fw PLATFORM iot CATEGORY large COMPONENTS net 1MB)
