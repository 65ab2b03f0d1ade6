# VERBOSE prints every component with its value and its source.
wrt_memory_budget(vb PLATFORM iot COMPONENTS a 1MB b 2MB VERBOSE)
