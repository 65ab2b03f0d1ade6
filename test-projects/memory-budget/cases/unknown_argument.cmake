# A misspelt keyword after COMPONENTS would be taken for a component's name.
wrt_memory_budget(fw COMPONENTS net 1MB PLATFROM embedded)
