wrt_memory_budget(fw PLATFORM iot COMPONENTS net -1MB storage 12XB app 0.5B)
