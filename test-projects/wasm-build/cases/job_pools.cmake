# lowmem_profile() before the module: its compiles and its link run in the
# profile's Ninja job pools.
lowmem_profile()
wasm_build_target(pooled SOURCES src/multi/main.c src/multi/twice.c)
