# A misspelt keyword after TARGETS would be taken for a target's name.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
add_library(net_stack STATIC src/ring.c)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stack FREESTANDIN)
