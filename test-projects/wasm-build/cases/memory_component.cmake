# MEMORY_COMPONENT names a component the set does not have.
wrt_memory_budget(fw PLATFORM embedded NO_CONFIG COMPONENTS net 1MB)
wasm_build_target(m SOURCES src/bulk.c MEMORY_COMPONENT fw wasm)
