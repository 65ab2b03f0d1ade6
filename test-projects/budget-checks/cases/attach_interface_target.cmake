# An INTERFACE library builds no file to measure.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
add_library(net_headers INTERFACE)
target_link_libraries(net_headers INTERFACE fw_budget)
wrt_memory_budget_attach(fw COMPONENT net TARGETS net_headers)
