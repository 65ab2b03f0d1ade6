wasm_build_target(m SOURCES src/bulk.c OPTIMIZE small)
