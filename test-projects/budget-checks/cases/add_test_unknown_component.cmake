# wrt_memory_budget_add_test() names a component the set does not have.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS app 1MB)
add_executable(app src/heap_hog.c)
wrt_memory_budget_add_test(fw COMPONENT ap NAME app_peak COMMAND app)
