# net_stack does not link fw_budget; app links it through a dependency.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB app 1MB)
add_library(net_stack STATIC src/ring.c)
add_library(glue STATIC src/stats.c)
target_link_libraries(glue PUBLIC fw_budget)
add_executable(app src/heap_hog.c)
target_link_libraries(app PRIVATE glue)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stack)
wrt_memory_budget_attach(fw COMPONENT app TARGETS app)
