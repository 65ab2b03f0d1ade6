# COMMAND names a library target, which cannot run.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS app 1MB)
add_library(net_stack STATIC src/ring.c)
wrt_memory_budget_add_test(fw COMPONENT app NAME app_peak COMMAND net_stack --selftest)
