# A warning (total below the desktop minimum) that STRICT makes an error.
wrt_memory_budget(st PLATFORM desktop COMPONENTS a 1MB STRICT)
