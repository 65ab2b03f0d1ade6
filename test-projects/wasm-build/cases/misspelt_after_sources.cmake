# A misspelt keyword after SOURCES would be taken for a source file.
wasm_build_target(m SOURCES src/bulk.c COMPILE_DEFINITONS X)
