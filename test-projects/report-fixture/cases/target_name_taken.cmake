# The project already has a target named as the package's report target.
add_custom_target(buildbudget_report COMMAND true)
wrt_memory_budget(fw PRESET none PLATFORM embedded COMPONENTS net 4KB)
