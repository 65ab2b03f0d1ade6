# TARGETS is missing.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
wrt_memory_budget_attach(fw COMPONENT net FREESTANDING)
