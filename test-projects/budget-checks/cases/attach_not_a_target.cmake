# TARGETS names something that is never defined.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stak)
