# Under STRICT the missing integration is an error; linking after the attach counts.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB storage 512KB STRICT)
add_library(net_stack STATIC src/ring.c)
add_library(storage STATIC src/block.c)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_stack)
wrt_memory_budget_attach(fw COMPONENT storage TARGETS storage)
target_link_libraries(storage PRIVATE fw_budget)
