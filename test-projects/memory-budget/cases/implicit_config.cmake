# No CONFIG: ${CMAKE_SOURCE_DIR}/memory_budget.toml is read when it exists, unless NO_CONFIG.
wrt_memory_budget(ic PRESET wrt)
wrt_memory_budget(nc PRESET wrt NO_CONFIG)
message(STATUS "ic=${ic_BUDGET_WRT_RUNTIME} nc=${nc_BUDGET_WRT_RUNTIME}")
