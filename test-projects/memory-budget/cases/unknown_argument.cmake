wrt_memory_budget(fw COMPONENTS net 1MB PLATFROM embedded)
