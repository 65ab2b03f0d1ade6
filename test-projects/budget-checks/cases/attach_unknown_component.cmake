# COMPONENT names a component the set does not have.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB storage 512KB)
add_library(net_stack STATIC src/ring.c)
wrt_memory_budget_attach(fw COMPONENT nett TARGETS net_stack)
