# The issue's second form, exactly as written; the test writes memory_budget.toml.
wrt_memory_budget(wrt PRESET wrt CONFIG ${CMAKE_SOURCE_DIR}/memory_budget.toml)
message(STATUS "result: ${wrt_TOTAL_MEMORY_BUDGET} ${wrt_BUDGET_WRT_RUNTIME} ${wrt_BUDGET_PLATFORM}")
