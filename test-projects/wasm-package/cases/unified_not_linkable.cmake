# A module from elsewhere (only a BUILDBUDGET_WASM_FILE): nothing to link.
add_custom_target(prebuilt)
set_target_properties(prebuilt PROPERTIES BUILDBUDGET_WASM_FILE ${CMAKE_BINARY_DIR}/imgproc.wasm)
wasm_package(pkg MODULES imgproc prebuilt UNIFIED)
