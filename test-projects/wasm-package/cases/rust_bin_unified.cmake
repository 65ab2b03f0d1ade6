# A Rust bin crate has no library to link.
wasm_build_target(hello_rs CARGO_MANIFEST ${WASM_EXAMPLE_DIR}/../../test-projects/wasm-build/hello-rs/Cargo.toml
                  TARGET wasm32-wasi)
wasm_package(pkg MODULES hasher hello_rs UNIFIED)
