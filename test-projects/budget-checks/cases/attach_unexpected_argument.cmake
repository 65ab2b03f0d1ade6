# The component without its COMPONENT keyword.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
add_library(net_stack STATIC src/ring.c)
wrt_memory_budget_attach(fw net TARGETS net_stack)
