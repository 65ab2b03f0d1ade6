# A module named like a JavaScript keyword cannot name its loader function.
add_custom_target(class)
set_target_properties(class PROPERTIES BUILDBUDGET_WASM_FILE ${CMAKE_BINARY_DIR}/imgproc.wasm)
wasm_package(pkg MODULES imgproc class)
