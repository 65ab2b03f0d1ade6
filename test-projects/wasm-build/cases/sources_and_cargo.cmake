wasm_build_target(both SOURCES src/bulk.c CARGO_MANIFEST ${WASM_EXAMPLE_DIR}/hasher/Cargo.toml)
