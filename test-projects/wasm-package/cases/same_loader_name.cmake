# img-proc and img_proc both give the loader function imgProc.
add_custom_target(img-proc)
set_target_properties(img-proc PROPERTIES BUILDBUDGET_WASM_FILE ${CMAKE_BINARY_DIR}/imgproc.wasm)
add_custom_target(img_proc)
set_target_properties(img_proc PROPERTIES BUILDBUDGET_WASM_FILE ${CMAKE_BINARY_DIR}/imgproc.wasm)
wasm_package(pkg MODULES img-proc img_proc)
