# The module's paths as target properties, under the package's names and,
# for one more release, the deprecated ones; a target a project declares
# with only the deprecated WASM_FILE is still a module for wasm_add_test().
wasm_build_target(imgproc SOURCES ${WASM_EXAMPLE_DIR}/src/imgproc.cpp SIMD OPTIMIZE size)
foreach(property BUILDBUDGET_WASM_FILE BUILDBUDGET_WASM_SIMD_FILE BUILDBUDGET_WASM_OPTIMIZE WASM_FILE WASM_SIMD_FILE
                 WASM_OPTIMIZE)
  get_target_property(value imgproc ${property})
  message(STATUS "${property}=${value}")
endforeach()
add_custom_target(prebuilt)
set_target_properties(prebuilt PROPERTIES WASM_FILE "${CMAKE_CURRENT_BINARY_DIR}/imgproc.wasm")
enable_testing()
wasm_add_test(prebuilt_runs prebuilt ARGS --selftest PASS_REGULAR_EXPRESSION "imgproc ok")
