wrt_memory_budget(fw PLATFORM iot COMPONENTS net 1MB)
wrt_memory_budget(fw PLATFORM iot COMPONENTS net 2MB)
