# A misspelt keyword after TARGETS is read as a target name, which does not exist.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
add_library(net_stack STATIC src/ring.c)
target_link_libraries(net_stack PRIVATE fw_budget)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stack FREESTANDIN)
