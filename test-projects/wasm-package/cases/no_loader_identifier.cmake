# A module name without an ASCII letter or digit gives no loader function name.
add_custom_target(__)
set_target_properties(__ PROPERTIES BUILDBUDGET_WASM_FILE ${CMAKE_BINARY_DIR}/imgproc.wasm)
wasm_package(pkg MODULES __)
