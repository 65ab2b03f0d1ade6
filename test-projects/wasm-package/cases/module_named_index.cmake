# index.d.ts and index.js are the package's own.
add_custom_target(index)
set_target_properties(index PROPERTIES BUILDBUDGET_WASM_FILE ${CMAKE_BINARY_DIR}/imgproc.wasm)
wasm_package(pkg MODULES index)
