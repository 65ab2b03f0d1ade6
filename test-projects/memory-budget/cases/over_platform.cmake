wrt_memory_budget(fw PLATFORM embedded COMPONENTS net 2MB storage 2MB app 1KB)
