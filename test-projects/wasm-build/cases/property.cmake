# The module's paths as target properties.
wasm_build_target(imgproc SOURCES ${WASM_EXAMPLE_DIR}/src/imgproc.cpp SIMD)
get_target_property(file imgproc WASM_FILE)
get_target_property(simd imgproc WASM_SIMD_FILE)
message(STATUS "WASM_FILE=${file}")
message(STATUS "WASM_SIMD_FILE=${simd}")
