# LOADER: the project's own loader lands in the package as buildbudget-loader.js, byte for byte,
# and index.js imports it.
wasm_package(pkg MODULES imgproc NPM_NAME @bbtest/own-loader LOADER src/custom-loader.js)
file(READ "${CMAKE_CURRENT_SOURCE_DIR}/src/custom-loader.js" expected)
file(READ "${CMAKE_CURRENT_BINARY_DIR}/pkg.npm/buildbudget-loader.js" got)
if(NOT got STREQUAL expected)
  message(FATAL_ERROR "pkg.npm/buildbudget-loader.js is not src/custom-loader.js:\n${got}")
endif()
file(READ "${CMAKE_CURRENT_BINARY_DIR}/pkg.npm/index.js" index)
if(NOT index MATCHES "import { createLoader } from './buildbudget-loader.js';")
  message(FATAL_ERROR "pkg.npm/index.js does not import the loader:\n${index}")
endif()
message(STATUS "custom loader in place")
