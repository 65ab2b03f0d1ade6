# No PLATFORM: the BUILDBUDGET_PLATFORM cache variable (set by the presets) decides.
wrt_memory_budget(pc COMPONENTS a 2MB)
message(STATUS "platform=${pc_BUDGET_PLATFORM}")
