wasm_build_target(m SOURCES src/nope.c)
