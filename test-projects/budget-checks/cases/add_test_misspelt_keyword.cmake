# A misspelt keyword after COMMAND would be passed to the program.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS app 1MB)
add_executable(app src/heap_hog.c)
wrt_memory_budget_add_test(fw COMPONENT app NAME app_peak COMMAND app WORKING_DIRECTOY /tmp)
