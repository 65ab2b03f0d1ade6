wasm_build_target(m SOURCES src/bulk.c MAX_GZIP_SIZE 12XB)
