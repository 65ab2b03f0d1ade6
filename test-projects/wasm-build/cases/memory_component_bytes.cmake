# MEMORY_COMPONENT takes the component's bytes from what wrt_memory_budget()
# got from the helper's CMake script, not by parsing the set's JSON
# description (written for other tools; removed here to show it).
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB wasm 3MB)
file(REMOVE "${fw_BUDGET_JSON}")
wasm_build_target(m SOURCES src/bulk.c MEMORY_COMPONENT fw wasm)
get_target_property(max_memory m _BUILDBUDGET_WASM_MAX_MEMORY)
message(NOTICE "linear memory of m: ${max_memory} bytes")
